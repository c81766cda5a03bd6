"""The database layer: a dropped PostgreSQL connection is replaced before use."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from bot import db
from bot.models import Friend


def test_a_connection_dropped_while_idle_is_replaced_before_use(services, monkeypatch):
    """The database restarted (or a proxy closed an idle connection): the next request gets
    a fresh connection instead of an error."""
    if services.db.is_sqlite:
        pytest.skip("SQLite has no server connection to lose")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = services.db.engine
    engine.dispose()
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as conn:  # the same pooled connection, as the pool keeps one
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
    with db.Database(services.settings.database_url).engine.begin() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    time.sleep(0.1)
    with services.db.session() as session:
        assert session.scalar(select(Friend).limit(1)) is None  # no OperationalError
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
