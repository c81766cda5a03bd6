"""The inbox: verify and record (request path), then claim and dispatch (workers).

The webhook only verifies the signature and inserts each event under its unique
`webhookEventId`, so LINE gets its 200 within milliseconds and a redelivery is a no-op.
Workers claim events in batches: one UPDATE … RETURNING whose WHERE holds the rules (the
event is pending, or its lease ran out on the database's clock; it is its person's oldest
unfinished event; that person has no reply still unsettled in the outbox), so any number of
processes share the queue and one person's answers go out in the order of their messages.
A batch is handled in one transaction (a savepoint per event): friend record, handler, the
reply queued in the outbox, the event marked done — each write checked against the claim's
lease token, so a worker that lost its lease changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import Event, FollowEvent, UnfollowEvent
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import answer_stats, friends
from bot.dispatch import Context
from bot.models import UNSETTLED, EventStatus, OutboxMessage, UTCDateTime, WebhookEvent
from bot.pipeline import outbox, wakeup, writes
from bot.replies import payload_of

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

E = WebhookEvent.__table__
MAX_EVENT_ATTEMPTS = 3  # an event whose handling crashed its worker this often is given up
OPEN = (EventStatus.PENDING, EventStatus.PROCESSING)


class InvalidSignature(Exception):
    """X-Line-Signature is missing or does not match the body."""


class MalformedBody(Exception):
    """The body is signed correctly but is not a LINE webhook JSON object."""


@dataclass(frozen=True)
class Recorded:
    received: int  # events in the body
    new: int  # events not seen before (redeliveries excluded)


# --- request path: verify, record -----------------------------------------------------------


def verify(channel_secret: str, body: str, signature: str | None) -> None:
    """Check X-Line-Signature with the SDK's validator (constant-time compare)."""
    if not signature:
        raise InvalidSignature("missing X-Line-Signature")
    try:
        ok = SignatureValidator(channel_secret).validate(body, signature)
    except (InvalidSignatureError, ValueError) as e:
        raise InvalidSignature(str(e)) from e
    if not ok:
        raise InvalidSignature("signature does not match")


def record(services: Services, body: str, signature: str | None) -> Recorded:
    """Verify, then store every event of the body once. Raises InvalidSignature/MalformedBody."""
    verify(services.settings.channel_secret, body, signature)
    try:
        data = json.loads(body)
    except ValueError as e:
        raise MalformedBody("body is not JSON") from e
    if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
        raise MalformedBody("body has no 'events' list")
    events = [e for e in data.get("events", []) if isinstance(e, dict)]
    if not events:
        return Recorded(0, 0)
    # Core, not the ORM: this is the request path, and the ORM's unit of work costs more
    # than the insert itself.
    with services.db.engine.begin() as conn:
        new = sum(_insert_once(conn, raw) for raw in events)
        if new:
            wakeup.notify(conn, wakeup.EVENTS)  # delivered to the workers at the commit
    return Recorded(received=len(events), new=new)


@functools.cache
def _insert_statement(dialect: str) -> Any:
    """Built once per dialect: on the request path, building costs more than inserting."""
    if dialect == "postgresql":
        insert, now = postgresql.insert, func.clock_timestamp()
    else:
        insert, now = sqlite.insert, func.strftime("%Y-%m-%d %H:%M:%f", "now")
    return (
        insert(E)
        .values(
            webhook_event_id=bindparam("key"),
            event_type=bindparam("type"),
            user_key=bindparam("user"),
            payload=bindparam("payload", type_=JSON),
            status=EventStatus.PENDING,
            attempts=0,
            received_at=now,  # the database's clock, in the insert itself
            event_time=bindparam("at", type_=UTCDateTime),
            redelivery=bindparam("again", type_=Boolean),
        )
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(E.c.id)
    )


