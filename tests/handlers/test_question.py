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
    assert messages[0]["type"] == "flex"
    assert card_contains in messages[0]["altText"]


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
