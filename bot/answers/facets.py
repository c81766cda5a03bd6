"""What a question asks besides *which* item: the facet (a figure, a year, a schedule, a
department, yes/no), the fiscal year it names, the unit its counter implies, whether it is a
near miss (in-scope topic, but asking what the plan does not hold), a safety topic, a typed
menu word, and whether it is written in English.

All words come from content/answering.yaml; this module only compiles and applies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from bot.answers.normalize import nfkc, pattern_fold, rule_pattern
from bot.answers.rules import AnsweringRules

REIWA_OFFSET = 2018  # 令和N年度 starts in April of 2018+N

_REIWA = re.compile(r"(?:令和\s*|r(?<![a-z]r)\s?)([0-9]{1,2})(?![0-9])")
_WESTERN = re.compile(r"(2(?<![0-9]2)0[0-9]{2})(?![0-9])")
_YEAR_PHRASE = re.compile(
    r"(?:令和\s*[0-9]{1,2}|r(?<![a-z]r)\s?[0-9]{1,2}|2(?<![0-9]2)0[0-9]{2})\s*(?:年度|年)?(?:末|中|時点)?"
)
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九元", "01234567891")
_LATIN = re.compile(r"[a-z]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(rule_pattern(p) for p in patterns))


@dataclass(frozen=True)
class Facets:
    """What the question asks, read from its wording."""

    facet: str | None = None  # figure | when | department | yesno
    year: str | None = None  # fiscal key "R6" (maybe outside the plan), "final", "baseline"
    unit: str | None = None  # 台, 人, %, 件 … (the counter used)
    nearmiss: str | None = None  # how | bring | where | cost | lost | hours | …
    safety: bool = False
    english: bool = False


def fiscal_of(day: date) -> int:
    """The 令和 number of the fiscal year containing `day` (April to March)."""
    start = day.year if day.month >= 4 else day.year - 1
    return start - REIWA_OFFSET


class FacetRules:
    """Compiled facet, year, unit, near-miss, safety and menu patterns."""

    ORDER = ("department", "figure", "when", "yesno")

    MIN_NAME = 3  # shorter plan names (LINE, 住民) are too common to hide a cue

    def __init__(
        self,
        rules: AnsweringRules,
        today: Callable[[], date] = date.today,
        names: Iterable[str] = (),
    ) -> None:
        f = rules.facets
        self._facets = [(name, _compile(getattr(f, name))) for name in self.ORDER]
        self._units = [(u.unit, _compile(u.patterns)) for u in rules.units]
        y = rules.years
        self._final = _compile(y.final)
        self._baseline = _compile(y.baseline)
        self._this = _compile(y.this)
        self._next = _compile(y.next)
        self._nearmiss = [
            (n.kind, _compile(n.patterns), _compile(n.unless)) for n in rules.nearmiss
        ]
        self._weak = {n.kind for n in rules.nearmiss if n.weak}
        # the plan's own names (利用料金 of 1-10): a near-miss cue inside one is the topic
        # the question names, not what it asks (「利用料金のキャッシュレス化はいつ」)
        folded = sorted({pattern_fold(n) for n in names if len(n) >= self.MIN_NAME}, key=len)
        self._names = (
            re.compile("|".join(re.escape(n) for n in reversed(folded))) if folded else None
        )
        self._safety = _compile(rules.safety.patterns)
        self._menu = [(m.name, _compile(m.patterns)) for m in rules.menu]
        self._any_menu = _compile(tuple(p for m in rules.menu for p in m.patterns))
        self._policy = [re.compile(pattern_fold(p)) for p in rules.policy]
        self.today = today

    def read(self, question: str) -> Facets:
        text = pattern_fold(question)
        facet = next((n for n, p in self._facets if p is not None and p.search(text)), None)
        unit = next((u for u, p in self._units if p is not None and p.search(text)), None)
        nearmiss = self._near_miss(text)
        if nearmiss in self._weak and facet not in (None, "department"):
            # 「住民票の手数料はいつからキャッシュレス？」 asks the plan; a complaint that asks
            # for a phone number (「ブランコ壊れてる、電話番号教えて」) wants the desk, which the
            # near-miss reply names
            nearmiss = None
        return Facets(
            facet=facet,
            year=self._year(text),
            unit=unit,
            nearmiss=nearmiss,
            safety=bool(self._safety and self._safety.search(text)),
            english=is_english(question),
        )

    def _near_miss(self, text: str) -> str | None:
        """The first near-miss kind with a cue the question uses outside the plan's names:
        a cue wholly inside a name (料金 in 利用料金) is the topic, not the ask; one that runs
        past it (「使い方を教えて」, 使い方 being a keyword) still counts. A weak kind (a
        procedure named by a keyword) is read on the whole text."""
        spans: list[tuple[int, int]] | None = None  # the names' spans, found when needed
        for kind, pattern, unless in self._nearmiss:
            if pattern is None or not pattern.search(text):
                continue
            if unless is not None and unless.search(text):
                continue
            if kind in self._weak or self._names is None:
                return kind
            if spans is None:
                spans = [m.span() for m in self._names.finditer(text)]
            if not spans:
                return kind
            for m in pattern.finditer(text):
                a, b = m.span()
                if not any(s <= a and b <= e for s, e in spans):
                    return kind
        return None

    def _year(self, text: str) -> str | None:
        """The fiscal-year key the question names ("R6"), "final", "baseline" or None."""
        n: int | None = None
        m = _REIWA.search(text.translate(_KANJI_DIGITS))
        if m:
            n = int(m.group(1))
        else:
            w = _WESTERN.search(text)
            if w:
                n = int(w.group(1)) - REIWA_OFFSET
        if n is not None:
            return f"R{n}"
        if self._next and self._next.search(text):
            return f"R{fiscal_of(self.today()) + 1}"
        if self._this and self._this.search(text):
            return f"R{fiscal_of(self.today())}"
        if self._final and self._final.search(text):
            return "final"
        if self._baseline and self._baseline.search(text):
            return "baseline"
        return None

    def without_years(self, text: str) -> str:
        """`text` (soft form) without its year phrases, which no plan text explains."""
        folded = pattern_fold(text)
        spans = [m.span() for m in _YEAR_PHRASE.finditer(folded.translate(_KANJI_DIGITS))]
        for pattern in (self._final, self._this, self._next):
            if pattern is not None:
                spans += [m.span() for m in pattern.finditer(folded)]
        if not spans:
            return text
        keep = [True] * len(text)
        for a, b in spans:
            for i in range(a, b):
                keep[i] = False
        return "".join(ch if k else " " for ch, k in zip(text, keep, strict=True))

    def menu(self, question: str, only: Callable[[re.Pattern[str], str], bool]) -> str | None:
        """The menu page a typed word opens, when the message is that word and fillers."""
        if self._any_menu is None or not self._any_menu.search(pattern_fold(question)):
            return None
        for name, pattern in self._menu:
            if pattern is not None and only(pattern, question):
                return name
        return None

    def policy(self, question: str) -> int | None:
        """The basic policy number of 「基本方針2」 typed alone (or nearly)."""
        text = pattern_fold(question).strip()
        for pattern in self._policy:
            m = pattern.search(text)
            if m and len(text) - (m.end() - m.start()) <= 6:
                return int(m.group(1))
        return None


def is_english(question: str) -> bool:
    """Mostly Latin letters (at least three words' worth) and no kana or kanji."""
    text = nfkc(question).lower()
    if _JAPANESE.search(text):
        return False
    return len(_LATIN.findall(text)) >= 8 and " " in text.strip()
