"""The life of a webhook event: verify and record (request path), then handle and reply (worker).

The webhook only verifies the signature and inserts each event under its unique
`webhookEventId`, so LINE gets its 200 within milliseconds and a redelivery is a no-op.
Workers then claim events from the database (so a crash loses nothing and several web
processes can share the work), run the matching handler, store the reply in the outbox and
send it, retrying 429/5xx/timeouts with backoff until the reply deadline.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import Event, FollowEvent, UnfollowEvent
from sqlalchemy import ColumnElement, Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import friends
from bot.dispatch import Context
from bot.line import LineApiError
from bot.models import EventStatus, OutgoingReply, ReplyStatus, WebhookEvent
from bot.replies import payload_of
from bot.services import Services

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 3


def _lease(services: Services) -> timedelta:
    """A claimed event/reply is taken over by other workers after this (Settings)."""
    return timedelta(seconds=services.settings.lease_seconds)


class InvalidSignature(Exception):
    """X-Line-Signature is missing or does not match the body."""


class MalformedBody(Exception):
    """The body is signed correctly but is not a LINE webhook JSON object."""


@dataclass(frozen=True)
class Outgoing:
    """A reply claimed for sending: what the worker needs without reading the row again."""

    id: int
    reply_token: str
    messages: list[dict[str, Any]]
    deadline: datetime
    attempts: int


@dataclass(frozen=True)
class Recorded:
    received: int  # events in the body
    new: int  # events not seen before (redeliveries excluded)


# --- request path -----------------------------------------------------------------------


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
    now = services.clock()
    new = 0
    # Core, not the ORM: this is the request path, and the ORM's unit of work costs more
    # than the insert itself.
    with services.db.engine.begin() as conn:
        for raw in events:
            new += _insert_once(conn, raw, now)
    return Recorded(received=len(events), new=new)


def _insert_once(conn: Connection, raw: dict[str, Any], now: datetime) -> int:
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    values = {
        "webhook_event_id": _event_key(raw),
        "event_type": str(raw.get("type", "unknown"))[:32],
        "user_key": user_id,
        "payload": raw,
        "status": EventStatus.PENDING,
        "attempts": 0,
        "received_at": now,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(WebhookEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(WebhookEvent.id)
    )
    return 1 if conn.execute(stmt).scalar_one_or_none() is not None else 0


def _event_key(raw: dict[str, Any]) -> str:
    """LINE's webhookEventId; for an event without one, a digest of its content."""
    key = raw.get("webhookEventId")
    if isinstance(key, str) and 0 < len(key) <= 64:
        return key
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:50]}"


# --- worker side ------------------------------------------------------------------------


def claim_event(services: Services) -> int | None:
    """Claim the oldest pending event whose user has no other event in progress."""
    now = services.clock()
    claimable = or_(
        WebhookEvent.status == EventStatus.PENDING,
        and_(WebhookEvent.status == EventStatus.PROCESSING, WebhookEvent.locked_until < now),
    )
    busy = select(WebhookEvent.user_key).where(
        WebhookEvent.status == EventStatus.PROCESSING,
        WebhookEvent.locked_until >= now,
        WebhookEvent.user_key.is_not(None),
    )
    with services.db.session() as session:
        candidates = session.scalars(
            select(WebhookEvent.id)
            .where(claimable)
            .where(or_(WebhookEvent.user_key.is_(None), WebhookEvent.user_key.not_in(busy)))
            .order_by(WebhookEvent.id)
            .limit(8)
        ).all()
        return _claim_first(
            session, WebhookEvent, candidates, claimable, EventStatus.PROCESSING, services
        )


def _claim_first(
    session: Session,
    model: type[WebhookEvent] | type[OutgoingReply],
    candidates: Sequence[int],
    claimable: ColumnElement[bool],
    status: str,
    services: Services,
) -> int | None:
    """Take the first candidate still claimable: a conditional UPDATE, so of several workers
    racing for one row exactly one wins (the others see rowcount 0 and try the next)."""
    until = services.clock() + _lease(services)
    for row_id in candidates:
        claimed = session.execute(
            update(model)
            .where(model.id == row_id, claimable)
            .values(status=status, locked_until=until, attempts=model.attempts + 1)
        )
        if claimed.rowcount == 1:
            return row_id
    return None


