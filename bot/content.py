"""Load and validate the plan, glossary, synonyms and reply wording from content/*.yaml.

Everything citizens read comes from these files, so staff can revise the plan each year
without touching Python. Validation errors name the file and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.loader import CONTENT_DIR, ContentError, describe, read_yaml

__all__ = ["CONTENT_DIR", "ContentError"]  # re-exported: older imports use bot.content

# 令和N年度 runs from 1 April (2018+N) to 31 March (2019+N).
REIWA_OFFSET = 2018
FiscalKey = Literal["R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12"]
INITIATIVE_ID = re.compile(r"^[1-9]-(?:[1-9]|[1-9][0-9])$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def fiscal_label(key: str) -> str:
    """'R5' -> '令和5年度（2023年度）'."""
    n = int(key[1:])
    return f"令和{n}年度（{n + REIWA_OFFSET}年度）"


def fiscal_short(key: str) -> str:
    """'R5' -> '令和5年度'."""
    return f"令和{int(key[1:])}年度"


def fiscal_western(key: str) -> int:
    """'R5' -> 2023 (the calendar year in which the fiscal year starts)."""
    return int(key[1:]) + REIWA_OFFSET


class Policy(Frozen):
    """基本方針: one of the four basic policies."""

    number: int = Field(ge=1, le=9)
    title: str = Field(min_length=1)


class ScheduleRow(Frozen):
    """One row of 取組スケジュール: an activity and what happens in each fiscal year.

    A year missing from `by_year`, or given as null, is unknown (the extracted table lost it).
    """

    item: str = Field(min_length=1)
    by_year: dict[FiscalKey, str | None] = Field(default_factory=dict)


IndicatorValue = Annotated[str | int | float | None, Field(union_mode="left_to_right")]


class Indicator(Frozen):
    """One 指標 with its unit and its value per fiscal year (R4 = baseline at end of Feb 2023).

    null means the plan's text does not give the value (never invent one); "-" is printed
    as such in the plan (no value for that year).
    """

    name: str = Field(min_length=1)
    unit: str = ""
    values: dict[FiscalKey, IndicatorValue] = Field(default_factory=dict)

    def display(self, key: str, unknown: str = "不明") -> str:
        """The value for fiscal year `key` as a citizen should read it (`unknown`: the
        wording for a lost cell, content/replies.yaml `cell.unknown`)."""
        value = self.values.get(key)  # type: ignore[call-overload]
        if value is None:
            return unknown
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = f"{value:,}" if isinstance(value, int) else f"{value:g}"
            return f"{number}{self.unit}"
        return str(value)


class Initiative(Frozen):
    """取組: one of the plan's 34 initiatives."""

    id: str
    policy: int
    title: str = Field(min_length=1)
    dx_priority: bool = False  # ☆: named in the national 自治体DX推進計画
    new: bool = False  # 【新】: added in the revised plan
    content: str = Field(min_length=1)  # 取組内容
    effect: str = Field(min_length=1)  # 期待効果
    departments: tuple[str, ...] = Field(min_length=1)
    schedule: tuple[ScheduleRow, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    terms: tuple[str, ...] = ()  # glossary headwords marked with ※ in this initiative
    keywords: tuple[str, ...] = ()  # extra search words (colloquial names); not shown
    marked: tuple[str, ...] = ()  # words marked ※ here that the glossary does not define

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not INITIATIVE_ID.match(v):
            raise ValueError(f"initiative id must look like '1-5', got {v!r}")
        return v

    @property
    def sort_key(self) -> tuple[int, int]:
        a, b = self.id.split("-")
        return int(a), int(b)


class Term(Frozen):
    """用語解説: one of the glossary's 40 terms."""

    headword: str = Field(min_length=1)  # as printed, without the parenthesised alias
    reading: str = ""  # hiragana reading, for kana-only questions
    aliases: tuple[str, ...] = ()
    definition: str = Field(min_length=1)
    pages: tuple[int, ...] = ()
    initiatives: tuple[str, ...] = ()  # ids of initiatives whose text marks the term with ※


class SynonymGroup(Frozen):
    """Words citizens use for one canonical word (マイナカード -> マイナンバーカード)."""

    canonical: str = Field(min_length=1)
    variants: tuple[str, ...] = Field(min_length=1)


class Plan(Frozen):
    """The whole action plan: policies, initiatives and glossary, cross-checked."""

    title: str
    period: str
    contact: dict[str, str]
    policies: tuple[Policy, ...]
    initiatives: tuple[Initiative, ...]
    terms: tuple[Term, ...]
    synonyms: tuple[SynonymGroup, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> Plan:
        policy_numbers = {p.number for p in self.policies}
        ids = [i.id for i in self.initiatives]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"initiatives.yaml: duplicate initiative ids: {sorted(dupes)}")
        heads = [t.headword for t in self.terms]
        dupes = {h for h in heads if heads.count(h) > 1}
        if dupes:
            raise ValueError(f"glossary.yaml: duplicate glossary headwords: {sorted(dupes)}")
        for ini in self.initiatives:
            if ini.policy not in policy_numbers:
                raise ValueError(
                    f"initiatives.yaml: initiative {ini.id}: unknown policy {ini.policy}"
                )
            if not ini.id.startswith(f"{ini.policy}-"):
                raise ValueError(
                    f"initiatives.yaml: initiative {ini.id}: "
                    f"number does not match policy {ini.policy}"
                )
            for t in ini.terms:
                if t not in heads:
                    raise ValueError(
                        f"initiatives.yaml: initiative {ini.id}: unknown glossary term {t!r}"
                    )
        for term in self.terms:
            for i in term.initiatives:
                if i not in ids:
                    raise ValueError(
                        f"glossary.yaml: term {term.headword}: unknown initiative {i!r}"
                    )
        return self

    @cached_property
    def initiative_by_id(self) -> dict[str, Initiative]:
        return {i.id: i for i in self.initiatives}

    @cached_property
    def term_by_headword(self) -> dict[str, Term]:
        return {t.headword: t for t in self.terms}

    def policy(self, number: int) -> Policy:
        return next(p for p in self.policies if p.number == number)

    def initiatives_of(self, policy: int) -> list[Initiative]:
        return sorted(
            (i for i in self.initiatives if i.policy == policy), key=lambda i: i.sort_key
        )


def load_plan(content_dir: Path = CONTENT_DIR) -> Plan:
    """Read content/plan.yaml, initiatives.yaml, glossary.yaml and synonyms.yaml into a Plan."""
    meta_path = content_dir / "plan.yaml"
    meta = read_yaml(meta_path) or {}
    parts: dict[str, Any] = dict(meta)
    sources = {
        "initiatives": content_dir / "initiatives.yaml",
        "terms": content_dir / "glossary.yaml",
        "synonyms": content_dir / "synonyms.yaml",
    }
    for key, path in sources.items():
        data = read_yaml(path) or {}
        if not isinstance(data, dict) or key not in data:
            raise ContentError(f"{path.name}: expected a mapping with a top-level '{key}' list")
        parts[key] = data[key]
    try:
        return Plan.model_validate(parts)
    except ValidationError as err:
        errors = err.errors()
        loc = errors[0]["loc"] if errors else ()
        if not loc:  # Plan._cross_check: its message already names the file and the entry
            msgs = (str(e["msg"]).removeprefix("Value error, ") for e in errors)
            raise ContentError("\n".join(msgs)) from err
        # Name the file the first error lives in.
        path = sources.get(str(loc[0]), meta_path)
        raise ContentError(describe(err, path.name, parts)) from err
    except ValueError as err:
        raise ContentError(f"content: {err}") from err


class Replies(Frozen):
    """Every sentence a citizen reads, keyed; formatted with str.format(**facts).

    The wording comes from content/replies.yaml (the core replies) and one file per feature
    in content/replies/ (e.g. content/replies/answer.yaml); a key may live in one file only.
    """

    texts: dict[str, str]
    sources: dict[str, str] = Field(default_factory=dict)  # key -> file it came from

    def text(self, key: str, **facts: Any) -> str:
        try:
            template = self.texts[key]
        except KeyError as e:
            raise ContentError(f"replies.yaml: missing key {key!r}") from e
        return template.format(**facts) if facts else template

    def keys(self) -> Iterator[str]:
        return iter(self.texts)


REPLIES_FILE = "replies.yaml"
REPLIES_DIR = "replies"


def wording_files(content_dir: Path = CONTENT_DIR) -> list[Path]:
    """content/replies.yaml, then every content/replies/*.yaml in name order."""
    extra = sorted((content_dir / REPLIES_DIR).glob("*.yaml"))
    return [content_dir / REPLIES_FILE, *extra]


def load_replies(content_dir: Path = CONTENT_DIR) -> Replies:
    """All wording files merged; errors name the file and the key."""
    texts: dict[str, str] = {}
    sources: dict[str, str] = {}
    for path in wording_files(content_dir):
        name = path.relative_to(content_dir).as_posix()
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise ContentError(f"{name}: expected a mapping of key: text")
        bad = [k for k, v in data.items() if not isinstance(v, str) or not v.strip()]
        if bad:
            raise ContentError(f"{name}: keys without text: {bad}")
        for key, value in data.items():
            if key in texts:
                raise ContentError(f"{name}: key {key!r} is already defined in {sources[key]}")
            texts[str(key)] = value
            sources[str(key)] = name
    return Replies(texts=texts, sources=sources)
