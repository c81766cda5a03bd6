"""Every handler: a docstring, an answer in Japanese to odd input, at most 5 messages."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import handlers
from bot.dispatch import Context

ROUTES = [route for router in handlers.ROUTERS for route in router.routes]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_handler_has_a_docstring(route):
    assert (route.handler.__doc__ or "").strip()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_handler_answers_odd_input_in_japanese_with_at_most_five_messages(route, services):
    from bot import postback

    odd = SimpleNamespace(
        type="message",
        mode="active",
        reply_token="t",
        source=SimpleNamespace(type="user", user_id="U" + "e" * 32),
        message=SimpleNamespace(text="", type="text"),
        postback=SimpleNamespace(data=""),
    )
    with services.db.session() as session:
        ctx = Context(services=services, session=session, now=services.clock(), user_id="U1")
        # Give postback handlers the kind they expect, with odd but valid values.
        samples = {
            "policy": postback.BrowsePolicy(9),
            "initiative": postback.ShowInitiative("9-99"),
            "initiative_full": postback.ShowInitiativeFull("9-99"),
            "term": postback.ShowTerm("？"),
            "menu_item": postback.Menu("zzz"),
            "policies": postback.BrowsePolicies(),
        }
        ctx.postback = samples.get(route.handler.__name__)
        messages = route.handler(odd, ctx)
    if messages is None:
        return  # events nobody can be answered for (unfollow) return nothing
    assert 1 <= len(messages) <= 5
    texts = " ".join(str(m.to_dict()) for m in messages)
    assert JAPANESE.search(texts)


def test_routers_are_registered_in_one_ordered_list():
    names = [router.name for router in handlers.ROUTERS]
    assert len(names) == len(set(names))
    assert names[-1] == "unknown"
