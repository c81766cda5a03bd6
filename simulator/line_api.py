"""A stand-in for the LINE Messaging API that rejects what LINE rejects.

Why: the bot talks to LINE only through the real line-bot-sdk, and tests and the development
chat simulator must exercise that real client (``Configuration(host=...)``, never a patched
SDK). ``LineApiStandin`` holds the state and the rules and knows nothing of HTTP frameworks;
``create_blueprint`` mounts it in a Flask app (the dev app serves it under ``/_line``) and
``serve_standin`` runs it on a loopback port for tests. Bodies are checked by
``simulator.validation`` against the vendored OpenAPI specs plus LINE's documented limits.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, request

from simulator.keepalive import KeepAliveServer, make_keepalive_server
from simulator.validation import find_problems

DEFAULT_DISPLAY_NAME = "テストユーザー"
AUTH_MISSING = (
    "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
)
AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
# LINE returns a quoteToken only for sent messages that can be quoted (text, stickers, images,
# videos); see https://developers.line.biz/en/reference/messaging-api/#send-reply-message-response
QUOTABLE = frozenset({"text", "textV2", "sticker", "image", "video"})
_HEADERS_OF_INTEREST = ("Authorization", "X-Line-Retry-Key", "Content-Type")


@dataclass(frozen=True)
class StandinResponse:
    """What the stand-in answers; ``body`` is JSON."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received, with the validation errors and the answer given."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    errors: tuple[str, ...]
    status: int
    response: dict[str, Any]


@dataclass
class _Fault:
    remaining: int
    status: int
    body: dict[str, Any] | None
    delay: float
    path_contains: str | None


@dataclass(frozen=True)
class _Delivery:
    recipients: tuple[str, ...] | None  # None: every friend (broadcast)
    messages: tuple[dict[str, Any], ...]


@dataclass
class _Call:
    method: str
    path: str
    match: re.Match[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


_Handler = Callable[["LineApiStandin", _Call], StandinResponse]
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern + "$"), handler)
    for method, pattern, handler in [
        ("POST", r"/v2/bot/message/reply", "_reply"),
        ("POST", r"/v2/bot/message/push", "_push"),
        ("POST", r"/v2/bot/message/multicast", "_multicast"),
        ("POST", r"/v2/bot/message/broadcast", "_broadcast"),
        ("POST", r"/v2/bot/message/narrowcast", "_narrowcast"),
        ("POST", r"/v2/bot/message/validate/(reply|push|multicast|narrowcast|broadcast)", "_ok"),
        ("GET", r"/v2/bot/message/quota", "_quota"),
        ("GET", r"/v2/bot/message/quota/consumption", "_consumption"),
        ("GET", r"/v2/bot/profile/(?P<user>[^/]+)", "_profile"),
        ("GET", r"/v2/bot/info", "_bot_info"),
        ("GET", r"/v2/bot/insight/followers", "_followers"),
        ("POST", r"/v2/bot/chat/loading/start", "_loading"),
        ("POST", r"/v2/bot/richmenu", "_create_rich_menu"),
        ("POST", r"/v2/bot/richmenu/validate", "_ok"),
        ("GET", r"/v2/bot/richmenu/list", "_list_rich_menus"),
        ("GET", r"/v2/bot/richmenu/(?P<menu>[^/]+)", "_get_rich_menu"),
        ("DELETE", r"/v2/bot/richmenu/(?P<menu>[^/]+)", "_delete_rich_menu"),
        ("POST", r"/v2/bot/richmenu/(?P<menu>[^/]+)/content", "_upload_rich_menu_image"),
        ("POST", r"/v2/bot/user/all/richmenu/(?P<menu>[^/]+)", "_set_default_rich_menu"),
        ("GET", r"/v2/bot/user/all/richmenu", "_get_default_rich_menu"),
        ("DELETE", r"/v2/bot/user/all/richmenu", "_clear_default_rich_menu"),
    ]
]


