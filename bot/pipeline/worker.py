"""The pipeline's threads in one process: answering (inbox) and sending (outbox) apart.

- Answering threads claim events in batches, handle each batch in one transaction and queue
  the replies in the outbox; they never wait for LINE.
- One outbox thread claims due rows (new replies, due retries, abandoned rows, pushes and
  multicasts of other features) only as far as there are free send slots, and hands them to a
  bounded pool of sender threads sharing one HTTP connection pool; each sender settles its
  row. A slow LINE therefore fills the send slots and grows the outbox, never the answering.
- A heartbeat thread records the process in `pipeline_workers` for /healthz and /metrics.

In-process wake-ups (a webhook recorded events; a send settled, so that person's next event
may go) make the common case immediate; polling every `poll_seconds` covers work from other
processes. All state is in the database, so any number of processes can run side by side.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from bot.models import OutboxStatus, PipelineWorker
from bot.pipeline import inbox, outbox, wakeup
from bot.services import Services

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0


class EventWorker:
    """Answering threads + an outbox thread + a send pool + a heartbeat, per process."""

    def __init__(
        self, services: Services, threads: int | None = None, poll_seconds: float | None = None
    ) -> None:
        settings = services.settings
        self.services = services
        self.threads = max(1, threads or settings.worker_threads)
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.poll_seconds
        self.send_slots = max(1, settings.send_concurrency)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._events_ready = threading.Event()
        self.listening = threading.Event()  # PostgreSQL: the LISTEN connection is up
        self._outbox_ready = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._reserved = 0  # send slots an answering thread holds for its batch's replies
        self._outbox_drained = True  # the outbox thread's last claim took every due row
        self._outbox_due = True  # rows may be due now: claim without waiting for the poll
        self._settled: queue.Queue[tuple[outbox.Claimed, outbox.Outcome]] = queue.Queue()
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start the threads once per process (after gunicorn forks, not before)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self.name = f"{socket.gethostname()}:{os.getpid()}"
            self._stop.clear()
            self._in_flight = 0
            self._reserved = 0
            self._pool = ThreadPoolExecutor(self.send_slots, thread_name_prefix="line-send")
            targets = [(f"answer-{i}", self._answer_loop) for i in range(self.threads)]
            targets += [
                ("outbox", self._outbox_loop),
                ("settle", self._settle_loop),
                ("heartbeat", self._heartbeat_loop),
            ]
            if wakeup.supported(self.services.db.engine):
                targets.append(("listen", self._listen_loop))
            self._threads = [
                threading.Thread(target=fn, name=f"pipeline-{name}", daemon=True)
                for name, fn in targets
            ]
            for t in self._threads:
                t.start()
            self._pid = os.getpid()

    def notify(self, count: int = 1) -> None:
        """New events were recorded: wake the answering threads."""
        self._events_ready.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming, let the sends in flight finish and settle, then stop."""
        self._stop.set()
        self._events_ready.set()
        self._outbox_ready.set()
        claimers = [t for t in self._threads if "answer" in t.name or "outbox" in t.name]
        for t in claimers:  # no new claims, so nothing new for the pool
            t.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
        for t in self._threads:  # the settle thread writes what the pool finished
            t.join(timeout)
        self._forget_heartbeat()
        self._pid = None

    # -- loops ----------------------------------------------------------------------------------

    def _answer_loop(self) -> None:
        batch = self.services.settings.claim_batch
        while not self._stop.is_set():
            self._events_ready.clear()
            reserved = self._reserve_slots(batch)
            sends: list[outbox.Claimed] = []
            try:
                claimed = inbox.claim(self.services, batch)
                if claimed:
                    queued, sends = inbox.handle_batch(self.services, claimed, reserved)
                    if queued > len(sends):
                        self._wake_outbox()  # the rest waits for a free slot
            except Exception:
                log.exception("answering iteration failed")
                claimed = []
                self._stop.wait(self.poll_seconds)
            finally:
                self._start_sends(sends, reserved)
            if not claimed:
                self._events_ready.wait(self.poll_seconds)

    def _reserve_slots(self, wanted: int) -> int:
        """Send slots for the replies of the next batch, so they go out right after its
        commit. None while the outbox thread has due rows it could not take (retries and
        earlier replies are then served first, in their order)."""
        with self._lock:
            if not self._outbox_drained:
                return 0
            free = self.send_slots - self._in_flight - self._reserved
            taken = max(0, min(free, wanted))
            self._reserved += taken
            return taken

    def _start_sends(self, sends: list[outbox.Claimed], reserved: int) -> None:
        assert self._pool is not None
        with self._lock:
            self._reserved -= reserved
            self._in_flight += len(sends)
        for item in sends:
            self._pool.submit(self._send, item)

    def _outbox_loop(self) -> None:
        """Claim due rows as far as there are free send slots. A claim is a write transaction,
        so it runs only when rows may be due: this process queued rows it could not send at
        once, a send did not end as sent (a retry or a fallback push is due), the last claim
        filled every free slot, or `poll_seconds` passed (other processes' rows, retries whose
        wait is over), not on every settled send."""
        next_poll = 0.0
        while not self._stop.is_set():
            self._outbox_ready.clear()
            with self._lock:
                free = self.send_slots - self._in_flight - self._reserved
                due = self._outbox_due or time.monotonic() >= next_poll
                if free > 0 and due:
                    self._outbox_due = False
            claimed: list[outbox.Claimed] = []
            drained = free > 0
            if free > 0 and due:
                next_poll = time.monotonic() + self.poll_seconds
                try:
                    claimed = outbox.claim(self.services, free)
                    drained = len(claimed) < free  # nothing due was left behind
                except Exception:
                    log.exception("outbox claim failed")
                    self._stop.wait(self.poll_seconds)
            with self._lock:
                self._outbox_drained = drained
                if not drained:
                    self._outbox_due = True  # claim again as soon as a slot is free
            assert self._pool is not None
            for item in claimed:
                with self._lock:
                    self._in_flight += 1
                self._pool.submit(self._send, item)
            if not claimed:
                # No free slot: until one is (or a poll's time). Else until rows are due.
                wait = self.poll_seconds if free <= 0 else next_poll - time.monotonic()
                self._outbox_ready.wait(max(0.001, wait))

    def _wake_outbox(self) -> None:
        """Rows are due now: the outbox thread claims at its next turn."""
        with self._lock:
            self._outbox_due = True
        self._outbox_ready.set()

    def _send(self, item: outbox.Claimed) -> None:
        try:
            self._settled.put((item, outbox.attempt(self.services, item)))
        except Exception:
            # The row stays claimed; its lease runs out and another attempt is made.
            log.exception("outbox %s: send failed", item.id)
            self._slot_free(1)

    def _settle_loop(self) -> None:
        """Write the outcomes of finished sends, as many as are waiting, in one transaction
        (on SQLite every write transaction takes the database's one write lock)."""
        while not (self._stop.is_set() and self._settled.empty() and not self._in_flight):
            try:
                batch = [self._settled.get(timeout=self.poll_seconds)]
            except queue.Empty:
                continue
            while len(batch) < 64:
                try:
                    batch.append(self._settled.get_nowait())
                except queue.Empty:
                    break
            try:
                outbox.settle_many(self.services, batch)
            except Exception:
                # Left claimed: the leases run out and the rows are attempted again.
                log.exception("settling %d outbox row(s) failed", len(batch))
            if any(outcome.status != OutboxStatus.SENT for _, outcome in batch):
                self._wake_outbox()  # a fallback push may be due now
            self._slot_free(len(batch))

    def _slot_free(self, count: int) -> None:
        with self._lock:
            self._in_flight -= count
        self._outbox_ready.set()  # a slot is free
        self._events_ready.set()  # that person's next event may be claimable now

    def _listen_loop(self) -> None:
        """PostgreSQL: LISTEN for other processes' work (see bot/pipeline/wakeup.py)."""
        wake = {wakeup.EVENTS: self._events_ready.set, wakeup.OUTBOX: self._wake_outbox}
        wakeup.listen(self.services.db.engine, wake, self._stop, self.listening)

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._beat()
            except Exception as e:
                log.warning("heartbeat failed: %s", type(e).__name__)
            self._stop.wait(HEARTBEAT_SECONDS)

    def _beat(self) -> None:
        with self.services.db.session() as session:
            now = self.services.now(session)
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            stmt = insert(PipelineWorker).values(name=self.name, started_at=now, seen_at=now)
            session.execute(
                stmt.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now})
            )

    def _forget_heartbeat(self) -> None:
        try:
            with self.services.db.session() as session:
                session.execute(delete(PipelineWorker).where(PipelineWorker.name == self.name))
        except Exception as e:
            log.warning("could not remove heartbeat: %s", type(e).__name__)


def run_until_idle(services: Services, max_seconds: float = 30.0) -> int:
    """Handle every claimable event and send every due outbox row now, in this thread, the
    way the worker's threads do (a batch's replies claimed with it, outcomes settled
    together), one send at a time. Returns the units of work done (events handled + sends
    attempted)."""
    done = 0
    deadline = time.monotonic() + max_seconds
    batch = services.settings.claim_batch
    while time.monotonic() < deadline:
        claimed = inbox.claim(services, batch)
        _, sends = inbox.handle_batch(services, claimed, send_slots=batch)
        sends += outbox.claim(services, batch)
        if sends:
            outbox.settle_many(
                services, [(item, outbox.attempt(services, item)) for item in sends]
            )
        if not claimed and not sends:
            break
        done += len(claimed) + len(sends)
    return done