def _insert_once(conn: Connection, raw: dict[str, Any]) -> int:
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    context = raw.get("deliveryContext") if isinstance(raw.get("deliveryContext"), dict) else {}
    values = {
        "key": _event_key(raw),
        "type": str(raw.get("type", "unknown"))[:32],
        "user": user_id[:64] if user_id else None,
        "payload": raw,
        "at": event_time(raw),
        "again": context.get("isRedelivery") is True,
    }
    stmt = _insert_statement(conn.dialect.name)
    return 1 if conn.execute(stmt, values).scalar_one_or_none() is not None else 0


def _event_key(raw: dict[str, Any]) -> str:
    """LINE's webhookEventId; for an event without one, a digest of its content."""
    key = raw.get("webhookEventId")
    if isinstance(key, str) and 0 < len(key) <= 64:
        return key
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:50]}"


def event_time(raw: dict[str, Any]) -> datetime | None:
    """LINE's `timestamp` (ms since the epoch) as a UTC datetime; None when absent/invalid."""
    ts = raw.get("timestamp")
    if isinstance(ts, int | float) and not isinstance(ts, bool) and 0 < ts < 4e12:
        return datetime.fromtimestamp(ts / 1000, UTC)
    return None


# --- worker side: claim -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    lease_token: str
    attempts: int
    user_key: str | None
    payload: dict[str, Any]
    received_at: datetime
    event_time: datetime | None


def claim(services: Services, limit: int) -> list[ClaimedEvent]:
    """Claim up to `limit` events in one statement (see the module docstring for the rules)."""
    token = uuid.uuid4().hex
    with services.db.session() as session:
        conn = session.connection()
        now = services.now(conn)
        rows = conn.execute(
            _CLAIM,
            {
                "now": now,
                "limit": limit,
                "until": now + timedelta(seconds=services.settings.lease_seconds),
                "token": token,
            },
        ).all()
    events = [
        ClaimedEvent(
            id=r.id,
            lease_token=token,
            attempts=r.attempts,
            user_key=r.user_key,
            payload=_json(r.payload),
            received_at=outbox._aware(r.received_at) or now,
            event_time=outbox._aware(r.event_time),
        )
        for r in rows
    ]
    events.sort(key=lambda e: e.id)
    return events


