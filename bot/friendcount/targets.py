"""The plan's friend-count targets (content/targets.yaml) and fiscal-year arithmetic.

令和N年度 runs from 1 April (2018+N) to 31 March (2019+N); a target is due at the end of its
fiscal year. Targets are data so the next plan's can be added without touching Python.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from bot.content import REIWA_OFFSET, Frozen
from bot.loader import CONTENT_DIR, ContentFile, load_file

FISCAL_KEY = re.compile(r"^R([1-9][0-9]?)$")


def fiscal_key_of(day: date) -> str:
    """The fiscal year a day belongs to: 2026-03-31 -> 'R7', 2026-04-01 -> 'R8'."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return f"R{start_year - REIWA_OFFSET}"


def fiscal_end(key: str) -> date:
    """The last day of fiscal year `key`: 'R7' -> 2026-03-31."""
    return date(int(key[1:]) + REIWA_OFFSET + 1, 3, 31)


def fiscal_start(key: str) -> date:
    """The first day of fiscal year `key`: 'R7' -> 2025-04-01."""
    return date(int(key[1:]) + REIWA_OFFSET, 4, 1)


def fiscal_label(key: str) -> str:
    """'R7' -> '令和7年度'."""
    return f"令和{int(key[1:])}年度"


class Baseline(Frozen):
    """The figure the plan starts from (令和4年度, end of February 2023)."""

    date: date
    followers: int = Field(ge=0)


class Target(Frozen):
    """Followers to reach by the end of a fiscal year."""

    fiscal_year: str
    followers: int = Field(gt=0)

    @field_validator("fiscal_year")
    @classmethod
    def _key_form(cls, v: str) -> str:
        if not FISCAL_KEY.match(v):
            raise ValueError(f"fiscal_year must look like 'R7' (令和7年度), got {v!r}")
        return v

    @property
    def deadline(self) -> date:
        return fiscal_end(self.fiscal_year)

    @property
    def label(self) -> str:
        return fiscal_label(self.fiscal_year)


class Targets(ContentFile):
    """The indicator, its baseline and its targets, in fiscal-year order."""

    indicator: str = Field(min_length=1)
    source: str = ""
    baseline: Baseline
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Targets:
        keys = [t.fiscal_year for t in self.targets]
        if len(set(keys)) != len(keys):
            raise ValueError(
                f"duplicate fiscal years: {sorted(k for k in keys if keys.count(k) > 1)}"
            )
        deadlines = [t.deadline for t in self.targets]
        if deadlines != sorted(deadlines):
            raise ValueError("targets must be listed in fiscal-year order (R5, R6, R7 …)")
        if self.targets[0].deadline <= self.baseline.date:
            raise ValueError("the first target must fall after the baseline date")
        return self

    def current(self, today: date) -> Target:
        """The target of the fiscal year in progress (or the next one due); the last one
        when every deadline has passed."""
        return next((t for t in self.targets if t.deadline >= today), self.targets[-1])

    def all_past(self, today: date) -> bool:
        return self.targets[-1].deadline < today


def load_targets(content_dir: Path = CONTENT_DIR) -> Targets:
    """Read and validate content/targets.yaml; errors name the file and the entry."""
    return load_file("targets.yaml", Targets, content_dir)


@cache
def cached_targets() -> Targets:
    """content/targets.yaml, read once per process (the bot answers from it)."""
    return load_targets()
