"""Webhook event JSON as LINE sends it, with unique webhookEventIds and signed bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any


def sign(secret: str, body: str) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, body))."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body(*events: dict[str, Any], destination: str = "Ubotdestination000000000000000000") -> str:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False)


def _base(kind: str, user: str | None, reply_token: str | None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user} if user else {"type": "user"},
        "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token:
        event["replyToken"] = reply_token
    event.update(extra)
    return event


def text(user: str, message: str, reply_token: str) -> dict[str, Any]:
    return _base(
        "message",
        user,
        reply_token,
        message={
            "type": "text",
            "id": str(uuid.uuid4().int)[:18],
            "text": message,
            "quoteToken": uuid.uuid4().hex,
        },
    )


def postback(user: str, data: str, reply_token: str) -> dict[str, Any]:
    return _base("postback", user, reply_token, postback={"data": data})


def follow(user: str, reply_token: str, unblocked: bool = False) -> dict[str, Any]:
    return _base("follow", user, reply_token, follow={"isUnblocked": unblocked})


def unfollow(user: str) -> dict[str, Any]:
    return _base("unfollow", user, None)


def sticker(user: str, reply_token: str) -> dict[str, Any]:
    return _base(
        "message",
        user,
        reply_token,
        message={
            "type": "sticker",
            "id": "1",
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
            "quoteToken": uuid.uuid4().hex,
        },
    )


def image(user: str, reply_token: str) -> dict[str, Any]:
    return _base(
        "message",
        user,
        reply_token,
        message={
            "type": "image",
            "id": "2",
            "contentProvider": {"type": "line"},
            "quoteToken": uuid.uuid4().hex,
        },
    )


def location(user: str, reply_token: str) -> dict[str, Any]:
    return _base(
        "message",
        user,
        reply_token,
        message={
            "type": "location",
            "id": "3",
            "title": "伊勢原市役所",
            "address": "神奈川県伊勢原市田中348",
            "latitude": 35.40,
            "longitude": 139.31,
        },
    )


def group_text(group: str, user: str, message: str, reply_token: str) -> dict[str, Any]:
    event = text(user, message, reply_token)
    event["source"] = {"type": "group", "groupId": group, "userId": user}
    return event
