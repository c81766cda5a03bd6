"""Any text from a citizen: ask the answer engine and reply with the answer or a way forward."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from bot.dispatch import Context, Router, from_user
from bot.respond import messages_for
from handlers import menu

router = Router("question")


@router.on(MessageEvent, message=TextMessageContent, when=from_user)
def answer(event: MessageEvent, ctx: Context) -> list[Message]:
    """The answer first and the plan's card, a near miss sent to its desk, 「もしかして」
    candidates, a typed menu word's page, or a way forward."""
    svc = ctx.services
    result = svc.engine.ask(event.message.text or "")
    if result.intent == "menu" and result.topic:
        return menu.page(result.topic, ctx)
    return messages_for(result, svc.renderer, svc.plan)
