"""The pipeline under faults: leases taken over, retries under steady traffic, database
errors that must not leak user ids, friend state by LINE's timestamps, redeliveries, and
what /healthz, /metrics and `events prune` report."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, text

from app import create_app
from bot.models import Friend, OutboxMessage, OutboxStatus, WebhookEvent
from bot.pipeline import inbox, outbox
from bot.pipeline.worker import EventWorker
from tests import builders

USER = "U" + "c" * 32
PUSH = "/v2/bot/message/push"


def advance(services, seconds: float) -> None:
    services.clock_skew += timedelta(seconds=seconds)


def outbox_rows(services) -> list[OutboxMessage]:
    with services.db.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- ownership ---------------------------------------------------------------------------------


def test_a_sender_whose_lease_was_taken_over_mid_send_changes_nothing(webhook, services):
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, [{"type": "text", "text": "a"}], origin="reminder:1")
    [first] = outbox.claim(services, 10)  # worker A claims, then stalls past its lease
    advance(services, services.settings.lease_seconds + 1)
    [second] = outbox.claim(services, 10)  # worker B takes the row over
    assert second.id == first.id and second.lease_token != first.lease_token
    webhook.line.fail_next(1, status=500, path_contains=PUSH)
    assert outbox.send(services, first) == "lost"  # A's failed attempt is not written
    [row] = outbox_rows(services)
    assert row.status == OutboxStatus.SENDING and row.lease_token == second.lease_token
    assert outbox.send(services, second) == "sent"
    [row] = outbox_rows(services)
    assert row.status == OutboxStatus.SENT and row.last_error is None
    assert [a.status for a in webhook.line.attempts(PUSH)] == [500, 200]


def test_a_handler_whose_event_was_taken_over_writes_nothing(webhook, services):
    token = webhook.token(USER)
    webhook.post(builders.text(USER, "ドローンとは", token))
    stale = inbox.claim(services, 10)  # worker A claims, then stalls past its lease
    advance(services, services.settings.lease_seconds + 1)
    fresh = inbox.claim(services, 10)
    assert inbox.handle(services, fresh) == 1  # worker B answers
    assert inbox.handle(services, stale) == 0  # A's late work is rolled back
    webhook.drain()
    assert len(outbox_rows(services)) == 1
    assert len(webhook.line.replies()) == 1
    assert webhook.line.attempts_after_acceptance() == []


# --- fairness: retries under steady traffic ----------------------------------------------------


def test_due_retries_are_sent_while_new_events_keep_arriving(app, services, line_api):
    """20 questions a second for 3 s while LINE fails 30% of replies (500/429): every one is
    answered, and each retry goes out when its wait is over, not after the traffic."""
    line_api.fail_randomly(0.3, (500, 429), path_contains="/reply", seed=7)
    worker = EventWorker(services, threads=2, poll_seconds=0.05)
    # Two send slots and 80 ms per LINE call: ~25 sends/s for 20 questions/s plus their
    # retries, so a queue forms and the order in which it is served matters.
    worker.send_slots = 2
    line_api.latency = 0.08
    app.extensions["bot.worker"] = worker
    client = app.test_client()
    tokens = []
    started = time.monotonic()
    try:
        for i in range(60):
            user = f"U{i % 20:032x}"
            tokens.append(line_api.issue_reply_token(user))
            raw = builders.body(builders.text(user, "ドローンとは", tokens[-1]))
            sig = builders.sign("test-channel-secret", raw)
            assert (
                client.post("/callback", data=raw, headers={"X-Line-Signature": sig}).status_code
                == 200
            )
            time.sleep(max(0.0, started + (i + 1) / 20 - time.monotonic()))
        traffic_ended = time.monotonic()
        deadline = traffic_ended + 15
        while time.monotonic() < deadline and len(line_api.replies()) < len(tokens):
            time.sleep(0.05)
    finally:
        line_api.fail_randomly(0)
        line_api.latency = 0.0
        worker.stop()
    assert sorted(r["replyToken"] for r in line_api.replies()) == sorted(tokens)
    rows = outbox_rows(services)
    retried = [r for r in rows if r.attempts > 1]
    assert retried, "the fault injection did not fail anything"
    # Fairness by order, not by wall-clock bounds (a loaded machine slows everything alike):
    # a retry, once due, goes out before first attempts that arrived well after it was due.
    # A queue that served new events first would send many of those before it.
    fresh = [r for r in rows if r.attempts == 1]
    margin = timedelta(seconds=1)
    later = [(r, n) for r in retried for n in fresh if n.created_at > r.next_attempt_at + margin]
    overtaken = [(r, n) for r, n in later if n.sent_at < r.sent_at]
    assert later, "no event arrived after a retry was due"
    assert len(overtaken) <= 0.1 * len(later), f"{len(overtaken)} of {len(later)} overtook"
    for row in retried:
        # A generous bound that still fails if a retry waits for the end of the traffic
        # plus a drain: its waits (Retry-After 1 s, or 0.25 s doubling) and 10 s.
        waits = sum(max(1.0, outbox.backoff(k, None)) for k in range(1, row.attempts))
        took = (row.sent_at - row.created_at).total_seconds()
        assert took < waits + 10, f"{row.attempts} attempts, {took:.1f}s"
    assert line_api.attempts_after_acceptance() == []


def test_an_event_whose_handler_fails_leaves_no_partial_writes_and_the_batch_goes_on(
    webhook, services
):
    """A batch is one transaction; when one handler raises after writing, the batch is redone
    with a savepoint per event: that event's writes are rolled back (it gets the apology),
    the others' are kept and answered."""
    from linebot.v3.webhooks import MessageEvent, TextMessageContent

    import handlers
    from bot import answer_stats
    from bot.dispatch import Dispatcher, Predicate, Router
    from bot.models import AnswerCount

    boom = Router("boom")

    says_boom = Predicate(lambda e, _c: e.message.text == "こわれて", "says_boom")

    @boom.on(MessageEvent, message=TextMessageContent, when=says_boom)
    def write_then_fail(event, ctx):
        answer_stats.record(ctx.session, True, ctx.now)  # a write of this event's own …
        ctx.session.add(Friend(line_user_id="U" + "e" * 32))  # … and another
        ctx.session.flush()
        raise RuntimeError("the handler broke after writing")

    services.__dict__["dispatcher"] = Dispatcher([boom, *handlers.ROUTERS])
    broken, fine = "U" + "a" * 32, "U" + "b" * 32
    broken_token, fine_token = webhook.token(broken), webhook.token(fine)
    webhook.post(
        builders.text(broken, "こわれて", broken_token),
        builders.text(fine, "ドローンとは", fine_token),
    )
    webhook.drain()
    assert webhook.replies_to(fine_token), "the other event of the batch is answered"
    assert webhook.replies_to(broken_token), "the broken one gets the apology"
    with services.db.session() as s:
        # Everything written for the broken event is gone: the handler's own writes and the
        # pipeline's (its sender's last_seen_at, written before the handler ran).
        friends = set(s.scalars(select(Friend.line_user_id)))
        assert friends == {fine}
        statuses = dict(s.execute(select(WebhookEvent.user_key, WebhookEvent.status)).all())
        counted = sum(s.scalars(select(AnswerCount.count)))
    assert statuses == {broken: "failed", fine: "done"}
    assert counted == 1  # the good question only: the broken one's count was rolled back


