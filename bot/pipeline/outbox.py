"""The outbox: the one way anything reaches LINE (claim, send, back off, settle).

Every message to LINE is first a row of `outbox` (OutboxMessage), written in the caller's
transaction: a reply to a webhook event, a push (the reply's fallback, a reminder) or a
multicast (a segment broadcast, ≤ 500 users a row). Workers claim due rows in batches with a
lease (database clock, a fresh token per claim), send them through `bot.line` with many in
flight at once, and settle each with one UPDATE that checks the token, so a worker whose lease
was taken over changes nothing.

Outcomes: 2xx → sent; 409 for a push/multicast (its X-Line-Retry-Key was already accepted,
i.e. an earlier attempt went out) → sent; 429 "monthly limit" → refused (also refused before
sending when the month's quota, read from LINE at most once a minute, is known to be spent);
429 → retried after Retry-After; 5xx/timeouts → retried with exponential backoff; other 4xx →
failed with LINE's message. A reply is retried until its deadline (from the event's own
timestamp), then expired. A reply that fails or expires in a one-to-one chat is followed by a
push fallback row (origin "fallback"), created in the same transaction, with its retry key
stored before the first try.

API for other features (see README "The outbox"):

    enqueue_push(session, user_id, messages, origin="reminder:7")          -> row id
    enqueue_multicast(session, user_ids, messages, origin="broadcast:42")  -> row id
    outcomes(session, "broadcast:42")  -> {"sent": 3, "pending": 1, ...}
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.db import RawJSON, database_now
from bot.line import LineApiError, LineGateway
from bot.models import OutboxKind, OutboxMessage, OutboxStatus, UTCDateTime
from bot.pipeline import wakeup

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

T = OutboxMessage.__table__
MAX_MULTICAST = 500  # LINE's limit of user ids per multicast request
FALLBACK_ORIGIN = "fallback"
REPLY_ORIGIN = "reply"


# --- enqueue (in the caller's transaction) ------------------------------------------------


def enqueue_push(
    session: Session,
    user_id: str,
    messages: list[dict[str, Any]],
    *,
    origin: str,
    retry_key: str | None = None,
) -> int:
    """Queue a push to one user; returns the outbox row id. The X-Line-Retry-Key is fixed
    now (a new UUID unless given), so a retry or a crash re-sends with the same key."""
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("push needs a LINE user id")
    return _enqueue(session, OutboxKind.PUSH, [user_id], messages, origin, retry_key)


def enqueue_multicast(
    session: Session,
    user_ids: list[str],
    messages: list[dict[str, Any]],
    *,
    origin: str,
    retry_key: str | None = None,
) -> int:
    """Queue one multicast to 1–500 users; returns the row id. ValueError beyond 500 (split
    larger audiences into several rows, one retry key each)."""
    ids = list(user_ids)
    if not 1 <= len(ids) <= MAX_MULTICAST:
        raise ValueError(f"a multicast takes 1 to {MAX_MULTICAST} user ids, not {len(ids)}")
    if not all(isinstance(u, str) and u for u in ids):
        raise ValueError("multicast user ids must be non-empty strings")
    return _enqueue(session, OutboxKind.MULTICAST, ids, messages, origin, retry_key)


def _enqueue(
    session: Session,
    kind: OutboxKind,
    recipients: list[str],
    messages: list[dict[str, Any]],
    origin: str,
    retry_key: str | None,
) -> int:
    check_messages(messages)
    if not origin or len(origin) > 64:
        raise ValueError("origin must be 1 to 64 characters")
    key = str(uuid.UUID(retry_key)) if retry_key else str(uuid.uuid4())
    now = database_now(session)
    wakeup.notify(session.connection(), wakeup.OUTBOX)  # the senders start at the commit
    return session.execute(
        insert(T)
        .values(
            kind=kind,
            origin=origin,
            recipients=recipients,
            messages=messages,
            retry_key=key,
            status=OutboxStatus.PENDING,
            attempts=0,
            in_doubt=False,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(T.c.id)
    ).scalar_one()


def enqueue_reply(
    session: Session,
    *,
    now: datetime,
    event_id: int,
    user_key: str | None,
    reply_token: str,
    messages: list[dict[str, Any]],
    deadline_at: datetime,
    event_time: datetime | None,
    fallback_to: str | None,
) -> None:
    """Queue the reply to a webhook event (the inbox calls this in its transaction)."""
    check_messages(messages)
    session.execute(
        _REPLY,
        {
            "event_id": event_id,
            "user_key": user_key,
            "reply_token": reply_token,
            "fallback_to": fallback_to,
            "messages": messages,
            "next_attempt_at": now,
            "deadline_at": deadline_at,
            "event_time": event_time,
            "created_at": now,
        },
    )


_REPLY = insert(T).values(
    kind=OutboxKind.REPLY,
    origin=REPLY_ORIGIN,
    status=OutboxStatus.PENDING,
    attempts=0,
    in_doubt=False,
)


def enqueue_fallback(
    session: Session,
    *,
    now: datetime,
    event_id: int | None,
    user_id: str,
    messages: list[dict[str, Any]],
    event_time: datetime | None,
) -> None:
    """Queue the push that replaces a reply LINE would not take (a one-to-one chat only)."""
    session.execute(
        insert(T).values(
            kind=OutboxKind.PUSH,
            origin=FALLBACK_ORIGIN,
            event_id=event_id,
            user_key=user_id,
            recipients=[user_id],
            messages=messages,
            retry_key=str(uuid.uuid4()),
            status=OutboxStatus.PENDING,
            attempts=0,
            in_doubt=False,
            next_attempt_at=now,
            event_time=event_time,
            created_at=now,
        )
    )


def check_messages(messages: list[dict[str, Any]]) -> None:
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        raise ValueError("LINE takes 1 to 5 messages per request")
    if not all(isinstance(m, dict) and m.get("type") for m in messages):
        raise ValueError("each message must be a LINE message object (a dict with a 'type')")


def outcomes(session: Session, origin_prefix: str) -> dict[str, int]:
    """Status → row count of the rows whose origin starts with `origin_prefix`
    (e.g. outcomes(s, "broadcast:42") → {"sent": 40, "refused": 2}). Statuses: pending,
    sending, sent, failed, expired, refused."""
    escaped = origin_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        select(T.c.status, func.count())
        .where(T.c.origin.like(escaped + "%", escape="\\"))
        .group_by(T.c.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


# --- claim ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """An outbox row claimed for sending, with everything needed to send and settle it."""

    id: int
    kind: str
    lease_token: str
    claimed_at: datetime  # the database's clock at the claim
    claimed_mono: float  # time.monotonic() at the claim: now = claimed_at + elapsed
    attempts: int
    in_doubt: bool  # the previous attempt's worker died mid-send: its outcome is unknown
    reply_token: str | None
    recipients: list[str] | None
    messages: list[dict[str, Any]] | RawJSON  # RawJSON: the stored JSON text
    retry_key: str | None
    deadline_at: datetime | None
    event_id: int | None
    event_time: datetime | None
    fallback_to: str | None


def claim(services: Services, limit: int) -> list[Claimed]:
    """Claim up to `limit` due rows (new, retry time reached, or abandoned by a dead
    worker), oldest due first, in one statement. Several workers never get the same row."""
    if limit < 1:
        return []
    token = uuid.uuid4().hex
    with services.db.session() as session:
        conn = session.connection()
        now = services.now(conn)
        mono = time.monotonic()
        rows = conn.execute(
            _CLAIM,
            {
                "now": now,
                "limit": limit,
                "until": now + timedelta(seconds=services.settings.lease_seconds),
                "token": token,
            },
        ).all()
    claimed = [
        Claimed(
            id=r.id,
            kind=r.kind,
            lease_token=token,
            claimed_at=now,
            claimed_mono=mono,
            attempts=r.attempts,
            in_doubt=bool(r.in_doubt),
            reply_token=r.reply_token,
            recipients=r.recipients,
            messages=RawJSON(r.messages or "[]"),
            retry_key=r.retry_key,
            deadline_at=_aware(r.deadline_at),
            event_id=r.event_id,
            event_time=_aware(r.event_time),
            fallback_to=r.fallback_to,
        )
        for r in rows
    ]
    claimed.sort(key=lambda c: c.id)
    return claimed


def _claim_statement() -> Any:
    now = bindparam("now", type_=UTCDateTime)
    due = or_(
        and_(T.c.status == OutboxStatus.PENDING, T.c.next_attempt_at <= now),
        and_(T.c.status == OutboxStatus.SENDING, T.c.locked_until < now),
    )
    ids = (
        select(T.c.id)
        .where(due)
        .order_by(T.c.next_attempt_at, T.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .correlate(None)
    )
    return (
        update(T)
        .where(T.c.id.in_(ids), due)
        .values(
            status=OutboxStatus.SENDING,
            locked_until=bindparam("until", type_=UTCDateTime),
            lease_token=bindparam("token"),
            attempts=T.c.attempts + 1,
            # An attempt whose worker died mid-send may have reached LINE.
            in_doubt=or_(T.c.in_doubt, T.c.status == OutboxStatus.SENDING),
        )
        .returning(
            T.c.id,
            T.c.kind,
            T.c.attempts,
            T.c.in_doubt,
            T.c.reply_token,
            T.c.recipients,
            # As text: posted to LINE as stored, never parsed and serialised again.
            cast(T.c.messages, Text).label("messages"),
            T.c.retry_key,
            T.c.deadline_at,
            T.c.event_id,
            T.c.event_time,
            T.c.fallback_to,
        )
    )


# Built once: building this statement costs more than running it on a small queue.
_CLAIM = _claim_statement()


def _aware(value: datetime | str | None) -> datetime | None:
    """RETURNING through Core gives SQLite's stored text / naive values: make them UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


