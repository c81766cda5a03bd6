"""Load generator: POST pre-signed webhook bodies over C concurrent keep-alive connections.

Run by bench/webhook.py as ``python -m bench.loadgen`` in a process of its own (so it does not
share a GIL with the servers or the LINE stand-in). Reads a JSON job on stdin::

    {"host": "127.0.0.1", "port": 8000, "path": "/callback", "concurrency": 8,
     "timeout": 30, "requests": [{"body": "...", "signature": "..."}, ...]}

and writes one JSON object on stdout: per-request latency (ms) and send time
(time.monotonic, comparable with the stand-in's), HTTP status counts, errors, start/end.

Each of the C threads owns one http.client connection and reuses it while the server keeps it
open (gunicorn's gthread worker does; its sync worker closes after every response, and then
http.client reconnects, as LINE's own client would). Bodies and signatures are built before
the clock starts, so the generator does no JSON or HMAC work while measuring.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from typing import Any


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Send every request of `job`; return latencies, send times, statuses and errors."""
    requests_: list[dict[str, str]] = job["requests"]
    prepared = [
        (
            r["body"].encode(),
            {
                "Content-Type": "application/json; charset=utf-8",
                "X-Line-Signature": r["signature"],
                "User-Agent": "LineBotWebhook/2.0",
            },
        )
        for r in requests_
    ]
    n = len(prepared)
    latency_ms: list[float | None] = [None] * n
    sent_at: list[float | None] = [None] * n
    statuses: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    next_index = itertools.count()  # next() on itertools.count is atomic under the GIL
    host, port, path = job["host"], int(job["port"]), job.get("path", "/callback")
    timeout = float(job.get("timeout", 30))
    rate = float(job.get("rate", 0))  # > 0: open loop, request i leaves at start + i/rate
    deadline = time.monotonic() + float(job.get("max_seconds", 300))

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            while time.monotonic() < deadline:
                i = next(next_index)
                if i >= n:
                    return
                if rate > 0:
                    time.sleep(max(0.0, start + i / rate - time.monotonic()))
                body, headers = prepared[i]
                for attempt in range(2):  # one retry: a kept-alive socket the server closed
                    t0 = time.monotonic()
                    try:
                        conn.request("POST", path, body, headers)
                        response = conn.getresponse()
                        response.read()
                    except (OSError, http.client.HTTPException) as e:
                        conn.close()
                        if attempt == 1:
                            with lock:
                                errors.append(f"{type(e).__name__}: {e}")
                        continue
                    t1 = time.monotonic()
                    latency_ms[i] = (t1 - t0) * 1000.0
                    sent_at[i] = t0
                    with lock:
                        key = str(response.status)
                        statuses[key] = statuses.get(key, 0) + 1
                    break
        finally:
            conn.close()

    threads = [
        threading.Thread(target=worker, name=f"load-{k}", daemon=True)
        for k in range(int(job["concurrency"]))
    ]
    start = time.monotonic() + (0.2 if rate > 0 else 0.0)  # open loop: threads up first
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + timeout)
    end = time.monotonic()
    return {
        "latency_ms": latency_ms,
        "sent_at": sent_at,
        "statuses": statuses,
        "errors": errors[:20],
        "error_count": len(errors),
        "start": start,
        "end": end,
    }


def main() -> None:
    job = json.load(sys.stdin)
    json.dump(run(job), sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
