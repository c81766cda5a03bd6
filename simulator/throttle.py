"""A harsher LINE stand-in for fault tests and benchmarks (development only).

`HarshStandin` is the ordinary stand-in plus, for push and multicast:
- LINE's rate limit: at most `rate_per_second` requests per second (a sliding one-second
  window); beyond it, 429 with Retry-After, as LINE answers;
- random server errors: a share `error_rate` of requests answer 500, half of them *after*
  the request was accepted (the client cannot know; its retry must carry the same
  X-Line-Retry-Key, which LINE answers with 409).
Everything else (validation, 500 recipients per multicast, retry keys, the monthly quota,
recording) is the ordinary stand-in's.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from simulator.line_api import LineApiStandin, StandinResponse

LIMITED = ("/v2/bot/message/multicast", "/v2/bot/message/push")


class HarshStandin(LineApiStandin):
    def __init__(
        self,
        channel_access_token: str,
        *,
        rate_per_second: int = 200,
        error_rate: float = 0.0,
        seed: int = 12,
        latency: float = 0.0,
    ) -> None:
        super().__init__(channel_access_token, latency=latency)
        self.rate_per_second = rate_per_second
        self.error_rate = error_rate
        self._harsh_random = random.Random(seed)
        self._harsh_window: deque[float] = deque()
        self._harsh_lock = threading.Lock()
        self.throttled = 0
        self.errors_before = 0
        self.errors_after = 0

    def _admit(self) -> bool:
        with self._harsh_lock:
            now = time.monotonic()
            while self._harsh_window and now - self._harsh_window[0] >= 1.0:
                self._harsh_window.popleft()
            if len(self._harsh_window) >= self.rate_per_second:
                self.throttled += 1
                return False
            self._harsh_window.append(now)
            return True

    def _roll(self) -> str:
        with self._harsh_lock:
            draw = self._harsh_random.random()
        if draw < self.error_rate / 2:
            return "before"
        if draw < self.error_rate:
            return "after"
        return "ok"

    def handle(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        query: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> StandinResponse:
        if path not in LIMITED:
            return super().handle(method, path, headers=headers, body=body, query=query, **extra)
        if not self._admit():
            return StandinResponse(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
        fate = self._roll()
        if fate == "before":
            with self._harsh_lock:
                self.errors_before += 1
            return StandinResponse(500, {"message": "Internal Server Error"})
        answer = super().handle(method, path, headers=headers, body=body, query=query, **extra)
        if fate == "after" and answer.status < 300:
            with self._harsh_lock:
                self.errors_after += 1
            return StandinResponse(500, {"message": "Internal Server Error"})
        return answer