# --- hygiene ----------------------------------------------------------------------------------


def test_a_database_error_never_puts_a_user_id_in_the_logs(webhook, services, caplog):
    """SQLAlchemy's error text carries the statement's parameters unless hide_parameters."""
    with services.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE friends RENAME TO friends_gone"))
    try:
        with caplog.at_level(logging.DEBUG):
            webhook.say("ドローンとは", user=USER)
    finally:
        with services.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE friends_gone RENAME TO friends"))
    assert "failed in its handler" in caplog.text, "the database error did not happen"
    assert USER not in caplog.text
    with services.db.session() as s:
        assert s.scalar(select(WebhookEvent.status)) == "failed"
    assert webhook.line.replies(), "the citizen still gets the apology"


def test_friend_state_follows_lines_timestamps_not_arrival_order(webhook, services):
    follow = builders.follow(USER, webhook.token(USER))
    late_unfollow = builders.unfollow(USER)
    late_unfollow["timestamp"] = follow["timestamp"] - 5_000  # happened before the follow
    webhook.send(follow)
    webhook.post(late_unfollow)
    webhook.drain()
    with services.db.session() as s:
        friend = s.scalar(select(Friend).where(Friend.line_user_id == USER))
    assert friend.state == "friend" and friend.unfollowed_at is None


def test_a_late_redelivery_is_recorded_once_and_answered_by_push(webhook, services):
    event = builders.text(USER, "ドローンとは", webhook.token(USER))
    event["timestamp"] -= 90_000  # LINE redelivers it a minute and a half later
    event["deliveryContext"] = {"isRedelivery": True}
    assert webhook.post(event).status_code == 200
    assert webhook.post(event).status_code == 200  # and once more
    webhook.drain()
    with services.db.session() as s:
        assert s.scalar(select(WebhookEvent.redelivery)) is True
    assert webhook.line.attempts("/v2/bot/message/reply") == []
    assert len(webhook.line.pushes()) == 1


# --- seeing it ----------------------------------------------------------------------------------


