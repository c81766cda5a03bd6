"""Declared multi-step conversations (flows) with their state in the database.

A flow names its entry step, its steps, its cancel words and a timeout:

    settings = Flow("settings", timeout=timedelta(minutes=30),
                    is_cancel=lambda text, ctx: text == "やめる", on_cancel=cancelled_reply)

    @settings.step("age")
    def age(text: str, ctx: Context, conv: Conversation) -> list[Message]:
        conv.data["age"] = ...; conv.goto("area"); return ask_area(...)

A handler starts it with `settings.start(ctx, "consent")` and returns the first prompt. While
a flow is active, `handlers/flows.py` (first in ROUTERS) gives the person's text messages to
the current step; a cancel word or the timeout leaves the flow. The state row is written in
the handler's session, i.e. the same transaction that marks the event done and queues the
reply, so any worker may take the next message and a crash loses nothing.

A new dialog (reservations next) is one handler module declaring its Flow; flows register
themselves by name in `FLOWS` when their module is imported.
"""

from bot.flows.core import FLOWS, Conversation, Flow, active

__all__ = ["FLOWS", "Conversation", "Flow", "active"]
