"""Stickers, images, video, audio, files and locations: a short, helpful reply."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    StickerMessageContent,
    VideoMessageContent,
)

from bot.dispatch import Context, Router, from_user

router = Router("media")


@router.on(MessageEvent, message=LocationMessageContent, when=from_user)
def location(event: MessageEvent, ctx: Context) -> list[Message]:
    """A shared location: say what the bot can do instead (it does not use locations)."""
    return ctx.services.renderer.location()


@router.on(
    MessageEvent,
    message=(
        StickerMessageContent,
        ImageMessageContent,
        VideoMessageContent,
        AudioMessageContent,
        FileMessageContent,
    ),
    when=from_user,
)
def media(event: MessageEvent, ctx: Context) -> list[Message]:
    """Non-text messages: ask for the question in words, with examples."""
    return ctx.services.renderer.media()
