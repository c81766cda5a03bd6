"""The staff API: auth, segments, preview counts, create/list/get/cancel, clear 400s."""

from __future__ import annotations

import pytest

from bot.segments.vocabulary import load_vocabulary
from tests.segments_helpers import bearer, make_friend, staff_token


@pytest.fixture
def editor(services):
    return bearer(staff_token(services, "editor1", "editor"))


@pytest.fixture
def approver(services):
    return bearer(staff_token(services, "boss", "approver"))


@pytest.fixture
def town(services):
    """Seven friends with different declarations (and two who must never be reached)."""
    make_friend(services, 1, {"age": ["30s"], "area": ["isehara"], "interests": ["childcare"]})
    make_friend(services, 2, {"age": ["30s"], "area": ["oyama"], "interests": ["safety"]})
    make_friend(
        services, 3, {"age": ["60s"], "area": ["isehara"], "interests": ["safety", "health"]}
    )
    make_friend(services, 4, {"area": ["naruse"]})  # age and interests skipped
    make_friend(services, 5)  # never went through 配信設定
    make_friend(services, 6, {"area": ["isehara"]}, stopped=True)  # 配信停止
    make_friend(services, 7, {"area": ["isehara"]}, blocked=True)  # unfollowed


def count(client, headers, segment):
    response = client.post("/api/broadcasts/preview", json={"segment": segment}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["recipients"]


def test_without_a_valid_token_everything_is_401(client):
    assert client.get("/api/segments").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/broadcasts", headers=bad).status_code == 401
    assert client.post("/api/broadcasts", json={"text": "x"}, headers=bad).status_code == 401
    assert "error" in client.get("/api/segments").get_json()


def test_segments_lists_the_vocabulary_with_stable_ids(client, editor):
    body = client.get("/api/segments", headers=editor).get_json()
    ids = [a["id"] for a in body["attributes"]]
    assert ids == ["age", "area", "interests"]
    area = body["attributes"][1]
    assert area["multiple"] is False
    assert {"id": "hibita", "label": "比々多"} in area["options"]
    assert body["attributes"][2]["multiple"] is True
    vocab = load_vocabulary()
    assert body == vocab.as_json()


def test_preview_counts_follow_the_segment_rules(client, editor, town):
    assert count(client, editor, {}) == 5  # every friend, minus stopped and blocked
    assert count(client, editor, {"area": ["isehara"]}) == 2
    assert count(client, editor, {"area": ["isehara", "oyama"]}) == 3  # OR within
    assert count(client, editor, {"area": ["isehara"], "interests": ["safety"]}) == 1  # AND
    assert count(client, editor, {"age": ["30s", "60s"], "interests": ["safety"]}) == 2
    assert count(client, editor, {"age": ["20s"]}) == 0
    # No declaration of a filtered attribute: not a recipient.
    assert count(client, editor, {"interests": ["safety", "childcare", "health"]}) == 3
    assert count(client, editor, {"area": []}) == 5  # an empty list filters nothing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "text"),
        ({"text": "あ" * 5001, "segment": {"area": ["isehara"]}}, "5,000"),
        ({"text": "x", "segment": {"colour": ["red"]}}, "colour"),
        ({"text": "x", "segment": {"area": ["tokyo"]}}, "tokyo"),
        ({"text": "x", "segment": {"area": "isehara"}}, "配列"),
        ({"text": "x", "segment": {"area": ["oyama"]}, "send_at": "tomorrow"}, "ISO 8601"),
        ({"text": "x", "segment": {"area": ["oyama"]}, "send_at": "2020-01-01T09:00"}, "過去"),
        ({"text": "x", "segment": {"area": ["oyama"]}, "repeat": "daily"}, "weekly"),
        ({"text": "x", "segment": {"area": ["oyama"]}, "colour": 1}, "colour"),
    ],
)
def test_bad_fields_get_a_clear_400(client, editor, body, message):
    response = client.post("/api/broadcasts", json=body, headers=editor)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_not_json_is_a_400(client, editor):
    response = client.post("/api/broadcasts", data="text=hi", headers=editor)
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]


def test_create_list_get_and_cancel(client, editor, town):
    body = {
        "text": "大山地区・伊勢原地区の防災訓練のお知らせ",
        "segment": {"area": ["isehara", "oyama"]},
        "send_at": "2099-01-05T09:00:00+09:00",
    }
    created = client.post("/api/broadcasts", json=body, headers=editor)
    assert created.status_code == 201
    data = created.get_json()
    assert data["status"] == "scheduled" and data["recipients"] == 3
    assert data["send_at"] == "2099-01-05T09:00:00+09:00"
    got = client.get(f"/api/broadcasts/{data['id']}", headers=editor).get_json()
    assert got["delivered"] == 0 and got["failed"] == 0 and got["segment_label"]
    listed = client.get("/api/broadcasts", headers=editor).get_json()["broadcasts"]
    assert [b["id"] for b in listed] == [data["id"]]
    cancelled = client.delete(f"/api/broadcasts/{data['id']}", headers=editor)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.delete(f"/api/broadcasts/{data['id']}", headers=editor)
    assert again.status_code == 409
    assert client.get("/api/broadcasts/9999", headers=editor).status_code == 404


def test_a_time_without_offset_is_tokyo_time(client, editor, town):
    body = {"text": "x", "segment": {"area": ["oyama"]}, "send_at": "2099-03-01T08:30"}
    data = client.post("/api/broadcasts", json=body, headers=editor).get_json()
    assert data["send_at"] == "2099-03-01T08:30:00+09:00"


def test_everyone_needs_an_approver(client, editor, approver, town):
    refused = client.post("/api/broadcasts", json={"text": "全員へ"}, headers=editor)
    assert refused.status_code == 403 and "承認者" in refused.get_json()["error"]
    accepted = client.post("/api/broadcasts", json={"text": "全員へ"}, headers=approver)
    assert accepted.status_code == 201 and accepted.get_json()["recipients"] == 5


def test_console_session_may_call_the_api_only_with_its_csrf_token(runner, client, services):
    from tests.staff.test_staff import add, csrf, login

    add(runner, role="approver")
    login(client)
    assert client.get("/api/segments").status_code == 200  # reads need no token
    refused = client.post("/api/broadcasts/preview", json={"segment": {}})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    page = client.get("/console/broadcasts/new").get_data(as_text=True)
    token = csrf(page)
    ok = client.post(
        "/api/broadcasts/preview", json={"segment": {}}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.get_json() == {"recipients": 0}
