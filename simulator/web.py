"""The development chat simulator: a LINE-like chat page at /simulator, no LINE channel needed.

Why it works the way it does: the point is to exercise the bot exactly as production does. So
the page never calls the bot directly. It asks this module to build a webhook event the way
LINE would, sign it with the channel secret, and POST it over real HTTP to the app's own
``/callback``; the background workers then answer through the real line-bot-sdk, whose host
is this same app's ``/_line`` (a ``LineApiStandin``). The page polls the stand-in's record of
what each simulated user received. Hence the dev server must be threaded: the simulator's POST
to /callback and the worker's reply to /_line both arrive while other requests are running.

State (simulated users and their transcripts) lives in memory in one process: this is a
development tool, never mounted in production (``Settings.simulator`` needs development mode).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from bot.config import Settings
from simulator.line_api import LineApiStandin, create_blueprint

log = logging.getLogger(__name__)

EXTENSION = "simulator"
CALLBACK_TIMEOUT_SECONDS = 10.0
# Requests that deliver messages to known users (narrowcast audiences are unknown).
_SEND_PATHS = ("/v2/bot/message/reply", "/v2/bot/message/push", "/v2/bot/message/multicast")
_BROADCAST = "/v2/bot/message/broadcast"
# Display names for new simulated users: common surnames with Isehara place names.
_FAMILY = ("伊勢原", "大山", "日向", "比々多", "成瀬", "高部屋", "大田", "子易", "善波")
_GIVEN = ("太郎", "花子", "さくら", "健", "ゆい", "翔", "美咲", "大翔", "陽菜", "蓮")

bp = Blueprint(
    "simulator",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


# ---------------------------------------------------------------------- webhook events


def new_user_id() -> str:
    """A LINE-like user id: "U" and 32 lowercase hex digits."""
    return "U" + secrets.token_hex(16)


def _message_id() -> str:
    """LINE message ids are decimal strings of about 18 digits."""
    return str(600_000_000_000_000_000 + secrets.randbelow(10**17))


def build_event(
    kind: str,
    user_id: str,
    reply_token: str | None = None,
    *,
    text: str | None = None,
    data: str | None = None,
    unblocked: bool = False,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """One webhook event object as LINE sends it for a 1:1 chat.

    ``kind`` is "message" (with ``text``), "postback" (with ``data``), "follow" or
    "unfollow". Unfollow events carry no reply token, as on LINE.
    """
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        # LINE's ids are ULIDs: 26 characters of Crockford base32.
        "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        if not reply_token:
            raise ValueError(f"a {kind} event needs a reply token")
        event["replyToken"] = reply_token
    if kind == "message":
        if not text:
            raise ValueError("a message event needs text")
        event["message"] = {
            "type": "text",
            "id": _message_id(),
            "quoteToken": secrets.token_urlsafe(32),
            "text": text,
        }
    elif kind == "postback":
        if not data:
            raise ValueError("a postback event needs data")
        event["postback"] = {"data": data}
    elif kind == "follow":
        event["follow"] = {"isUnblocked": unblocked}
    elif kind != "unfollow":
        raise ValueError(f"unsupported event type {kind!r}")
    return event


def sign(channel_secret: str, body: str) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, request body))."""
    digest = hmac.new(channel_secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_body(channel_secret: str, destination: str, *events: dict[str, Any]) -> tuple[str, str]:
    """The webhook request body (compact JSON, UTF-8 as LINE sends it) and its signature."""
    body = json.dumps(
        {"destination": destination, "events": list(events)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return body, sign(channel_secret, body)


# ---------------------------------------------------------------------- simulator state


@dataclass
class SimUser:
    """One simulated LINE user and what their chat screen shows."""

    id: str
    name: str
    friend: str = "none"  # "none" (never added) | "friend" | "blocked"
    entries: list[dict[str, Any]] = field(default_factory=list)
    bot_seen: int = 0  # how many of standin.messages_for(id) are already in `entries`

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "friend": self.friend}


class SimulatorError(ValueError):
    """A bad request from the page (unknown user, missing text); answered with 400."""


class Simulator:
    """Simulated users, their transcripts, and the stand-in the bot's replies go to.

    A transcript is one ordered list per user, merging what the user did (texts, postbacks'
    display texts, follow/block) with what the bot sent (from the stand-in, stamped when first
    seen) and the stand-in's rejections of the bot's requests, so a reload or a user switch
    shows the whole conversation in order. Thread-safe: one lock guards it all.
    """

    def __init__(self, standin: LineApiStandin, channel_secret: str) -> None:
        self.standin = standin
        self.channel_secret = channel_secret
        self._lock = threading.RLock()
        self._users: dict[str, SimUser] = {}
        self._tokens: dict[str, str] = {}  # reply token -> user id, for attributing errors
        self._requests_seen = 0

    @property
    def destination(self) -> str:
        """The bot's own user id, which LINE puts in every webhook body."""
        return str(self.standin.bot_info["userId"])

    @property
    def bot_name(self) -> str:
        return str(self.standin.bot_info.get("displayName") or "いせはら")

    def users(self) -> list[SimUser]:
        with self._lock:
            return list(self._users.values())

    def user(self, user_id: str) -> SimUser:
        with self._lock:
            found = self._users.get(user_id)
        if found is None:
            raise SimulatorError(f"unknown simulated user {user_id!r}")
        return found

    def add_user(self, name: str | None = None) -> SimUser:
        """A new user with a random id, registered with the stand-in's profile endpoint."""
        with self._lock:
            taken = {u.name for u in self._users.values()}
            name = (name or "").strip()[:20] or _random_name(taken)
            user = SimUser(new_user_id(), name)
            self._users[user.id] = user
        self.standin.set_profile(user.id, user.name)
        return user

    def reply_token(self, user_id: str) -> str:
        token = self.standin.issue_reply_token(user_id)
        with self._lock:
            self._tokens[token] = user_id
        return token

    def record(self, user: SimUser, entry: dict[str, Any]) -> dict[str, Any]:
        """Append what the user did, after everything the bot sent so far."""
        with self._lock:
            self._sync(user)
            entry = {"from": "user", "time": _now_ms(), **entry}
            user.entries.append(entry)
        return entry

    def note(self, user: SimUser, text: str, kind: str = "info") -> None:
        """A centred grey line in the chat (system notice), like LINE's date separators."""
        with self._lock:
            self._sync(user)
            user.entries.append({"from": "system", "type": kind, "text": text, "time": _now_ms()})

    def entries(self, user_id: str, after: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Transcript entries from index ``after``, and the index to ask from next time."""
        user = self.user(user_id)
        with self._lock:
            self._sync(user)
            after = max(0, after)
            found = [dict(e, index=i) for i, e in enumerate(user.entries[after:], after)]
            return found, len(user.entries)

    def _sync(self, user: SimUser) -> None:
        """Bring the transcripts up to date with the stand-in, in the order LINE saw requests.

        Walks the stand-in's new requests: an accepted send adds its messages (taken from
        ``messages_for``) to each simulated recipient; a rejected one adds an error notice to
        the user it was meant for, so a reply LINE would refuse is visible, in place.
        """
        requests_ = self.standin.requests
        new, self._requests_seen = requests_[self._requests_seen :], len(requests_)
        now = _now_ms()
        delivered: dict[str, list[dict[str, Any]]] = {}
        for req in new:
            if req.path not in _SEND_PATHS and req.path != _BROADCAST:
                continue
            if req.status >= 400:
                for target in self._recipients(req):
                    detail = "; ".join(req.errors[:3]) or str(req.response.get("message", ""))
                    text = f"LINE API が {req.path} を拒否しました（{req.status}）: {detail}"
                    target.entries.append(
                        {"from": "system", "type": "error", "text": text, "time": now}
                    )
                continue
            if req.status >= 300 or not isinstance(req.body, dict):
                continue
            count = len(req.body.get("messages") or [])
            for target in self._recipients(req):
                if target.id not in delivered:
                    delivered[target.id] = self.standin.messages_for(target.id)
                messages = delivered[target.id][target.bot_seen : target.bot_seen + count]
                target.bot_seen += len(messages)
                target.entries += [{"from": "bot", "message": m, "time": now} for m in messages]
        # Anything not matched above (deliveries this walk cannot attribute) still shows.
        messages = self.standin.messages_for(user.id)
        for message in messages[user.bot_seen :]:
            user.entries.append({"from": "bot", "message": message, "time": now})
        user.bot_seen = len(messages)

    def _recipients(self, req: Any) -> list[SimUser]:
        """The simulated users a reply/push/multicast/broadcast request was addressed to."""
        body = req.body if isinstance(req.body, dict) else {}
        if req.path == _BROADCAST:
            return list(self._users.values())
        ids: list[str] = []
        if req.path.endswith("/reply"):
            ids = [self._tokens.get(str(body.get("replyToken", "")), "")]
        elif isinstance(body.get("to"), str):
            ids = [body["to"]]
        elif isinstance(body.get("to"), list):
            ids = [str(x) for x in body["to"]]
        return [self._users[i] for i in ids if i in self._users]

    def bot_messages(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        """The bot's messages to the user from index ``after`` (LINE message JSON)."""
        self.user(user_id)
        return self.standin.messages_for(user_id)[max(0, after) :]

    # -- events ------------------------------------------------------------------------

    def event_for(self, user: SimUser, payload: dict[str, Any]) -> dict[str, Any]:
        """Record the user's action in the transcript and build the matching webhook event."""
        if "event" in payload:
            kind = payload["event"]
            if kind == "follow":
                unblocked = user.friend == "blocked"
                user.friend = "friend"
                self.note(
                    user, "友だち追加しました" if not unblocked else "ブロックを解除しました"
                )
                return build_event(
                    "follow", user.id, self.reply_token(user.id), unblocked=unblocked
                )
            if kind == "unfollow":
                user.friend = "blocked"
                self.note(user, "ブロックしました")
                return build_event("unfollow", user.id)
            raise SimulatorError(f"unknown event {kind!r} (follow or unfollow)")
        if user.friend == "blocked":
            raise SimulatorError(
                "ブロック中はメッセージを送れません（「ブロック解除」で戻れます）"
            )
        if "postback" in payload:
            data = str(payload["postback"] or "")
            display = str(payload.get("displayText") or "")
            if not data:
                raise SimulatorError("postback data is empty")
            self.record(user, {"type": "postback", "data": data, "text": display})
            return build_event("postback", user.id, self.reply_token(user.id), data=data)
        text = str(payload.get("text") or "")
        if not text.strip():
            raise SimulatorError("text is empty")
        self.record(user, {"type": "text", "text": text})
        return build_event("message", user.id, self.reply_token(user.id), text=text)

    def deliver(self, callback_url: str, event: dict[str, Any]) -> requests.Response:
        """POST the signed event to the app's real /callback over HTTP, as LINE does."""
        body, signature = signed_body(self.channel_secret, self.destination, event)
        return requests.post(
            callback_url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Line-Signature": signature,
                "User-Agent": "LineBotWebhook/2.0",
            },
            timeout=CALLBACK_TIMEOUT_SECONDS,
        )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _random_name(taken: set[str]) -> str:
    for _ in range(50):
        name = f"{secrets.choice(_FAMILY)} {secrets.choice(_GIVEN)}"
        if name not in taken:
            return name
    return f"ユーザー{len(taken) + 1}"


# ---------------------------------------------------------------------- Flask wiring


def mount(app: Flask, settings: Settings) -> None:
    """Serve the LINE stand-in at /_line and the simulator at /simulator (development only)."""
    standin = LineApiStandin(settings.channel_access_token, strict_reply_tokens=True)
    app.extensions[EXTENSION] = Simulator(standin, settings.channel_secret)
    app.register_blueprint(create_blueprint(standin), url_prefix="/_line")
    app.register_blueprint(bp, url_prefix="/simulator")
    logging.getLogger("werkzeug").addFilter(_quiet_polling)
    log.info("chat simulator at /simulator (LINE API stand-in at /_line)")


def _quiet_polling(record: logging.LogRecord) -> bool:
    """Drop the dev server's access-log line for each successful poll (2.5 a second per tab),
    which would bury the log lines a developer is looking for."""
    message = record.getMessage()
    return not ("GET /simulator/api/" in message and '" 200 ' in message)


def simulator() -> Simulator:
    return current_app.extensions[EXTENSION]


def _rich_menu() -> dict[str, Any] | None:
    """What the page needs of content/richmenu.yaml; None (no menu bar) if it does not load."""
    try:
        from bot.richmenu import image_path, load_spec

        spec = load_spec()
        if not image_path(spec).is_file():
            return None
    except Exception:  # a broken spec must not take the simulator down; say why in the log
        log.warning("simulator: rich menu not shown", exc_info=True)
        return None
    return {
        "chatBarText": spec.chat_bar_text,
        "selected": spec.selected,
        "size": spec.size.model_dump(),
        "areas": [
            {
                "label": a.label,
                "bounds": a.bounds.model_dump(),
                "action": {
                    "type": "postback",
                    "label": a.label,
                    "data": a.data,
                    "displayText": a.display_text,
                },
            }
            for a in spec.areas
        ],
    }


@bp.errorhandler(SimulatorError)
def _bad_request(e: SimulatorError) -> ResponseReturnValue:
    return jsonify(message=str(e)), 400


@bp.get("/")
def page() -> ResponseReturnValue:
    config = {
        "botName": simulator().bot_name,
        "api": url_for("simulator.page") + "api",
        "richMenu": _rich_menu(),
    }
    return render_template("simulator.html", config=config, bot_name=config["botName"])


@bp.get("/richmenu.png")
def rich_menu_image() -> ResponseReturnValue:
    from bot.richmenu import image_path, load_spec

    try:
        path = image_path(load_spec())
    except Exception:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=0)


