"""Browsing the plan by postback: 一覧 → basic policies → initiatives → cards and terms."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import PostbackEvent

from bot.dispatch import Context, Router, postback_is
from bot.postback import (
    BrowsePolicies,
    BrowsePolicy,
    ShowInitiative,
    ShowInitiativeFull,
    ShowTerm,
)

router = Router("browse")


@router.on(PostbackEvent, when=postback_is(BrowsePolicies))
def policies(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The four basic policies, each leading to its initiatives."""
    return ctx.services.renderer.browse_policies()


@router.on(PostbackEvent, when=postback_is(BrowsePolicy))
def policy(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The initiatives of one basic policy."""
    data = ctx.postback
    assert isinstance(data, BrowsePolicy)
    if data.number not in {p.number for p in ctx.services.plan.policies}:
        return ctx.services.renderer.browse_policies()
    return ctx.services.renderer.browse_policy(data.number)


@router.on(PostbackEvent, when=postback_is(ShowInitiative))
def initiative(event: PostbackEvent, ctx: Context) -> list[Message]:
    """One initiative's card (figures, schedule, departments)."""
    data = ctx.postback
    assert isinstance(data, ShowInitiative)
    found = ctx.services.plan.initiative_by_id.get(data.id)
    return ctx.services.renderer.initiative(found) if found else ctx.services.renderer.not_found()


@router.on(PostbackEvent, when=postback_is(ShowInitiativeFull))
def initiative_full(event: PostbackEvent, ctx: Context) -> list[Message]:
    """One initiative's complete text (everything the card shortens)."""
    data = ctx.postback
    assert isinstance(data, ShowInitiativeFull)
    found = ctx.services.plan.initiative_by_id.get(data.id)
    renderer = ctx.services.renderer
    return renderer.initiative_full(found) if found else renderer.not_found()


@router.on(PostbackEvent, when=postback_is(ShowTerm))
def term(event: PostbackEvent, ctx: Context) -> list[Message]:
    """One glossary term with the initiatives that use it."""
    data = ctx.postback
    assert isinstance(data, ShowTerm)
    found = ctx.services.plan.term_by_headword.get(data.headword)
    return ctx.services.renderer.term(found) if found else ctx.services.renderer.not_found()
