"""Delivery: run-due sends each due broadcast once, in chunks of ≤ 500 through the outbox,
with stored retry keys; faults, quota, unfollows, repeats and test sends."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.broadcasts.delivery import run_due
from bot.broadcasts.models import Broadcast
from bot.friends import unfollow
from bot.models import OutboxMessage
from bot.staff import accounts
from tests.segments_helpers import bearer, make_friend, make_friends, staff_token, user

MULTICAST = "/v2/bot/message/multicast"


def create(client, headers, **body):
    body.setdefault("text", "伊勢原地区のお知らせ")
    response = client.post("/api/broadcasts", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def received(line_api, uid):
    return [m["text"] for m in line_api.messages_for(uid)]


def test_run_due_sends_once_to_each_matching_friend(client, runner, services, line_api):
    token = bearer(staff_token(services))
    isehara = [make_friend(services, n, {"area": ["isehara"]}) for n in range(1, 4)]
    other = make_friend(services, 10, {"area": ["oyama"]})
    stopped = make_friend(services, 11, {"area": ["isehara"]}, stopped=True)
    bid = create(client, token, segment={"area": ["isehara"]})
    result = runner.invoke(args=["broadcasts", "run-due"])
    assert result.exit_code == 0, result.output
    assert f"broadcast {bid}: sent" in result.output
    for uid in isehara:
        assert received(line_api, uid) == ["伊勢原地区のお知らせ"]
    assert received(line_api, other) == [] and received(line_api, stopped) == []
    data = client.get(f"/api/broadcasts/{bid}", headers=token).get_json()
    assert (data["status"], data["recipients"], data["delivered"], data["failed"]) == (
        "sent",
        3,
        3,
        0,
    )
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'linebot_broadcasts{status="sent"} 1.0' in metrics
    assert 'linebot_broadcast_messages{outcome="delivered"} 3.0' in metrics
    # Twice: nothing more goes out.
    assert "nothing due" in runner.invoke(args=["broadcasts", "run-due"]).output
    assert len(line_api.multicasts()) == 1


def test_chunks_of_500_each_with_its_stored_retry_key(client, services, line_api):
    token = bearer(staff_token(services, "boss", "approver"))
    uids = make_friends(services, range(1, 1002), {"area": ["naruse"]})
    bid = create(client, token, segment={"area": ["naruse"]})
    run_due(services)
    sizes = sorted(len(body["to"]) for body in line_api.multicasts())
    assert sizes == [1, 500, 500]
    keys = [r.headers.get("X-Line-Retry-Key") for r in line_api.requests if r.path == MULTICAST]
    with services.db.session() as session:
        stored = set(
            session.scalars(
                select(OutboxMessage.retry_key).where(OutboxMessage.origin == f"broadcast:{bid}")
            )
        )
    assert set(keys) == stored and len(stored) == 3
    counts = Counter(uid for body in line_api.multicasts() for uid in body["to"])
    assert set(counts) == set(uids) and set(counts.values()) == {1}


def test_5xx_and_429_are_retried_and_nobody_gets_it_twice(client, services, line_api):
    token = bearer(staff_token(services))
    uids = make_friends(services, range(1, 502), {"interests": ["health"]})
    bid = create(client, token, segment={"interests": ["health"]})
    line_api.fail_next(2, 500, path_contains="multicast")
    line_api.fail_next(1, 429, path_contains="multicast")
    report = run_due(services)
    assert report.settled[bid] == "sent"
    counts = Counter(uid for body in line_api.multicasts() for uid in body["to"])
    assert all(counts[uid] == 1 for uid in uids)
    assert len([r for r in line_api.requests if r.path == MULTICAST]) == 3 + 2


def test_an_accepted_retry_key_counts_as_delivered(client, services, line_api):
    """A crash after LINE accepted a chunk: the retry answers 409 and counts as sent."""
    token = bearer(staff_token(services))
    uids = [make_friend(services, n, {"area": ["ota"]}) for n in range(1, 4)]
    bid = create(client, token, segment={"area": ["ota"]})
    from bot.broadcasts.delivery import queue_chunks, start

    start(services, bid)
    queue_chunks(services, bid)
    with services.db.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.origin == f"broadcast:{bid}")
        ).one()
        services.line.multicast(row.recipients, row.messages, row.retry_key)  # the lost attempt
    assert run_due(services).settled[bid] == "sent"
    statuses = [r.status for r in line_api.requests if r.path == MULTICAST]
    assert statuses == [200, 409]
    assert all(len(line_api.messages_for(uid)) == 1 for uid in uids)
    with services.db.session() as session:
        assert session.get(Broadcast, bid).delivered == 3


def test_other_4xx_fail_the_chunk_with_lines_message(client, services, line_api):
    token = bearer(staff_token(services))
    make_friend(services, 1, {"area": ["ota"]})
    bid = create(client, token, segment={"area": ["ota"]})
    line_api.fail_next(1, 400, body={"message": "Invalid request body"}, path_contains="multicast")
    assert run_due(services).settled[bid] == "failed"
    data = client.get(f"/api/broadcasts/{bid}", headers=token).get_json()
    assert data["failed"] == 1 and data["delivered"] == 0
    assert "Invalid request body" in data["error"]


def test_quota_is_checked_before_sending(client, services, line_api):
    token = bearer(staff_token(services))
    for n in range(1, 6):
        make_friend(services, n, {"area": ["oyama"]})
    line_api.quota = {"type": "limited", "value": 10}
    line_api.total_usage = 8
    refused = client.post(
        "/api/broadcasts", json={"text": "x", "segment": {"area": ["oyama"]}}, headers=token
    )
    assert refused.status_code == 400 and "今月の送信可能数" in refused.get_json()["error"]
    # Scheduled earlier, due now: refused at send time with the same reason.
    bid = create(client, token, segment={"area": ["oyama"]}, send_at="2099-01-01T00:00:00Z")
    with services.db.session() as session:
        session.get(Broadcast, bid).send_at = services.clock() - timedelta(seconds=1)
    assert run_due(services).settled == {}
    data = client.get(f"/api/broadcasts/{bid}", headers=token).get_json()
    assert data["status"] == "failed" and "上限 10通" in data["error"]
    assert line_api.multicasts() == []
    line_api.quota = {"type": "none"}
    line_api.total_usage = None


def test_unfollow_stops_delivery_and_blocks_after_are_counted(client, services, line_api):
    token = bearer(staff_token(services))
    stays = make_friend(services, 1, {"area": ["hibita"]})
    leaves_before = make_friend(services, 2, {"area": ["hibita"]})
    leaves_after = make_friend(services, 3, {"area": ["hibita"]})
    bid = create(client, token, segment={"area": ["hibita"]}, send_at="2099-01-01T00:00:00Z")
    with services.db.session() as session:
        unfollow(session, leaves_before, services.clock())
        session.get(Broadcast, bid).send_at = services.clock() - timedelta(seconds=1)
    run_due(services)
    assert received(line_api, leaves_before) == []
    with services.db.session() as session:
        unfollow(session, leaves_after, services.clock() + timedelta(minutes=5))
    data = client.get(f"/api/broadcasts/{bid}", headers=token).get_json()
    assert data["recipients"] == 2 and data["delivered"] == 2 and data["unfollows_24h"] == 1
    assert received(line_api, stays) == ["伊勢原地区のお知らせ"]


def test_a_weekly_broadcast_sends_an_occurrence_and_moves_on(client, services, line_api):
    token = bearer(staff_token(services))
    uid = make_friend(services, 1, {"area": ["isehara"]})
    bid = create(
        client, token, segment={"area": ["isehara"]}, send_at="2099-01-01T09:00", repeat="weekly"
    )
    first = services.clock() - timedelta(seconds=1)
    with services.db.session() as session:
        session.get(Broadcast, bid).send_at = first
    run_due(services)
    run_due(services)
    assert received(line_api, uid) == ["伊勢原地区のお知らせ"]
    with services.db.session() as session:
        series = session.get(Broadcast, bid)
        assert series.status == "scheduled" and series.send_at == first + timedelta(days=7)
        occurrence = session.scalars(select(Broadcast).where(Broadcast.parent_id == bid)).one()
        assert occurrence.status == "sent" and occurrence.delivered == 1


def test_test_send_pushes_to_the_staff_members_own_line(client, services, line_api):
    token = bearer(staff_token(services))
    no_id = client.post("/api/broadcasts/test", json={"text": "試験"}, headers=token)
    assert no_id.status_code == 400 and "自分の設定" in no_id.get_json()["error"]
    with services.db.session() as session:
        accounts.set_line_user_id(session, 1, user(77))
    ok = client.post("/api/broadcasts/test", json={"text": "試験送信です"}, headers=token)
    assert ok.status_code == 200
    run_due(services)  # drives the outbox (the worker's job in production)
    from bot.pipeline.worker import run_until_idle

    run_until_idle(services)
    assert received(line_api, user(77)) == ["試験送信です"]


def test_data_deletion_erases_delivery_history(client, services, line_api, webhook):
    token = bearer(staff_token(services))
    uid = user(5)
    webhook.say("配信設定", uid)
    webhook.say("同意して進む", uid)
    webhook.say("スキップ", uid)
    webhook.say("大田", uid)
    webhook.say("完了", uid)
    other = make_friend(services, 6, {"area": ["ota"]})
    bid = create(client, token, segment={"area": ["ota"]})
    run_due(services)
    assert received(line_api, uid)[-1] == "伊勢原地区のお知らせ"  # after the dialog's replies
    webhook.say("データ削除", uid)
    done = webhook.say("削除する", uid)[0]["text"]
    assert "配信履歴：1件" in done
    with services.db.session() as session:
        from bot.broadcasts.models import BroadcastRecipient

        kept = session.scalars(select(BroadcastRecipient.broadcast_id)).all()
        assert kept == [bid]  # only the other recipient's row
        chunk = session.scalars(
            select(OutboxMessage.recipients).where(OutboxMessage.origin == f"broadcast:{bid}")
        ).one()
        assert chunk == [other]
    # Counts already settled stay; the person is simply no longer in them.
    assert client.get(f"/api/broadcasts/{bid}", headers=token).get_json()["delivered"] == 2


def test_queueing_resumes_after_a_crash_between_batches(client, services, line_api, monkeypatch):
    """A runner dies after its first batch of chunks: the next run queues the rest, and
    every recipient still gets the broadcast exactly once."""
    from bot.broadcasts import delivery

    monkeypatch.setattr(delivery, "FIRST_BATCH", 2)  # one chunk per batch (small test)
    monkeypatch.setattr(delivery, "LARGEST_BATCH", 2)
    token = bearer(staff_token(services, "boss", "approver"))
    uids = make_friends(services, range(1, 1502), {"area": ["naruse"]})
    bid = create(client, token, segment={"area": ["naruse"]})
    assert delivery.start(services, bid) == bid
    dying = delivery.chunk_batches(services, bid)
    assert next(dying) == 1  # committed; then the process is killed
    assert delivery.settle(services, bid).queued is False  # not finished: chunks missing
    assert run_due(services).settled[bid] == "sent"
    counts = Counter(uid for body in line_api.multicasts() for uid in body["to"])
    assert set(counts) == set(uids) and set(counts.values()) == {1}
    assert sorted(len(body["to"]) for body in line_api.multicasts()) == [1, 500, 500, 500]
    with services.db.session() as session:
        row = session.get(Broadcast, bid)
        assert (row.recipients, row.delivered, row.failed) == (1501, 1501, 0)
