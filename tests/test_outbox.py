"""The outbox as other features use it (push, multicast, outcomes) and as LINE answers it:
retry keys and 409, 429 with Retry-After, 5xx, other 4xx, the month's quota, the push
fallback of a reply LINE would not take. Every send goes through the real SDK client to the
stand-in, which records every attempt."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import OutboxKind, OutboxMessage, OutboxStatus, WebhookEvent
from bot.pipeline import outbox
from tests import builders

USER = "U" + "b" * 32
PUSH = "/v2/bot/message/push"
HELLO = [{"type": "text", "text": "お知らせです"}]


def rows(services) -> list[OutboxMessage]:
    with services.db.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def advance(services, seconds: float) -> None:
    services.clock_skew += timedelta(seconds=seconds)


def test_push_is_sent_once_with_the_retry_key_stored_at_enqueue(webhook, services):
    with services.db.session() as s:
        row_id = outbox.enqueue_push(s, USER, HELLO, origin="reminder:1")
    [row] = rows(services)
    assert row.id == row_id and uuid.UUID(row.retry_key)
    webhook.drain()
    [attempt] = webhook.line.attempts("/v2/bot/message/push")
    assert attempt.status == 200 and attempt.headers["X-Line-Retry-Key"] == row.retry_key
    assert webhook.line.messages_for(USER) == HELLO
    with services.db.session() as s:
        assert outbox.outcomes(s, "reminder:") == {"sent": 1}


def test_multicast_takes_at_most_500_users(webhook, services):
    users = [f"U{i:032x}" for i in range(501)]
    with services.db.session() as s, pytest.raises(ValueError):
        outbox.enqueue_multicast(s, users, HELLO, origin="broadcast:9")
    with services.db.session() as s:
        outbox.enqueue_multicast(s, users[:500], HELLO, origin="broadcast:9")
    webhook.drain()
    [body] = webhook.line.multicasts()
    assert len(body["to"]) == 500
    assert webhook.line.messages_for(users[499]) == HELLO
    assert webhook.line.messages_for(users[500]) == []
    with services.db.session() as s:
        assert outbox.outcomes(s, "broadcast:9") == {"sent": 1}


def test_a_resend_after_an_accepted_attempt_is_answered_409_and_counted_sent(webhook, services):
    """The first attempt reached LINE but its answer was lost (a crash, a timeout): the
    resend carries the same retry key, LINE answers 409, and the user has one message."""
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, HELLO, origin="reminder:2")
    [row] = rows(services)
    services.line.push(USER, HELLO, row.retry_key)  # the attempt whose answer was lost
    webhook.drain()
    statuses = [a.status for a in webhook.line.attempts("/v2/bot/message/push")]
    assert statuses == [200, 409]
    assert webhook.line.messages_for(USER) == HELLO
    assert rows(services)[0].status == OutboxStatus.SENT


def test_429_waits_for_retry_after_and_5xx_backs_off_then_sends(webhook, services):
    webhook.line.fail_next(1, status=429, path_contains=PUSH)  # Retry-After: 1
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, HELLO, origin="reminder:3")
    webhook.drain()
    [row] = rows(services)
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at > row.created_at
    assert webhook.line.pushes() == []
    advance(services, 0.5)
    webhook.drain()
    assert webhook.line.pushes() == [], "Retry-After (1 s) is honoured"
    webhook.line.fail_next(1, status=503, path_contains=PUSH)
    advance(services, 0.6)
    webhook.drain()
    advance(services, 1.0)
    webhook.drain()
    attempts = webhook.line.attempts("/v2/bot/message/push")
    assert [a.status for a in attempts] == [429, 503, 200]
    assert len({a.headers["X-Line-Retry-Key"] for a in attempts}) == 1
    assert webhook.line.attempts_after_acceptance() == []
    assert rows(services)[0].status == OutboxStatus.SENT


def test_other_4xx_fails_with_lines_message_and_is_not_retried(webhook, services):
    webhook.line.fail_next(
        1, status=400, body={"message": "The request body is invalid"}, path_contains=PUSH
    )
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, HELLO, origin="reminder:4")
    webhook.drain()
    advance(services, 60)
    webhook.drain()
    [row] = rows(services)
    assert row.status == OutboxStatus.FAILED and "The request body is invalid" in row.last_error
    assert len(webhook.line.attempts("/v2/bot/message/push")) == 1


def test_spent_quota_refuses_cleanly_before_and_after_asking_line(webhook, services):
    webhook.line.quota = {"type": "limited", "value": 1}
    with services.db.session() as s:
        for n in range(3):
            outbox.enqueue_push(s, f"U{n:032x}", HELLO, origin="broadcast:5")
    webhook.drain()
    with services.db.session() as s:
        assert outbox.outcomes(s, "broadcast:5") == {"sent": 1, "refused": 2}
    assert len(webhook.line.attempts("/v2/bot/message/push")) == 1, "refused without sending"
    # LINE's own answer when the month is spent is 429 "monthly limit": refused, not retried.
    services.quota.__init__(services.line, 60)
    webhook.line.quota = {"type": "none"}
    webhook.line.fail_next(
        1, 429, body={"message": "You have reached your monthly limit."}, path_contains=PUSH
    )
    with services.db.session() as s:
        outbox.enqueue_push(s, USER, HELLO, origin="broadcast:6")
    webhook.drain()
    advance(services, 120)
    webhook.drain()
    with services.db.session() as s:
        assert outbox.outcomes(s, "broadcast:6") == {"refused": 1}


def test_invalid_reply_token_falls_back_to_a_push_counted_apart(webhook, services):
    webhook.line.fail_next(1, status=400, body={"message": "Invalid reply token"})
    webhook.say("ドローンとは", user=USER)
    reply, fallback = rows(services)
    assert reply.kind == OutboxKind.REPLY and reply.status == OutboxStatus.FAILED
    assert fallback.kind == OutboxKind.PUSH and fallback.origin == "fallback"
    assert fallback.status == OutboxStatus.SENT and fallback.recipients == [USER]
    [push] = webhook.line.attempts("/v2/bot/message/push")
    assert push.headers["X-Line-Retry-Key"] == fallback.retry_key
    assert push.body["messages"] == reply.messages
    assert "ドローン" in str(webhook.line.messages_for(USER))
    with services.db.session() as s:
        assert outbox.outcomes(s, "fallback") == {"sent": 1}
        assert outbox.outcomes(s, "reply") == {"failed": 1}


def test_no_fallback_outside_one_to_one_chats_or_when_quota_is_spent(webhook, services):
    group = builders.group_text("C" + "1" * 32, USER, "ドローンとは", webhook.token(USER))
    webhook.line.fail_next(1, status=400, body={"message": "Invalid reply token"})
    webhook.send(group)
    assert webhook.line.attempts("/v2/bot/message/push") == []
    webhook.line.quota = {"type": "limited", "value": 0}
    webhook.line.fail_next(1, status=400, body={"message": "Invalid reply token"})
    webhook.say("ドローンとは", user=USER)
    assert webhook.line.pushes() == []
    with services.db.session() as s:
        assert outbox.outcomes(s, "fallback") == {"refused": 1}


def test_an_event_past_its_reply_window_is_answered_by_push_never_by_reply(webhook, services):
    event = builders.text(USER, "ドローンとは", webhook.token(USER))
    event["timestamp"] -= 120_000  # LINE's timestamp: two minutes ago
    webhook.send(event)
    assert webhook.line.attempts("/v2/bot/message/reply") == []
    [push] = webhook.line.pushes()
    assert push["to"] == USER and "ドローン" in str(push["messages"])


def test_with_the_fallback_off_a_late_event_is_not_run_through_the_engine(webhook, services):
    services.settings = replace(services.settings, push_fallback=False)
    event = builders.text(USER, "ドローンとは", webhook.token(USER))
    event["timestamp"] -= 120_000
    webhook.send(event)
    assert webhook.line.requests == []
    assert rows(services) == []
    with services.db.session() as s:
        assert s.scalar(select(WebhookEvent.handler)) == "expired"


def test_a_reply_that_timed_out_after_line_took_it_gets_no_second_answer(webhook, services):
    """LINE accepted the reply but answered after the client's timeout: the retry finds the
    token used, and no fallback push follows (the person already has their answer)."""
    webhook.line.answer_delay = 2.5  # longer than the 2 s client timeout
    webhook.say("ドローンとは", user=USER)
    webhook.line.answer_delay = 0.0
    [reply] = rows(services)
    assert reply.status == OutboxStatus.PENDING and reply.in_doubt
    advance(services, 5)
    webhook.drain()
    assert [r.status for r in rows(services)] == [OutboxStatus.FAILED]
    assert webhook.line.attempts(PUSH) == []
    assert len(webhook.line.messages_for(USER)) == len(reply.messages)