@bp.get("/api/users")
def list_users() -> ResponseReturnValue:
    return jsonify(users=[u.public() for u in simulator().users()])


@bp.post("/api/users")
def create_user() -> ResponseReturnValue:
    """Create a user; with {"follow": true} (the page's default) they add the bot at once."""
    payload = request.get_json(silent=True) or {}
    sim = simulator()
    user = sim.add_user(payload.get("name"))
    status = None
    if payload.get("follow"):
        status = _deliver(sim, sim.event_for(user, {"event": "follow"}))
    return jsonify(user=user.public(), status=status), 201


@bp.post("/api/send")
def send() -> ResponseReturnValue:
    """{user, text} | {user, postback, displayText?} | {user, event: follow|unfollow}."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise SimulatorError("expected a JSON object")
    sim = simulator()
    user = sim.user(str(payload.get("user", "")))
    status = _deliver(sim, sim.event_for(user, payload))
    return jsonify(status=status, user=user.public()), 200 if status == 200 else 502


def _deliver(sim: Simulator, event: dict[str, Any]) -> int:
    """POST to the URL the page was served from; a failure becomes a note in the chat."""
    user = sim.user(event["source"]["userId"])
    url = request.host_url + "callback"
    try:
        response = sim.deliver(url, event)
    except requests.RequestException as e:
        sim.note(user, f"/callback に届きませんでした: {e}", "error")
        return 0
    if response.status_code != 200:
        sim.note(
            user, f"/callback が {response.status_code} を返しました: {response.text}", "error"
        )
    return response.status_code


@bp.get("/api/messages")
def messages() -> ResponseReturnValue:
    """The bot's messages to ``user`` from index ``after`` (LINE message JSON)."""
    user_id = request.args.get("user", "")
    after = max(0, request.args.get("after", 0, type=int))
    found = simulator().bot_messages(user_id, after)
    return jsonify(messages=found, next=after + len(found))


@bp.get("/api/conversation")
def conversation() -> ResponseReturnValue:
    """The user's whole chat (their messages, the bot's, notices) from entry ``after``."""
    user_id, after = request.args.get("user", ""), request.args.get("after", 0, type=int)
    sim = simulator()
    entries, next_index = sim.entries(user_id, after)
    return jsonify(user=sim.user(user_id).public(), entries=entries, next=next_index)
