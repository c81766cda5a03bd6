"""The `worker` process of the Procfile (`flask --app app events work`), run for real:
it answers what the webhook recorded, stops cleanly, and loses nothing when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests import builders
from tests.conftest import SECRET, TOKEN

ROOT = Path(__file__).resolve().parent.parent


def start_worker(database_url: str, line_url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_url,
        "LINE_API_DATA_BASE_URL": line_url,
        "DATABASE_URL": database_url,
        "EVENT_LEASE_SECONDS": "2",
        "EVENT_WORKER_THREADS": "2",
        "LINE_SEND_CONCURRENCY": "2",
    }
    env.pop("APP_ENV", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "events", "work"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def post_questions(webhook, count: int) -> list[str]:
    tokens, events = [], []
    for i in range(count):
        user = f"U{i:032x}"
        tokens.append(webhook.token(user))
        events.append(builders.text(user, "マイナンバーカードの目標は？", tokens[-1]))
    assert webhook.post(*events).status_code == 200
    return tokens


def accepted(line_api) -> Counter[str]:
    return Counter(r["replyToken"] for r in line_api.replies())


def test_worker_process_answers_and_stops_cleanly(webhook, settings, line_server, line_api):
    tokens = post_questions(webhook, 5)
    worker = start_worker(settings.database_url, line_server.url)
    try:
        assert wait_for(lambda: set(accepted(line_api)) == set(tokens)), "not all answered"
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    assert "event worker stopped" in output
    assert all(n == 1 for n in accepted(line_api).values())


def test_killed_worker_loses_nothing_and_sends_nothing_twice(
    webhook, settings, line_server, line_api
):
    line_api.latency = 0.3  # LINE is slow: the kill lands while replies are in flight
    tokens = post_questions(webhook, 12)
    first = start_worker(settings.database_url, line_server.url)
    try:
        assert wait_for(lambda: len(accepted(line_api)) >= 2)
        first.kill()  # SIGKILL: no clean-up at all
        first.wait(10)
    finally:
        first.kill()
    assert len(accepted(line_api)) < len(tokens), "the kill came too late to test anything"
    second = start_worker(settings.database_url, line_server.url)
    try:
        assert wait_for(lambda: set(accepted(line_api)) == set(tokens), timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=20)
    counts = accepted(line_api)
    assert set(counts) == set(tokens)
    assert max(counts.values()) == 1, "a citizen got the same answer twice"
