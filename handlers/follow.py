"""Follow, unfollow and join: greet new friends (the records are kept by bot.friends)."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import FollowEvent, JoinEvent, UnfollowEvent

from bot.dispatch import Context, Router

router = Router("follow")


@router.on(FollowEvent)
def welcome(event: FollowEvent, ctx: Context) -> list[Message]:
    """A new or returning friend sees what the bot can do, with quick replies to start."""
    name = ctx.services.line.display_name(ctx.user_id) if ctx.user_id else None
    return ctx.services.renderer.welcome(name)


@router.on(UnfollowEvent)
def farewell(event: UnfollowEvent, ctx: Context) -> None:
    """Nothing can be sent to someone who blocked us; the block itself is recorded."""
    return None


@router.on(JoinEvent)
def joined_group(event: JoinEvent, ctx: Context) -> list[Message]:
    """Added to a group or room: explain that questions work best in a 1:1 chat."""
    return ctx.services.renderer.help()
