"""Answer-engine evaluation on citizen-style questions (tests/eval/*.yaml; rules: scoring.py).

* questions.yaml: the tuning set (the engine's rules and synonyms were tuned on it).
* holdout.yaml: written before the first engine was tuned; never tuned on.
* blind1.yaml: round 1's blind set (frozen in commit "eval: freeze blind set"); its misses
  were read after round 1, so it is now SEEN and part of tuning. Floors: what is reached.
* blind.yaml: round 2's blind set, written by someone who had seen neither the engine nor
  any question set, frozen (commit "eval: freeze blind set 2") before anything ran on it and
  measured once at the end of round 2; never tuned on. Its floor is the figure measured
  then (README), not the issue's target where the two differ.
"""

from __future__ import annotations

import pytest

from bot.answers import AnswerEngine, load_rules
from bot.content import load_plan
from tests.eval.scoring import category, evaluate, load


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    """The engine as deployed: lexical stages and the second scorer (loaded first)."""
    return AnswerEngine.from_content(load_plan(), load_rules(), semantic="sync")


def test_eval_set_covers_every_initiative_and_term() -> None:
    plan = load_plan()
    items = load("questions.yaml")
    expected = {(i["expect"].get("kind"), i["expect"].get("id")) for i in items}
    missing = [i.id for i in plan.initiatives if ("initiative", i.id) not in expected]
    missing += [t.headword for t in plan.terms if ("term", t.headword) not in expected]
    assert not missing, f"no eval question for: {missing}"
    cats = [category(i["expect"]) for i in items]
    assert len(items) >= 250
    assert cats.count("offtopic") >= 25
    assert cats.count("nearmiss") >= 10
    smalltalk = [i for i in items if i["expect"].get("intent") in ("greeting", "thanks")]
    assert len(smalltalk) >= 8


def test_tuning_questions(engine: AnswerEngine) -> None:
    score = evaluate(engine, load("questions.yaml"))
    report = "\n".join(score.lines() + score.misses)
    print(report)
    assert score.share("in-scope") >= 0.95, report
    assert score.top3 / score.total["in-scope"] >= 0.97, report
    good, total = score.declined
    assert good / total >= 0.98, report
    assert score.share("intent") >= 0.95, report
    assert score.wrong <= 1, report


def test_holdout_questions(engine: AnswerEngine) -> None:
    items = load("holdout.yaml")
    assert len(items) >= 40
    score = evaluate(engine, items)
    report = "\n".join(score.lines() + score.misses)
    print(report)
    assert score.share("in-scope") >= 0.97, report
    assert score.wrong <= 0, report


def test_blind1_questions(engine: AnswerEngine) -> None:
    """Round 1's blind set, now seen and tuned on: the floor reached (README)."""
    _floor(engine, "blind1.yaml", BLIND1)


# blind1 (seen, tuned on in round 2): the figures reached (README). Round 1, while it was
# blind: top-1 93/108, top-3 97/108, declined 53/61, 10 wrong confident answers.
BLIND1 = {"top1": 0.97, "top3": 0.98, "declined": 1.0, "wrong": 0}  # 105/108, 106/108, 61/61


def _floor(engine: AnswerEngine, name: str, floor: dict[str, float]) -> None:
    items = load(name)
    assert len(items) >= 150
    cats = [category(i["expect"]) for i in items]
    assert cats.count("nearmiss") + cats.count("offtopic") >= len(items) // 3
    score = evaluate(engine, items)
    report = "\n".join(score.lines() + score.misses)
    print(report)
    assert score.share("in-scope") >= floor["top1"], report
    assert score.top3 / score.total["in-scope"] >= floor["top3"], report
    good, total = score.declined
    assert good / total >= floor["declined"], report
    assert score.wrong <= floor["wrong"], report


def test_blind_questions(engine: AnswerEngine) -> None:
    """Round 2's blind set: the floor measured once at the end (README: "The answer engine")."""
    _floor(engine, "blind.yaml", BLIND2)


# blind (round 2), measured once at commit 4ad6f2b: top-1 109/121 = 90.1 %, top-3 114/121 =
# 94.2 %, declined 64/71 = 90.1 %, 8 wrong confident answers. The targets (top-1
# 0.92, top-3 0.98) are NOT met; declined ≥ 0.9 is, barely.
BLIND2 = {"top1": 0.90, "top3": 0.94, "declined": 0.90, "wrong": 8}
