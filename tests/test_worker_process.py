"""The `worker` process of the Procfile (`flask --app app events work`), run for real:
it answers what the webhook recorded, stops cleanly, and — three of them on one database, one
killed with SIGKILL mid-traffic — answers every person in order, loses nothing, and never
sends anything again after LINE accepted it (the stand-in records every attempt)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bot.models import PipelineWorker
from tests import builders
from tests.conftest import SECRET, TOKEN

ROOT = Path(__file__).resolve().parent.parent
REPLY = "/v2/bot/message/reply"


def start_worker(database_url: str, line_url: str, log: Path) -> subprocess.Popen[str]:
    """A worker process; its output goes to `log` (a pipe nobody reads could fill up)."""
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_url,
        "LINE_API_DATA_BASE_URL": line_url,
        "DATABASE_URL": database_url,
        "EVENT_LEASE_SECONDS": "4",
        "EVENT_WORKER_THREADS": "1",
        "EVENT_CLAIM_BATCH": "4",
        "LINE_SEND_CONCURRENCY": "4",
        "EVENT_POLL_SECONDS": "0.05",
    }
    env.pop("APP_ENV", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "events", "work", "--nice", "0"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def owner(workers: list[subprocess.Popen[str]], ports: list[int | None]):
    """The worker process whose TCP connection to the stand-in uses one of `ports`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) in ports:
                inodes.add(f"socket:[{fields[9]}]")
    for worker in workers:
        for fd in Path(f"/proc/{worker.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return worker
    return None


def live_workers(database_url: str) -> int:
    """Worker processes whose heartbeat is in the database (they are warm and running)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(PipelineWorker)).scalar_one()
    finally:
        engine.dispose()


def accepted(line_api) -> Counter[str]:
    return Counter(r["replyToken"] for r in line_api.replies())


def test_worker_process_answers_and_stops_cleanly(
    webhook, settings, line_server, line_api, tmp_path
):
    tokens, events = [], []
    for i in range(5):
        user = f"U{i:032x}"
        tokens.append(webhook.token(user))
        events.append(builders.text(user, "マイナンバーカードの目標は？", tokens[-1]))
    assert webhook.post(*events).status_code == 200
    log = tmp_path / "worker.log"
    worker = start_worker(settings.database_url, line_server.url, log)
    try:
        # Start-up (imports, content, engine) can take long on a loaded machine; the answers
        # are what is timed.
        assert wait_for(lambda: live_workers(settings.database_url) == 1, 60), "not started"
        assert wait_for(lambda: set(accepted(line_api)) == set(tokens)), "not all answered"
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    finally:
        worker.kill()
    output = log.read_text()
    assert worker.returncode == 0, output
    assert "event worker stopped" in output
    assert all(n == 1 for n in accepted(line_api).values())


QUESTIONS = ["こんにちは", "ドローンとは", "マイナンバーカードの目標は？", "ありがとう"]


def test_three_workers_one_killed_keep_each_persons_order_and_lose_nothing(
    webhook, settings, line_server, line_api, tmp_path
):
    """12 people each send 4 messages; three worker processes share the queue; one is killed
    while its sends are in flight (held by the stand-in before LINE accepts anything, then
    dropped, as if the requests never arrived)."""
    line_api.latency, line_api.jitter = 0.005, 0.03  # sends overtake each other unless held
    workers = [
        start_worker(settings.database_url, line_server.url, tmp_path / f"worker{n}.log")
        for n in range(3)
    ]
    try:
        # Start-up (imports, content, engine) first: a process starved of CPU while others
        # start could otherwise outlive its lease, which is a different test.
        assert wait_for(lambda: live_workers(settings.database_url) == 3, 60), "no start"
        asked: dict[str, list[str]] = defaultdict(list)  # user -> reply tokens, in order
        for i in range(12):
            user = f"U{i:032x}"
            for question in QUESTIONS:
                token = webhook.token(user)
                asked[user].append(token)
                assert webhook.post(builders.text(user, question, token)).status_code == 200
        everyone = {t for tokens in asked.values() for t in tokens}
        assert wait_for(lambda: len(accepted(line_api)) >= 8), "workers did not start"
        line_api.hold()
        assert wait_for(lambda: line_api.held, 10), "nothing in flight"
        time.sleep(0.5)  # whatever passed the gate before it closed has settled by now
        victim = owner(workers, line_api.held)
        assert victim is not None, "no worker process has a send in flight"
        victim.kill()  # SIGKILL: no clean-up at all
        victim.wait(10)
        line_api.release(drop=True)
        assert len(accepted(line_api)) < len(everyone), "the kill came too late to test anything"
        assert wait_for(lambda: set(accepted(line_api)) == everyone, timeout=25), (
            f"{len(everyone) - len(accepted(line_api))} question(s) never answered"
        )
    finally:
        line_api.release()
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(20)
            except subprocess.TimeoutExpired:
                w.kill()
    assert line_api.attempts_after_acceptance() == [], "a send was attempted after LINE took it"
    assert max(accepted(line_api).values()) == 1
    order = [r.body["replyToken"] for r in line_api.attempts(REPLY) if r.status < 300]
    for user, tokens in asked.items():
        delivered = [t for t in order if t in set(tokens)]
        assert delivered == tokens, f"{user}: answers out of order"
    dropped = [r for r in line_api.attempts(REPLY) if r.status == 503]
    assert dropped, "the killed worker had sends in flight"
