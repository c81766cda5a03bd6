"""Friend-count report and API speed with 1,000 days of snapshots and 1,000,000 ledger rows.

Run: .venv/bin/python bench/friends.py [--postgres URL] [--runs 30]
Fills a fresh database (SQLite in a temp folder, or the given PostgreSQL database, whose
tables are dropped and re-created), then times `progress.report` (what `friends report`,
the console and the API compute), GET /api/friends through the Flask app (Bearer auth
included) and GET /metrics (the pipeline's collectors and this feature's). Prints
p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

import handlers  # noqa: E402
from app import create_app  # noqa: E402
from bot import migrate  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.friendcount import ledger, progress  # noqa: E402
from bot.friendcount.targets import cached_targets  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.staff import accounts  # noqa: E402

DAYS = 1_000
EVENTS = 1_000_000
NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 12, 1) - timedelta(days=DAYS - 1)


def fill(url: str) -> None:
    """Snapshots for DAYS days and EVENTS ledger rows spread evenly over the same days."""
    engine = create_engine(url)
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) - timedelta(hours=9)
    step = DAYS * 86_400 / EVENTS  # seconds between ledger rows
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "INSERT INTO follower_snapshots (day, status, followers, targeted_reaches, "
                    "blocks, attempts, fetched_at, sample) SELECT CAST(:first AS date) + n, "
                    "'ready', 9000 + n * 12, 8000 + n * 10, 500 + n, 1, now(), false "
                    "FROM generate_series(0, :days - 1) AS n"
                ),
                {"first": FIRST_DAY, "days": DAYS},
            )
            conn.execute(
                text(
                    "INSERT INTO friend_events (kind, occurred_at) SELECT CASE WHEN n % 20 = 0 "
                    "THEN 'refollow' WHEN n % 7 = 0 THEN 'unfollow' ELSE 'follow' END, "
                    "CAST(:start AS timestamptz) "
                    "+ make_interval(secs => n * CAST(:step AS float8)) "
                    "FROM generate_series(0, :n - 1) AS n"
                ),
                {"start": start, "step": step, "n": EVENTS},
            )
        else:
            conn.execute(
                text(
                    "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
                    "WHERE n < :days - 1) INSERT INTO follower_snapshots (day, status, "
                    "followers, targeted_reaches, blocks, attempts, fetched_at, sample) "
                    "SELECT date(:first, '+' || n || ' days'), 'ready', 9000 + n * 12, "
                    "8000 + n * 10, 500 + n, 1, '2026-12-02 01:00:00.000000', 0 FROM s"
                ),
                {"first": FIRST_DAY.isoformat(), "days": DAYS},
            )
            conn.execute(
                text(
                    "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
                    "WHERE n < :n - 1) INSERT INTO friend_events (kind, occurred_at) "
                    "SELECT CASE WHEN n % 20 = 0 THEN 'refollow' WHEN n % 7 = 0 THEN 'unfollow' "
                    "ELSE 'follow' END, strftime('%Y-%m-%d %H:%M:%f000', :start, "
                    "'+' || (n * :step) || ' seconds') FROM s"
                ),
                {"start": start.strftime("%Y-%m-%d %H:%M:%S"), "step": step, "n": EVENTS},
            )
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a live database: the visibility map lets COUNT(*) use
        # index-only scans.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: caches, connections, templates
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"| {name} | {statistics.median(ms):.1f} | {p95:.1f} | {max(ms):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL URL whose tables may be dropped")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            url = args.postgres
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        else:
            url = f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(url)
        t = time.perf_counter()
        fill(url)
        took = time.perf_counter() - t
        print(f"filled {DAYS:,} snapshots and {EVENTS:,} ledger rows in {took:.1f} s")
        settings = Settings(
            channel_secret="s", channel_access_token="t", database_url=url,
            secret_key="bench", worker="off",
        )  # fmt: skip
        services = Services(settings, routers=handlers.ROUTERS, clock=lambda: NOW)
        t = time.perf_counter()
        with services.db.session() as session:
            # What the hourly friends.sync job keeps up to date.
            days = ledger.rollup(session, NOW.date())
        print(f"rolled up {days} closed days of the ledger in {time.perf_counter() - t:.1f} s")
        with services.db.session() as session:
            accounts.add_staff(session, "bench", "a long password", "editor")
            token = accounts.issue_token(session, "bench")
        app = create_app(services=services)
        client = app.test_client()
        targets = cached_targets()

        def report() -> None:
            with services.db.session() as session:
                progress.report(session, targets, NOW)

        def api() -> None:
            response = client.get("/api/friends", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.status_code

        def scrape() -> None:
            assert client.get("/metrics").status_code == 200

        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"\n{backend}, {args.runs} runs each (ms)\n")
        print("| what | p50 | p95 | max |\n| --- | --- | --- | --- |")
        print(row("report (progress.report)", timed(report, args.runs)))
        print(row("GET /api/friends", timed(api, args.runs)))
        print(row("GET /metrics (every collector)", timed(scrape, args.runs)))
        services.db.dispose()


if __name__ == "__main__":
    main()
