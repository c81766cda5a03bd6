"""Wake-ups across processes: PostgreSQL LISTEN/NOTIFY.

The webhook (web process) and the workers (worker process) share nothing but the database.
On PostgreSQL, whoever makes work writes `NOTIFY` in the same transaction (delivered when it
commits, dropped if it rolls back), and each worker process holds one connection that
LISTENs, so a worker starts on a new event within milliseconds of the webhook's commit
instead of at its next poll. Two channels, so that each webhook wakes only the answering
threads and each new push or multicast only the sending side:

- `line_events`: events recorded (webhook), replies settled (a person's next event may go);
- `line_outbox`: pushes and multicasts queued by other features (the scheduler's broadcasts).

Polling (`EVENT_POLL_SECONDS`) stays as the safety net (a lost connection, leases that ran
out). SQLite has no LISTEN: there the short poll is the wake-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

EVENTS = "line_events"
OUTBOX = "line_outbox"


def notify(conn: Connection, channel: str) -> None:
    """Wake the listening workers when the caller's transaction commits (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {channel}")


def supported(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def listen(
    engine: Engine,
    wake: dict[str, Callable[[], None]],
    stop: threading.Event,
    ready: threading.Event | None = None,
) -> None:
    """Run until `stop`: LISTEN on every channel of `wake` and call its function for each
    notification. Reconnects after a lost connection (waking everyone, as notifications may
    have been missed meanwhile). `ready` is set once listening (tests wait for it)."""
    backoff = 0.5
    while not stop.is_set():
        try:
            _listen_once(engine, wake, stop, ready)
            backoff = 0.5
        except Exception as e:  # the database restarted, the network dropped …
            log.warning("LISTEN connection lost (%s); polling until it is back", type(e).__name__)
            stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)
        for fn in wake.values():
            fn()


def _listen_once(
    engine: Engine,
    wake: dict[str, Callable[[], None]],
    stop: threading.Event,
    ready: threading.Event | None,
) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        conn.rollback()
        conn.autocommit = True  # a notification is only delivered outside a transaction
        for channel in wake:
            conn.execute(f"LISTEN {channel}")
        if ready is not None:
            ready.set()
        while not stop.is_set():
            # Returns every 0.25 s at the latest, so `stop` is seen without a notification.
            for note in conn.notifies(timeout=0.25):
                fn = wake.get(note.channel)
                if fn is not None:
                    fn()
                if stop.is_set():
                    break
    finally:
        # Never back to the pool: it is in autocommit and still listening.
        raw.invalidate()
        raw.close()