def handle_event(services: Services, event_id: int) -> Outgoing | None:
    """Run the handler for a claimed event; store its reply, claimed for sending at once."""
    try:
        with services.db.session() as session:
            row = session.get(WebhookEvent, event_id)
            if row is None or row.status != EventStatus.PROCESSING:
                return None
            if row.attempts > MAX_EVENT_ATTEMPTS:
                _finish(row, services.clock(), EventStatus.FAILED, error="gave up after retries")
                return None
            return _dispatch(services, session, row)
    except Exception as e:
        # Never log the payload: it may hold message text next to a user id.
        log.exception("event %s failed in its handler", event_id)
        return _apologise(services, event_id, e)


def _dispatch(services: Services, session: Session, row: WebhookEvent) -> Outgoing | None:
    now = services.clock()
    event = parse_event(row.payload or {})
    user_id = row.user_key
    _record_friend(session, event, user_id, _event_time(row.payload or {}, now))
    if getattr(event, "mode", None) == "standby":
        # Another channel (e.g. a live chat operator) owns the conversation.
        _finish(row, now, EventStatus.DONE, handler="standby")
        return None
    ctx = Context(services=services, session=session, now=now, user_id=user_id)
    services.dispatcher.prepare(event, ctx)
    route = services.dispatcher.find(event, ctx)
    messages = route.handler(event, ctx) if route else None
    _finish(row, now, EventStatus.DONE, handler=route.name if route else None)
    token = getattr(event, "reply_token", None)
    if not messages or not token:
        return None
    if len(messages) > 5:
        raise ValueError(f"{row.handler} returned {len(messages)} messages; LINE allows 5")
    return _queue_reply(services, session, row, token, payload_of(messages))


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
    if not user_id:
        return
    if isinstance(event, FollowEvent):
        unblocked = bool(getattr(getattr(event, "follow", None), "is_unblocked", False))
        friends.follow(session, user_id, when, unblocked)
    elif isinstance(event, UnfollowEvent):
        friends.unfollow(session, user_id, when)
    elif getattr(getattr(event, "source", None), "type", None) == "user":
        friends.touch(session, user_id, when)


def _event_time(payload: dict[str, Any], default: datetime) -> datetime:
    ts = payload.get("timestamp")
    if isinstance(ts, int | float) and ts > 0:
        return datetime.fromtimestamp(ts / 1000, UTC)
    return default


def _finish(
    row: WebhookEvent,
    now: datetime,
    status: EventStatus,
    handler: str | None = None,
    error: str | None = None,
) -> None:
    row.status = status
    row.processed_at = now
    row.locked_until = None
    row.handler = handler
    row.error = error
    row.payload = _pruned(row.payload or {})


def _pruned(payload: dict[str, Any]) -> dict[str, Any]:
    """What we keep after answering: the shape of the event, never what the user wrote."""
    kept: dict[str, Any] = {"type": payload.get("type")}
    message = payload.get("message")
    if isinstance(message, dict):
        kept["message"] = {"type": message.get("type")}
    return kept


def _queue_reply(
    services: Services,
    session: Session,
    row: WebhookEvent,
    token: str,
    messages: list[dict[str, Any]],
) -> Outgoing:
    """Store the reply in the outbox, already claimed by this worker (one transaction less);
    if the worker dies before sending, the lease runs out and another worker sends it."""
    now = services.clock()
    deadline = row.received_at + timedelta(seconds=services.settings.reply_deadline_seconds)
    reply = OutgoingReply(
        event_id=row.id,
        reply_token=token,
        messages=messages,
        status=ReplyStatus.SENDING,
        attempts=1,
        locked_until=now + _lease(services),
        next_attempt_at=now,
        deadline_at=deadline,
    )
    session.add(reply)
    session.flush()
    return Outgoing(reply.id, token, messages, deadline, 1)


