"""PostgreSQL LISTEN/NOTIFY: a worker in another process starts on new work at once.

The workers here poll only every 30 s and are not the app's own (so the webhook cannot wake
them in-process): a reply within seconds can only come from the NOTIFY in the webhook's (or
the enqueuing feature's) transaction. SQLite has no LISTEN; there the short poll wakes the
workers (tests/test_webhook.py, tests/test_worker_process.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.pipeline import outbox, wakeup
from bot.pipeline.worker import EventWorker
from tests import builders

USER = "U" + "d" * 32
SLOW_POLL = 30.0


@pytest.fixture
def listening_worker(services) -> Iterator[EventWorker]:
    if not wakeup.supported(services.db.engine):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite workers poll")
    worker = EventWorker(services, threads=1, poll_seconds=SLOW_POLL)
    worker.ensure_started()
    try:
        assert worker.listening.wait(5), "the LISTEN connection did not come up"
        # Its first claims (at start) are done and it is waiting: from now on only a
        # notification, or the 30 s poll, makes it look at the database again.
        time.sleep(0.5)
        yield worker
    finally:
        worker.stop()


def wait_for(condition, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds and not condition():
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_webhook_wakes_a_worker_of_another_process_at_once(listening_worker, client, line_api):
    token = line_api.issue_reply_token(USER)
    raw = builders.body(builders.text(USER, "ドローンとは", token))
    response = client.post(
        "/callback",
        data=raw,
        headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
    )
    assert response.status_code == 200
    took = wait_for(lambda: line_api.replies(), 5.0)
    assert [r["replyToken"] for r in line_api.replies()] == [token]
    assert took < 5.0  # far below the 30 s poll: the NOTIFY woke it


def test_a_push_queued_elsewhere_is_sent_without_waiting_for_the_poll(
    listening_worker, services, line_api
):
    """The scheduler process queues a broadcast's pushes; the worker sends them at once."""
    with services.db.session() as session:
        outbox.enqueue_push(session, USER, [{"type": "text", "text": "お知らせ"}], origin="test:1")
    took = wait_for(lambda: line_api.attempts("/v2/bot/message/push"), 5.0)
    assert [a.status for a in line_api.attempts("/v2/bot/message/push")] == [200]
    assert took < 5.0
