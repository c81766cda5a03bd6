"""Answer-engine evaluation on citizen-style questions (tests/eval/*.yaml; rules: scoring.py).

* questions.yaml: the tuning set (the engine's rules and synonyms were tuned on it).
* holdout.yaml: written before the first engine was tuned; never tuned on.
* blind1.yaml: round 1's blind set (frozen in commit "eval: freeze blind set"); its misses
  were read after round 1, so it is now SEEN and part of tuning. Floors: what is reached.
* blind.yaml: blind set 2, written by someone who had seen neither the engine nor any
  question set, frozen (commit "eval: freeze blind set 2") and measured blind ONCE, at the
  end of round 2 (commit 4ad6f2b): top-1 90.1 %, top-3 94.2 %, declined 90.1 %, 8 wrong
  confident answers. Its misses were read in round 3, so it is now SEEN and tuned on like
  blind1; its floor is the figure reached, no longer a blind measurement.
* blind3.yaml: blind set 3, written from the plan alone, frozen (commit "eval: freeze blind
  set 3") and measured blind ONCE by the lead, at the end of round 3 (commit 8d05ce3): top-1
  89.5 %, top-3 96.5 %, declined 91.8 %, 9 wrong confident answers. Its misses were read in
  round 4, so it is now SEEN and tuned on; its floor is the figure reached.
* blind4.yaml: blind set 4, written from the plan alone, frozen (commit "eval: freeze blind
  set 4") before anything ran on it, and measured blind ONCE by the lead at the end of round
  4 (commit 149c7a7): top-1 143/149 = 96.0 %, top-3 147/149 = 98.7 %, declined 83/87 =
  95.4 %, 4 wrong confident answers. Its misses have NOT been read: never tune on it; its
  floor is that blind measurement. The next round needs a new blind set (this one becomes a
  tuning set as soon as its misses are read).

Floors are the figures reached (README, "Measured quality"), rounded down.
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
    assert score.share("in-scope") >= 0.96, report  # 310/320
    assert score.top3 / score.total["in-scope"] >= 0.99, report  # 317/320
    good, total = score.declined
    assert good / total >= 1.0, report  # 120/120
    assert score.share("intent") >= 0.95, report
    assert score.wrong <= 0, report


def test_holdout_questions(engine: AnswerEngine) -> None:
    items = load("holdout.yaml")
    assert len(items) >= 40
    score = evaluate(engine, items)
    report = "\n".join(score.lines() + score.misses)
    print(report)
    assert score.share("in-scope") >= 1.0, report  # 45/45
    assert score.wrong <= 0, report


def test_blind1_questions(engine: AnswerEngine) -> None:
    """Round 1's blind set, now seen and tuned on: the floor reached (README)."""
    _floor(engine, "blind1.yaml", BLIND1)


# blind1 (seen, tuned on since round 2): the figures reached (README). Round 1, while it was
# blind: top-1 93/108, top-3 97/108, declined 53/61, 10 wrong confident answers.
BLIND1 = {"top1": 0.98, "top3": 1.0, "declined": 1.0, "wrong": 0}  # 106/108, 108/108, 61/61


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


def test_blind2_questions(engine: AnswerEngine) -> None:
    """Blind set 2, now seen and tuned on: the floor reached (README: "Measured quality")."""
    _floor(engine, "blind.yaml", BLIND2)


# blind set 2 (seen since round 3, tuned on): the figures reached. Measured blind once, at the
# end of round 2 (commit 4ad6f2b): top-1 109/121 = 90.1 %, top-3 114/121 = 94.2 %, declined
# 64/71 = 90.1 %, 8 wrong confident answers.
BLIND2 = {"top1": 0.96, "top3": 1.0, "declined": 1.0, "wrong": 0}  # 117/121, 121/121, 71/71


def test_blind3_questions(engine: AnswerEngine) -> None:
    """Blind set 3, now seen and tuned on: the floor reached (README: "Measured quality")."""
    _floor(engine, "blind3.yaml", BLIND3)


# blind set 3 (seen since round 4, tuned on): the figures reached. Measured blind once by the
# lead, at the end of round 3 (commit 8d05ce3): top-1 128/143 = 89.5 %, top-3 138/143 =
# 96.5 %, declined 89/97 = 91.8 %, 9 wrong confident answers (lexical only: top-1 119/143).
BLIND3 = {"top1": 0.97, "top3": 0.99, "declined": 1.0, "wrong": 0}  # 140/143, 142/143, 97/97


def test_blind4_questions(engine: AnswerEngine) -> None:
    """Blind set 4, measured blind once (README: "Measured quality"); never tuned on."""
    _floor(engine, "blind4.yaml", BLIND4)


# blind set 4: the one blind measurement, end of round 4 (commit 149c7a7); lexical only:
# top-1 135/149 = 90.6 %, top-3 147/149, declined 83/87, 4 wrong.
BLIND4 = {"top1": 0.95, "top3": 0.98, "declined": 0.95, "wrong": 4}  # 143/149, 147/149, 83/87