def _apologise(services: Services, event_id: int, error: Exception) -> Outgoing | None:
    """The handler failed: mark the event, and queue the generic apology if we can reply."""
    with services.db.session() as session:
        row = session.get(WebhookEvent, event_id)
        if row is None:
            return None
        token = (row.payload or {}).get("replyToken")
        _finish(row, services.clock(), EventStatus.FAILED, error=type(error).__name__)
        if not isinstance(token, str) or not token:
            return None
        messages = payload_of(services.renderer.error())
        return _queue_reply(services, session, row, token, messages)


# --- the outbox -------------------------------------------------------------------------


def claim_reply(services: Services) -> int | None:
    """Claim one reply that is due (new, retry time reached, or abandoned by a dead worker)."""
    now = services.clock()
    due = or_(
        and_(OutgoingReply.status == ReplyStatus.PENDING, OutgoingReply.next_attempt_at <= now),
        and_(OutgoingReply.status == ReplyStatus.SENDING, OutgoingReply.locked_until < now),
    )
    with services.db.session() as session:
        ids = session.scalars(
            select(OutgoingReply.id).where(due).order_by(OutgoingReply.id).limit(8)
        ).all()
        return _claim_first(session, OutgoingReply, ids, due, ReplyStatus.SENDING, services)


def load_claimed(services: Services, reply_id: int) -> Outgoing | None:
    with services.db.session() as session:
        reply = session.get(OutgoingReply, reply_id)
        if reply is None or reply.status != ReplyStatus.SENDING:
            return None
        return Outgoing(
            reply.id, reply.reply_token, reply.messages, reply.deadline_at, reply.attempts
        )


def send_reply(services: Services, outgoing: Outgoing) -> str:
    """Send one claimed reply through LINE and record the outcome. Returns the new status."""
    reply_id, token, messages = outgoing.id, outgoing.reply_token, outgoing.messages
    deadline, attempts = outgoing.deadline, outgoing.attempts
    now = services.clock()
    if now > deadline:
        return _settle(services, reply_id, ReplyStatus.EXPIRED, "reply deadline passed")
    try:
        services.line.reply(token, messages)  # no DB transaction is held while LINE answers
    except LineApiError as e:
        log.warning("reply %s attempt %s: %s", reply_id, attempts, e)
        if not e.retryable:
            return _settle(services, reply_id, ReplyStatus.FAILED, str(e))
        retry_at = services.clock() + timedelta(seconds=_backoff(attempts, e.retry_after))
        if retry_at > deadline:
            return _settle(services, reply_id, ReplyStatus.EXPIRED, str(e))
        return _settle(services, reply_id, ReplyStatus.PENDING, str(e), retry_at)
    return _settle(services, reply_id, ReplyStatus.SENT)


def _backoff(attempts: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return max(0.1, min(retry_after, 30.0))
    return min(0.25 * 2 ** (attempts - 1), 8.0)


def _settle(
    services: Services,
    reply_id: int,
    status: ReplyStatus,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> str:
    with services.db.session() as session:
        reply = session.get(OutgoingReply, reply_id)
        if reply is None:
            return "gone"
        reply.status = status
        reply.locked_until = None
        reply.last_error = error
        if retry_at is not None:
            reply.next_attempt_at = retry_at
        if status == ReplyStatus.SENT:
            reply.sent_at = services.clock()
    return str(status)


def work_once(services: Services) -> bool:
    """Do one unit of work (handle an event and send its reply, or send a due reply)."""
    event_id = claim_event(services)
    if event_id is not None:
        outgoing = handle_event(services, event_id)
        if outgoing is not None:
            send_reply(services, outgoing)
        return True
    reply_id = claim_reply(services)
    if reply_id is not None:
        outgoing = load_claimed(services, reply_id)
        if outgoing is not None:
            send_reply(services, outgoing)
        return True
    return False
