"""LineGateway: the only user of the line-bot-sdk API clients.

Everything that talks to LINE goes through here, so the host (real LINE, the simulator's
stand-in, a test server) is one setting and LINE's errors become one exception type.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import urllib3
from linebot.v3 import insight
from linebot.v3.insight.exceptions import ApiException as InsightApiException
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.messaging.rest import RESTResponse

from bot import richmenu
from bot.config import Settings
from bot.richmenu import RichMenuSpec

log = logging.getLogger(__name__)


@dataclass
class LineApiError(Exception):
    """LINE refused or did not answer. `retryable` for 429, 5xx and network failures."""

    status: int | None  # None: timeout or connection error
    message: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        if self.quota_spent:
            return False
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def quota_spent(self) -> bool:
        """LINE's 429 "You have reached your monthly limit.": retrying will not help."""
        return self.status == 429 and "monthly limit" in self.message.lower()

    @property
    def already_accepted(self) -> bool:
        """409 for a retry key LINE has already accepted: the message went out before."""
        return self.status == 409

    def __str__(self) -> str:
        return f"LINE API {self.status or 'no answer'}: {self.message}"


@dataclass(frozen=True)
class FollowerStats:
    """LINE's Insight answer for one day. The figures are None unless status is 'ready'.

    status: 'ready', 'unready' (LINE has not finished counting: ask again later) or
    'out_of_service' (LINE has no figures for that day).
    """

    status: str
    followers: int | None = None
    targeted_reaches: int | None = None
    blocks: int | None = None


@dataclass(frozen=True)
class Quota:
    """The month's message quota: `limit` None when unlimited; `used` so far this month."""

    limit: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


