"""Normalisation: width, kana, long vowels, synonyms and initiative numbers."""

from __future__ import annotations

import pytest

from bot.answers.normalize import (
    Analyzer,
    SynonymTable,
    fold_key,
    initiative_numbers,
    is_blank,
    kana_runs_to_katakana,
    katakana,
    nfkc,
    rule_pattern,
    soft,
)


def test_width_is_folded() -> None:
    assert nfkc("ＡＩ　ＤＸ１２３") == "AI DX123"
    assert nfkc("ｶﾀｶﾅ") == "カタカナ"
    assert soft("ＡＩ") == "ai"


def test_hiragana_folds_to_katakana_one_for_one() -> None:
    assert katakana("どろーん") == "ドローン"
    assert len(katakana("まいなんばーかーど")) == len("まいなんばーかーど")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("コンピュータ", "コンピューター"),
        ("セキュリティ", "セキュリティー"),
        ("まいなんばーかーど", "マイナンバーカード"),
        ("ﾄﾞﾛｰﾝ", "ドローン"),
        ("ロ-ドマップ", "ロードマップ"),
        ("AI-OCR", "ＡＩＯＣＲ"),
    ],
)
def test_fold_key_meets_spelling_variants(a: str, b: str) -> None:
    assert fold_key(a) == fold_key(b)


def test_dash_after_kana_becomes_long_vowel() -> None:
    assert soft("ろ〜どまっぷ") == "ろーどまっぷ"
    assert kana_runs_to_katakana("どろーんってなに").startswith("ドローン")
    assert kana_runs_to_katakana("これは") == "これは"  # no ー: ordinary hiragana stays


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("1-5", ["1-5"]),
        ("１－５", ["1-5"]),
        ("取組1-5", ["1-5"]),
        ("1の5", ["1-5"]),
        ("取組番号1-5", ["1-5"]),
        ("1-5って何", ["1-5"]),
        ("３の１１", ["3-11"]),
        ("4ー2", ["4-2"]),
        ("No.1-9", ["1-9"]),
        ("一の五", ["1-5"]),
    ],
)
def test_initiative_numbers_in_any_form(text: str, ids: list[str]) -> None:
    assert initiative_numbers(text) == ids


@pytest.mark.parametrize("text", ["0463-94-4550", "2023-04", "交付率100%", "令和5年度", "1.5倍"])
def test_other_numbers_are_not_initiatives(text: str) -> None:
    assert initiative_numbers(text) == []


def test_synonyms_replace_whole_words_only() -> None:
    table = SynonymTable.build([("LINE", ["ライン"]), ("マイナンバーカード", ["マイナカード"])])
    assert table.apply(soft("ラインで予約")) == "lineで予約"
    assert table.apply(soft("オンライン申請")) == "オンライン申請"  # not オンLINE
    assert table.apply(soft("まいなかーどの交付")) == "マイナンバーカードの交付"


def test_blank_detection() -> None:
    assert is_blank("")
    assert is_blank("  ？？！ ")
    assert is_blank("😀👍")
    assert not is_blank("AI")


def test_analyzer_keeps_content_words_and_phrases() -> None:
    analyzer = Analyzer(SynonymTable(()), stopwords=["教える", "つく"])
    words, phrases = analyzer.analyse(analyzer.prepare("電子契約の導入について教えてください"))
    assert words == ["電子", "契約", "導入"]
    assert "電子契約" in phrases
    assert analyzer.reading("要配慮者") == "ヨウハイリョシャ"


def test_english_rule_words_start_a_word() -> None:
    import re

    rate = re.compile(rule_pattern("rate"))
    assert rate.search("what is the rate")
    assert not rate.search("separate")  # rate is not a word inside another
    assert rate.search("交付rateは")  # Japanese around it is no letter
    hi = re.compile(rule_pattern("hi", whole_word=True))
    assert hi.search("hi there") and not hi.search("hiking")
    bus = re.compile(rule_pattern("bus(es)?", whole_word=True))
    assert bus.search("buses") and not bus.search("business")
    assert re.compile(rule_pattern("ごみ")).search(katakana("粗大ごみ"))  # Japanese unbounded


def test_a_short_hiragana_synonym_is_a_word_of_its_own() -> None:
    table = SynonymTable.build([("LINE", ["ライン"]), ("窓口", ["まどぐち"])])
    assert table.apply(soft("市のらいんで予約")) == "市のlineで予約"
    assert table.apply(soft("見づらいんだけど")) == "見づらいんだけど"  # not 見づLINEだけど
    assert table.apply(soft("かかないまどぐち")) == "かかない窓口"  # a longer one is distinctive


def test_synonyms_come_before_kana_loanwords_turn_katakana() -> None:
    analyzer = Analyzer(SynonymTable.build([("マイナンバーカード", ["マイナカード"])]))
    # the hiragana run まいなかーどの would turn katakana with its particle (マイナカードノ)
    assert analyzer.prepare("まいなかーどの交付") == "マイナンバーカードの交付"
