"""POST /callback as LINE uses it: signatures, dedupe, every kind of event, LINE failures."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from bot.models import (
    EventStatus,
    Friend,
    FriendEvent,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    WebhookEvent,
)
from tests import builders

USER = "U" + "a" * 32


def count(services, model, *where) -> int:
    with services.db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_bad_or_missing_signature_is_rejected_and_nothing_recorded(webhook, services):
    event = builders.text(USER, "こんにちは", "t1")
    assert webhook.post(event, signature="AAAA").status_code == 400
    raw = builders.body(event)
    missing = webhook.client.post("/callback", data=raw.encode())
    assert missing.status_code == 400
    assert count(services, WebhookEvent) == 0


def test_console_verification_request_gets_200(webhook):
    response = webhook.post()  # LINE's "Verify" button sends an empty events list
    assert response.status_code == 200


def test_body_over_one_megabyte_is_413(webhook):
    raw = builders.body(builders.text(USER, "あ" * 400_000, "t"))
    assert len(raw.encode()) > 1_000_000
    response = webhook.client.post(
        "/callback", data=raw.encode(), headers={"X-Line-Signature": builders.sign("x", raw)}
    )
    assert response.status_code == 413


def test_signed_body_that_is_not_json_is_a_clear_400(webhook):
    raw = "this is not json"
    response = webhook.client.post(
        "/callback",
        data=raw,
        headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


def test_question_is_answered_with_the_initiative_card(webhook):
    messages = webhook.say("取組1-5について教えて", user=USER)
    assert messages and messages[0]["type"] == "flex"
    assert "市LINE公式アカウントの活用の推進" in messages[0]["altText"]


def test_redelivered_event_gets_one_reply_only(webhook, services):
    event = builders.text(USER, "マイナンバーカードとは", webhook.token(USER))
    assert webhook.post(event).status_code == 200
    redelivery = dict(event, deliveryContext={"isRedelivery": True})
    assert webhook.post(redelivery).status_code == 200
    webhook.drain()
    assert len(webhook.line.replies()) == 1
    assert webhook.line.attempts("/v2/bot/message/reply")[0].status == 200
    assert len(webhook.line.attempts("/v2/bot/message/reply")) == 1
    assert count(services, WebhookEvent) == 1


def test_follow_records_friend_and_greets_with_quick_replies(webhook, services):
    webhook.line.set_profile(USER, "伊勢原太郎")
    messages = webhook.follow(USER)
    assert messages, "a new friend is greeted"
    assert any("伊勢原太郎" in m.get("text", "") for m in messages)
    quick = messages[-1].get("quickReply", {}).get("items", [])
    assert 2 <= len(quick) <= 13
    with services.db.session() as s:
        friend = s.scalar(select(Friend).where(Friend.line_user_id == USER))
        assert friend is not None and friend.state == "friend" and friend.followed_at


def test_unfollow_then_refollow_is_recorded_in_the_ledger(webhook, services):
    webhook.follow(USER)
    webhook.post(builders.unfollow(USER))
    webhook.drain()
    with services.db.session() as s:
        friend = s.scalar(select(Friend).where(Friend.line_user_id == USER))
        assert friend.state == "blocked" and friend.unfollowed_at is not None
    webhook.follow(USER, unblocked=True)
    with services.db.session() as s:
        kinds = s.scalars(select(FriendEvent.kind).order_by(FriendEvent.id)).all()
        friend = s.scalar(select(Friend).where(Friend.line_user_id == USER))
    assert kinds == ["follow", "unfollow", "refollow"]
    assert friend.state == "friend"


def test_every_user_heard_from_is_recorded_with_first_and_last_seen(webhook, services):
    webhook.say("こんにちは", user=USER)
    webhook.say("ありがとう", user=USER)
    with services.db.session() as s:
        friend = s.scalar(select(Friend).where(Friend.line_user_id == USER))
    assert friend.first_seen_at <= friend.last_seen_at


def test_sticker_image_and_location_get_a_helpful_reply(webhook):
    for build in (builders.sticker, builders.image, builders.location):
        messages = webhook.send(build(USER, webhook.token(USER)))
        assert messages and messages[0]["type"] == "text"
        assert len(messages[0]["text"]) > 10


def test_group_unknown_and_malformed_events_are_accepted_without_reply(webhook, services):
    group = builders.group_text("C" + "1" * 32, USER, "こんにちは", webhook.token(USER))
    unknown = {
        "type": "brandNewEventType",
        "timestamp": 1,
        "webhookEventId": "01UNKNOWN",
        "mode": "active",
        "source": {"type": "user", "userId": USER},
    }
    malformed = {"type": "message", "webhookEventId": "01BROKEN", "message": {"type": "text"}}
    not_an_object = "garbage"
    response = webhook.client.post(
        "/callback",
        data=(raw := builders.body(group, unknown, malformed, not_an_object)).encode(),
        headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
    )
    assert response.status_code == 200
    webhook.drain()
    assert webhook.line.replies() == []
    assert count(services, WebhookEvent, WebhookEvent.status == EventStatus.DONE) == 3


def test_standby_events_are_recorded_but_never_answered(webhook, services):
    event = builders.text(USER, "こんにちは", webhook.token(USER))
    event["mode"] = "standby"
    assert webhook.send(event) == []
    assert count(services, WebhookEvent, WebhookEvent.handler == "standby") == 1


def test_message_text_is_pruned_after_answering_and_never_logged(webhook, services, caplog):
    secret_text = "ドローンの取組の予定を教えてください"
    with caplog.at_level(logging.DEBUG):
        webhook.say(secret_text, user=USER)
    assert all(secret_text not in r.getMessage() for r in caplog.records)
    with services.db.session() as s:
        stored = s.scalars(select(WebhookEvent.payload)).all()
    assert secret_text not in json.dumps(stored, ensure_ascii=False)


class Clock:
    """Moves the pipeline's clock (the database's, plus a skew) forward."""

    def __init__(self, services) -> None:
        self.services = services

    def advance(self, seconds: float) -> None:
        self.services.clock_skew += timedelta(seconds=seconds)


def replies(services) -> list[OutboxMessage]:
    with services.db.session() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == OutboxKind.REPLY)
                .order_by(OutboxMessage.id)
            )
        )


def test_reply_is_retried_after_429_and_500_and_delivered_once(webhook, services):
    clock = Clock(services)
    webhook.line.fail_next(1, status=429)
    webhook.line.fail_next(1, status=500)
    token = webhook.token(USER)
    webhook.post(builders.text(USER, "ドローンとは", token))
    webhook.drain()
    assert webhook.replies_to(token) == []  # 429: waiting for the retry time
    for _ in range(4):
        clock.advance(10)
        webhook.drain()
    assert len(webhook.replies_to(token)) >= 1
    assert len([r for r in webhook.line.replies() if r["replyToken"] == token]) == 1
    assert webhook.line.attempts_after_acceptance() == []
    [reply] = replies(services)
    assert reply.status == OutboxStatus.SENT and reply.attempts == 3


def test_rejected_reply_is_marked_failed_and_the_event_kept(webhook, services):
    services.settings = replace(services.settings, push_fallback=False)
    webhook.line.fail_next(1, status=400, body={"message": "Invalid reply token"})
    webhook.say("ドローンとは", user=USER)
    [reply] = replies(services)
    with services.db.session() as s:
        event = s.scalar(select(WebhookEvent))
    assert reply.status == OutboxStatus.FAILED and "Invalid reply token" in reply.last_error
    assert event.status == EventStatus.DONE
    assert webhook.line.pushes() == [], "the fallback is off"


def test_reply_gives_up_at_the_deadline_when_line_keeps_failing(webhook, services):
    clock = Clock(services)
    webhook.line.fail_next(100, status=503)
    webhook.say("ドローンとは", user=USER)
    for _ in range(10):
        clock.advance(15)
        webhook.drain()
    [reply] = replies(services)
    assert reply.status == OutboxStatus.EXPIRED


def test_line_timeout_is_retried(webhook, services):
    clock = Clock(services)
    webhook.line.fail_next(1, status=503, delay=2.5)  # longer than the 2 s client timeout
    token = webhook.token(USER)
    webhook.post(builders.text(USER, "ドローンとは", token))
    webhook.drain()
    assert replies(services)[0].status == OutboxStatus.PENDING
    clock.advance(5)
    webhook.drain()
    assert webhook.replies_to(token)


def test_work_left_by_a_dead_process_is_picked_up(webhook, services):
    """An event claimed by a worker that died is handled once its lease runs out."""
    clock = Clock(services)
    from bot.pipeline import inbox

    token = webhook.token(USER)
    webhook.post(builders.text(USER, "ドローンとは", token))
    assert inbox.claim(services, 16)  # claimed, then the process "dies"
    webhook.drain()
    assert webhook.replies_to(token) == []  # still leased to the dead worker
    clock.advance(21)
    webhook.drain()
    assert webhook.replies_to(token)


def test_slow_line_api_never_delays_the_webhook(app, services, line_api):
    """With background workers, the 200 comes before LINE has even been called."""
    from bot.pipeline.worker import EventWorker

    worker = EventWorker(services, threads=2, poll_seconds=0.1)
    app.extensions["bot.worker"] = worker
    line_api.latency = 1.5
    client = app.test_client()
    token = line_api.issue_reply_token(USER)
    raw = builders.body(builders.text(USER, "ドローンとは", token))
    started = time.perf_counter()
    response = client.post(
        "/callback",
        data=raw.encode(),
        headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
    )
    elapsed = time.perf_counter() - started
    try:
        assert response.status_code == 200
        assert elapsed < 0.5, f"webhook took {elapsed:.2f}s"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not line_api.replies():
            time.sleep(0.05)
        assert [r["replyToken"] for r in line_api.replies()] == [token]
    finally:
        worker.stop()


def test_several_workers_share_the_queue_and_answer_each_event_once(webhook, services):
    """Workers in several processes claim from the database: no event is answered twice."""
    import threading

    from bot.pipeline.worker import run_until_idle

    tokens = []
    events = []
    for i in range(12):
        user = f"U{i:032x}"
        tokens.append(webhook.token(user))
        events.append(builders.text(user, "ドローンとは", tokens[-1]))
    assert webhook.post(*events).status_code == 200

    def drain() -> None:
        run_until_idle(services)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    answered = [r["replyToken"] for r in webhook.line.replies()]
    assert sorted(answered) == sorted(tokens)
    assert webhook.line.attempts_after_acceptance() == [], "a reply was attempted twice"


def test_database_outage_is_a_clear_503_so_line_redelivers(services, content, tmp_path):
    """An event that could not be recorded is not accepted: 503, never an HTML 500."""
    import handlers
    from app import create_app
    from bot.services import Services

    broken = Services(
        replace(services.settings, database_url=f"sqlite:///{tmp_path}/no-tables.sqlite3"),
        routers=handlers.ROUTERS,
    )
    broken.__dict__.update(content)
    raw = builders.body(builders.text(USER, "こんにちは", "t"))
    response = (
        create_app(services=broken)
        .test_client()
        .post(
            "/callback",
            data=raw.encode(),
            headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
        )
    )
    assert response.status_code == 503
    assert response.get_json() == {"message": "temporarily unavailable"}