class LineApiStandin:
    """LINE's Messaging API state and rules: records requests, answers like LINE.

    Thread-safe: one lock guards all state; latency and fault delays sleep outside it.
    """

    def __init__(
        self,
        channel_access_token: str = "test-token",
        *,
        strict_reply_tokens: bool = True,
        latency: float = 0.0,
        jitter: float = 0.0,
    ) -> None:
        self.channel_access_token = channel_access_token
        self.strict_reply_tokens = strict_reply_tokens
        self.latency = latency
        self.jitter = jitter  # extra random latency (0..jitter s) per request
        self.answer_delay = 0.0  # seconds between accepting a request and answering it
        self.quota: dict[str, Any] = {"type": "limited", "value": 5000}
        self.total_usage: int | None = None  # None: counted from accepted push/multicast
        self.bot_info: dict[str, Any] = {
            "userId": "Ustandinbot0000000000000000000000",
            "basicId": "@isehara",
            "displayName": "いせはら",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._profiles: dict[str, dict[str, Any]] = {}
        self._followers: dict[str | None, dict[str, Any]] = {}
        self._reply_tokens: dict[str, str] = {}  # token -> user id, while unused
        self._retry_keys: dict[str, dict[str, Any]] = {}  # accepted key -> response body
        self._deliveries: list[_Delivery] = []
        self._rich_menus: dict[str, dict[str, Any]] = {}
        self._rich_menu_images: dict[str, tuple[str, bytes]] = {}
        self.default_rich_menu_id: str | None = None
        self._next_message_id = 600_000_000_000_000_000
        self._gate = threading.Event()
        self._gate.set()
        self._waiting: list[int | None] = []  # client ports of the requests held at the gate
        self._drop_held = False
        self._random_faults: tuple[float, tuple[int, ...], str | None, random.Random] | None = None

    # -- set-up and inspection helpers -------------------------------------------------

    def issue_reply_token(self, user_id: str) -> str:
        """A single-use reply token for a webhook event from ``user_id``."""
        token = secrets.token_hex(16)
        with self._lock:
            self._reply_tokens[token] = user_id
        return token

    def set_profile(
        self,
        user_id: str,
        display_name: str,
        *,
        picture_url: str | None = None,
        language: str = "ja",
    ) -> None:
        """What GET /v2/bot/profile/{userId} answers for this user."""
        profile = {"userId": user_id, "displayName": display_name, "language": language}
        if picture_url:
            profile["pictureUrl"] = picture_url
        with self._lock:
            self._profiles[user_id] = profile

    def set_followers(
        self,
        followers: int,
        *,
        date: str | None = None,
        targeted_reaches: int | None = None,
        blocks: int = 0,
    ) -> None:
        """What the insight followers endpoint answers (for one yyyyMMdd date, or any date)."""
        reaches = followers - blocks if targeted_reaches is None else targeted_reaches
        stats = {"followers": followers, "targetedReaches": reaches, "blocks": blocks}
        with self._lock:
            self._followers[date] = {"status": "ready", **stats}

    def set_followers_status(self, status: str, *, date: str | None = None) -> None:
        """Make the followers endpoint answer 'unready' (LINE is still counting that day) or
        'out_of_service' (no figures for that day) for one yyyyMMdd date, or any date.

        As LINE does, such an answer carries the status only, no figures.
        """
        if status not in {"unready", "out_of_service"}:
            raise ValueError(f"status must be 'unready' or 'out_of_service', not {status!r}")
        with self._lock:
            self._followers[date] = {"status": status}

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        body: dict[str, Any] | None = None,
        delay: float = 0.0,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (429 adds Retry-After)."""
        with self._lock:
            self._faults.append(_Fault(n, status, body, delay, path_contains))

    def fail_randomly(
        self,
        rate: float,
        statuses: tuple[int, ...] = (500,),
        path_contains: str | None = None,
        seed: int = 0,
    ) -> None:
        """From now on answer a `rate` share of matching requests with one of `statuses`
        (seeded, so a run is repeatable); rate 0 turns it off."""
        with self._lock:
            self._random_faults = (
                (rate, statuses, path_contains, random.Random(seed)) if rate > 0 else None
            )

    def hold(self) -> None:
        """Keep every new request waiting, before anything is accepted, until release()."""
        with self._lock:
            self._drop_held = False
            self._gate.clear()

    def release(self, *, drop: bool = False) -> None:
        """Let held requests through; with `drop`, answer them 503 without accepting them
        (as if they never reached LINE)."""
        with self._lock:
            self._drop_held = drop
            self._gate.set()

    @property
    def held(self) -> list[int | None]:
        """The client (TCP source) ports of the requests waiting at the gate now."""
        with self._lock:
            return list(self._waiting)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def accepted(self, path: str) -> list[Any]:
        """Bodies of the successful (2xx) requests to ``path``, in order."""
        with self._lock:
            return [r.body for r in self._requests if r.path == path and r.status < 300]

    def replies(self) -> list[dict[str, Any]]:
        """Accepted reply request bodies."""
        return self.accepted("/v2/bot/message/reply")

    def pushes(self) -> list[dict[str, Any]]:
        """Accepted push request bodies."""
        return self.accepted("/v2/bot/message/push")

    def multicasts(self) -> list[dict[str, Any]]:
        """Accepted multicast request bodies."""
        return self.accepted("/v2/bot/message/multicast")

    def messages_for(self, user_id: str) -> list[dict[str, Any]]:
        """Message objects the user received, in order: replies to their tokens, pushes,
        multicasts and broadcasts (narrowcast audiences are unknown, so left out)."""
        with self._lock:
            return [
                message
                for delivery in self._deliveries
                if delivery.recipients is None or user_id in delivery.recipients
                for message in delivery.messages
            ]

    def attempts(self, path: str) -> list[RecordedRequest]:
        """Every request to ``path`` (accepted, rejected, faulted, duplicate), in order."""
        with self._lock:
            return [r for r in self._requests if r.path == path]

    def attempts_after_acceptance(self) -> list[RecordedRequest]:
        """Send attempts made after LINE had already accepted the same message: a reply
        with a reply token already used successfully, or a push/multicast whose retry key
        was already accepted. A correct sender makes none (a 409 answer still counts here:
        it is a resend the sender could have avoided only by knowing the first one landed)."""
        accepted: set[tuple[str, str]] = set()
        duplicates = []
        for r in self.requests:
            if not r.path.startswith("/v2/bot/message/") or not isinstance(r.body, dict):
                continue
            if r.path.endswith("/reply"):
                key = ("reply", str(r.body.get("replyToken")))
            elif r.headers.get("X-Line-Retry-Key"):
                key = ("retry", r.headers["X-Line-Retry-Key"])
            else:
                continue
            if key in accepted:
                duplicates.append(r)
            elif r.status < 300:
                accepted.add(key)
        return duplicates

    def clear(self) -> None:
        """Forget requests, deliveries, faults, tokens, retry keys and follower statistics
        (settings stay)."""
        with self._lock:
            self._followers.clear()
            self._requests.clear()
            self._deliveries.clear()
            self._faults.clear()
            self._reply_tokens.clear()
            self._retry_keys.clear()
            self._random_faults = None
            self._drop_held = False
        self._gate.set()

    # -- request handling ------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        query: Mapping[str, str] | None = None,
        client_port: int | None = None,
    ) -> StandinResponse:
        """Answer one HTTP request the way LINE would, and record it.

        Checks run outside the lock; only the endpoint's state change and the recording hold
        it, so slow or concurrent clients do not serialise on validation.
        """
        if self.latency or self.jitter:
            time.sleep(self.latency + random.random() * self.jitter)
        dropped = self._wait_at_gate(client_port)
        method, query = method.upper(), dict(query or {})
        lowered = {key.lower(): value for key, value in headers.items()}
        kept = {h: lowered[h.lower()] for h in _HEADERS_OF_INTEREST if h.lower() in lowered}
        parsed = _parse(body, kept)
        clean = None if parsed is _INVALID_JSON else parsed
        if dropped:
            answer = StandinResponse(503, {"message": "Service Unavailable"})
            return self._record(method, path, query, kept, clean, (), answer)
        fault = self._take_fault(path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            return self._record(method, path, query, kept, clean, (), _fault_response(fault))
        route = next(((m, h) for v, p, h in _ROUTES if v == method and (m := p.match(path))), None)
        rejected = self._reject(route, method, path, query, kept, parsed)
        if rejected is not None:
            answer, errors = rejected
            return self._record(method, path, query, kept, clean, errors, answer)
        assert route is not None
        handler: _Handler = getattr(type(self), route[1])
        with self._lock:
            answer = handler(self, _Call(method, path, route[0], query, kept, parsed))
            recorded = self._record(method, path, query, kept, parsed, (), answer)
        if self.answer_delay:
            time.sleep(self.answer_delay)  # accepted, but the client may give up waiting
        return recorded

    def _reject(
        self,
        route: tuple[re.Match[str], str] | None,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[StandinResponse, tuple[str, ...]] | None:
        """LINE's checks before anything changes: endpoint, access token, JSON, body rules."""
        if route is None:
            return StandinResponse(404, {"message": "Not found"}), ()
        auth = headers.get("Authorization")
        if auth != f"Bearer {self.channel_access_token}":
            return StandinResponse(401, {"message": AUTH_FAILED if auth else AUTH_MISSING}), ()
        if body is _INVALID_JSON:
            return StandinResponse(400, {"message": "The request body is not valid JSON"}), ()
        content_type = headers.get("Content-Type")
        problems = find_problems(method, path, body, query=query, content_type=content_type)
        if not problems:
            return None
        details = [{"message": p.message, "property": p.property} for p in problems]
        message = f"The request body has {len(problems)} error(s)"
        errors = tuple(str(p) for p in problems)
        return StandinResponse(400, {"message": message, "details": details}), errors

    def _record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        errors: tuple[str, ...],
        answer: StandinResponse,
    ) -> StandinResponse:
        answer.headers.setdefault("X-Line-Request-Id", str(uuid.uuid4()))
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method, path, query, headers, body, errors, answer.status, answer.body
                )
            )
        return answer

    def _wait_at_gate(self, client_port: int | None) -> bool:
        """Block while held; True when the held request is to be dropped."""
        if self._gate.is_set():
            return False
        with self._lock:
            self._waiting.append(client_port)
        self._gate.wait()
        with self._lock:
            self._waiting.remove(client_port)
            return self._drop_held

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            if self._random_faults is not None:
                rate, statuses, where, rng = self._random_faults
                if (where is None or where in path) and rng.random() < rate:
                    return _Fault(1, rng.choice(statuses), None, 0.0, where)
            for fault in self._faults:
                if fault.path_contains is None or fault.path_contains in path:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _sent_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, str]]:
        sent = []
        for message in messages:
            self._next_message_id += 1
            item = {"id": str(self._next_message_id)}
            if message.get("type") in QUOTABLE:
                item["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(item)
        return sent

    def _deliver(self, call: _Call, recipients: tuple[str, ...] | None) -> StandinResponse:
        """Shared by push/multicast/narrowcast/broadcast: retry keys, then delivery."""
        key = call.headers.get("X-Line-Retry-Key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return StandinResponse(400, {"message": "The retry key must be a UUID"})
            if key in self._retry_keys:
                # Documented: 409 with the accepted request's id (and sentMessages for push).
                body = {"message": "The retry key is already accepted", **self._retry_keys[key]}
                return StandinResponse(409, body, {"X-Line-Accepted-Request-Id": key})
        messages = call.body["messages"]
        if recipients is not None and self._over_quota(len(recipients)):
            # What LINE answers a push/multicast beyond the month's limit.
            return StandinResponse(429, {"message": "You have reached your monthly limit."})
        self._deliveries.append(_Delivery(recipients, tuple(messages)))
        body: dict[str, Any] = {}
        if call.path.endswith("/push"):
            body = {"sentMessages": self._sent_messages(messages)}
        if key is not None:
            self._retry_keys[key] = body
        return StandinResponse(202 if call.path.endswith("/narrowcast") else 200, body)

    # -- endpoint handlers (called with the lock held, after auth and validation) -------

    def _reply(self, call: _Call) -> StandinResponse:
        token = call.body["replyToken"]
        user_id = self._reply_tokens.pop(token, None)
        if user_id is None and self.strict_reply_tokens:
            return StandinResponse(400, {"message": "Invalid reply token"})
        messages = call.body["messages"]
        self._deliveries.append(_Delivery((user_id,) if user_id else (), tuple(messages)))
        return StandinResponse(200, {"sentMessages": self._sent_messages(messages)})

    def _push(self, call: _Call) -> StandinResponse:
        return self._deliver(call, (call.body["to"],))

    def _multicast(self, call: _Call) -> StandinResponse:
        return self._deliver(call, tuple(call.body["to"]))

    def _broadcast(self, call: _Call) -> StandinResponse:
        return self._deliver(call, None)

    def _narrowcast(self, call: _Call) -> StandinResponse:
        return self._deliver(call, ())

    def _ok(self, call: _Call) -> StandinResponse:
        return StandinResponse(200, {})

    def _quota(self, call: _Call) -> StandinResponse:
        return StandinResponse(200, dict(self.quota))

    def _consumption(self, call: _Call) -> StandinResponse:
        return StandinResponse(200, {"totalUsage": self._usage()})

    def _usage(self) -> int:
        if self.total_usage is not None:
            return self.total_usage
        return sum(1 for _ in self.pushes()) + sum(len(b["to"]) for b in self.multicasts())

    def _over_quota(self, recipients: int) -> bool:
        if self.quota.get("type") != "limited":
            return False
        return self._usage() + recipients > int(self.quota.get("value", 0))

    def _profile(self, call: _Call) -> StandinResponse:
        user_id = call.match["user"]
        default = {"userId": user_id, "displayName": DEFAULT_DISPLAY_NAME, "language": "ja"}
        return StandinResponse(200, dict(self._profiles.get(user_id, default)))

    def _bot_info(self, call: _Call) -> StandinResponse:
        return StandinResponse(200, dict(self.bot_info))

    def _followers(self, call: _Call) -> StandinResponse:
        date = call.query.get("date")
        default = {"status": "ready", "followers": 0, "targetedReaches": 0, "blocks": 0}
        stats = self._followers.get(date) or self._followers.get(None) or default
        return StandinResponse(200, dict(stats))

    def _loading(self, call: _Call) -> StandinResponse:
        return StandinResponse(202, {})

    def _create_rich_menu(self, call: _Call) -> StandinResponse:
        menu_id = f"richmenu-{secrets.token_hex(16)}"
        self._rich_menus[menu_id] = {"richMenuId": menu_id, **call.body}
        return StandinResponse(200, {"richMenuId": menu_id})

    def _list_rich_menus(self, call: _Call) -> StandinResponse:
        return StandinResponse(200, {"richmenus": list(self._rich_menus.values())})

    def _get_rich_menu(self, call: _Call) -> StandinResponse:
        menu = self._rich_menus.get(call.match["menu"])
        return StandinResponse(200, menu) if menu else _not_found("Not found")

    def _delete_rich_menu(self, call: _Call) -> StandinResponse:
        menu_id = call.match["menu"]
        if self._rich_menus.pop(menu_id, None) is None:
            return _not_found("Not found")
        self._rich_menu_images.pop(menu_id, None)
        if self.default_rich_menu_id == menu_id:
            self.default_rich_menu_id = None
        return StandinResponse(200, {})

    def _upload_rich_menu_image(self, call: _Call) -> StandinResponse:
        menu_id = call.match["menu"]
        if menu_id not in self._rich_menus:
            return _not_found("Not found")
        if menu_id in self._rich_menu_images:
            return StandinResponse(400, {"message": "An image has already been uploaded"})
        self._rich_menu_images[menu_id] = (call.headers.get("Content-Type", ""), call.body)
        return StandinResponse(200, {})

    def _set_default_rich_menu(self, call: _Call) -> StandinResponse:
        menu_id = call.match["menu"]
        if menu_id not in self._rich_menus:
            return _not_found("Not found")
        if menu_id not in self._rich_menu_images:
            return StandinResponse(
                400, {"message": "must upload richmenu image before applying it to user"}
            )
        self.default_rich_menu_id = menu_id
        return StandinResponse(200, {})

    def _get_default_rich_menu(self, call: _Call) -> StandinResponse:
        if self.default_rich_menu_id is None:
            return _not_found("no default richmenu")
        return StandinResponse(200, {"richMenuId": self.default_rich_menu_id})

    def _clear_default_rich_menu(self, call: _Call) -> StandinResponse:
        self.default_rich_menu_id = None
        return StandinResponse(200, {})

    def rich_menu_image(self, rich_menu_id: str) -> tuple[str, bytes] | None:
        """(content type, bytes) uploaded for a rich menu, if any."""
        with self._lock:
            return self._rich_menu_images.get(rich_menu_id)


_INVALID_JSON = object()


def _parse(raw: bytes, headers: Mapping[str, str]) -> Any:
    """JSON bodies become Python objects; image uploads stay bytes; no body is None."""
    if not raw:
        return None
    if not headers.get("Content-Type", "").startswith("application/json"):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return _INVALID_JSON


def _not_found(message: str) -> StandinResponse:
    return StandinResponse(404, {"message": message})


def _fault_response(fault: _Fault) -> StandinResponse:
    default = {400: "Invalid reply token", 429: "Too many requests", 500: "Internal server error"}
    message = default.get(fault.status) or HTTPStatus(fault.status).phrase
    headers = {"Retry-After": "1"} if fault.status == 429 else {}
    return StandinResponse(fault.status, dict(fault.body or {"message": message}), headers)


def create_blueprint(standin: LineApiStandin, name: str = "line_api_standin") -> Blueprint:
    """A blueprint serving the stand-in; mount it anywhere (the SDK appends /v2/... to host)."""
    blueprint = Blueprint(name, __name__)

    @blueprint.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def line_api(path: str) -> Response:
        answer = standin.handle(
            request.method,
            "/" + path,
            headers=dict(request.headers),
            body=request.get_data(),
            query=request.args.to_dict(),
            client_port=request.environ.get("REMOTE_PORT"),
        )
        payload = json.dumps(answer.body, ensure_ascii=False)
        return Response(payload, answer.status, answer.headers, mimetype="application/json")

    return blueprint


class RunningStandin:
    """A stand-in served over real HTTP on a daemon thread; close() (or ``with``) stops it."""

    def __init__(self, standin: LineApiStandin, server: KeepAliveServer) -> None:
        self.standin = standin
        self._server = server
        self.url = f"http://{server.host}:{server.port}"
        # A short poll interval makes close() take ~50 ms instead of serve_forever's 0.5 s.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="line-api-standin", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningStandin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def serve_standin(
    standin: LineApiStandin, host: str = "127.0.0.1", port: int = 0
) -> RunningStandin:
    """Serve ``standin`` at http://host:port (port 0 picks a free one); see ``.url``."""
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(standin))
    # Keep-alive, like LINE: the SDK's pooled connections are reused, not reopened per call.
    return RunningStandin(standin, make_keepalive_server(host, port, app))
