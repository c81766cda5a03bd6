"""Settings: every knob comes from the environment, read once into a frozen dataclass."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "instance" / "isehara.sqlite3"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message says which and how to fix it."""


MISSING_DATABASE_URL = (
    "Missing required environment variable DATABASE_URL (e.g. "
    "postgresql://user:password@host/dbname). Only APP_ENV=development falls back "
    "to a local SQLite file."
)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with `from_env()`; tests build it directly."""

    channel_secret: str = ""
    channel_access_token: str = ""
    line_api_base_url: str = "https://api.line.me"
    line_api_data_base_url: str = "https://api-data.line.me"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE}"
    secret_key: str = ""
    development: bool = False
    # Event processing: "thread" runs a background worker in each web process; "off" leaves
    # pending events to `flask --app app events run` (tests drive it explicitly).
    worker: str = "thread"
    worker_threads: int = 2  # answering threads per process (they claim events in batches)
    claim_batch: int = 16  # events claimed (and handled in one transaction) at a time
    send_concurrency: int = 16  # sends in flight at once per process (one HTTP pool to LINE)
    poll_seconds: float = 0.1  # how often idle workers look at the database
    # LINE documents no fixed lifetime for reply tokens ("about a minute" in practice); a reply
    # is attempted until this many seconds after the event's own timestamp.
    reply_deadline_seconds: float = 50.0
    # When a reply token is rejected or the window has passed, answer 1:1 chats by push
    # (counts against the month's message quota; turn off for a plan with no push quota).
    push_fallback: bool = True
    quota_refresh_seconds: float = 60.0  # how long a read of LINE's quota/consumption is trusted
    line_timeout_seconds: float = 5.0
    # A claimed event or reply is taken over by another worker after this (database clock);
    # short enough that the reply of a worker that died still goes out before the deadline.
    lease_seconds: float = 20.0
    # How often the scheduler process looks for due broadcasts.
    broadcast_poll_seconds: float = 15.0
    prune_days: int = 30  # `events prune` deletes handled events and settled outbox rows older
    stuck_after_seconds: float = 60.0  # /healthz: 503 when the oldest pending event is older
    metrics_token: str = ""  # when set, GET /metrics needs "Authorization: Bearer <token>"
    max_body_bytes: int = 1_000_000
    # The answer engine's second scorer (bot/answers/semantic.py): "background" loads it in a
    # thread after start-up (ANSWER_SEMANTIC's default), "sync" before answering, "off" never.
    answer_semantic: str = "off"
    # LINE user ids of the operators who get friend-count alerts by push (empty: no alerts).
    friends_alert_user_ids: tuple[str, ...] = ()
    simulator: bool = False  # mount the LINE stand-in and /simulator (development only)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        # The one switch: FLASK_DEBUG / `flask --debug` only change Flask's reloader and
        # debugger, never secrets, the database or the simulator.
        development = env.get("APP_ENV") == "development"
        # Outside development a missing DATABASE_URL stays empty: opening the database then
        # stops with MISSING_DATABASE_URL (web, worker, scheduler), while commands that need
        # no database (`ask`, `content check`) still run.
        database_url = env.get("DATABASE_URL", "")
        settings = cls(
            channel_secret=env.get("LINE_CHANNEL_SECRET", ""),
            channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            line_api_base_url=env.get("LINE_API_BASE_URL", cls.line_api_base_url).rstrip("/"),
            line_api_data_base_url=env.get(
                "LINE_API_DATA_BASE_URL", cls.line_api_data_base_url
            ).rstrip("/"),
            database_url=_database_url(database_url) if database_url or development else "",
            # Signs Flask sessions; nothing uses sessions before the staff console, so a
            # missing key falls back to a random one per process (see README).
            secret_key=env.get("SECRET_KEY", "") or secrets.token_hex(32),
            development=development,
            worker=env.get("EVENT_WORKER", "thread"),
            worker_threads=_int(env, "EVENT_WORKER_THREADS", 2),
            claim_batch=_int(env, "EVENT_CLAIM_BATCH", 16),
            send_concurrency=_int(env, "LINE_SEND_CONCURRENCY", 16),
            poll_seconds=_float(env, "EVENT_POLL_SECONDS", 0.1),
            lease_seconds=_int(env, "EVENT_LEASE_SECONDS", 20),
            broadcast_poll_seconds=_float(env, "BROADCAST_POLL_SECONDS", 15.0),
            reply_deadline_seconds=_float(env, "REPLY_DEADLINE_SECONDS", 50.0),
            push_fallback=env.get("PUSH_FALLBACK", "1") not in {"0", "false", "off", "no"},
            prune_days=_int(env, "PRUNE_DAYS", 30),
            stuck_after_seconds=_float(env, "QUEUE_STUCK_SECONDS", 60.0),
            metrics_token=env.get("METRICS_TOKEN", ""),
            answer_semantic=_choice(env, "ANSWER_SEMANTIC", ("background", "sync", "off")),
            friends_alert_user_ids=tuple(
                u.strip() for u in env.get("FRIENDS_ALERT_USER_IDS", "").split(",") if u.strip()
            ),
            simulator=development and env.get("SIMULATOR", "1") == "1",
        )
        if development:
            settings = settings.with_development_defaults()
        if settings.simulator and "LINE_API_BASE_URL" not in env:
            # The simulator mounts a LINE API stand-in in this very app (see simulator/).
            local = f"http://127.0.0.1:{_int(env, 'PORT', 5000)}/_line"
            settings = replace(settings, line_api_base_url=local, line_api_data_base_url=local)
        settings.check()
        return settings

    def with_development_defaults(self) -> Settings:
        """Development mode may run with no LINE channel: fill in throwaway secrets."""
        return replace(
            self,
            channel_secret=self.channel_secret or "development-channel-secret",
            channel_access_token=self.channel_access_token or "development-access-token",
            secret_key=self.secret_key or "development-secret-key",
        )

    def check(self) -> None:
        missing = [
            name
            for name, value in (
                ("LINE_CHANNEL_SECRET", self.channel_secret),
                ("LINE_CHANNEL_ACCESS_TOKEN", self.channel_access_token),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                "Missing required environment variable(s): "
                + ", ".join(missing)
                + ". Set them (see README 'Configuration'), or run `make run` for development."
            )
        if min(self.worker_threads, self.claim_batch, self.send_concurrency) < 1:
            raise ConfigError(
                "EVENT_WORKER_THREADS, EVENT_CLAIM_BATCH and LINE_SEND_CONCURRENCY must be ≥ 1"
            )
        if self.worker not in {"thread", "off"}:
            raise ConfigError(f"EVENT_WORKER must be 'thread' or 'off', not {self.worker!r}")
        bad = [u for u in self.friends_alert_user_ids if not re.fullmatch(r"U[0-9a-f]{32}", u)]
        if bad:
            raise ConfigError(
                "FRIENDS_ALERT_USER_IDS must be LINE user ids (U and 32 hex digits), "
                f"comma-separated; {len(bad)} are not"
            )


def _database_url(value: str) -> str:
    if not value:
        return f"sqlite:///{DEFAULT_SQLITE}"
    # Heroku-style URLs say postgres://; SQLAlchemy wants an explicit driver.
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://") :]
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first is the default); anything else stops start-up clearly."""
    value = env.get(name, "").strip().lower() or allowed[0]
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from e


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from e
