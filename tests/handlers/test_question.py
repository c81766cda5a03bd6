"""Dialogs with the question handler: (what the citizen says, what they see)."""

from __future__ import annotations

import pytest

USER = "U" + "b" * 32


def quick_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


@pytest.mark.parametrize(
    ("said", "card_contains"),
    [
        ("1-1 の目標は？", "行政手続きのオンライン化の拡大"),
        ("マイナカードの交付率の目標", "マイナンバーカードの交付促進"),
        ("ドローンはいつ実証実験するの", "ドローンの活用"),
        ("スマホ教室の参加者数は何人を目指してる？", "デジタルデバイド対策"),
    ],
)
def test_initiative_questions_get_the_initiative_card(webhook, said, card_contains):
    messages = webhook.say(said, user=USER)
    assert messages[-1]["type"] == "flex"
    assert card_contains in messages[-1]["altText"]


def flex_texts(message: dict) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and "text" in node:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("contents"))
    return found


@pytest.mark.parametrize(
    ("said", "sentence", "not_on_card"),
    [
        # a counter and a year: that indicator's value for that year, with the baseline
        (
            "令和6年度の雨量計は何台になる？",
            "令和6年度の「雨量計の設置数 (累計)」の目標は5台です（令和4年度2月末時点 4台）。",
            "一斉配信システムの登録者数",
        ),
        # 2025年度 = 令和7年度; the friend count of the LINE account
        (
            "LINEの友だち登録数は2025年度にどれくらいを目指してるの",
            "令和7年度の「公式LINE友達登録数（累計）」の目標は20,000人です"
            "（令和4年度2月末時点 9,005人）。",
            "チャットボットの導入",
        ),
        # a lost cell is said plainly, with the nearest planned figure
        (
            "オンライン手続き数の令和7年度の目標は？",
            "令和7年度の「オンライン手続き数」の目標値は不明です（計画書の表から読み取れません）。\nなお、令和6年度の目標は120手続きです。",
            "オンライン化の拡大 令和4年度",
        ),
    ],
)
def test_figure_questions_get_the_figure_first_and_a_trimmed_card(
    webhook, said, sentence, not_on_card
):
    messages = webhook.say(said, user=USER)
    assert messages[0]["type"] == "text"
    assert messages[0]["text"].startswith(sentence)
    card = messages[-1]
    assert card["type"] == "flex"
    texts = flex_texts(card)
    assert not_on_card not in " ".join(texts)  # trimmed to what was asked …
    assert "詳しく（全文）" in str(card)  # … with the full text one tap away


@pytest.mark.parametrize(
    ("said", "opening"),
    [
        (
            "電子契約はいつから始まるの",
            "計画のスケジュールでは、「電子契約の実現」は令和5年度「検討」、令和6年度「試行」、令和7年度「導入」です。",
        ),
        (
            "通報システムの担当はどこの課？",
            "取組1-6「通報システムの導入」の担当はみどり公園課、道路整備課、土木総務課、情報政策課です。",
        ),
    ],
)
def test_schedule_and_department_questions_are_answered_first(webhook, said, opening):
    messages = webhook.say(said, user=USER)
    assert messages[0]["text"].startswith(opening)
    assert messages[-1]["type"] == "flex"


@pytest.mark.parametrize(
    ("said", "department", "related"),
    [
        ("避難所はどこにありますか", "危機管理課", "3-1"),
        ("マイナンバーカードの暗証番号を忘れてしまった", "戸籍住民課", "1-2"),
        ("住民票はどうやって取ればいいの", "戸籍住民課", None),
    ],
)
def test_near_misses_go_to_the_desk_not_to_a_plan_card(webhook, said, department, related):
    messages = webhook.say(said, user=USER)
    assert len(messages) == 1 and messages[0]["type"] == "text"
    text = messages[0]["text"]
    assert "載っていません" in text
    assert f"担当は{department}" in text
    assert "0463-94-4550" in text  # the plan's own contact stays the default
    assert "取組内容" not in text
    if related:
        assert any(label.startswith(related) for label in quick_labels(messages[0]))


