"""Background event workers: threads in each web process that drain the database queue.

The webhook wakes them after recording events; they also poll, so events left behind by a
process that died, and replies waiting for a retry, are picked up by whichever process is
alive. All state is in the database, so any number of web processes can run side by side.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from bot.events import work_once
from bot.services import Services

log = logging.getLogger(__name__)


class EventWorker:
    """N daemon threads running `work_once` until idle, then waiting for a wake-up or a poll."""

    def __init__(self, services: Services, threads: int = 2, poll_seconds: float = 0.5) -> None:
        self.services = services
        self.threads = max(1, threads)
        self.poll_seconds = poll_seconds
        self._wake = threading.Semaphore(0)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []

    def ensure_started(self) -> None:
        """Start the threads once per process (after gunicorn forks, not before)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._stop.clear()
            self._threads = [
                threading.Thread(target=self._run, name=f"event-worker-{i}", daemon=True)
                for i in range(self.threads)
            ]
            for t in self._threads:
                t.start()
            self._pid = os.getpid()

    def notify(self, count: int = 1) -> None:
        """New events were recorded: wake up to `count` threads."""
        for _ in range(min(count, self.threads)):
            self._wake.release()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for _ in self._threads:
            self._wake.release()
        for t in self._threads:
            t.join(timeout)
        self._pid = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = work_once(self.services)
            except Exception:
                log.exception("event worker iteration failed")
                busy = False
                time.sleep(self.poll_seconds)
            if not busy:
                self._wake.acquire(timeout=self.poll_seconds)


def run_until_idle(services: Services, max_seconds: float = 30.0) -> int:
    """Process everything that is due now, in this thread. Returns the units of work done."""
    done = 0
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and work_once(services):
        done += 1
    return done