# --- send -----------------------------------------------------------------------------------


class QuotaGuard:
    """The month's push/multicast quota as this process knows it: read from LINE at most
    every `refresh_seconds`, decremented by each send, zeroed by LINE's "monthly limit"."""

    def __init__(self, line: LineGateway, refresh_seconds: float) -> None:
        self.line = line
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._read_at = float("-inf")

    def reserve(self, count: int) -> bool:
        """True if `count` messages may be sent now (and counts them as used)."""
        with self._lock:
            if time.monotonic() - self._read_at > self.refresh_seconds:
                try:
                    self._remaining = self.line.quota().remaining
                except LineApiError as e:
                    # Unknown: let LINE decide (it answers 429 "monthly limit" when spent).
                    log.warning("message quota unavailable: %s", e)
                    self._remaining = None
                self._read_at = time.monotonic()
            if self._remaining is None:
                return True
            if self._remaining < count:
                return False
            self._remaining -= count
            return True

    def release(self, count: int) -> None:
        """Give back a reservation whose send LINE did not take: an error answer or no answer
        (if LINE took it after all, the retry with the same retry key answers 409, which keeps
        its reservation), so retries under 429/5xx never use the quota up twice."""
        with self._lock:
            if self._remaining is not None:
                self._remaining += count

    def spent(self) -> None:
        with self._lock:
            self._remaining = 0
            self._read_at = time.monotonic()