def _claim_statement() -> Any:
    now = bindparam("now", type_=UTCDateTime)
    claimable = or_(
        E.c.status == EventStatus.PENDING,
        and_(E.c.status == EventStatus.PROCESSING, E.c.locked_until < now),
    )
    earlier = E.alias("earlier")
    o = OutboxMessage.__table__
    earlier_open = exists().where(
        earlier.c.user_key == E.c.user_key,
        earlier.c.id < E.c.id,
        earlier.c.status.in_(OPEN),
    )
    reply_unsettled = exists().where(o.c.user_key == E.c.user_key, o.c.status.in_(UNSETTLED))
    free_user = or_(E.c.user_key.is_(None), and_(~earlier_open, ~reply_unsettled))
    ids = (
        select(E.c.id)
        .where(claimable, free_user)
        .order_by(E.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .correlate(None)
    )
    return (
        update(E)
        .where(E.c.id.in_(ids), claimable, free_user)
        .values(
            status=EventStatus.PROCESSING,
            locked_until=bindparam("until", type_=UTCDateTime),
            lease_token=bindparam("token"),
            attempts=E.c.attempts + 1,
        )
        .returning(
            E.c.id, E.c.attempts, E.c.user_key, E.c.payload, E.c.received_at, E.c.event_time
        )
    )


# Built once: building this statement costs more than running it on a small queue.
_CLAIM = _claim_statement()


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


# --- worker side: dispatch ---------------------------------------------------------------------


LeaseLost = writes.LeaseLost


def handle(services: Services, claimed: list[ClaimedEvent]) -> int:
    """Handle a claimed batch in one transaction; returns how many outbox rows were queued."""
    return handle_batch(services, claimed)[0]


def handle_batch(
    services: Services, claimed: list[ClaimedEvent], send_slots: int = 0
) -> tuple[int, list[outbox.Claimed]]:
    """Handle a claimed batch in one transaction. Returns the outbox rows queued, and those
    of them claimed for sending right after the commit (at most `send_slots`)."""
    if not claimed:
        return 0, []
    parsed = [parse_event(event.payload) for event in claimed]
    try:
        # The common case: every event goes through; no savepoint per event.
        with services.db.session() as session:
            conn = session.connection()
            batch = _begin(services, conn, claimed, parsed)
            ctx_flows = _flow_users(conn, claimed)
            for event, p in zip(claimed, parsed, strict=True):
                _handle_one(services, session, event, p, batch, ctx_flows)
            return batch.flush(
                conn, send_slots=send_slots, lease_seconds=services.settings.lease_seconds
            )
    except Exception:
        # One event failed or lost its lease: nothing of the batch was written. Do it again,
        # each event in a savepoint of its own, so the others still go through.
        return _handle_isolated(services, claimed, parsed), []


def _begin(
    services: Services, conn: Connection, claimed: list[ClaimedEvent], parsed: list[Any]
) -> writes.BatchWrites:
    """The batch's clock, and every speaker's last_seen_at moved forward in one statement
    (follow and unfollow are recorded one by one, in _record_friend)."""
    batch = writes.begin(services.now(conn))
    people = [
        (event.user_key, event.event_time or event.received_at)
        for event, p in zip(claimed, parsed, strict=True)
        if event.user_key
        and not isinstance(p, FollowEvent | UnfollowEvent)
        and getattr(getattr(p, "source", None), "type", None) == "user"
        and event.attempts <= MAX_EVENT_ATTEMPTS
    ]
    writes.seen_all(conn, people)
    return batch


def _flow_users(conn: Connection, claimed: list[ClaimedEvent]) -> frozenset[str]:
    return writes.users_in_flows(conn, sorted({e.user_key for e in claimed if e.user_key}))


def _handle_isolated(services: Services, claimed: list[ClaimedEvent], parsed: list[Any]) -> int:
    queued = 0
    with services.db.session() as session:
        for event, p in zip(claimed, parsed, strict=True):
            counted = answer_stats.pending(session)
            try:
                with session.begin_nested():
                    # Asked for inside the block: the Session emits the SAVEPOINT only then.
                    conn = session.connection()
                    batch = _begin(services, conn, [event], [p])
                    _handle_one(services, session, event, p, batch, None)
                    queued += batch.flush(conn)[0]
            except LeaseLost:
                answer_stats.restore(session, counted)  # its savepoint was rolled back
                log.warning("event %s: lease lost; left to its new owner", event.id)
            except Exception as e:
                answer_stats.restore(session, counted)
                # Never log the payload: it may hold message text next to a user id.
                log.exception("event %s failed in its handler", event.id)
                try:
                    with session.begin_nested():
                        conn = session.connection()
                        batch = writes.begin(services.now(conn))
                        _apologise(services, event, batch, e)
                        queued += batch.flush(conn)[0]
                except LeaseLost:
                    pass
    return queued


def _handle_one(
    services: Services,
    session: Session,
    event: ClaimedEvent,
    parsed: Any,
    batch: writes.BatchWrites,
    in_flows: frozenset[str] | None,
) -> None:
    now = batch.now
    if event.attempts > MAX_EVENT_ATTEMPTS:
        _finish(batch, event, EventStatus.FAILED, error="gave up after retries")
        return
    user_id = event.user_key
    when = event.event_time or event.received_at
    _record_friend(session, parsed, user_id, when)
    if getattr(parsed, "mode", None) == "standby":
        # Another channel (e.g. a live chat operator) owns the conversation.
        _finish(batch, event, EventStatus.DONE, handler="standby")
        return
    token = getattr(parsed, "reply_token", None)
    deadline = when + timedelta(seconds=services.settings.reply_deadline_seconds)
    one_to_one = getattr(getattr(parsed, "source", None), "type", None) == "user"
    push_to = user_id if one_to_one and user_id and services.settings.push_fallback else None
    late = token is not None and now > deadline
    if late and push_to is None:
        # The reply token is past its window and no push may replace it: the answer could
        # never be delivered, so the engine is not run for it.
        _finish(batch, event, EventStatus.DONE, handler="expired")
        return
    ctx = Context(services=services, session=session, now=now, user_id=user_id, in_flows=in_flows)
    services.dispatcher.prepare(parsed, ctx)
    route = services.dispatcher.find(parsed, ctx)
    messages = route.handler(parsed, ctx) if route else None
    _finish(batch, event, EventStatus.DONE, handler=route.name if route else None)
    if not messages or not token:
        return
    if len(messages) > 5:
        raise ValueError(f"{route.name if route else '?'} returned {len(messages)} messages")
    _queue(services, batch, event, token, payload_of(messages), late, push_to)


def _queue(
    services: Services,
    batch: writes.BatchWrites,
    event: ClaimedEvent,
    token: str,
    messages: list[dict[str, Any]],
    late: bool,
    push_to: str | None,
) -> None:
    if late and push_to:
        batch.fallback(
            event_id=event.id, user_id=push_to, messages=messages, event_time=event.event_time
        )
        return
    when = event.event_time or event.received_at
    batch.reply(
        event_id=event.id,
        user_key=event.user_key,
        reply_token=token,
        messages=messages,
        deadline_at=when + timedelta(seconds=services.settings.reply_deadline_seconds),
        event_time=event.event_time,
        fallback_to=push_to,
    )


@dataclass(frozen=True)
class UnparsedEvent:
    """An event the SDK could not read (new type or malformed): recorded, never answered."""

    type: str
    mode: str = "active"
    source: None = None
    reply_token: None = None


def parse_event(payload: dict[str, Any]) -> Any:
    """SDK event model for the raw JSON; UnparsedEvent for types or shapes the SDK rejects."""
    try:
        return Event.from_dict(payload)
    except Exception:  # the SDK raises ValueError, TypeError or pydantic errors
        return UnparsedEvent(type=str(payload.get("type", "unknown")))


def _record_friend(session: Session, event: Any, user_id: str | None, when: datetime) -> None:
    """Follow and unfollow, in order; a message's last_seen_at is written for the whole batch
    at its start (see _begin)."""
    if not user_id:
        return
    if isinstance(event, FollowEvent):
        unblocked = bool(getattr(getattr(event, "follow", None), "is_unblocked", False))
        friends.follow(session, user_id, when, unblocked)
    elif isinstance(event, UnfollowEvent):
        friends.unfollow(session, user_id, when)


def _finish(
    batch: writes.BatchWrites,
    event: ClaimedEvent,
    status: EventStatus,
    handler: str | None = None,
    error: str | None = None,
) -> None:
    """Mark the event handled and drop what the user wrote, if the claim is still ours
    (checked when the batch is flushed)."""
    batch.finish(
        {
            "row": event.id,
            "token": event.lease_token,
            "status": status,
            "now": batch.now,
            "handler": handler,
            "error": error,
            "payload": _pruned(event.payload),
        }
    )


def _pruned(payload: dict[str, Any]) -> dict[str, Any]:
    """What we keep after answering: the shape of the event, never what the user wrote."""
    kept: dict[str, Any] = {"type": payload.get("type")}
    message = payload.get("message")
    if isinstance(message, dict):
        kept["message"] = {"type": message.get("type")}
    return kept


def _apologise(
    services: Services, event: ClaimedEvent, batch: writes.BatchWrites, error: Exception
) -> None:
    """The handler failed: mark the event, and queue the generic apology if we can reply."""
    _finish(batch, event, EventStatus.FAILED, error=type(error).__name__)
    token = event.payload.get("replyToken")
    if not isinstance(token, str) or not token:
        return
    when = event.event_time or event.received_at
    deadline = when + timedelta(seconds=services.settings.reply_deadline_seconds)
    source = event.payload.get("source") or {}
    one_to_one = isinstance(source, dict) and source.get("type") == "user"
    push_to = (
        event.user_key
        if one_to_one and event.user_key and services.settings.push_fallback
        else None
    )
    late = batch.now > deadline
    if late and not push_to:
        return
    messages = payload_of(services.renderer.error())
    _queue(services, batch, event, token, messages, late, push_to)