def metric(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


def test_metrics_come_from_the_database_and_agree_across_processes(webhook, services, content):
    webhook.say("ドローンとは", user=USER)
    webhook.line.fail_next(1, status=400, body={"message": "Invalid reply token"})
    webhook.say("こんにちは", user=USER)  # reply refused: answered by the push fallback
    webhook.post(builders.unfollow(USER))
    webhook.drain()
    body = webhook.client.get("/metrics").get_data(as_text=True)
    assert metric(body, 'linebot_events_received_total{type="message"}') == 2
    assert metric(body, 'linebot_events_received_total{type="unfollow"}') == 1
    assert metric(body, "linebot_events_answered_total") == 2
    assert metric(body, 'linebot_replies_total{status="sent"}') == 1
    assert metric(body, 'linebot_replies_total{status="failed"}') == 1
    assert metric(body, 'linebot_pushes_total{kind="push",origin="fallback",status="sent"}') == 1
    assert metric(body, 'linebot_queue_depth{queue="events"}') == 0
    assert metric(body, "linebot_answer_latency_seconds_count") == 2
    assert metric(body, 'linebot_answer_latency_seconds_bucket{le="+Inf"}') == 2
    # Another process (a second gunicorn worker, a restart) reads the same figures.
    from bot.services import Services

    other = Services(services.settings, routers=services.routers)
    other.__dict__.update(content)
    again = create_app(services=other).test_client().get("/metrics").get_data(as_text=True)
    assert metric(again, "linebot_events_answered_total") == 2
    other.db.dispose()


def test_metrics_need_the_token_when_one_is_set(webhook, services):
    services.settings = replace(services.settings, metrics_token="s3cret")
    assert webhook.client.get("/metrics").status_code == 401
    ok = webhook.client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and b"linebot_queue_depth" in ok.data


def test_healthz_reports_the_queue_and_is_503_when_it_is_stuck(webhook, services, app):
    webhook.post(builders.text(USER, "ドローンとは", webhook.token(USER)))
    body = webhook.client.get("/healthz").get_json()
    assert body["pending_events"] == 1 and body["workers_alive"] == 0
    advance(services, services.settings.stuck_after_seconds + 1)
    stuck = webhook.client.get("/healthz")
    assert stuck.status_code == 503 and stuck.get_json()["status"] == "stuck"
    worker = EventWorker(services, threads=1, poll_seconds=0.05)
    app.extensions["bot.worker"] = worker
    try:
        worker.ensure_started()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not webhook.line.pushes():
            time.sleep(0.05)
        healthy = webhook.client.get("/healthz")
    finally:
        worker.stop()
    assert healthy.status_code == 200
    assert healthy.get_json()["pending_events"] == 0 and healthy.get_json()["workers_alive"] == 1


def test_prune_deletes_old_handled_events_and_settled_outbox_rows(webhook, services, runner):
    webhook.say("ドローンとは", user=USER)
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, [{"type": "text", "text": "a"}], origin="reminder:2")
    result = runner.invoke(args=["events", "prune", "--days", "1"])
    assert result.exit_code == 0 and "deleted 0 event(s) and 0 outbox row(s)" in result.output
    advance(services, 2 * 86400)
    webhook.post(builders.text(USER, "こんにちは", webhook.token(USER)))  # new, pending
    result = runner.invoke(args=["events", "prune", "--days", "1"])
    assert "deleted 1 event(s) and 1 outbox row(s)" in result.output, result.output
    with services.db.session() as s:
        assert s.scalars(select(WebhookEvent.status)).all() == ["pending"]
        assert [r.origin for r in s.scalars(select(OutboxMessage))] == ["reminder:2"]
    bad = runner.invoke(args=["events", "prune", "--days", "-1"])
    assert bad.exit_code != 0 and "0 or more" in bad.output


def test_pruning_never_makes_a_metrics_counter_go_down(webhook, services, runner):
    """Prometheus reads a counter that went down as a restart from zero: what `events prune`
    deletes stays counted."""
    webhook.say("ドローンとは", user=USER)
    webhook.say("こんにちは", user=USER)
    names = [
        'linebot_events_received_total{type="message"}',
        'linebot_events_handled_total{outcome="done"}',
        "linebot_events_answered_total",
        'linebot_replies_total{status="sent"}',
        "linebot_answer_latency_seconds_count",
        'linebot_answer_latency_seconds_bucket{le="60.0"}',
        "linebot_answer_latency_seconds_sum",
    ]
    before = webhook.client.get("/metrics").get_data(as_text=True)
    assert metric(before, "linebot_events_answered_total") == 2
    advance(services, 2 * 86400)
    result = runner.invoke(args=["events", "prune", "--days", "1"])
    assert "deleted 2 event(s) and 2 outbox row(s)" in result.output, result.output
    after = webhook.client.get("/metrics").get_data(as_text=True)
    for name in names:
        assert metric(after, name) == metric(before, name), name
    webhook.say("ありがとう", user=USER)  # new rows count on top of the pruned ones
    latest = webhook.client.get("/metrics").get_data(as_text=True)
    assert metric(latest, "linebot_events_answered_total") == 3
    assert metric(latest, 'linebot_events_received_total{type="message"}') == 3


def test_a_feature_adds_its_own_collector_read_at_scrape_time(webhook, services):
    from prometheus_client.core import GaugeMetricFamily
    from sqlalchemy import func

    from bot import metrics

    def friends_known(services, session):
        count = session.scalar(select(func.count()).select_from(Friend))
        yield GaugeMetricFamily("linebot_test_friends", "Friends on record", value=count)

    metrics.register(friends_known)
    try:
        assert (
            metric(webhook.client.get("/metrics").get_data(as_text=True), "linebot_test_friends")
            == 0
        )
        webhook.say("こんにちは", user=USER)
        assert (
            metric(webhook.client.get("/metrics").get_data(as_text=True), "linebot_test_friends")
            == 1
        )
    finally:
        metrics._collectors.remove(friends_known)
