"""Flow, Conversation and the state store (see the package docstring)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from linebot.v3.messaging import Message
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.flows.models import FlowState

if TYPE_CHECKING:
    from bot.dispatch import Context

Step = Callable[[str, "Context", "Conversation"], list[Message]]
Reply = Callable[["Context"], list[Message]]

FLOWS: dict[str, Flow] = {}


@dataclass
class Conversation:
    """The state a step reads and changes; saved when the step returns."""

    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    ended: bool = False

    def goto(self, step: str) -> None:
        self.step = step

    def end(self) -> None:
        self.ended = True


class Flow:
    """A declared multi-step dialog: steps by name, cancel words, timeout."""

    def __init__(
        self,
        name: str,
        *,
        is_cancel: Callable[[str, Context], bool],
        on_cancel: Reply,
        timeout: timedelta = timedelta(minutes=30),
    ) -> None:
        if name in FLOWS:
            raise ValueError(f"flow {name!r} is already declared")
        self.name = name
        self.is_cancel = is_cancel
        self.on_cancel = on_cancel
        self.timeout = timeout
        self.steps: dict[str, Step] = {}
        FLOWS[name] = self

    def step(self, name: str) -> Callable[[Step], Step]:
        def register(fn: Step) -> Step:
            if name in self.steps:
                raise ValueError(f"flow {self.name}: step {name!r} already declared")
            self.steps[name] = fn
            return fn

        return register

    def start(self, ctx: Context, step: str, data: dict[str, Any] | None = None) -> Conversation:
        """Begin (or restart) this flow for the user at `step`; replaces any other flow."""
        if step not in self.steps:
            raise ValueError(f"flow {self.name} has no step {step!r}")
        conv = Conversation(self.name, step, dict(data or {}))
        save(ctx.session, _user(ctx), self, conv, ctx.now)
        return conv

    def handle(self, text: str, ctx: Context, state: FlowState) -> list[Message]:
        """Give `text` to the current step (or leave on a cancel word); save the state."""
        user = _user(ctx)
        if self.is_cancel(text, ctx):
            clear(ctx.session, user)
            return self.on_cancel(ctx)
        # A deep copy: the JSON column sees a change only when a new value is assigned.
        conv = Conversation(state.flow, state.step, copy.deepcopy(state.data or {}))
        step = self.steps.get(conv.step)
        if step is None:  # a step removed by a new release: start over cleanly
            clear(ctx.session, user)
            return self.on_cancel(ctx)
        messages = step(text, ctx, conv)
        if conv.ended:
            clear(ctx.session, user)
        else:
            save(ctx.session, user, self, conv, ctx.now)
        return messages


def _user(ctx: Context) -> str:
    if not ctx.user_id:
        raise ValueError("flows need a user")
    return ctx.user_id


def save(session: Session, user: str, flow: Flow, conv: Conversation, now: datetime) -> None:
    row = session.get(FlowState, user)
    if row is None:
        row = FlowState(user_key=user)
        session.add(row)
    row.flow, row.step, row.data = flow.name, conv.step, copy.deepcopy(conv.data)
    row.expires_at = now + flow.timeout
    row.updated_at = now


def clear(session: Session, user: str) -> int:
    """Leave any flow; returns the rows deleted (0 or 1)."""
    return session.execute(delete(FlowState).where(FlowState.user_key == user)).rowcount


def active(session: Session, user: str | None, now: datetime) -> FlowState | None:
    """The user's unexpired flow state; an expired one is deleted (the flow timed out)."""
    if not user:
        return None
    row = session.get(FlowState, user)
    if row is None:
        return None
    if row.expires_at <= now or row.flow not in FLOWS:
        session.delete(row)
        session.flush()
        return None
    return row
