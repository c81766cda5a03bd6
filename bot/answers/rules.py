"""The engine's own data (content/answering.yaml), validated with pydantic.

Small talk, declined topics, intent cue words and the confidence thresholds are words and
numbers staff may want to adjust; keeping them out of Python lets them do so safely.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.answers.normalize import pattern_fold
from bot.loader import CONTENT_DIR, load_file


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_regexes(values: tuple[str, ...]) -> tuple[str, ...]:
    for v in values:
        try:
            re.compile(pattern_fold(v))
        except re.error as e:
            raise ValueError(f"not a valid regular expression {v!r}: {e}") from e
    return values


class Thresholds(_Frozen):
    """Confidence cut-offs on Match.score (0..1)."""

    answer: float = Field(ge=0, le=1)  # top score at or above -> may answer
    margin: float = Field(ge=0, le=1)  # ... and at least this far ahead of the runner-up
    clear_answer: float = Field(ge=0, le=1)  # a lower top score may answer ...
    clear_lead: float = Field(ge=0, le=1)  # ... when the runner-up is at most this share of it
    candidates: float = Field(ge=0, le=1)  # top score at or above -> 「もしかして」
    offtopic_override: float = Field(ge=0, le=1)  # a plan match this strong beats a topic


class Cues(_Frozen):
    """Regexes (on katakana-folded, NFKC, lower-case text) that lean a question one way."""

    term: tuple[str, ...]
    initiative: tuple[str, ...]
    strip: tuple[str, ...]  # question endings removed before comparing names

    _re = field_validator("term", "initiative", "strip")(_check_regexes)


class Topic(_Frozen):
    """An out-of-scope subject, declined honestly."""

    topic: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)

    _re = field_validator("patterns")(_check_regexes)


class FieldWeights(_Frozen):
    """BM25F field weights: short naming fields weigh more than long body text."""

    title: float = 3.0
    keywords: float = 3.0
    headword: float = 3.0
    aliases: float = 3.0
    terms: float = 2.0
    schedule: float = 1.5
    indicators: float = 1.5
    departments: float = 1.5
    content: float = 1.0
    definition: float = 1.0
    effect: float = 0.7


class AnsweringRules(_Frozen):
    """Everything in content/answering.yaml."""

    thresholds: Thresholds
    greeting: tuple[str, ...]  # regexes; the whole message must be small talk
    thanks: tuple[str, ...]
    chatter: tuple[str, ...]  # fillers allowed around small talk (です, ね, 〜 …)
    browse: tuple[str, ...]  # regexes asking for the list
    browse_filler: tuple[str, ...]  # words that may accompany a list request
    offtopic: tuple[Topic, ...]
    cues: Cues
    question_words: tuple[str, ...]  # dropped from lexical matching (教える, いつ …)
    field_weights: FieldWeights = FieldWeights()
    cue_weight: float = Field(default=0.15, ge=0, le=1)  # penalty on the other kind
    unknown_word_weight: float = Field(default=0.5, ge=0, le=2)  # words not in the plan

    _re = field_validator("greeting", "thanks", "chatter", "browse", "browse_filler")(
        _check_regexes
    )


def load_rules(content_dir: Path = CONTENT_DIR) -> AnsweringRules:
    """Read and validate content/answering.yaml; errors name the file and the field."""
    return load_file("answering.yaml", AnsweringRules, content_dir)
