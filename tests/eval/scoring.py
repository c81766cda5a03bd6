"""Scoring rules for the question sets in tests/eval/, shared by the tests and report.py.

Expectations:
* ``{kind: initiative|term, id: …}``: a plan answer. top-1 counts only when intent is
  "answer" AND matches[0] is the item (a 「もしかして」 is a miss); top-3 counts the item
  among the first three matches of an answer or of 「もしかして」 candidates.
* ``{intent: nearmiss, related: "1-2"}``: the topic is in the plan, the question is not.
  Declined = not a confident plan answer; "sent to the desk" = intent "nearmiss" (the reply
  names the department) and, where given, the related initiative is offered.
* ``{intent: offtopic}``: declined = not a confident plan answer.
* ``{intent: greeting|thanks|browse|empty|menu}``: that intent.
A wrong confident answer is an "answer" that is not the expected item (or any answer to a
near miss or an off-topic question).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.answers import AnswerEngine, Result

HERE = Path(__file__).resolve().parent


def load(name: str) -> list[dict[str, Any]]:
    with (HERE / name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)["questions"]


def category(expect: dict[str, str]) -> str:
    if "kind" in expect:
        return "in-scope"
    if expect["intent"] in ("offtopic", "nearmiss"):
        return expect["intent"]
    return "intent"


@dataclass
class Score:
    """Counts per category and the misses, for one question set."""

    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    good: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    top3: int = 0
    desk: int = 0  # near misses answered as such (department named)
    related: int = 0  # … with the expected related initiative offered
    related_total: int = 0
    wrong: int = 0  # wrong confident answers
    misses: list[str] = field(default_factory=list)

    def share(self, cat: str) -> float:
        return self.good[cat] / self.total[cat] if self.total[cat] else 1.0

    @property
    def declined(self) -> tuple[int, int]:
        """Near misses and off-topic questions declined: (good, total)."""
        cats = ("nearmiss", "offtopic")
        return sum(self.good[c] for c in cats), sum(self.total[c] for c in cats)

    def lines(self) -> list[str]:
        n = self.total["in-scope"]
        d_good, d_total = self.declined
        out = [
            f"in-scope top-1: {self.good['in-scope']}/{n} = {self.share('in-scope'):.1%}",
            f"in-scope top-3: {self.top3}/{n} = {self.top3 / n if n else 1:.1%}",
            f"near misses + off-topic declined: {d_good}/{d_total}"
            f" = {d_good / d_total if d_total else 1:.1%}",
            f"  near misses declined: {self.good['nearmiss']}/{self.total['nearmiss']},"
            f" sent to the desk (nearmiss reply): {self.desk}/{self.total['nearmiss']},"
            f" related initiative offered: {self.related}/{self.related_total}",
            f"  off-topic declined: {self.good['offtopic']}/{self.total['offtopic']}",
            f"small talk / list / menu: {self.good['intent']}/{self.total['intent']}",
            f"wrong confident answers: {self.wrong}",
        ]
        return out


def evaluate(engine: AnswerEngine, items: list[dict[str, Any]]) -> Score:
    score = Score()
    for item in items:
        expect, result = item["expect"], engine.ask(item["q"])
        cat = category(expect)
        ok, wrong = judge(expect, result, score)
        score.total[cat] += 1
        score.good[cat] += ok
        score.wrong += wrong
        if not ok or wrong:
            got = [(m.id, round(m.score, 2)) for m in result.matches[:3]]
            flag = " WRONG-CONFIDENT" if wrong else ""
            score.misses.append(
                f"  [{cat}]{flag} {item['q']!r}: expected {expect}, got {result.intent} {got}"
            )
    return score


def judge(expect: dict[str, str], result: Result, score: Score) -> tuple[bool, bool]:
    """(counts as right, is a wrong confident answer)."""
    answered = result.intent == "answer"
    if "kind" in expect:
        want = (expect["kind"], expect["id"])
        best = result.best
        ok = answered and best is not None and (best.kind, best.id) == want
        if result.intent in ("answer", "candidates"):
            score.top3 += any((m.kind, m.id) == want for m in result.matches[:3])
        return ok, answered and not ok
    if expect["intent"] == "nearmiss":
        score.desk += result.intent == "nearmiss"
        if expect.get("related"):
            score.related_total += 1
            score.related += (
                any(
                    m.kind == "initiative" and m.id == expect["related"]
                    for m in result.matches[:3]
                )
                and result.intent == "nearmiss"
            )
        return not answered, answered
    if expect["intent"] == "offtopic":
        return not answered, answered
    return result.intent == expect["intent"], answered