class LineGateway:
    """Messaging API calls with a bounded timeout and no hidden retries (the outbox retries).

    Thread-safe: one urllib3 pool (sized for the outbox's concurrent sends) serves every
    thread of the process, so connections to LINE are reused rather than opened per send.
    """

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.line_timeout_seconds
        config = _configuration(settings.line_api_base_url, settings)
        config.connection_pool_maxsize = max(4, settings.send_concurrency + 2)
        self._client = ApiClient(config)
        self._data_client = ApiClient(_configuration(settings.line_api_data_base_url, settings))
        self.messaging = MessagingApi(self._client)
        self.blob = MessagingApiBlob(self._data_client)
        insight_config = insight.Configuration(
            host=settings.line_api_base_url, access_token=settings.channel_access_token
        )
        insight_config.retries = False  # the friend-count sync retries, with backoff
        self._insight_client = insight.ApiClient(insight_config)
        self.insight = insight.Insight(self._insight_client)

    def reply(self, reply_token: str, messages: Messages) -> None:
        """Send stored message JSON as a reply. Raises LineApiError.

        The messages were built with the SDK's models and serialised once when the reply was
        queued; they go out through the SDK's ApiClient as they are (auth, host, errors
        unchanged) instead of being parsed back into models and serialised again, which
        cost ~15 ms of CPU per Flex card. `messages` may be that JSON text itself.
        """
        self._post_json("/v2/bot/message/reply", _body({"replyToken": reply_token}, messages))

    def push(self, to: str, messages: Messages, retry_key: str | None = None) -> None:
        """Push stored message JSON to one user. Raises LineApiError (409: key already
        accepted, see `LineApiError.already_accepted`)."""
        self._post_json("/v2/bot/message/push", _body({"to": to}, messages), retry_key)

    def multicast(self, to: list[str], messages: Messages, retry_key: str | None = None) -> None:
        """Send stored message JSON to up to 500 users at once. Raises LineApiError."""
        if not 1 <= len(to) <= 500:
            raise ValueError(f"multicast takes 1 to 500 user ids, not {len(to)}")
        self._post_json("/v2/bot/message/multicast", _body({"to": to}, messages), retry_key)

    def message_quota(self) -> int | None:
        """The month's message limit (GET /v2/bot/message/quota); None when unlimited."""
        quota = self._call(self.messaging.get_message_quota)
        return int(quota.value) if quota.type == "limited" and quota.value is not None else None

    def quota_consumption(self) -> int:
        """Messages counted against the quota this month (GET …/quota/consumption)."""
        return int(self._call(self.messaging.get_message_quota_consumption).total_usage)

    def quota(self) -> Quota:
        return Quota(self.message_quota(), self.quota_consumption())

    def display_name(self, user_id: str) -> str | None:
        """The user's LINE display name, or None when LINE will not tell (not a friend)."""
        try:
            return self._call(self.messaging.get_profile, user_id).display_name
        except LineApiError as e:
            log.info("profile unavailable: %s", e)
            return None

    def insight_followers(self, day: date) -> FollowerStats:
        """GET /v2/bot/insight/followers?date=yyyyMMdd (a day in UTC+9). Raises LineApiError."""
        answer = self._call(self.insight.get_number_of_followers, var_date=day.strftime("%Y%m%d"))
        return FollowerStats(
            status=str(answer.status or ""),
            followers=answer.followers,
            targeted_reaches=answer.targeted_reaches,
            blocks=answer.blocks,
        )

    def deploy_rich_menu(self, spec: RichMenuSpec, image: bytes) -> str:
        """Create the rich menu, upload its image, make it the default; its richMenuId."""
        with line_errors():
            return richmenu.deploy(self.messaging, self.blob, spec, image)

    def _post_json(self, path: str, data: bytes, retry_key: str | None = None) -> None:
        """POST stored JSON through the SDK's ApiClient: its configuration (host, channel
        access token, User-Agent), its urllib3 pool (kept alive across sends) and its
        exceptions. The body is serialised once here, with the same `json.dumps` the SDK's
        REST client uses; `ApiClient.call_api` would first walk every nested dict of the
        messages through `sanitize_for_serialization` (~0.5 ms of CPU per reply)."""
        client = self._client
        headers = dict(client.default_headers)
        headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        client.update_params_for_auth(headers, [], ["Bearer"], path, "POST", None)
        with line_errors():
            response = RESTResponse(
                client.rest_client.pool_manager.request(
                    "POST",
                    client.configuration.host + path,
                    body=data,
                    headers=headers,
                    timeout=urllib3.Timeout(total=self.timeout),
                )
            )
            if not 200 <= response.status <= 299:
                error = ApiException(http_resp=response)
                if isinstance(error.body, bytes):
                    error.body = error.body.decode("utf-8", "replace")
                raise error

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        with line_errors():
            return method(*args, _request_timeout=self.timeout, **kwargs)

    def close(self) -> None:
        self._client.close()
        self._data_client.close()
        self._insight_client.close()


# Message objects as JSON, or that JSON's text (the outbox's stored, already serialised form).
Messages = list[dict[str, Any]] | str


def _body(fields: dict[str, Any], messages: Messages) -> bytes:
    """`fields` plus "messages", as json.dumps would write them: JSON text is put in as it
    is, not parsed and serialised again."""
    text = messages if isinstance(messages, str) else json.dumps(messages)
    return (json.dumps(fields)[:-1] + ', "messages": ' + text + "}").encode()


@contextmanager
def line_errors() -> Iterator[None]:
    """Turn the SDK's and urllib3's exceptions into LineApiError."""
    try:
        yield
    except (ApiException, InsightApiException) as e:
        raise LineApiError(e.status, _error_message(e), _retry_after(e)) from e
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise LineApiError(None, type(e).__name__) from e


def _configuration(host: str, settings: Settings) -> Configuration:
    config = Configuration(host=host, access_token=settings.channel_access_token)
    config.retries = False  # retries belong to the outbox, with backoff and a deadline
    return config


def _error_message(e: ApiException | InsightApiException) -> str:
    """LINE's own error text (its 'message' and details), never the request body."""
    try:
        body = json.loads(e.body or b"{}")
    except (ValueError, TypeError):
        return str(e.reason or "")
    message = str(body.get("message", e.reason or ""))
    details = body.get("details") or []
    if details:
        message += (
            " ("
            + "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:5])
            + ")"
        )
    return message


def _retry_after(e: ApiException | InsightApiException) -> float | None:
    headers = e.headers or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value else None
    except ValueError:
        return None
