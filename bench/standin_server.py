"""The LINE API stand-in in a process of its own, with a few /__bench endpoints for the bench.

Run by bench/webhook.py as ``python -m bench.standin_server --token T``; prints
``READY <url>`` on stdout once it listens and serves until stdin closes or it is terminated.
The stand-in itself (simulator.line_api) is used unchanged, request validation included; this
module only adds:

- ``POST /__bench/tokens`` ``{"users": [...]}`` -> ``{"tokens": [...]}``: one single-use reply
  token per user, so replies are checked exactly as LINE checks them;
- ``GET /__bench/stats`` -> replies accepted and rejected, the monotonic time of the last
  accepted reply, and the first rejection messages;
- ``GET /__bench/times`` -> ``{reply token: monotonic time accepted}`` (time.monotonic is
  CLOCK_MONOTONIC on Linux, the same clock in every process, so the load generator's send
  times compare with it);
- ``GET /__bench/sample?n=3`` -> the first text of a few accepted replies;
- ``POST /__bench/reset`` -> forget everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

from simulator.keepalive import make_keepalive_server
from simulator.line_api import LineApiStandin, StandinResponse, create_blueprint

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"


class CountingStandin(LineApiStandin):
    """The stand-in, plus counters of reply requests and the time each token was accepted."""

    def __init__(self, channel_access_token: str) -> None:
        super().__init__(channel_access_token, strict_reply_tokens=True)
        self._bench_lock = threading.Lock()
        self.reset_counts()

    def reset_counts(self) -> None:
        with self._bench_lock:
            self.accepted_at: dict[str, float] = {}
            self.rejected = 0
            self.pushed = 0  # accepted pushes (the bot's fallback for refused reply tokens)
            self.rejections: list[str] = []
            self.last_accept: float | None = None
            self.samples: list[str] = []

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
        answer = super().handle(
            method, path, headers=headers, body=body, query=query, client_port=client_port
        )
        if path == PUSH_PATH and answer.status < 300:
            with self._bench_lock:
                self.pushed += 1
                self.last_accept = time.monotonic()
            return answer
        if path != REPLY_PATH:
            return answer
        now = time.monotonic()
        with self._bench_lock:
            if answer.status < 300:
                parsed = json.loads(body)
                self.accepted_at[parsed["replyToken"]] = now
                self.last_accept = now
                if len(self.samples) < 20:
                    self.samples.append(_first_text(parsed.get("messages") or []))
            else:
                self.rejected += 1
                if len(self.rejections) < 5:
                    self.rejections.append(f"{answer.status} {answer.body.get('message')}")
        return answer

    def stats(self) -> dict[str, Any]:
        with self._bench_lock:
            return {
                "accepted": len(self.accepted_at),
                "rejected": self.rejected,
                "pushed": self.pushed,
                "last_accept": self.last_accept,
                "rejections": list(self.rejections),
            }


def _first_text(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("type") == "text":
            return str(message.get("text", ""))
        if message.get("type") == "flex":
            return f"[flex] {message.get('altText', '')}"
    return f"[{messages[0].get('type') if messages else 'no message'}]"


def build_app(standin: CountingStandin) -> Flask:
    """The stand-in's blueprint at the root (as LINE serves it) plus the /__bench routes."""
    app = Flask(__name__)

    def as_json(payload: Any) -> Response:
        return Response(json.dumps(payload, ensure_ascii=False), mimetype="application/json")

    @app.post("/__bench/tokens")
    def tokens() -> Response:
        users = (request.get_json(force=True) or {}).get("users", [])
        return as_json({"tokens": [standin.issue_reply_token(str(u)) for u in users]})

    @app.get("/__bench/stats")
    def stats() -> Response:
        return as_json(standin.stats())

    @app.get("/__bench/times")
    def times() -> Response:
        with standin._bench_lock:
            return as_json(dict(standin.accepted_at))

    @app.get("/__bench/sample")
    def sample() -> Response:
        n = min(int(request.args.get("n", "3")), 20)
        with standin._bench_lock:
            return as_json(standin.samples[:n])

    @app.post("/__bench/reset")
    def reset() -> Response:
        standin.clear()
        standin.reset_counts()
        standin.latency = 0.0
        return as_json({"ok": True})

    @app.post("/__bench/config")
    def config() -> Response:
        """{"latency": s, "fault_rate": 0.3, "fault_statuses": [500, 429, 400]} for replies."""
        conf = request.get_json(force=True) or {}
        standin.latency = float(conf.get("latency", 0.0))
        statuses = tuple(int(s) for s in conf.get("fault_statuses", [500]))
        standin.fail_randomly(float(conf.get("fault_rate", 0.0)), statuses, REPLY_PATH, seed=1)
        return as_json({"ok": True})

    app.register_blueprint(create_blueprint(standin))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True, help="the channel access token to accept")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    standin = CountingStandin(args.token)
    # HTTP/1.1 keep-alive, as LINE's API: the SDK's pooled connections are reused, so neither
    # the bot nor the echo baseline pays a TCP connection per reply.
    server = make_keepalive_server("127.0.0.1", args.port, build_app(standin))
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    print(f"READY http://127.0.0.1:{server.port}", flush=True)
    try:
        sys.stdin.read()  # the parent closes our stdin (or terminates us) to stop
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
