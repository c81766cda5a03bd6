"""The simulator's server side: webhook events as LINE builds and signs them, and the JSON API.

/simulator/api/send posts over real HTTP to the app's own /callback, which the Flask test
client cannot serve; here `requests.post` is routed into the test client instead, so the real
signing and the real webhook check still meet. The browser test covers the live path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from linebot.v3.webhook import SignatureValidator, WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from app import create_app
from bot.config import Settings
from simulator import web
from simulator.web import Simulator, build_event, new_user_id, signed_body

SECRET = "simulator-test-secret"
TOKEN = "simulator-test-token"
USER = "U" + "0123456789abcdef" * 2


# ---------------------------------------------------------------------- events and signing


def test_user_ids_look_like_line_ids() -> None:
    ids = {new_user_id() for _ in range(20)}
    assert len(ids) == 20
    for user_id in ids:
        assert user_id.startswith("U") and len(user_id) == 33
        int(user_id[1:], 16)
        assert user_id[1:] == user_id[1:].lower()


def test_signed_body_verifies_and_parses_with_the_sdk() -> None:
    events = [
        build_event("message", USER, "token-1", text="マイナカード\n交付率は？"),
        build_event("postback", USER, "token-2", data="pols"),
        build_event("follow", USER, "token-3", unblocked=True),
        build_event("unfollow", USER),
    ]
    body, signature = signed_body(SECRET, "Ubot", *events)

    assert SignatureValidator(SECRET).validate(body, signature)
    assert not SignatureValidator("another-secret").validate(body, signature)
    parsed = WebhookParser(SECRET).parse(body, signature)
    message, postback, follow, unfollow = parsed
    assert isinstance(message, MessageEvent) and isinstance(message.message, TextMessageContent)
    assert message.message.text == "マイナカード\n交付率は？"
    assert message.reply_token == "token-1"
    assert isinstance(postback, PostbackEvent) and postback.postback.data == "pols"
    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is True
    assert isinstance(unfollow, UnfollowEvent) and "replyToken" not in events[3]
    assert {e.source.user_id for e in parsed} == {USER}
    # Japanese is sent as UTF-8 (as LINE does), not as \u escapes: the signature covers bytes.
    assert "マイナカード" in body


def test_events_carry_what_line_sends() -> None:
    first = build_event("message", USER, "t", text="こんにちは", timestamp_ms=1_700_000_000_000)
    second = build_event("message", USER, "t", text="こんにちは")
    assert first["webhookEventId"] != second["webhookEventId"]
    assert len(first["webhookEventId"]) == 26
    assert first["timestamp"] == 1_700_000_000_000
    assert first["mode"] == "active"
    assert first["source"] == {"type": "user", "userId": USER}
    assert first["deliveryContext"] == {"isRedelivery": False}
    assert first["message"]["id"].isdigit() and first["message"]["quoteToken"]
    assert "replyToken" not in build_event("unfollow", USER)


@pytest.mark.parametrize(
    ("kind", "token", "extra"),
    [
        ("message", "t", {}),
        ("postback", "t", {}),
        ("follow", None, {}),
        ("sticker", "t", {}),
    ],
)
def test_incomplete_events_are_refused(
    kind: str, token: str | None, extra: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        build_event(kind, USER, token, **extra)


# ---------------------------------------------------------------------- the JSON API


@pytest.fixture
def app(database_url: str) -> Flask:
    settings = Settings(
        channel_secret=SECRET,
        channel_access_token=TOKEN,
        line_api_base_url="http://127.0.0.1:9/_line",  # never called: the worker is off
        line_api_data_base_url="http://127.0.0.1:9/_line",
        database_url=database_url,
        secret_key="k",
        development=True,
        simulator=True,
        worker="off",
    )
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sim(app: Flask) -> Simulator:
    return app.extensions["simulator"]


def _push(sim: Simulator, to: str, *texts: str) -> None:
    body = {"to": to, "messages": [{"type": "text", "text": t} for t in texts]}
    answer = sim.standin.handle(
        "POST",
        "/v2/bot/message/push",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )
    assert answer.status == 200, answer.body


def _new_user(client: FlaskClient) -> dict[str, Any]:
    response = client.post("/simulator/api/users", json={"name": "大山 花子"})
    assert response.status_code == 201
    return response.get_json()["user"]


def test_users_are_created_with_a_profile(client: FlaskClient, sim: Simulator) -> None:
    user = _new_user(client)
    assert user["name"] == "大山 花子" and user["friend"] == "none"
    assert client.get("/simulator/api/users").get_json()["users"] == [user]
    profile = client.get(
        f"/_line/v2/bot/profile/{user['id']}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert profile.get_json()["displayName"] == "大山 花子"
    unnamed = client.post("/simulator/api/users", json={}).get_json()["user"]
    assert unnamed["name"] and unnamed["id"] != user["id"]


def test_messages_returns_the_bots_messages_after_an_index(
    client: FlaskClient, sim: Simulator
) -> None:
    user, other = _new_user(client), _new_user(client)
    _push(sim, user["id"], "一通目", "二通目")
    _push(sim, other["id"], "ほかの人あて")
    token = sim.reply_token(user["id"])
    answer = sim.standin.handle(
        "POST",
        "/v2/bot/message/reply",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body=json.dumps(
            {"replyToken": token, "messages": [{"type": "text", "text": "返信"}]}
        ).encode(),
    )
    assert answer.status == 200

    everything = client.get(f"/simulator/api/messages?user={user['id']}&after=0").get_json()
    assert [m["text"] for m in everything["messages"]] == ["一通目", "二通目", "返信"]
    assert everything["next"] == 3
    later = client.get(f"/simulator/api/messages?user={user['id']}&after=2").get_json()
    assert later == {"messages": [{"type": "text", "text": "返信"}], "next": 3}
    assert client.get(f"/simulator/api/messages?user={user['id']}&after=3").get_json() == {
        "messages": [],
        "next": 3,
    }
    unknown = client.get("/simulator/api/messages?user=Unobody&after=0")
    assert unknown.status_code == 400


def test_conversation_keeps_both_sides_in_order(client: FlaskClient, sim: Simulator) -> None:
    user = _new_user(client)
    simulated = sim.user(user["id"])
    _push(sim, user["id"], "ようこそ")
    sim.event_for(simulated, {"text": "質問です"})
    sim.event_for(simulated, {"postback": "pols", "displayText": "計画の一覧"})
    _push(sim, user["id"], "答えです")
    # A reply LINE would reject (empty text) shows up as an error in that user's chat.
    token = sim.reply_token(user["id"])
    sim.standin.handle(
        "POST",
        "/v2/bot/message/reply",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body=json.dumps(
            {"replyToken": token, "messages": [{"type": "text", "text": ""}]}
        ).encode(),
    )

    data = client.get(f"/simulator/api/conversation?user={user['id']}&after=0").get_json()
    shown = [
        (e["from"], e.get("text") or e.get("message", {}).get("text")) for e in data["entries"]
    ]
    assert shown[:4] == [
        ("bot", "ようこそ"),
        ("user", "質問です"),
        ("user", "計画の一覧"),
        ("bot", "答えです"),
    ]
    assert shown[4][0] == "system" and "拒否" in shown[4][1]
    assert data["entries"][2]["data"] == "pols"
    assert [e["index"] for e in data["entries"]] == list(range(5))
    again = client.get(f"/simulator/api/conversation?user={user['id']}&after=5").get_json()
    assert again["entries"] == [] and again["next"] == 5


def test_send_posts_a_signed_event_to_the_real_callback(
    client: FlaskClient, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body the simulator signs passes the app's own webhook signature check."""
    calls: list[dict[str, Any]] = []

    class Forwarded:
        def __init__(self, status_code: int, text: str) -> None:
            self.status_code, self.text = status_code, text

    def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> Forwarded:
        calls.append({"url": url, "body": json.loads(data), "headers": headers})
        response = client.post("/callback", data=data, headers=headers)
        return Forwarded(response.status_code, response.get_data(as_text=True))

    monkeypatch.setattr(web.requests, "post", post)
    user = _new_user(client)

    sent = client.post("/simulator/api/send", json={"user": user["id"], "text": "こんにちは"})
    assert sent.status_code == 200 and sent.get_json()["status"] == 200
    followed = client.post("/simulator/api/send", json={"user": user["id"], "event": "follow"})
    assert followed.get_json()["user"]["friend"] == "friend"
    blocked = client.post("/simulator/api/send", json={"user": user["id"], "event": "unfollow"})
    assert blocked.get_json()["user"]["friend"] == "blocked"
    refused = client.post("/simulator/api/send", json={"user": user["id"], "text": "まだ？"})
    assert refused.status_code == 400

    assert calls[0]["url"] == "http://localhost/callback"
    event = calls[0]["body"]["events"][0]
    assert event["message"]["text"] == "こんにちは"
    assert event["replyToken"]
    assert [c["body"]["events"][0]["type"] for c in calls] == ["message", "follow", "unfollow"]
    assert SignatureValidator(SECRET).validate(
        json.dumps(calls[0]["body"], ensure_ascii=False, separators=(",", ":")),
        calls[0]["headers"]["X-Line-Signature"],
    )


def test_send_rejects_bad_requests(client: FlaskClient) -> None:
    user = _new_user(client)
    assert (
        client.post("/simulator/api/send", json={"user": "Unobody", "text": "x"}).status_code
        == 400
    )
    assert (
        client.post("/simulator/api/send", json={"user": user["id"], "text": " "}).status_code
        == 400
    )
    bad_event = client.post("/simulator/api/send", json={"user": user["id"], "event": "join"})
    assert bad_event.status_code == 400
    assert client.post("/simulator/api/send", data="nope").status_code == 400


def test_page_and_rich_menu(client: FlaskClient) -> None:
    page = client.get("/simulator/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "いせはら" in html and "simulator.js" in html
    config = json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["api"] == "/simulator/api"
    menu = config["richMenu"]
    assert menu is not None, "content/richmenu.yaml should load"
    labels = {a["label"]: a["action"] for a in menu["areas"]}
    assert labels["計画の一覧"] == {
        "type": "postback",
        "label": "計画の一覧",
        "data": "pols",
        "displayText": "計画の一覧",
    }
    image = client.get("/simulator/richmenu.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get("/simulator/static/simulator.js").status_code == 200
    assert client.get("/simulator/static/simulator.css").status_code == 200
