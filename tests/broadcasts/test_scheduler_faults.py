"""The fault test: the scheduler process (`flask --app app scheduler`) sends three
broadcasts to LINE's stand-in while 20% of sends answer 500 (half of them after LINE had
accepted the request) and LINE's rate limit answers 429; the process is killed with SIGKILL
mid-send and started again. Every recipient gets every broadcast meant for them exactly
once, and nobody gets one that was not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.broadcasts import service
from bot.broadcasts.models import Broadcast
from bot.segments.vocabulary import load_vocabulary
from bot.staff.accounts import Staff
from simulator.line_api import serve_standin
from simulator.throttle import HarshStandin
from tests.conftest import SECRET, TOKEN
from tests.segments_helpers import make_friends

ROOT = Path(__file__).resolve().parents[2]
BOSS = Staff(1, "boss", "approver", None)


@pytest.fixture
def harsh() -> Iterator[tuple[HarshStandin, str]]:
    # 20% server errors; a rate limit of 2/s, so the first burst (3 sends in flight) is
    # always throttled.
    standin = HarshStandin(TOKEN, rate_per_second=2, error_rate=0.2, seed=7, latency=0.05)
    # No monthly limit here: the quota has its own tests (and the outbox's QuotaGuard
    # counts every retry against the month, so heavy throttling would look like a spent
    # quota; reported to the pipeline's owner).
    standin.quota = {"type": "none"}
    with serve_standin(standin) as running:
        yield standin, running.url


def start_scheduler(database_url: str, line_url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_url,
        "LINE_API_DATA_BASE_URL": line_url,
        "DATABASE_URL": database_url,
        "EVENT_WORKER": "off",
        "EVENT_LEASE_SECONDS": "2",
        "LINE_SEND_CONCURRENCY": "3",
        "BROADCAST_POLL_SECONDS": "1",
    }
    env.pop("APP_ENV", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_every_recipient_gets_every_broadcast_exactly_once(services, harsh):
    standin, line_url = harsh
    vocab = load_vocabulary()
    isehara = make_friends(services, range(1, 701), {"area": ["isehara"]})
    oyama = make_friends(services, range(2001, 2201), {"area": ["oyama"]})
    bystanders = make_friends(services, range(3001, 3051), {"area": ["naruse"]})
    now = services.clock()
    plan = {
        "伊勢原地区の皆さまへ": {"area": ["isehara"]},
        "大山地区の皆さまへ": {"area": ["oyama"]},
        "伊勢原・大山の皆さまへ": {"area": ["isehara", "oyama"]},
    }
    with services.db.session() as session:
        for body, segment in plan.items():
            draft = service.validate({"text": body, "segment": segment}, vocab, now)
            service.create(session, BOSS, draft, now)

    first = start_scheduler(services.settings.database_url, line_url)
    try:
        # Kill it once some chunks have gone out but not all (mid-send).
        assert wait_for(lambda: len(standin.multicasts()) >= 2, 60), first.stdout
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    sent_before_restart = len(standin.multicasts())
    assert sent_before_restart < 2 + 1 + 2  # there was work left

    second = start_scheduler(services.settings.database_url, line_url)
    try:

        def all_sent() -> bool:
            with services.db.session() as session:
                statuses = session.scalars(select(Broadcast.status)).all()
            return statuses == ["sent"] * 3

        assert wait_for(all_sent, 120), "broadcasts did not finish"
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)

    received = {uid: Counter(m["text"] for m in standin.messages_for(uid)) for uid in isehara}
    for uid in isehara:
        assert received[uid] == {"伊勢原地区の皆さまへ": 1, "伊勢原・大山の皆さまへ": 1}, uid
    for uid in oyama:
        got = Counter(m["text"] for m in standin.messages_for(uid))
        assert got == {"大山地区の皆さまへ": 1, "伊勢原・大山の皆さまへ": 1}, uid
    for uid in bystanders:
        assert standin.messages_for(uid) == []
    # The faults really happened: throttling, errors before and after acceptance.
    assert standin.throttled > 0 and standin.errors_before > 0 and standin.errors_after > 0
    statuses = Counter(r.status for r in standin.requests if r.path.endswith("multicast"))
    assert statuses[409] >= 1  # a retry of an accepted chunk, counted as delivered
    with services.db.session() as session:
        rows = session.scalars(select(Broadcast).order_by(Broadcast.id)).all()
        assert [(b.recipients, b.delivered, b.failed) for b in rows] == [
            (700, 700, 0),
            (200, 200, 0),
            (900, 900, 0),
        ]
        jobs = session.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert sorted(jobs) == ["broadcasts.run_due", "events.prune", "friends.sync"]
