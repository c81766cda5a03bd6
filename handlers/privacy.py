"""データ削除: a confirmation, then everything kept about the person is erased."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from bot.dispatch import Context, Router, from_user
from bot.flows import Conversation, Flow
from bot.privacy import erase_user
from bot.replies.settings import settings_replies
from bot.segments.vocabulary import fold
from handlers.settings import says

router = Router("privacy")

flow = Flow(
    "delete",
    is_cancel=lambda text, ctx: fold(text) in settings_replies(ctx).words("cancel"),
    on_cancel=lambda ctx: settings_replies(ctx).delete_kept(),
)


@router.on(MessageEvent, message=TextMessageContent, when=from_user & says("delete"))
def ask_to_confirm(event: MessageEvent, ctx: Context) -> list[Message]:
    """「データ削除」: what will be erased, and 削除する / 削除しない."""
    flow.start(ctx, "confirm")
    return settings_replies(ctx).delete_confirm()


@flow.step("confirm")
def confirm(text: str, ctx: Context, conv: Conversation) -> list[Message]:
    """削除する → erase and list what was erased; anything else keeps the data."""
    replies = settings_replies(ctx)
    conv.end()
    if not replies.is_label(text, "delete_confirm"):
        return replies.delete_kept()
    return replies.deleted(erase_user(ctx.session, ctx.user_id or "", ctx.now))
