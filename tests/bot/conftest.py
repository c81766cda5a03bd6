"""Fixtures of the engine tests: one lexical answer engine, built once for the session (it
keeps no state between questions, and building it costs about half a second)."""

from __future__ import annotations

import pytest

from bot.answers import AnswerEngine, load_rules
from bot.content import load_plan


@pytest.fixture(scope="session")
def engine() -> AnswerEngine:
    return AnswerEngine.from_content(load_plan(), load_rules())
