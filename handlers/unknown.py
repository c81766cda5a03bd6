"""What no other handler took: stale postbacks get guidance; other events are only recorded."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import PostbackEvent

from bot.dispatch import Context, Predicate, Router, from_user

router = Router("unknown")

stale_postback = Predicate(lambda _e, c: c.postback_error or c.postback is not None, "stale")


@router.on(PostbackEvent, when=from_user & stale_postback)
def stale_button(event: PostbackEvent, ctx: Context) -> list[Message]:
    """A button from an old message (or unknown data): show how to use the bot instead."""
    return ctx.services.renderer.help()
