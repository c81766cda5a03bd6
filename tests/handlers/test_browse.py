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


def test_every_button_leads_to_a_valid_reply(webhook):
    """Crawl every postback reachable from 一覧, the menu and the terms, through the webhook.

    The LINE stand-in validates each reply against LINE's spec, so a reply it refused would
    be missing here; none may be the 'not found' answer."""
    from bot.postback import Menu

    plan = webhook.services.plan
    not_found = webhook.services.renderer.not_found()[0].to_dict()["text"]
    queue = [
        BrowsePolicies().pack(),
        *(Menu(n).pack() for n in ("ask", "help", "contact", "list")),
    ]
    queue += [ShowTerm(t.headword).pack() for t in plan.terms]
    seen: set[str] = set()
    while queue:
        data = queue.pop()
        if data in seen:
            continue
        seen.add(data)
        messages = webhook.tap(data, user=USER)
        assert messages, f"no valid reply for {data}"
        assert messages[0].get("text") != not_found, data
        queue += [a["data"] for a in _actions(messages) if a.get("type") == "postback"]
    assert {ShowInitiative(i.id).pack() for i in plan.initiatives} <= seen
    assert {ShowInitiativeFull(i.id).pack() for i in plan.initiatives} <= seen
    assert not any(r.errors for r in webhook.line.requests)


def _actions(node):
    """Every action object anywhere in a message tree (quick replies, Flex buttons, boxes)."""
    if isinstance(node, dict):
        if "action" in node and isinstance(node["action"], dict):
            yield node["action"]
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _actions(item)
