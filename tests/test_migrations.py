"""Alembic migrations build exactly the schema the models describe, and go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot import migrate
from bot.schema import load_all

Base = load_all()


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_and_downgrade_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path}/m.sqlite3"
    migrate.upgrade(url)
    engine = create_engine(url)
    assert {"friends", "webhook_events", "outbox", "friend_events", "pipeline_workers"} <= set(
        inspect(engine).get_table_names()
    )
    migrate.downgrade(url, "base")
    assert "friends" not in inspect(engine).get_table_names()
    engine.dispose()


def test_upgrade_creates_the_sqlite_folder_of_a_fresh_clone(tmp_path):
    url = f"sqlite:///{tmp_path}/instance/fresh.sqlite3"
    migrate.upgrade(url)
    assert (tmp_path / "instance" / "fresh.sqlite3").exists()
