"""Rich-menu items by postback."""

from __future__ import annotations

from bot.postback import Menu

USER = "U" + "d" * 32


def test_contact_gives_the_plan_contact(webhook):
    text = webhook.tap(Menu("contact").pack(), user=USER)[0]["text"]
    assert "情報政策課" in text and "0463-94-4550" in text


def test_features_not_built_yet_say_so_honestly(webhook):
    for name in ("reservation",):
        text = webhook.tap(Menu(name).pack(), user=USER)[0]["text"]
        assert "準備" in text


def test_help_and_list(webhook):
    assert webhook.tap(Menu("help").pack(), user=USER)[0]["type"] == "text"
    assert "基本方針1" in str(webhook.tap(Menu("list").pack(), user=USER))
