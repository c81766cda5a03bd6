"""Browsing by postback: policies → initiatives → card → terms, and the full text."""

from __future__ import annotations

from bot.postback import BrowsePolicies, BrowsePolicy, ShowInitiative, ShowInitiativeFull, ShowTerm

USER = "U" + "c" * 32


def test_policies_then_a_policy_then_an_initiative(webhook):
    assert "基本方針1" in str(webhook.tap(BrowsePolicies().pack(), user=USER))
    policy3 = str(webhook.tap(BrowsePolicy(3).pack(), user=USER))
    for number in ("3-1", "3-4", "3-11"):
        assert number in policy3
    card = webhook.tap(ShowInitiative("3-4").pack(), user=USER)[0]
    assert card["type"] == "flex" and "ドローンの活用" in card["altText"]


def test_full_text_of_an_initiative_is_reachable(webhook):
    messages = webhook.tap(ShowInitiativeFull("4-2").pack(), user=USER)
    text = "\n".join(m.get("text", "") for m in messages)
    assert "情報セキュリティ対策" in text and "期待効果" in text


def test_term_card_by_postback(webhook):
    text = webhook.tap(ShowTerm("マイナンバーカード").pack(), user=USER)[0]["text"]
    assert "ICチップ付きカード" in text


def test_unknown_or_stale_postback_gets_guidance_not_an_error(webhook):
    for data in ("ini:9-99", "nonsense-data", "term:存在しない用語"):
        messages = webhook.tap(data, user=USER)
        assert messages and messages[0]["type"] in {"text", "flex"}