@dataclass(frozen=True)
class Outcome:
    status: OutboxStatus
    error: str | None = None
    retry_in: float | None = None  # seconds, for PENDING
    in_doubt: bool = False  # LINE may have taken it (timeout): no fallback push from now on


# urllib3 errors raised before anything was sent: the outcome is known (not sent).
_NOT_SENT = frozenset({"NewConnectionError", "ConnectTimeoutError", "NameResolutionError"})


def send(services: Services, item: Claimed) -> str:
    """Send one claimed row through LINE and settle it. Returns the status written, or
    "lost" when the lease had been taken over (nothing written)."""
    outcome = attempt(services, item)
    return settle(services, item, outcome)


def attempt(services: Services, item: Claimed) -> Outcome:
    line = services.line
    if item.deadline_at is not None and item.claimed_at > item.deadline_at:
        return Outcome(OutboxStatus.EXPIRED, "reply window passed before sending")
    try:
        if item.kind == OutboxKind.REPLY:
            line.reply(item.reply_token or "", item.messages)
        else:
            recipients = item.recipients or []
            if not services.quota.reserve(len(recipients)):
                return Outcome(OutboxStatus.REFUSED, "monthly message quota spent")
            if item.kind == OutboxKind.PUSH:
                line.push(recipients[0], item.messages, item.retry_key)
            else:
                line.multicast(recipients, item.messages, item.retry_key)
    except LineApiError as e:
        log.warning("outbox %s (%s) attempt %s: %s", item.id, item.kind, item.attempts, e)
        if e.already_accepted and item.retry_key:
            return Outcome(OutboxStatus.SENT)
        if item.kind != OutboxKind.REPLY:
            services.quota.release(len(item.recipients or []))
        if e.quota_spent:
            services.quota.spent()
            return Outcome(OutboxStatus.REFUSED, str(e))
        if e.retryable:
            doubt = e.status is None and e.message not in _NOT_SENT
            wait = backoff(item.attempts, e.retry_after)
            return Outcome(OutboxStatus.PENDING, str(e), wait, in_doubt=doubt)
        return Outcome(OutboxStatus.FAILED, str(e))
    except ValueError as e:  # a row that can never be sent (bad recipients)
        return Outcome(OutboxStatus.FAILED, str(e))
    return Outcome(OutboxStatus.SENT)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: LINE's Retry-After when given, else 0.25 s doubling
    up to 8 s."""
    if retry_after is not None:
        return max(0.1, min(retry_after, 60.0))
    return min(0.25 * 2 ** (attempts - 1), 8.0)


def settle(services: Services, item: Claimed, outcome: Outcome) -> str:
    """Write the outcome of one attempt (see settle_many)."""
    return settle_many(services, [(item, outcome)])[0]


def settle_many(services: Services, results: Sequence[tuple[Claimed, Outcome]]) -> list[str]:
    """Write the outcomes of several attempts in one transaction, each only if its row is
    still ours (lease token in the WHERE). A reply that failed or expired in a one-to-one
    chat gets its push fallback here, in the same transaction. Returns the statuses written
    ("lost" where the lease had been taken over)."""
    statuses: list[str] = []
    with services.db.session() as session:
        conn = session.connection()
        together: list[tuple[int, Claimed, dict[str, Any]]] = []
        for item, outcome in results:
            params, status = _settle_params(item, outcome)
            if len(results) > 1 and not _needs_fallback(services, item, status, outcome.in_doubt):
                # The common case: settled with the others in one executemany below.
                together.append((len(statuses), item, params))
                statuses.append(str(status))
            else:
                statuses.append(_settle_one(services, session, item, outcome, params, status))
        # A person's next event may go now: wake the answering threads of every process.
        wakeup.notify(conn, wakeup.EVENTS)
        if together:
            written = conn.execute(_SETTLE, [params for _, _, params in together]).rowcount
            if written != len(together):
                for index in _lost(conn, [(i, item) for i, item, _ in together]):
                    log.warning(
                        "outbox %s: lease lost before settling; left to its new owner",
                        results[index][0].id,
                    )
                    statuses[index] = "lost"
    return statuses


def _lost(conn: Any, items: list[tuple[int, Claimed]]) -> list[int]:
    """Which of the rows just settled together were not ours any more (another worker's
    lease token): their UPDATE changed nothing."""
    tokens = dict(
        conn.execute(
            select(T.c.id, T.c.lease_token).where(T.c.id.in_([item.id for _, item in items]))
        ).all()
    )
    return [index for index, item in items if tokens.get(item.id) != item.lease_token]


def _settle_params(item: Claimed, outcome: Outcome) -> tuple[dict[str, Any], OutboxStatus]:
    # The database's clock, as read at the claim plus the time elapsed here since: one
    # query less per send.
    now = item.claimed_at + timedelta(seconds=time.monotonic() - item.claimed_mono)
    status, error = outcome.status, outcome.error
    retry_at = None
    if status == OutboxStatus.PENDING:
        retry_at = now + timedelta(seconds=outcome.retry_in or 0.0)
        if item.deadline_at is not None and retry_at > item.deadline_at:
            status = OutboxStatus.EXPIRED
    sent = status == OutboxStatus.SENT
    latency = None
    if sent and item.event_time is not None:
        latency = int((now - item.event_time).total_seconds() * 1000)
    params = {
        "row": item.id,
        "token": item.lease_token,
        "status": status,
        "error": error,
        "doubt": outcome.in_doubt,
        "next_at": retry_at,
        "sent_at": now if sent else None,
        "latency": latency,
        "now": now,
    }
    return params, status


def _settle_one(
    services: Services,
    session: Session,
    item: Claimed,
    outcome: Outcome,
    params: dict[str, Any],
    status: OutboxStatus,
) -> str:
    written = session.connection().execute(_SETTLE, params).rowcount
    if written != 1:
        log.warning("outbox %s: lease lost before settling; left to its new owner", item.id)
        return "lost"
    if _needs_fallback(services, item, status, outcome.in_doubt):
        enqueue_fallback(
            session,
            now=params["now"],
            event_id=item.event_id,
            user_id=item.fallback_to or "",
            messages=item.messages,
            event_time=item.event_time,
        )
    return str(status)


# Built once: SQLAlchemy then reuses the compiled statement without rebuilding it per send.
_SETTLE = (
    update(T)
    .where(
        T.c.id == bindparam("row"),
        T.c.lease_token == bindparam("token"),
        T.c.status == OutboxStatus.SENDING,
    )
    .values(
        status=bindparam("status"),
        locked_until=None,
        last_error=bindparam("error"),
        in_doubt=or_(T.c.in_doubt, bindparam("doubt", type_=Boolean)),
        next_attempt_at=func.coalesce(
            bindparam("next_at", type_=UTCDateTime), T.c.next_attempt_at
        ),
        sent_at=bindparam("sent_at", type_=UTCDateTime),
        latency_ms=bindparam("latency", type_=Integer),
    )
)


def _needs_fallback(
    services: Services, item: Claimed, status: OutboxStatus, in_doubt: bool
) -> bool:
    if item.kind != OutboxKind.REPLY or not item.fallback_to:
        return False
    if not services.settings.push_fallback:
        return False
    if status not in (OutboxStatus.EXPIRED, OutboxStatus.FAILED):
        return False
    # After an attempt whose outcome is unknown (its worker died mid-send, or LINE did not
    # answer in time), the reply may well have reached the person (tokens are single-use, so
    # later attempts fail): a push now could answer them twice. Better one answer than two.
    return not (item.in_doubt or in_doubt)


def send_all(services: Services, items: Sequence[Claimed]) -> int:
    """Send claimed rows one after another in this thread (the CLI and tests)."""
    for item in items:
        send(services, item)
    return len(items)
