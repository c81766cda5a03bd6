"""Broadcast delivery at scale: N recipients (made directly in the database) sent through
the outbox to a LINE stand-in that enforces 500 ids per multicast and LINE's multicast rate
limit (200 requests/s; 429 with Retry-After beyond it), in a process of its own.

Prints: recipients, multicast requests, wall time from "due" to "every chunk settled"
(recipients fixed, then chunks queued while sent), the floor that LINE's rate limit imposes
(ceil(N/500) / 200 s), the ratio, the time to fix recipients (quota read beside it), and the peak
memory (max RSS) of the sending process. Checks that every recipient got the message once.
Not a test: it prints figures.

    .venv/bin/python bench/broadcast.py                      # 20,000 on SQLite
    .venv/bin/python bench/broadcast.py -n 1000000           # 1,000,000 on SQLite
    .venv/bin/python bench/broadcast.py --postgres -n 20000  # PostgreSQL (BENCH_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/broadcast.py`
    sys.path.insert(0, str(ROOT))

TOKEN = "bench-channel-access-token"
RATE = 200  # LINE: multicast requests per second
PG_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_p12"
)


def serve(conn: Any) -> None:
    """The stand-in process: HarshStandin (rate limit, no errors) until told to stop."""
    from flask import jsonify

    from simulator.line_api import serve_standin
    from simulator.throttle import HarshStandin

    standin = HarshStandin(TOKEN, rate_per_second=RATE, error_rate=0.0)
    standin.quota = {"type": "none"}
    running = serve_standin(standin)
    app = running._server.app  # type: ignore[attr-defined]

    @app.get("/_bench/stats")
    def stats() -> Any:
        bodies = standin.multicasts()
        ids = [uid for body in bodies for uid in body["to"]]
        return jsonify(
            requests=len(bodies),
            recipients=len(ids),
            unique=len(set(ids)),
            largest=max((len(b["to"]) for b in bodies), default=0),
            throttled=standin.throttled,
        )

    conn.send(running.url)
    conn.recv()  # stop
    running.close()


def prepare(url: str, n: int) -> None:
    """Fresh schema, N friends inserted in bulk, one broadcast to everyone due now."""
    from sqlalchemy import create_engine, insert, text

    from bot import migrate
    from bot.broadcasts.models import Broadcast
    from bot.models import Friend, utcnow

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    engine = create_engine(url)
    now = utcnow()
    batch = 20_000
    with engine.begin() as conn:
        for start in range(0, n, batch):
            rows = [
                {
                    "line_user_id": f"U{i:032x}",
                    "state": "friend",
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for i in range(start, min(n, start + batch))
            ]
            conn.execute(insert(Friend), rows)
        conn.execute(
            insert(Broadcast).values(
                text="伊勢原市からのお知らせです。",
                segment={},
                status="scheduled",
                repeat="once",
                send_at=now,
                created_by="bench",
                created_at=now,
                delivered=0,
                failed=0,
            )
        )
    if url.startswith("postgresql"):  # what autovacuum would have done by send time
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    engine.dispose()


def send(url: str, line_url: str, conn: Any) -> None:
    """The sending process: what `flask --app app broadcasts run-due` does, timed."""
    from bot.broadcasts import delivery
    from bot.config import Settings
    from bot.services import Services

    settings = Settings(
        channel_secret="s",
        channel_access_token=TOKEN,
        line_api_base_url=line_url,
        line_api_data_base_url=line_url,
        database_url=url,
        worker="off",
        send_concurrency=16,
    )
    services = Services(settings)
    t0 = time.perf_counter()
    for bid in delivery.due_ids(services):
        delivery.start(services, bid)  # recipients fixed (timed apart)
    t1 = time.perf_counter()
    report = delivery.run_due(services, max_seconds=3600)  # queues the chunks while sending
    t2 = time.perf_counter()
    assert all(status == "sent" for status in report.settled.values()), report
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send({"queue": t1 - t0, "wall": t2 - t0, "peak_mb": peak_kb / 1024, "report": report})


def run(n: int, postgres: bool) -> dict[str, Any]:
    import requests

    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        url = PG_URL if postgres else f"sqlite:///{tmp}/bench.sqlite3"
        prepare(url, n)
        parent, child = ctx.Pipe()
        standin = ctx.Process(target=serve, args=(child,))
        standin.start()
        line_url = parent.recv()
        mine, theirs = ctx.Pipe()
        sender = ctx.Process(target=send, args=(url, line_url, theirs))
        sender.start()
        result = mine.recv()
        sender.join()
        stats = requests.get(f"{line_url}/_bench/stats", timeout=60).json()
        parent.send("stop")
        standin.join()
    floor = math.ceil(n / 500) / RATE
    return {**result, **stats, "floor": floor, "n": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="recipients")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    r = run(args.n, args.postgres)
    db = "PostgreSQL" if args.postgres else "SQLite"
    ok = r["recipients"] == r["unique"] == args.n
    print(f"{db}, {platform.python_version()}, {os.cpu_count()} cores")
    print(
        f"recipients {r['n']:,} | multicasts {r['requests']:,} (largest {r['largest']}) | "
        f"wall {r['wall']:.2f} s | floor {r['floor']:.2f} s | ratio {r['wall'] / r['floor']:.2f}x"
        f" | fix {r['queue']:.2f} s | peak {r['peak_mb']:.0f} MB | 429s {r['throttled']}"
        f" | each recipient once: {'yes' if ok else 'NO'}"
    )


if __name__ == "__main__":
    main()
