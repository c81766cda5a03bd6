"""Shared fixtures: settings, a fresh database per test (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), the real SDK pointed at a LINE API stand-in served over loopback,
the app, its test client and CLI runner, and a `webhook` helper that signs and posts events."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url, text

import handlers
from app import create_app
from bot import migrate
from bot.config import Settings
from bot.models import Base
from bot.pipeline.worker import run_until_idle
from bot.services import Services
from simulator.line_api import LineApiStandin, RunningStandin, serve_standin
from tests import builders

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# The semantic stage costs ~2.5 s of CPU per process; only its own tests load it.
os.environ.setdefault("ANSWER_SEMANTIC", "off")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


# --- database ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrations run once per session)."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (``<name>_gw0``…), created
    on first use next to TEST_DATABASE_URL's, so parallel tests never truncate each other."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = _worker_database(PG_URL)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


# --- LINE API stand-in --------------------------------------------------------------------


@pytest.fixture(scope="session")
def line_server() -> Iterator[RunningStandin]:
    with serve_standin(LineApiStandin(TOKEN)) as running:
        yield running


@pytest.fixture
def line_api(line_server: RunningStandin) -> Iterator[LineApiStandin]:
    """The stand-in, fresh for each test: records requests, can inject 429/5xx/latency."""
    standin = line_server.standin
    standin.clear()
    standin.latency = standin.jitter = standin.answer_delay = 0.0
    standin.strict_reply_tokens = True
    standin.quota = {"type": "limited", "value": 5000}
    standin.total_usage = None
    yield standin
    standin.clear()
    standin.latency = standin.jitter = standin.answer_delay = 0.0


# --- the app --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def content() -> dict[str, Any]:
    """Plan, wording, renderer and answer engine, built once (they are read-only)."""
    svc = Services(Settings(channel_secret=SECRET, channel_access_token=TOKEN, secret_key="k"))
    svc.warm()
    return {k: svc.__dict__[k] for k in ("plan", "replies", "renderer", "engine")}


@pytest.fixture
def settings(database_url: str, line_server: RunningStandin) -> Settings:
    return Settings(
        channel_secret=SECRET,
        channel_access_token=TOKEN,
        line_api_base_url=line_server.url,
        line_api_data_base_url=line_server.url,
        database_url=database_url,
        secret_key="test-secret-key",
        worker="off",  # tests drain the queue explicitly with `webhook.drain()`
        line_timeout_seconds=2.0,
    )


@pytest.fixture
def services(settings: Settings, content: dict[str, Any]) -> Iterator[Services]:
    svc = Services(settings, routers=handlers.ROUTERS)
    svc.__dict__.update(content)
    yield svc
    svc.db.dispose()


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Webhook:
    """Talks to the app the way LINE does: signed POSTs to /callback, replies read back."""

    def __init__(self, client: FlaskClient, services: Services, line: LineApiStandin) -> None:
        self.client = client
        self.services = services
        self.line = line

    def post(self, *events: dict[str, Any], signature: str | None = None) -> Any:
        raw = builders.body(*events)
        sig = signature if signature is not None else builders.sign(SECRET, raw)
        return self.client.post(
            "/callback",
            data=raw.encode(),
            headers={"X-Line-Signature": sig, "Content-Type": "application/json"},
        )

    def drain(self) -> int:
        return run_until_idle(self.services)

    def token(self, user: str) -> str:
        return self.line.issue_reply_token(user)

    def replies_to(self, token: str) -> list[dict[str, Any]]:
        """The messages LINE accepted as the reply with `token` ([] if none)."""
        for body in self.line.replies():
            if body.get("replyToken") == token:
                return list(body["messages"])
        return []

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Post one event, let the workers run, return the reply's messages."""
        response = self.post(event)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.drain()
        return self.replies_to(event.get("replyToken", ""))

    def say(self, message: str, user: str = "U" + "1" * 32) -> list[dict[str, Any]]:
        return self.send(builders.text(user, message, self.token(user)))

    def tap(self, data: str, user: str = "U" + "1" * 32) -> list[dict[str, Any]]:
        return self.send(builders.postback(user, data, self.token(user)))

    def follow(self, user: str = "U" + "1" * 32, unblocked: bool = False) -> list[dict[str, Any]]:
        return self.send(builders.follow(user, self.token(user), unblocked))


@pytest.fixture
def webhook(client: FlaskClient, services: Services, line_api: LineApiStandin) -> Webhook:
    return Webhook(client, services, line_api)


# --- browser (tests/browser.py) ------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian chromium, shared by a module's tests (they open pages of their own)."""
    from tests.browser import launched

    with launched() as running:
        yield running
