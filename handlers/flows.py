"""A person in the middle of a dialog (配信設定, データ削除 …): their text goes to that step."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from bot.dispatch import Context, Predicate, Router, from_user
from bot.flows import FLOWS, active
from bot.replies.settings import settings_replies

router = Router("flows")


def _in_flow(event: MessageEvent, ctx: Context) -> bool:
    if ctx.in_flows is not None and ctx.user_id not in ctx.in_flows:
        ctx.extra["flow_state"] = None
        return False
    state = active(ctx.session, ctx.user_id, ctx.now)
    ctx.extra["flow_state"] = state
    return state is not None


in_flow = Predicate(_in_flow, "in_flow")


@router.on(MessageEvent, message=TextMessageContent, when=from_user & in_flow)
def continue_flow(event: MessageEvent, ctx: Context) -> list[Message]:
    """The current step of the person's dialog answers (「やめる」 leaves it)."""
    state = ctx.extra.get("flow_state") or active(ctx.session, ctx.user_id, ctx.now)
    if state is None:  # ended between the check and now (a flow's own timeout)
        return settings_replies(ctx).simple("timed_out")
    return FLOWS[state.flow].handle(event.message.text or "", ctx, state)
