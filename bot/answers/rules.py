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
    semantic: float = Field(default=0.3, ge=0, le=1)  # … answered if the second scorer agrees
    offtopic_override: float = Field(ge=0, le=1)  # a plan match this strong beats a topic
    nearmiss_related: float = Field(default=0.2, ge=0, le=1)  # a near miss's related item


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
    # weak: a place a plan question may mention in passing; declines only what the plan does
    # not match at all
    weak: bool = False

    _re = field_validator("patterns")(_check_regexes)


class NearMiss(_Frozen):
    """A kind of question the plan does not answer although its topic is in the plan."""

    kind: str = Field(min_length=1)  # how, bring, where, cost, lost, hours, …
    patterns: tuple[str, ...] = Field(min_length=1)
    # weak: the words name a topic the plan lacks (住民票) rather than a question it cannot
    # answer; a question that also asks a figure, a date or a desk is answered by the plan
    weak: bool = False
    # the kind does not apply where one of these matches too (「市はどうやって連絡をとるの」
    # asks how the city does something: the plan answers it)
    unless: tuple[str, ...] = ()

    _re = field_validator("patterns", "unless")(_check_regexes)


class Facets(_Frozen):
    """What a question asks about an initiative, so the reply can answer it first."""

    figure: tuple[str, ...]  # 何件, 何人, 目標は …
    when: tuple[str, ...]  # いつ, いつから, スケジュール …
    department: tuple[str, ...]  # 担当, どこの課 …
    yesno: tuple[str, ...]  # できる？, なる？ …

    _re = field_validator("figure", "when", "department", "yesno")(_check_regexes)


class Unit(_Frozen):
    """Counter words that pick an indicator by its unit (何台 -> 台)."""

    unit: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)

    _re = field_validator("patterns")(_check_regexes)


class Years(_Frozen):
    """Words that pick a fiscal-year column besides 令和N年度 / 20NN年度 / RN."""

    final: tuple[str, ...]  # 最終的に -> the plan's last year
    baseline: tuple[str, ...]  # 現在, 今 -> the baseline (令和4年度2月末時点)
    this: tuple[str, ...]  # 今年度 -> the fiscal year of today's date
    next: tuple[str, ...]  # 来年度 -> the one after

    _re = field_validator("final", "baseline", "this", "next")(_check_regexes)


class Safety(_Frozen):
    """Safety topics: a near miss about them leads with where urgent information comes from."""

    patterns: tuple[str, ...] = Field(min_length=1)
    initiative: str  # the plan's initiative on emergency information (3-1)

    _re = field_validator("patterns")(_check_regexes)


class MenuWord(_Frozen):
    """Typed words that open a rich-menu page (the whole message, give or take fillers)."""

    name: str = Field(min_length=1)  # help, contact, reservation, settings (bot.postback.Menu)
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
    facets: Facets
    units: tuple[Unit, ...] = ()
    years: Years
    nearmiss: tuple[NearMiss, ...] = ()
    safety: Safety
    menu: tuple[MenuWord, ...] = ()
    menu_filler: tuple[str, ...] = ()  # may stand around a menu word (したい, お願い …)
    policy: tuple[str, ...] = ()  # regexes with one group: the basic policy's number
    english_words: tuple[str, ...] = ()  # English words that only say how a question is asked
    field_weights: FieldWeights = FieldWeights()
    cue_weight: float = Field(default=0.15, ge=0, le=1)  # penalty on the other kind
    unknown_word_weight: float = Field(default=0.5, ge=0, le=2)  # words not in the plan

    _re = field_validator(
        "greeting", "thanks", "chatter", "browse", "browse_filler", "policy", "menu_filler"
    )(_check_regexes)


def load_rules(content_dir: Path = CONTENT_DIR) -> AnsweringRules:
    """Read and validate content/answering.yaml; errors name the file and the field."""
    return load_file("answering.yaml", AnsweringRules, content_dir)
