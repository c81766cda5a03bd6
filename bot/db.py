"""Database engine and sessions (SQLAlchemy 2). Sessions come only from `Database.session()`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker


class RawJSON(str):
    """Text that is JSON already (a reply's messages, serialised once per distinct answer):
    written to JSON columns as it is, and posted to LINE as it is."""

    __slots__ = ()


def _json_serialise(value: object) -> str:
    """The engines' JSON serialiser: RawJSON passes through, anything else is json.dumps'd
    (SQLAlchemy's default)."""
    return value if isinstance(value, RawJSON) else json.dumps(value)


class Database:
    """One engine and session factory per process, built from a database URL."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (instance/ on a fresh clone)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _make_engine(url: str, echo: bool) -> Engine:
    ensure_sqlite_dir(url)
    # hide_parameters: an error's text never carries bound values (LINE user ids, message text)
    # into a log line.
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            json_serializer=_json_serialise,
            # The driver's own transaction handling is off; we emit BEGIN IMMEDIATE below.
            connect_args={"timeout": 30, "isolation_level": None},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets the webhook write while workers read; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        writer = _ProcessWriteLock()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
            # Take the write lock when the transaction starts: a transaction that read first
            # and then writes cannot wait for the lock (SQLITE_BUSY at once); one that takes
            # it first waits up to busy_timeout. This also makes SAVEPOINTs work with pysqlite.
            writer.acquire(conn)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writer.release(conn)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn) -> None:  # type: ignore[no-untyped-def]
            writer.release(conn)

        return engine
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        json_serializer=_json_serialise,
        pool_size=10,
        max_overflow=20,
    )
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for a while.

    SQLAlchemy's pool_pre_ping checks on every checkout: a round trip before every webhook's
    insert and every worker transaction, for connections that were in use a millisecond
    before. A connection idle for a few seconds is the one that may have been dropped (a
    database restart, an idle timeout); a dead one is replaced before use, as pre_ping does.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            raise exc.DisconnectionError(type(e).__name__) from e
        if not alive:
            raise exc.DisconnectionError("ping failed")


class _ProcessWriteLock:
    """SQLite's one write lock, mirrored by a lock in this process.

    A thread that finds SQLite's lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 …
    up to 100 ms a try), so threads of one process that all write (the worker's answering,
    sending and settling threads; gunicorn's threads) would lose milliseconds per transaction
    to those sleeps. Waiting here instead wakes the next one as soon as the lock is free.
    Other processes are still kept apart by SQLite itself (busy_timeout).
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self._lock = threading.Lock()
        self.timeout = timeout

    def acquire(self, conn: Connection) -> None:
        # A thread that already holds it (a second connection opened inside a transaction)
        # gets it after the timeout anyway and leaves the waiting to SQLite, as before.
        conn.info["holds_write_lock"] = self._lock.acquire(timeout=self.timeout)

    def release(self, conn: Connection) -> None:
        if conn.info.pop("holds_write_lock", False):
            self._lock.release()


def database_now(session: Session | Connection) -> datetime:
    """The database server's clock (UTC). Leases and deadlines use it, not each process's
    own clock, so workers on several machines agree on when a lease has run out."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "sqlite":
        raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    return value.astimezone(UTC)
