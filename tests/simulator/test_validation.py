"""simulator.validation accepts what the real SDK builds and rejects what LINE rejects."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexMessage,
    FlexSeparator,
    FlexText,
    MessageAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    TextMessage,
    URIAction,
)

from simulator.validation import find_operation, find_problems, spec, validate_request

REPLY = "/v2/bot/message/reply"


def text_with_quick_replies(count: int = 2) -> TextMessage:
    items = [
        QuickReplyItem(action=PostbackAction(label="予約する", data="a=1", display_text="予約")),
        QuickReplyItem(action=MessageAction(label="ごみの分別", text="ごみの分別")),
    ]
    return TextMessage(text="ご用件を選んでください", quick_reply=QuickReply(items=items[:count]))


def bubble(title: str = "伊勢原市") -> FlexBubble:
    body = FlexBox(
        layout="vertical",
        contents=[
            FlexText(text=title, weight="bold", wrap=True),
            FlexSeparator(margin="md"),
            FlexButton(
                action=URIAction(label="詳しく見る", uri="https://www.city.isehara.kanagawa.jp/")
            ),
            FlexButton(action=PostbackAction(label="予約", data="reserve=1")),
        ],
    )
    return FlexBubble(body=body)


def carousel(count: int = 3) -> FlexMessage:
    bubbles = [bubble(f"取組{i}") for i in range(count)]
    return FlexMessage(alt_text="取組の一覧", contents=FlexCarousel(contents=bubbles))


def reply_body(*messages: Any) -> dict[str, Any]:
    return ReplyMessageRequest(reply_token="token", messages=list(messages)).to_dict()


def errors_for(body: dict[str, Any], path: str = REPLY) -> list[str]:
    return validate_request("POST", path, body)


# -- accepted -----------------------------------------------------------------------


def test_accepts_sdk_built_text_with_quick_replies_and_flex() -> None:
    single = FlexMessage(alt_text="伊勢原市", contents=bubble())
    assert errors_for(reply_body(text_with_quick_replies(), single, carousel(12))) == []


def test_accepts_sdk_built_push_and_multicast() -> None:
    push = PushMessageRequest(to="U1", messages=[carousel(), text_with_quick_replies()])
    assert errors_for(push.to_dict(), "/v2/bot/message/push") == []
    multicast = MulticastRequest(to=[f"U{i}" for i in range(500)], messages=[carousel()])
    assert errors_for(multicast.to_dict(), "/v2/bot/message/multicast") == []


def test_accepts_sdk_built_rich_menu() -> None:
    area = RichMenuArea(
        bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
        action=PostbackAction(data="menu=reserve"),
    )
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=True,
        name="main",
        chat_bar_text="メニュー",
        areas=[area],
    )
    assert validate_request("POST", "/v2/bot/richmenu", menu.to_dict()) == []


def test_text_length_counts_utf16_units() -> None:
    # LINE counts UTF-16 code units: 🍎 is 2 (docs/messaging-api/text-character-count).
    assert errors_for(reply_body(TextMessage(text="🍎" * 2500))) == []
    assert errors_for(reply_body(TextMessage(text="🍎" * 2501))) != []


# -- rejected -----------------------------------------------------------------------


def test_rejects_14_quick_replies() -> None:
    body = reply_body(text_with_quick_replies())
    items = body["messages"][0]["quickReply"]["items"]
    items.extend(copy.deepcopy(items[1]) for _ in range(12))
    assert errors_for(body) == ["messages[0].quickReply.items: Size must be between 0 and 13"]


def test_rejects_21_character_quick_reply_label() -> None:
    body = reply_body(text_with_quick_replies())
    body["messages"][0]["quickReply"]["items"][1]["action"]["label"] = "あ" * 21
    assert errors_for(body) == [
        "messages[0].quickReply.items[1].action.label: Length must be between 1 and 20"
    ]


def test_rejects_5001_character_text() -> None:
    errors = errors_for(reply_body(TextMessage(text="あ" * 5001)))
    assert errors == ["messages[0].text: Length must be between 0 and 5000"]


def test_rejects_6_messages() -> None:
    body = reply_body(TextMessage(text="1"))
    body["messages"] *= 6
    assert errors_for(body) == ["messages: Size must be between 1 and 5"]


def test_rejects_flex_text_without_text() -> None:
    message = FlexMessage(
        alt_text="x", contents=FlexBubble(body=FlexBox(layout="vertical", contents=[FlexText()]))
    )
    assert errors_for(reply_body(message)) == [
        "messages[0].contents.body.contents[0].text: must be specified"
    ]


def test_rejects_unknown_component_deep_inside_a_carousel() -> None:
    body = reply_body(carousel(3))
    inner = {"type": "box", "layout": "horizontal", "contents": [{"type": "textbox", "text": "x"}]}
    body["messages"][0]["contents"]["contents"][2]["body"]["contents"].append(inner)
    [error] = errors_for(body)
    assert error.startswith("messages[0].contents.contents[2].body.contents[4].contents[0].type:")
    assert "must be one of the following values: [box, button, image" in error


def test_rejects_flex_button_action_without_label() -> None:
    message = FlexMessage(
        alt_text="x",
        contents=FlexBubble(
            footer=FlexBox(
                layout="vertical", contents=[FlexButton(action=PostbackAction(data="a"))]
            )
        ),
    )
    assert errors_for(reply_body(message)) == [
        "messages[0].contents.footer.contents[0].action.label: must be specified"
    ]


def test_label_is_optional_where_line_says_so() -> None:
    # Rich menu areas and Flex box actions may omit the label (REF#action-objects).
    box = FlexBox(
        layout="vertical", contents=[FlexText(text="t")], action=PostbackAction(data="a")
    )
    assert errors_for(reply_body(FlexMessage(alt_text="x", contents=FlexBubble(body=box)))) == []


def test_rejects_1501_character_alt_text() -> None:
    body = reply_body(carousel(1))
    body["messages"][0]["altText"] = "あ" * 1501
    assert errors_for(body) == ["messages[0].altText: Length must be between 1 and 1500"]


def test_rejects_13_bubbles() -> None:
    assert errors_for(reply_body(carousel(13))) == [
        "messages[0].contents.contents: Size must be between 1 and 12"
    ]


def test_rejects_301_character_postback_data() -> None:
    body = reply_body(text_with_quick_replies())
    body["messages"][0]["quickReply"]["items"][0]["action"]["data"] = "d" * 301
    assert errors_for(body) == [
        "messages[0].quickReply.items[0].action.data: Length must be between 0 and 300"
    ]


def test_rejects_oversized_bubble_json() -> None:
    texts = [FlexText(text="あ" * 1000) for _ in range(11)]  # ~33 KB of UTF-8
    message = FlexMessage(
        alt_text="x", contents=FlexBubble(body=FlexBox(layout="vertical", contents=texts))
    )
    [error] = errors_for(reply_body(message))
    assert error.startswith("messages[0].contents: JSON size") and "exceeds 30 KB" in error


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "video2"}, "messages[0].type: must be one of the following values: [text,"),
        ({"text": "no type"}, "messages[0].type: must be specified"),
        ({"type": "sticker", "packageId": "1"}, "messages[0].stickerId: must be specified"),
        (
            {
                "type": "text",
                "text": "x",
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {"type": "uri", "label": "a", "uri": "ftp://x"},
                        }
                    ]
                },
            },
            "messages[0].quickReply.items[0].action.uri: must be a URL",
        ),
        (
            {
                "type": "text",
                "text": "x",
                "quickReply": {
                    "items": [{"type": "action", "action": {"type": "jump", "label": "a"}}]
                },
            },
            "messages[0].quickReply.items[0].action.type: must be one of the following values",
        ),
        (
            {
                "type": "flex",
                "altText": "x",
                "contents": {
                    "type": "carousel",
                    "contents": [{"type": "box", "layout": "vertical", "contents": []}],
                },
            },
            "messages[0].contents.contents[0].type: must be 'bubble'",
        ),
        ({"type": "text", "text": ""}, "messages[0].text: May not be empty"),
        ({"type": "text", "text": 5}, "messages[0].text: must be a string"),
    ],
)
def test_rejects_malformed_messages(message: dict[str, Any], expected: str) -> None:
    errors = errors_for({"replyToken": "t", "messages": [message]})
    assert any(error.startswith(expected) for error in errors), errors


def test_rejects_empty_reply_token_and_too_many_multicast_recipients() -> None:
    assert errors_for({"replyToken": "", "messages": [{"type": "text", "text": "x"}]}) == [
        "replyToken: May not be empty"
    ]
    body = {"to": [f"U{i}" for i in range(501)], "messages": [{"type": "text", "text": "x"}]}
    assert errors_for(body, "/v2/bot/message/multicast") == ["to: Size must be between 1 and 500"]
    body = {"to": ["U1", 5, "U3"], "messages": [{"type": "text", "text": "x"}]}
    assert errors_for(body, "/v2/bot/message/multicast") == ["to[1]: must be a string"]


def test_rich_menu_limits() -> None:
    area = {
        "bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
        "action": {"type": "postback", "data": "a"},
    }
    menu = {
        "size": {"width": 2500, "height": 2500},
        "selected": False,
        "name": "n" * 301,
        "chatBarText": "あ" * 15,
        "areas": [area] * 21,
    }
    assert sorted(validate_request("POST", "/v2/bot/richmenu", menu)) == [
        "areas: Size must be between 0 and 20",
        "chatBarText: Length must be between 0 and 14",
        "name: Length must be between 0 and 300",
        "size: must be 800-2500 px wide, >= 250 px high, width/height >= 1.45",
    ]
    assert validate_request("POST", "/v2/bot/richmenu/validate", {}) == [
        f"{key}: must be specified" for key in ("size", "selected", "name", "chatBarText", "areas")
    ]


def test_rich_menu_image_upload_rules() -> None:
    path = "/v2/bot/richmenu/richmenu-1/content"
    assert validate_request("POST", path, b"png", content_type="image/png") == []
    assert validate_request("POST", path, b"x", content_type="text/plain") == [
        "Content-Type: must be image/jpeg or image/png"
    ]
    too_big = b"\0" * (1024 * 1024 + 1)
    assert validate_request("POST", path, too_big, content_type="image/jpeg") == [
        "The image must not be larger than 1 MB"
    ]


def test_other_endpoints() -> None:
    loading = "/v2/bot/chat/loading/start"
    assert validate_request("POST", loading, {"chatId": "U1", "loadingSeconds": 10}) == []
    assert validate_request("POST", loading, {"chatId": "U1", "loadingSeconds": 7}) == [
        "loadingSeconds: must be a multiple of 5"
    ]
    assert validate_request("POST", loading, None) == ["The request body is required"]
    followers = "/v2/bot/insight/followers"
    assert validate_request("GET", followers, None, query={"date": "20250401"}) == []
    assert "date: must match ^[0-9]{8}$" in validate_request(
        "GET", followers, None, query={"date": "2025-04-01"}
    )
    for path in ("/v2/bot/profile/U1", "/v2/bot/message/quota", "/v2/bot/info"):
        assert validate_request("GET", path, None) == []
    recipient = {
        "type": "operator",
        "and": [{"type": "audience", "audienceGroupId": 1}, {"type": "x"}],
    }
    narrowcast = {"messages": [{"type": "text", "text": "x"}], "recipient": recipient}
    assert validate_request("POST", "/v2/bot/message/narrowcast", narrowcast) == [
        "recipient.and[1].type: must be one of the following values: [operator, audience, redelivery]"  # noqa: E501
    ]


def test_operation_lookup() -> None:
    def operation_id(method: str, path: str) -> str | None:
        operation = find_operation(method, path)
        return operation.operation_id if operation else None

    assert operation_id("GET", "/v2/bot/richmenu/list") == "getRichMenuList"
    assert operation_id("GET", "/v2/bot/richmenu/rm-1") == "getRichMenu"
    assert operation_id("POST", "/v2/bot/user/all/richmenu/rm-1") == "setDefaultRichMenu"
    assert operation_id("POST", "/v2/bot/nothing") is None
    assert validate_request("POST", "/v2/bot/nothing", {}) != []
    problem = find_problems("POST", REPLY, {"replyToken": "t", "messages": []})[0]
    assert (problem.property, problem.message) == ("messages", "Size must be between 1 and 5")
    assert spec() is spec()  # loaded once per process
