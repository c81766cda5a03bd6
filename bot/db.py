"""Database engine and sessions (SQLAlchemy 2). Sessions come only from `Database.session()`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


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

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
            # Take the write lock when the transaction starts: a transaction that read first
            # and then writes cannot wait for the lock (SQLITE_BUSY at once); one that takes
            # it first waits up to busy_timeout. This also makes SAVEPOINTs work with pysqlite.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
    )


def database_now(session: Session | Connection) -> datetime:
    """The database server's clock (UTC). Leases and deadlines use it, not each process's
    own clock, so workers on several machines agree on when a lease has run out."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "sqlite":
        raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    return value.astimezone(UTC)
