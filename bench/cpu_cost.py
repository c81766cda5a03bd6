"""CPU cost per answered question: the webhook request path and the worker, apart.

CPU time (time.process_time) is far less sensitive to other load on the machine than
wall-clock throughput, so this is the figure to compare before/after a change. One process,
sequential: the webhook's WSGI app is called directly (no HTTP server, no load generator),
then the worker's loop (`run_until_idle`: claim, answer, queue, send, settle) drains the queue
against the LINE stand-in, which runs in a process of its own (its CPU is not counted).

    .venv/bin/python bench/cpu_cost.py                       # SQLite (fresh file)
    .venv/bin/python bench/cpu_cost.py --postgres URL        # a schema of its own in URL
    .venv/bin/python bench/cpu_cost.py --profile web|worker  # cProfile, by cumulative time
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.webhook import SECRET, TOKEN, Standin, make_requests  # noqa: E402

SCHEMA = "bench_cpu_cost"


def database(postgres: str | None, workdir: Path) -> str:
    from sqlalchemy import create_engine, text

    from bot import migrate

    if not postgres:
        url = f"sqlite:///{workdir / 'bot.sqlite3'}"
    else:
        engine = create_engine(postgres)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        engine.dispose()
        url = f"{postgres}?options=-csearch_path%3D{SCHEMA}"
    migrate.upgrade(url)
    return url


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=600, help="measured questions")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--postgres", metavar="URL", help="PostgreSQL URL (else SQLite)")
    p.add_argument("--profile", choices=["web", "worker"])
    args = p.parse_args()

    from werkzeug.test import EnvironBuilder

    from app import create_app
    from bot.config import Settings
    from bot.pipeline.worker import run_until_idle

    standin = Standin()
    workdir = Path(tempfile.mkdtemp(prefix="cpu-cost-"))
    try:
        url = database(args.postgres, workdir)
        env = {
            "DATABASE_URL": url,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": standin.url,
            "LINE_API_DATA_BASE_URL": standin.url,
            "EVENT_WORKER": "off",
            "SECRET_KEY": "bench",
        }
        app = create_app(Settings.from_env(env))
        import logging

        logging.getLogger().setLevel(logging.WARNING)
        services = app.extensions["bot.services"]
        services.warm()
        semantic = getattr(services.engine, "semantic", None)
        if semantic is not None:
            # ANSWER_SEMANTIC=background loads the second scorer in a thread (~2.5 s of CPU):
            # let it finish, or its CPU lands in whichever phase is being measured.
            semantic.wait(60)
        rng = random.Random(7)
        users = [f"U{i:032x}" for i in range(500)]

        def environs(n: int) -> list[dict]:
            reqs = make_requests(standin, n, users, rng, distinct=False)
            return [
                EnvironBuilder(
                    path="/callback",
                    method="POST",
                    data=r["body"].encode(),
                    headers={"X-Line-Signature": r["signature"]},
                    content_type="application/json",
                ).get_environ()
                for r in reqs
            ]

        def post_all(envs: list[dict]) -> None:
            status: list[str] = []
            for environ in envs:
                status.clear()
                body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
                assert status[0].startswith("200"), (status, body)

        post_all(environs(args.warmup))
        run_until_idle(services, 120)
        standin.reset()

        envs = environs(args.n)
        prof = None
        if args.profile:
            import cProfile

            # CPU time, not wall-clock: waits for LINE and other processes' load drop out.
            prof = cProfile.Profile(time.process_time)
        if args.profile == "web" and prof:
            prof.enable()
        t0, th0 = time.process_time(), time.thread_time()
        post_all(envs)
        web = time.process_time() - t0
        web_thread = time.thread_time() - th0
        if args.profile == "web" and prof:
            prof.disable()
        if args.profile == "worker" and prof:
            prof.enable()
        t0, w0 = time.process_time(), time.perf_counter()
        run_until_idle(services, 300)
        worker = time.process_time() - t0
        wall = time.perf_counter() - w0
        if args.profile == "worker" and prof:
            prof.disable()
        accepted = standin.stats()["accepted"]
        print(
            f"{'postgresql' if args.postgres else 'sqlite'}: n={args.n} answered={accepted} "
            f"web {web / args.n * 1000:.2f} ms CPU/question "
            f"({web_thread / args.n * 1000:.2f} in its own thread), "
            f"worker {worker / max(1, accepted) * 1000:.2f} ms CPU/answer "
            f"(worker wall {wall:.1f} s), load {os.getloadavg()[0]:.2f}"
        )
        if prof:
            import pstats

            pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
    finally:
        standin.close()


if __name__ == "__main__":
    main()
