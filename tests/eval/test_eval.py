"""Answer-engine evaluation on citizen-style questions (tests/eval/*.yaml).

Rule (strict): an in-scope question counts only when intent == "answer" AND matches[0] is
the expected item; a "candidates" result is a miss even when its first candidate is right.
Out-of-scope questions count as declined when intent is "offtopic" or "fallback".
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answers import AnswerEngine, Result, load_rules
from bot.content import load_plan

HERE = Path(__file__).resolve().parent


def _load(name: str) -> list[dict[str, Any]]:
    with (HERE / name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)["questions"]


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    return AnswerEngine.from_content(load_plan(), load_rules())


def _category(expect: dict[str, str]) -> str:
    if "kind" in expect:
        return "in-scope"
    return "out-of-scope" if expect["intent"] == "offtopic" else "intent"


def _ok(expect: dict[str, str], result: Result) -> bool:
    if "kind" in expect:
        best = result.best
        return (
            result.intent == "answer"
            and best is not None
            and (best.kind, best.id) == (expect["kind"], expect["id"])
        )
    if expect["intent"] == "offtopic":
        return result.intent in ("offtopic", "fallback")
    return result.intent == expect["intent"]


def evaluate(engine: AnswerEngine, items: list[dict[str, Any]]) -> tuple[dict, str]:
    """Share correct per category, and a per-category/per-tag report of the misses."""
    total: dict[str, int] = defaultdict(int)
    good: dict[str, int] = defaultdict(int)
    by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for item in items:
        expect, result = item["expect"], engine.ask(item["q"])
        cat = _category(expect)
        ok = _ok(expect, result)
        total[cat] += 1
        good[cat] += ok
        for tag in item.get("tags", []):
            by_tag[tag][0] += ok
            by_tag[tag][1] += 1
        if not ok:
            got = [(m.id, round(m.score, 2)) for m in result.matches[:3]]
            misses.append(f"  [{cat}] {item['q']!r}: expected {expect}, got {result.intent} {got}")
    shares = {c: good[c] / total[c] for c in total}
    lines = [f"{c}: {good[c]}/{total[c]} = {shares[c]:.1%}" for c in sorted(total)]
    lines += [f"  tag {t}: {g}/{n}" for t, (g, n) in sorted(by_tag.items()) if g < n]
    return shares, "\n".join(lines + misses)


def test_eval_set_covers_every_initiative_and_term() -> None:
    plan = load_plan()
    items = _load("questions.yaml")
    expected = {(i["expect"].get("kind"), i["expect"].get("id")) for i in items}
    missing = [i.id for i in plan.initiatives if ("initiative", i.id) not in expected]
    missing += [t.headword for t in plan.terms if ("term", t.headword) not in expected]
    assert not missing, f"no eval question for: {missing}"
    cats = [_category(i["expect"]) for i in items]
    assert len(items) >= 170
    assert cats.count("out-of-scope") >= 25
    smalltalk = [i for i in items if i["expect"].get("intent") in ("greeting", "thanks")]
    assert len(smalltalk) >= 8


def test_eval_questions(engine: AnswerEngine) -> None:
    shares, report = evaluate(engine, _load("questions.yaml"))
    print(report)
    assert shares["in-scope"] >= 0.90, report
    assert shares["out-of-scope"] >= 0.90, report
    assert shares["intent"] >= 0.90, report


def test_holdout_questions(engine: AnswerEngine) -> None:
    items = _load("holdout.yaml")
    assert len(items) >= 40
    shares, report = evaluate(engine, items)
    print(report)
    correct = sum(shares[c] * sum(_category(i["expect"]) == c for i in items) for c in shares)
    assert correct / len(items) >= 0.85, report