def test_safety_near_miss_leads_with_where_urgent_information_comes_from(webhook):
    text = webhook.say("地震のとき避難所はどこ？", user=USER)[0]["text"]
    assert text.index("いせはらくらし安心メール") < text.index("載っていません")


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("予約", "準備中"),
        ("配信設定", "利用目的"),  # the settings dialog starts (handlers/settings.py)
        ("ヘルプ", "使い方"),
        ("担当者", "お問い合わせ先"),
    ],
)
def test_typed_menu_words_reach_their_menu_not_the_fallback(webhook, said, expected):
    text = webhook.say(said, user=USER)[0]["text"]
    assert expected in text
    assert "見つかりませんでした" not in text


def test_typed_basic_policy_opens_its_initiatives(webhook):
    messages = webhook.say("基本方針2", user=USER)
    assert "基本方針2" in messages[0]["altText"]
    assert "2-1" in messages[0]["altText"]


def test_english_question_says_the_details_are_in_japanese_then_the_card(webhook):
    messages = webhook.say("When will the city introduce electronic contracts?", user=USER)
    assert messages[0]["text"].startswith("The details of the plan are only available in Japanese")
    assert messages[-1]["type"] == "flex" and "電子契約の実現" in messages[-1]["altText"]


def test_english_sentence_from_a_foreign_resident_reaches_its_initiative(webhook):
    said = "I just moved here from abroad. Will the city offer an interpreter at the counter?"
    messages = webhook.say(said, user=USER)
    assert messages[0]["text"].startswith("The details of the plan are only available in Japanese")
    assert "通訳サービスの拡大" in messages[-1]["altText"]


def test_english_near_miss_says_in_english_the_plan_lacks_it_then_names_the_desk(webhook):
    messages = webhook.say("Where can I pick up my My Number Card?", user=USER)
    assert messages[0]["text"].startswith("The plan does not hold the answer")
    japanese = " ".join(m.get("text", "") for m in messages[1:])
    assert "計画（アクションプラン）には載っていません" in japanese and "担当は" in japanese


def test_a_marked_word_without_a_glossary_entry_gets_its_initiative(webhook):
    messages = webhook.say("eMAFFって何？", user=USER)
    assert "取組3-5「農業DXの推進」" in messages[0]["text"]
    assert "農業DXの推進" in messages[-1]["altText"]


def test_initiative_card_carries_figures_departments_and_quick_replies(webhook):
    card = webhook.say("取組1-1", user=USER)[0]
    assert "17,178件" in card["altText"] and "22,000件" in card["altText"]
    assert "資産税課" in card["altText"]
    labels = quick_labels(card)
    assert labels and all(len(label) <= 20 for label in labels) and len(labels) <= 13


def test_glossary_question_gets_the_definition_with_initiatives_as_quick_replies(webhook):
    messages = webhook.say("ドローンって何？", user=USER)
    assert messages[0]["type"] == "text"
    assert "遠隔操作または自動操縦" in messages[0]["text"]
    assert any(label.startswith("3-4") for label in quick_labels(messages[0]))


def test_greeting_is_friendly_and_never_a_plan_answer(webhook):
    messages = webhook.say("こんにちは！", user=USER)
    assert messages[0]["type"] == "text"
    assert "取組内容" not in messages[0]["text"]


@pytest.mark.parametrize("said", ["明日の天気は？", "ゴミの日はいつ？", "市長は誰ですか"])
def test_off_topic_is_declined_honestly(webhook, said):
    text = webhook.say(said, user=USER)[0]["text"]
    assert "ICT" in text or "計画" in text
    assert "取組内容" not in text


def test_nonsense_gets_the_fallback_with_the_plan_contact(webhook):
    text = webhook.say("ほげほげぴよぴよ", user=USER)[0]["text"]
    assert "0463-94-4550" in text


def test_list_word_opens_the_four_basic_policies(webhook):
    messages = webhook.say("一覧", user=USER)
    flat = str(messages)
    for n in range(1, 5):
        assert f"基本方針{n}" in flat
