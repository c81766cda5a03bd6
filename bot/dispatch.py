"""Routers and the dispatcher: match an SDK event to the first handler that wants it.

Handlers are small typed functions `(event, ctx) -> list[Message] | None` registered on a
`Router` with the SDK event class, an optional message-content class and a predicate. The
routers are tried in the order of `handlers.ROUTERS`; the first match wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from linebot.v3.messaging import Message
from linebot.v3.webhooks import Event, PostbackEvent
from sqlalchemy.orm import Session

from bot import postback

if TYPE_CHECKING:
    from bot.services import Services

Handler = Callable[[Any, "Context"], "list[Message] | None"]


@dataclass
class Context:
    """What a handler may use: services, a DB session, the user, the time, parsed postback."""

    services: Services
    session: Session
    now: datetime
    user_id: str | None = None
    postback: postback.PostbackData | None = None
    postback_error: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # The batch's users that have a dialog state row, read once for the batch; None: unknown
    # (look it up). Lets the flows' check skip a query per message for everyone else.
    in_flows: frozenset[str] | None = None


class Predicate:
    """A composable condition on (event, ctx); combine with &, | and ~."""

    def __init__(self, fn: Callable[[Any, Context], bool], name: str) -> None:
        self.fn = fn
        self.name = name

    def __call__(self, event: Any, ctx: Context) -> bool:
        return self.fn(event, ctx)

    def __and__(self, other: Predicate) -> Predicate:
        return Predicate(lambda e, c: self(e, c) and other(e, c), f"({self.name} & {other.name})")

    def __or__(self, other: Predicate) -> Predicate:
        return Predicate(lambda e, c: self(e, c) or other(e, c), f"({self.name} | {other.name})")

    def __invert__(self) -> Predicate:
        return Predicate(lambda e, c: not self(e, c), f"~{self.name}")

    def __repr__(self) -> str:
        return self.name


def postback_is(*kinds: type[postback.PostbackData]) -> Predicate:
    """The event is a postback whose data unpacks to one of these kinds."""
    names = ",".join(k.__name__ for k in kinds)
    return Predicate(lambda _e, c: isinstance(c.postback, kinds), f"postback_is({names})")


from_user = Predicate(lambda e, _c: getattr(e.source, "type", None) == "user", "from_user")


@dataclass(frozen=True)
class Route:
    event: type
    message: type | tuple[type, ...] | None
    when: Predicate | None
    handler: Handler

    @property
    def name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__name__}"

    def matches(self, event: Any, ctx: Context) -> bool:
        if not isinstance(event, self.event):
            return False
        if self.message is not None and not isinstance(
            getattr(event, "message", None), self.message
        ):
            return False
        return self.when is None or self.when(event, ctx)


class Router:
    """The handlers of one module, in declaration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []

    def on(
        self,
        event: type,
        message: type | tuple[type, ...] | None = None,
        when: Predicate | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            key = (event, message, repr(when))
            if any((r.event, r.message, repr(r.when)) == key for r in self.routes):
                raise ValueError(f"{self.name}: a handler for {key} is already registered")
            self.routes.append(Route(event, message, when, handler))
            return handler

        return register


class Dispatcher:
    """Tries the routes of `routers` in order; the first match handles the event."""

    def __init__(self, routers: Sequence[Router]) -> None:
        self.routes = [route for router in routers for route in router.routes]

    def find(self, event: Event, ctx: Context) -> Route | None:
        return next((r for r in self.routes if r.matches(event, ctx)), None)

    @staticmethod
    def prepare(event: Event, ctx: Context) -> None:
        """Parse postback data once so predicates and handlers see a typed object."""
        if isinstance(event, PostbackEvent):
            try:
                ctx.postback = postback.unpack(event.postback.data)
            except postback.PostbackError:
                ctx.postback_error = True
