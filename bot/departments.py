"""The plan's departments and how to reach them (content/departments.yaml).

A near miss (a question on a plan topic that the plan does not answer) is sent to a desk:
the department whose topics the question names, else the departments the plan gives for the
related initiative. Contacts are only what the plan or staff supplied; nothing is invented.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from bot.answers.normalize import pattern_fold
from bot.content import Initiative
from bot.loader import CONTENT_DIR, ContentFile, load_file

FILE = "departments.yaml"
PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")


class Department(ContentFile):
    name: str = Field(min_length=1)
    phone: str | None = None
    url: str | None = None
    topics: tuple[str, ...] = ()

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not PHONE.match(v):
            raise ValueError(f"phone must look like 0463-94-4550, got {v!r}")
        return v

    @field_validator("topics")
    @classmethod
    def _topics(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for t in v:
            try:
                re.compile(pattern_fold(t))
            except re.error as e:
                raise ValueError(f"not a valid regular expression {t!r}: {e}") from e
        return v


class Directory(ContentFile):
    """Every department in content/departments.yaml."""

    departments: tuple[Department, ...]

    @model_validator(mode="after")
    def _unique(self) -> Directory:
        names = [d.name for d in self.departments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate department names: {dupes}")
        return self

    @cached_property
    def _patterns(self) -> list[tuple[Department, re.Pattern[str]]]:
        return [
            (d, re.compile("|".join(f"(?:{pattern_fold(t)})" for t in d.topics)))
            for d in self.departments
            if d.topics
        ]

    def get(self, name: str) -> Department:
        """The department called `name` (a plan name like 「教育総務課 歴史文化担当」 is
        matched by its first word); an unknown name yields one with no contact."""
        base = name.split()[0] if name.split() else name
        for d in self.departments:
            if d.name in (name, base):
                return d
        return Department(name=name)

    def for_question(self, question: str, initiative: Initiative | None) -> list[Department]:
        """The desk for a question: departments whose topics it names (those of the related
        initiative first), else the related initiative's departments."""
        text = pattern_fold(question)
        named = [d for d, p in self._patterns if p.search(text)]
        if initiative is not None:
            own = {self.get(n).name for n in initiative.departments}
            mine = [d for d in named if d.name in own]
            if mine:
                return mine[:2]
            if named:
                return named[:2]
            return [self.get(n) for n in initiative.departments]
        return named[:2]


def load_directory(content_dir: Path = CONTENT_DIR) -> Directory:
    """Read and validate content/departments.yaml (errors name the file and the entry)."""
    return load_file(FILE, Directory, content_dir)
