"""The stand-in answers the real line-bot-sdk client the way LINE does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from linebot.v3.insight import ApiClient as InsightApiClient
from linebot.v3.insight import Configuration as InsightConfiguration
from linebot.v3.insight import Insight
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    FlexBox,
    FlexBubble,
    FlexMessage,
    FlexText,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from werkzeug.serving import make_server

from simulator.line_api import LineApiStandin, RunningStandin, create_blueprint, serve_standin

TOKEN = "test-token"
RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def running() -> Iterator[RunningStandin]:
    with serve_standin(LineApiStandin(TOKEN)) as running:
        yield running


@pytest.fixture
def standin(running: RunningStandin) -> LineApiStandin:
    return running.standin


@pytest.fixture
def client(running: RunningStandin) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=running.url, access_token=TOKEN)) as client:
        yield client


@pytest.fixture
def api(client: ApiClient) -> MessagingApi:
    return MessagingApi(client)


def text(value: str = "こんにちは") -> TextMessage:
    return TextMessage(text=value)


def test_valid_reply_is_recorded_and_answered_like_line(
    api: MessagingApi, standin: LineApiStandin
) -> None:
    token = standin.issue_reply_token("U1")
    response = api.reply_message_with_http_info(
        ReplyMessageRequest(reply_token=token, messages=[text(), text("2")])
    )
    assert response.status_code == 200
    assert [m.id for m in response.data.sent_messages] == [
        "600000000000000001",
        "600000000000000002",
    ]
    assert all(m.quote_token for m in response.data.sent_messages)
    assert standin.replies()[0]["messages"][0] == {"type": "text", "text": "こんにちは"}
    assert standin.messages_for("U1") == [
        {"type": "text", "text": "こんにちは"},
        {"type": "text", "text": "2"},
    ]
    [recorded] = standin.requests
    assert (recorded.method, recorded.path, recorded.status) == (
        "POST",
        "/v2/bot/message/reply",
        200,
    )
    assert recorded.headers["Authorization"] == f"Bearer {TOKEN}"
    assert recorded.errors == ()


def test_invalid_body_is_400_with_line_style_details(
    api: MessagingApi, standin: LineApiStandin
) -> None:
    token = standin.issue_reply_token("U1")
    flex = FlexMessage(
        alt_text="x", contents=FlexBubble(body=FlexBox(layout="vertical", contents=[FlexText()]))
    )
    with pytest.raises(ApiException) as caught:
        api.reply_message(
            ReplyMessageRequest(reply_token=token, messages=[text("あ" * 5001), flex])
        )
    assert caught.value.status == 400
    assert json.loads(caught.value.body) == {
        "message": "The request body has 2 error(s)",
        "details": [
            {"message": "Length must be between 0 and 5000", "property": "messages[0].text"},
            {
                "message": "must be specified",
                "property": "messages[1].contents.body.contents[0].text",
            },
        ],
    }
    assert standin.replies() == []
    assert standin.requests[0].errors == (
        "messages[0].text: Length must be between 0 and 5000",
        "messages[1].contents.body.contents[0].text: must be specified",
    )
    # A rejected request does not use up the reply token.
    api.reply_message(ReplyMessageRequest(reply_token=token, messages=[text()]))


def test_wrong_or_missing_token_is_401(running: RunningStandin, standin: LineApiStandin) -> None:
    configuration = Configuration(host=running.url, access_token="wrong")
    with ApiClient(configuration) as client, pytest.raises(ApiException) as caught:
        MessagingApi(client).push_message(PushMessageRequest(to="U1", messages=[text()]))
    assert caught.value.status == 401
    assert json.loads(caught.value.body)["message"].startswith("Authentication failed")
    missing = requests.get(f"{running.url}/v2/bot/info", timeout=5)
    assert missing.status_code == 401
    assert "Authorization header required" in missing.json()["message"]
    assert standin.pushes() == []


def test_reply_tokens_are_single_use_and_must_be_issued(
    api: MessagingApi, standin: LineApiStandin
) -> None:
    token = standin.issue_reply_token("U1")
    api.reply_message(ReplyMessageRequest(reply_token=token, messages=[text()]))
    for used_or_unknown in (token, "never-issued"):
        with pytest.raises(ApiException) as caught:
            api.reply_message(ReplyMessageRequest(reply_token=used_or_unknown, messages=[text()]))
        assert caught.value.status == 400
        assert json.loads(caught.value.body) == {"message": "Invalid reply token"}
    standin.strict_reply_tokens = False
    api.reply_message(ReplyMessageRequest(reply_token="anything", messages=[text("x")]))
    assert len(standin.replies()) == 2
    assert standin.messages_for("U1") == [{"type": "text", "text": "こんにちは"}]


@pytest.mark.parametrize("status", [429, 500])
def test_fail_next_reaches_the_sdk(
    api: MessagingApi, standin: LineApiStandin, status: int
) -> None:
    standin.fail_next(2, status=status, path_contains="/message/push")
    api.get_bot_info()  # not matched: answered normally
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            api.push_message(PushMessageRequest(to="U1", messages=[text()]))
        assert caught.value.status == status
    assert (caught.value.headers.get("Retry-After") == "1") is (status == 429)
    api.push_message(PushMessageRequest(to="U1", messages=[text()]))
    assert [r.status for r in standin.requests] == [200, status, status, 200]
    assert len(standin.pushes()) == 1


def test_fail_next_custom_body(api: MessagingApi, standin: LineApiStandin) -> None:
    standin.fail_next(status=429, body={"message": "You have reached your monthly limit."})
    with pytest.raises(ApiException) as caught:
        api.push_message(PushMessageRequest(to="U1", messages=[text()]))
    assert json.loads(caught.value.body) == {"message": "You have reached your monthly limit."}


def test_latency_and_fault_delay(api: MessagingApi, standin: LineApiStandin) -> None:
    standin.latency = 0.2
    started = time.monotonic()
    api.get_bot_info()
    assert time.monotonic() - started >= 0.2
    standin.latency = 0.0
    standin.fail_next(status=500, delay=0.2)
    started = time.monotonic()
    with pytest.raises(ApiException):
        api.get_bot_info()
    assert time.monotonic() - started >= 0.2


def test_retry_key_already_accepted_is_409(api: MessagingApi, standin: LineApiStandin) -> None:
    request = PushMessageRequest(to="U1", messages=[text()])
    standin.fail_next(status=500)
    with pytest.raises(ApiException):
        api.push_message(request, x_line_retry_key=RETRY_KEY)  # failed: key not accepted
    first = api.push_message(request, x_line_retry_key=RETRY_KEY)
    with pytest.raises(ApiException) as caught:
        api.push_message(request, x_line_retry_key=RETRY_KEY)
    assert caught.value.status == 409
    body = json.loads(caught.value.body)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"][0]["id"] == first.sent_messages[0].id
    assert standin.requests[-1].headers["X-Line-Retry-Key"] == RETRY_KEY
    multicast = MulticastRequest(to=["U1", "U2"], messages=[text("m")])
    api.multicast(multicast, x_line_retry_key=RETRY_KEY.replace("1", "2"))
    with pytest.raises(ApiException) as caught:
        api.multicast(multicast, x_line_retry_key=RETRY_KEY.replace("1", "2"))
    assert caught.value.status == 409
    assert standin.messages_for("U2") == [{"type": "text", "text": "m"}]
    assert len(standin.messages_for("U1")) == 2


def test_rich_menu_create_upload_and_set_default(
    running: RunningStandin, api: MessagingApi, standin: LineApiStandin
) -> None:
    area = RichMenuArea(
        bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
        action=PostbackAction(data="menu=top"),
    )
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=True,
        name="main",
        chat_bar_text="メニュー",
        areas=[area],
    )
    api.validate_rich_menu_object(menu)
    menu_id = api.create_rich_menu(menu).rich_menu_id
    assert menu_id.startswith("richmenu-")
    with ApiClient(Configuration(host=running.url, access_token=TOKEN)) as data_client:
        blob = MessagingApiBlob(data_client)
        with pytest.raises(ApiException) as caught:  # LINE takes JPEG or PNG only
            blob.set_rich_menu_image(menu_id, b"GIF89a", _headers={"Content-Type": "image/gif"})
        assert caught.value.status == 400
        blob.set_rich_menu_image(menu_id, PNG, _headers={"Content-Type": "image/png"})
    api.set_default_rich_menu(menu_id)
    assert standin.default_rich_menu_id == menu_id
    assert standin.rich_menu_image(menu_id) == ("image/png", PNG)
    assert api.get_default_rich_menu_id().rich_menu_id == menu_id
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [menu_id]
    with pytest.raises(ApiException) as caught:
        api.set_default_rich_menu("richmenu-unknown")
    assert caught.value.status == 404


def test_read_endpoints(
    running: RunningStandin, api: MessagingApi, standin: LineApiStandin
) -> None:
    standin.set_profile("U1", "伊勢原 太郎", picture_url="https://example.com/p.png")
    profile = api.get_profile("U1")
    assert (profile.display_name, profile.language) == ("伊勢原 太郎", "ja")
    assert api.get_profile("U2").display_name == "テストユーザー"
    assert api.get_message_quota().value == 5000
    api.push_message(PushMessageRequest(to="U1", messages=[text()]))
    api.multicast(MulticastRequest(to=["U1", "U2", "U3"], messages=[text()]))
    assert api.get_message_quota_consumption().total_usage == 4
    standin.total_usage = 42
    assert api.get_message_quota_consumption().total_usage == 42
    assert api.get_bot_info().display_name == "いせはら"
    response = api.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(chat_id="U1", loading_seconds=10)
    )
    assert response.status_code == 202
    standin.set_followers(12_000, blocks=300)
    standin.set_followers(16_000, date="20260331")
    configuration = InsightConfiguration(host=running.url, access_token=TOKEN)
    with InsightApiClient(configuration) as insight_client:
        insight = Insight(insight_client)
        assert insight.get_number_of_followers(var_date="20250401").followers == 12_000
        assert insight.get_number_of_followers(var_date="20250401").targeted_reaches == 11_700
        assert insight.get_number_of_followers(var_date="20260331").followers == 16_000


def test_unknown_endpoint_is_404(running: RunningStandin) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = requests.get(f"{running.url}/v2/bot/nothing", headers=headers, timeout=5)
    assert (response.status_code, response.json()) == (404, {"message": "Not found"})


def test_blueprint_works_under_a_url_prefix() -> None:
    standin = LineApiStandin(TOKEN)
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(standin), url_prefix="/_line")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host = f"http://127.0.0.1:{server.port}/_line"
        with ApiClient(Configuration(host=host, access_token=TOKEN)) as client:
            MessagingApi(client).push_message(PushMessageRequest(to="U1", messages=[text()]))
        assert standin.requests[0].path == "/v2/bot/message/push"
        assert standin.messages_for("U1") == [{"type": "text", "text": "こんにちは"}]
    finally:
        server.shutdown()
        server.server_close()


def test_concurrent_pushes_are_all_recorded(api: MessagingApi, standin: LineApiStandin) -> None:
    def push(i: int) -> None:
        api.push_message(PushMessageRequest(to="U1", messages=[text(str(i))]))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(m["text"]) for m in standin.messages_for("U1")) == list(range(20))
    standin.clear()
    assert standin.requests == [] and standin.messages_for("U1") == []


def test_insight_followers_answers_unready_and_out_of_service_with_the_status_only(
    running: RunningStandin, standin: LineApiStandin
) -> None:
    standin.set_followers(20_000, blocks=100)
    standin.set_followers_status("unready", date="20261201")
    standin.set_followers_status("out_of_service", date="20161031")
    with InsightApiClient(InsightConfiguration(host=running.url, access_token=TOKEN)) as c:
        insight = Insight(c)
        unready = insight.get_number_of_followers(var_date="20261201")
        assert (unready.status, unready.followers, unready.blocks) == ("unready", None, None)
        assert insight.get_number_of_followers(var_date="20161031").status == "out_of_service"
        ready = insight.get_number_of_followers(var_date="20261130")
        assert (ready.status, ready.followers, ready.blocks) == ("ready", 20_000, 100)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bad = requests.get(
        f"{running.url}/v2/bot/insight/followers", params={"date": "2026-12-01"},
        headers=headers, timeout=5,
    )  # fmt: skip
    assert bad.status_code == 400  # LINE's yyyyMMdd only
    with pytest.raises(ValueError):
        standin.set_followers_status("ready")
    standin.clear()
    assert standin.handle("GET", "/v2/bot/insight/followers", headers=headers).body == {
        "status": "ready", "followers": 0, "targetedReaches": 0, "blocks": 0,
    }  # fmt: skip


def test_connections_stay_open_between_calls_as_at_line(
    running: RunningStandin, standin: LineApiStandin
) -> None:
    """LINE's API keeps HTTP/1.1 connections alive; so does the stand-in, or every send of
    the SDK's pooled client would pay a new connection that LINE never makes it pay."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(running.url)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=5)
    try:
        ports = []
        for _ in range(3):
            token = standin.issue_reply_token("U" + "1" * 32)
            body = json.dumps({"replyToken": token, "messages": [{"type": "text", "text": "a"}]})
            conn.request(
                "POST",
                "/v2/bot/message/reply",
                body=body,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            )
            answer = conn.getresponse()
            assert answer.status == 200, answer.read()
            assert answer.getheader("Connection", "").lower() != "close"
            answer.read()
            assert conn.sock is not None  # still open after the answer
            ports.append(conn.sock.getsockname()[1])
    finally:
        conn.close()
    assert len(set(ports)) == 1  # one connection served all three
