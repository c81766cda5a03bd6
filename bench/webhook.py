"""Webhook throughput under gunicorn, beside the SDK's echo pattern and a bare verifier.

Three servers run in turn, each under gunicorn with 2 workers on a free loopback port:

- ``bare``: verifies and parses only (bench/bare_app.py), sync workers: the limit;
- ``echo``: line-bot-sdk-python's flask-echo pattern, replying synchronously in the request
  (bench/echo_app.py), sync workers, as the SDK example would run;
- ``bot``: this app as the Procfile runs it (``gunicorn -c gunicorn.conf.py
  "app:create_app()"``, WEB_CONCURRENCY=2: gthread workers with 4 threads): verify,
  deduplicate, persist, then answer and reply from the background workers via the outbox.

All replies go to the LINE API stand-in (simulator/line_api.py, validation on, strict reply
tokens) in a process of its own (bench/standin_server.py). A load generator in another
process (bench/loadgen.py) posts signed single-event bodies over C concurrent connections.
For each server: requests/s, webhook p50/p99, replies the stand-in accepted (after waiting
for the bot's queue to drain) and, since the bot replies off the request path, the time to
its last reply and the reply latency end to end. Not a test: it prints figures.

    .venv/bin/python bench/webhook.py                 # SQLite (fresh file), N=2000, C=8
    .venv/bin/python bench/webhook.py --postgres      # PostgreSQL at 127.0.0.1:5432/test
    .venv/bin/python bench/webhook.py --postgres-url postgresql+psycopg://…/mydb  # (or
                                                      # BENCH_POSTGRES_URL) another database
    .venv/bin/python bench/webhook.py -n 500 --servers bot   # quick look at the bot alone
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/webhook.py`
    sys.path.insert(0, str(ROOT))

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"
WORKERS = 2
# Where the bot's PostgreSQL runs live (a schema of their own in this database).
PG_BASE_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_SCHEMA = "bench_webhook"  # our own schema: tables in `public` (the tests') stay untouched
P99_TARGET_MS = 50.0
ACCESS_FORMAT = "access pid=%(p)s %(m)s %(U)s %(s)s %(L)s"

# What citizens ask the city's account: plan topics, everyday phrasing, small talk, off-topic.
QUESTIONS = [
    "マイナカード",
    "マイナンバーカードの交付率は今何パーセント？",
    "市役所の手続きってネットでできるようになるの？",
    "書かない窓口ってなに",
    "公園のベンチが壊れていたらスマホで連絡できますか",
    "子育ての相談をオンラインでしたい",
    "コンビニで住民票は取れますか",
    "学校のタブレット端末について教えて",
    "公共施設の予約はネットでできる？",
    "市役所のフリーWi-Fiはありますか",
    "取組1-5",
    "DXって何ですか",
    "高齢者向けのスマホ教室はありますか",
    "キャッシュレス決済で税金を払いたい",
    "こんにちは",
    "ありがとう",
    "オープンデータはどこで見られますか",
    "今日の天気は？",
    "一覧",
    "電子申請の件数はどれくらい増えた？",
]


@dataclass(frozen=True)
class ServerSpec:
    """One server under test: a gunicorn app target and its worker options."""

    name: str
    title: str
    target: str
    config: str | None  # gunicorn config file under the repo root, as the Procfile gives it
    gunicorn_args: tuple[str, ...]
    replies: bool  # whether it answers every text message


@dataclass
class Result:
    """The figures of one server's measured run."""

    name: str
    requests: int
    seconds: float
    latency_ms: list[float]
    statuses: dict[str, int]
    errors: int
    replies: int
    rejected: int
    rejections: list[str]
    e2e_seconds: float | None = None
    reply_latency_ms: list[float] = field(default_factory=list)
    server_cpu_ms: float = 0.0  # gunicorn CPU (master + workers) per measured request
    worker_cpu_ms: float = 0.0  # the bot's `events work` processes' CPU per measured request
    standin_cpu_ms: float = 0.0  # LINE stand-in CPU per measured request
    machine_busy: float = 0.0  # all cores' busy share during the run (includes others' work)
    notes: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)  # the bot's further runs (see main)

    @property
    def rps(self) -> float:
        return len(self.latency_ms) / self.seconds if self.seconds else 0.0

    @property
    def e2e_rps(self) -> float | None:
        if not self.e2e_seconds or not self.replies:
            return None
        return self.replies / self.e2e_seconds


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env() -> dict[str, str]:
    """The environment for child processes: ours, minus development switches."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"APP_ENV", "FLASK_DEBUG", "SIMULATOR", "DATABASE_URL", "PORT"}
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stop(proc: subprocess.Popen[Any] | None, grace: float = 10.0) -> None:
    """Terminate a child started with start_new_session=True, and its whole process group."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class Standin:
    """The LINE stand-in process and a client for its /__bench endpoints."""

    def __init__(self, base_latency: float = 0.0) -> None:
        # Every LINE call takes this long (s): LINE's API is over the internet, not loopback.
        self.base_latency = base_latency
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.standin_server", "--token", TOKEN],
            cwd=ROOT,
            env=base_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.url = self._wait_ready(20.0)
        self.http = requests.Session()

    def _wait_ready(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise RuntimeError("the LINE stand-in did not start")
            line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"the LINE stand-in said {line!r}")
        return line.split(" ", 1)[1]

    def reset(self) -> None:
        self.http.post(f"{self.url}/__bench/reset", timeout=10).raise_for_status()
        if self.base_latency:
            self.configure()

    def tokens(self, users: list[str]) -> list[str]:
        r = self.http.post(f"{self.url}/__bench/tokens", json={"users": users}, timeout=30)
        r.raise_for_status()
        return list(r.json()["tokens"])

    def stats(self) -> dict[str, Any]:
        r = self.http.get(f"{self.url}/__bench/stats", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def times(self) -> dict[str, float]:
        r = self.http.get(f"{self.url}/__bench/times", timeout=30)
        r.raise_for_status()
        return dict(r.json())

    def configure(self, latency: float | None = None, fault_rate: float = 0.0) -> None:
        """LINE slow by `latency` s (default: `--line-latency`), and/or failing `fault_rate`
        of replies (500/429/400)."""
        latency = self.base_latency if latency is None else latency
        conf = {"latency": latency, "fault_rate": fault_rate, "fault_statuses": [500, 429, 400]}
        self.http.post(f"{self.url}/__bench/config", json=conf, timeout=10).raise_for_status()

    def sample(self, n: int = 3) -> list[str]:
        r = self.http.get(f"{self.url}/__bench/sample", params={"n": n}, timeout=10)
        r.raise_for_status()
        return list(r.json())

    def wait_for(self, expected: int, timeout: float) -> dict[str, Any]:
        """Poll until `expected` replies were answered (accepted or rejected) or `timeout`."""
        deadline = time.monotonic() + timeout
        stats = self.stats()
        while stats["accepted"] + stats["rejected"] < expected and time.monotonic() < deadline:
            time.sleep(0.05)
            stats = self.stats()
        return stats

    def close(self) -> None:
        self.http.close()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            stop(self.proc)


@contextlib.contextmanager
def gunicorn(
    spec: ServerSpec, env: dict[str, str], log_path: Path, access_log: bool = False
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Serve `spec` under gunicorn on a free loopback port until the block ends."""
    port = free_port()
    # gunicorn reads ./gunicorn.conf.py by default: the bot's (Procfile: -c gunicorn.conf.py).
    # The baselines get an empty config instead, so they run as plain `gunicorn app:app`.
    config = ROOT / spec.config if spec.config else log_path.with_suffix(".conf.py")
    if not spec.config:
        config.write_text("# baseline: gunicorn defaults plus the command line\n")
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config),
        spec.target,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "30",
        *spec.gunicorn_args,
    ]
    if access_log:
        # Our format (the default one lacks these): worker pid, request, status, seconds. Off
        # unless asked for, as in gunicorn's defaults and the bot's gunicorn.conf.py: the
        # servers are measured as they would run, and a log line per request costs CPU.
        cmd += ["--access-logfile", "-", "--access-logformat", ACCESS_FORMAT]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_listening(port, proc, log_path, 30.0)
            yield port, proc
        finally:
            stop(proc)


def start_event_workers(env: dict[str, str], count: int, workdir: Path) -> list[Any]:
    """The Procfile's `worker` processes (`flask --app app events work`)."""
    procs = []
    for i in range(count):
        log = (workdir / f"event-worker-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "events", "work"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return procs


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until both workers answer HTTP (GET / may 404: that is an answer)."""
    deadline = time.monotonic() + timeout
    answered = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{tail(log)}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            answered += 1
            if answered >= 2 * WORKERS:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_load(
    port: int, bodies: list[dict[str, str]], concurrency: int, rate: float = 0.0
) -> dict[str, Any]:
    """Run bench/loadgen.py in its own process over `bodies` (open loop at `rate` per second
    when given); return its figures."""
    job = {
        "host": "127.0.0.1",
        "port": port,
        "rate": rate,
        "concurrency": concurrency,
        "timeout": 30,
        "max_seconds": 240,
        "requests": bodies,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        cwd=ROOT,
        env=base_env(),
        input=json.dumps(job, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


# --- workload -------------------------------------------------------------------------------


def make_requests(
    standin: Standin, count: int, users: list[str], rng: random.Random, distinct: bool = False
) -> list[dict[str, str]]:
    """`count` signed bodies, one text event each, with stand-in-issued reply tokens; from
    `count` different people when `distinct` (else a person may ask several times, and then
    waits for each answer before the next, as the bot keeps one person's answers in order)."""
    from tests import builders

    senders = rng.sample(users, count) if distinct else [rng.choice(users) for _ in range(count)]
    tokens = standin.tokens(senders)
    out = []
    for i, (user, token) in enumerate(zip(senders, tokens, strict=True)):
        raw = builders.body(builders.text(user, QUESTIONS[i % len(QUESTIONS)], token))
        out.append({"body": raw, "signature": builders.sign(SECRET, raw), "token": token})
    return out


# --- databases ------------------------------------------------------------------------------


def prepare_database(postgres: bool, workdir: Path) -> str:
    """A fresh, migrated database for the bot; returns its URL."""
    from sqlalchemy import create_engine, text

    from bot import migrate

    if not postgres:
        url = f"sqlite:///{workdir / 'bot.sqlite3'}"
        migrate.upgrade(url)
        return url
    engine = create_engine(PG_BASE_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    finally:
        engine.dispose()
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{PG_SCHEMA}"
    migrate.upgrade(url)
    return url


def drop_postgres_schema() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_BASE_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    finally:
        engine.dispose()


def database_facts(url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                version = conn.execute(text("select sqlite_version()")).scalar_one()
                return f"SQLite {version} (file, WAL)"
            version = conn.execute(text("show server_version")).scalar_one()
            database = make_url(PG_BASE_URL).database
            return f"PostgreSQL {version} (schema {PG_SCHEMA} of database {database})"
    finally:
        engine.dispose()


def queue_summary(url: str) -> str:
    """Events and replies by status after the bot's run: evidence the work was done."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            parts = []
            for table, by in (("webhook_events", "status"), ("outbox", "kind || ':' || status")):
                rows = conn.execute(
                    text(f"select {by}, count(*) from {table} group by 1 order by 1")
                ).all()
                parts.append(f"{table}: " + ", ".join(f"{s}={n}" for s, n in rows))
            return "; ".join(parts)
    finally:
        engine.dispose()


# --- one server -----------------------------------------------------------------------------


def bench_server(
    spec: ServerSpec,
    env: dict[str, str],
    standin: Standin,
    args: argparse.Namespace,
    users: list[str],
    log_path: Path,
    extra: Callable[[int, list[int]], list[str]] | None = None,
    event_workers: Sequence[int] = (),
) -> Result:
    rng = random.Random(f"{spec.name}-{args.seed}")
    standin.reset()
    warmup = make_requests(standin, args.warmup, users, rng)
    with gunicorn(spec, env, log_path, args.access_log) as (port, proc):
        # Warm-up: both workers import, connect and (the bot) build the answer engine.
        run_load(port, warmup, args.concurrency)
        if spec.replies:
            standin.wait_for(len(warmup), args.drain_timeout)
        # Built now, not before the servers started: an event carries LINE's timestamp, and
        # the bot measures the reply window from it.
        measured = make_requests(standin, args.n, users, rng)
        before = standin.stats()
        log_mark = count_lines(log_path)
        pids = worker_pids(proc.pid)
        cpu0 = cpu_seconds(pids), cpu_seconds([standin.proc.pid]), machine_busy_seconds()
        worker0 = cpu_seconds(event_workers)
        wall0 = time.monotonic()
        with profiling(proc.pid, log_path.parent / spec.name, args.profile):
            load = run_load(port, measured, args.concurrency)
        expected = before["accepted"] + before["rejected"] + (args.n if spec.replies else 0)
        after = standin.wait_for(expected, args.drain_timeout) if spec.replies else standin.stats()
        cpu1 = cpu_seconds(pids), cpu_seconds([standin.proc.pid]), machine_busy_seconds()
        worker1 = cpu_seconds(event_workers)
        wall = time.monotonic() - wall0
        times = standin.times() if spec.replies else {}
        samples = standin.sample(3) if spec.replies else []
        more = extra(port, worker_pids(proc.pid)) if extra is not None else []
        rss = peak_rss(worker_pids(proc.pid))
    per_pid, server_seconds = access_split(log_path, log_mark)
    latencies = [x for x in load["latency_ms"] if x is not None]
    result = Result(
        name=spec.name,
        requests=len(measured),
        seconds=load["end"] - load["start"],
        latency_ms=latencies,
        statuses=load["statuses"],
        errors=load["error_count"],
        replies=after["accepted"] - before["accepted"],
        rejected=after["rejected"] - before["rejected"],
        rejections=after["rejections"],
    )
    if spec.replies and after["last_accept"] is not None and result.replies:
        result.e2e_seconds = after["last_accept"] - load["start"]
        result.reply_latency_ms = [
            (times[r["token"]] - sent) * 1000.0
            for r, sent in zip(measured, load["sent_at"], strict=True)
            if sent is not None and r["token"] in times
        ]
    result.server_cpu_ms = (cpu1[0] - cpu0[0]) * 1000.0 / args.n
    result.standin_cpu_ms = (cpu1[1] - cpu0[1]) * 1000.0 / args.n
    result.worker_cpu_ms = (worker1 - worker0) * 1000.0 / args.n
    result.machine_busy = (cpu1[2] - cpu0[2]) / (wall * (os.cpu_count() or 1))
    server_ms = [x * 1000.0 for x in server_seconds]
    if server_ms:
        result.notes.append(
            f"server side (gunicorn %(L)s): p50 {pct(server_ms, 50):.1f} ms, p99 "
            f"{pct(server_ms, 99):.1f} ms; requests per worker pid: {per_pid}"
        )
    if load["errors"]:
        result.notes.append(f"client errors, first: {load['errors'][0]}")
    if samples:
        flat = (" ".join(s.split())[:40] for s in samples)
        result.notes.append("sample replies: " + " | ".join(flat))
    result.notes.append(f"gunicorn: {worker_kind(log_path)}; peak RSS per process: {rss}")
    result.scenarios = more
    for problem in log_problems(log_path)[:3]:
        result.notes.append(f"server log: {problem}")
    return result


@contextlib.contextmanager
def profiling(master: int, prefix: Path, seconds: float) -> Iterator[None]:
    """With seconds > 0: py-spy (if installed) samples every gunicorn worker meanwhile."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if seconds <= 0 or spy is None:
        if seconds > 0:
            print("  (--profile: py-spy not found; `.venv/bin/pip install py-spy`)")
        yield
        return
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    spies = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                pid,
                "--duration",
                str(int(seconds)),
                "--rate",
                "200",
                "--gil",
                "--format",
                "raw",
                "--output",
                f"{prefix}-{pid}.txt",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for pid in children
    ]
    try:
        yield
    finally:
        for spy_proc in spies:
            try:
                spy_proc.wait(seconds + 30)
            except subprocess.TimeoutExpired:
                stop(spy_proc)
        print(f"  py-spy profiles (raw, samples holding the GIL): {prefix}-<pid>.txt")


def access_split(path: Path, since_line: int) -> tuple[dict[str, int], list[float]]:
    """POST /callback lines of the access log after `since_line`: count per worker pid, and
    the server-side seconds of each (gunicorn's %(L)s)."""
    per_pid: dict[str, int] = {}
    seconds: list[float] = []
    lines = path.read_text(errors="replace").splitlines()[since_line:]
    for line in lines:
        parts = line.split()
        if len(parts) == 6 and parts[0] == "access" and parts[3] == "/callback":
            pid = parts[1].removeprefix("pid=<").removesuffix(">").removeprefix("pid=")
            per_pid[pid] = per_pid.get(pid, 0) + 1
            with contextlib.suppress(ValueError):
                seconds.append(float(parts[5]))
    return per_pid, seconds


def count_lines(path: Path) -> int:
    return len(path.read_text(errors="replace").splitlines())


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by these processes (all their threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def peak_rss(pids: Sequence[int]) -> str:
    """Each process's peak resident memory (VmHWM), "pid: N MB"."""
    parts = []
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    parts.append(f"{pid}: {int(line.split()[1]) / 1024:.0f} MB")
    return ", ".join(parts) or "unknown"


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def worker_kind(path: Path) -> str:
    """What gunicorn says it ran: the worker class (and threads for gthread)."""
    for line in path.read_text(errors="replace").splitlines():
        if "Using worker:" in line:
            return "worker class " + line.split("Using worker:", 1)[1].strip()
    return "worker class unknown"


def log_problems(path: Path) -> list[str]:
    """The exceptions the server logged, most frequent first, as "count x message"."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    found: dict[str, int] = {}
    for line in lines:
        head = line.split(":", 1)[0]
        if " " not in head and (head.endswith(("Error", "Exception")) or head == "Exception"):
            found[line[:160]] = found.get(line[:160], 0) + 1
    return [f"{n} x {msg}" for msg, n in sorted(found.items(), key=lambda kv: -kv[1])]


def describe(r: Result) -> str:
    lines = [
        f"  requests {len(r.latency_ms)}/{r.requests} in {r.seconds:.2f}s -> {r.rps:,.0f} req/s",
        f"  webhook latency ms: p50 {pct(r.latency_ms, 50):.1f}  p90 {pct(r.latency_ms, 90):.1f}"
        f"  p99 {pct(r.latency_ms, 99):.1f}  max {max(r.latency_ms, default=float('nan')):.1f}",
        f"  HTTP statuses {r.statuses}; client errors {r.errors}",
        f"  CPU per request: server {r.server_cpu_ms:.2f} ms, "
        + (f"event worker {r.worker_cpu_ms:.2f} ms, " if r.worker_cpu_ms else "")
        + f"LINE stand-in {r.standin_cpu_ms:.2f} ms (until the replies drained); machine "
        f"busy {r.machine_busy:.0%}",
        f"  replies accepted by the stand-in: {r.replies}; rejected: {r.rejected}",
    ]
    if r.rejections:
        lines.append(f"  first rejections: {r.rejections}")
    if r.e2e_seconds is not None:
        lines.append(
            f"  end to end: last reply {r.e2e_seconds:.2f}s after the first request"
            f" -> {r.e2e_rps or 0:,.0f} replies/s"
        )
    if r.reply_latency_ms:
        lines.append(
            f"  reply latency ms (request sent -> reply at LINE): "
            f"p50 {pct(r.reply_latency_ms, 50):.1f}  p99 {pct(r.reply_latency_ms, 99):.1f}"
            f"  max {max(r.reply_latency_ms):.1f}"
        )
    lines += [f"  {note}" for note in r.notes]
    return "\n".join(lines)


def print_table(results: dict[str, Result]) -> None:
    header = (
        f"{'server':<16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'replies':>11}"
        f"{'e2e s':>8}{'replies/s':>11}{'cpu ms/req':>12}"
    )
    print(header)
    print("-" * len(header))
    for key, r in results.items():
        e2e = f"{r.e2e_seconds:.2f}" if r.e2e_seconds is not None else "-"
        e2e_rps = f"{r.e2e_rps:,.0f}" if r.e2e_rps is not None else "-"
        print(
            f"{key:<16}{r.rps:>9,.0f}{pct(r.latency_ms, 50):>9.1f}{pct(r.latency_ms, 99):>9.1f}"
            f"{f'{r.replies}/{r.requests}':>11}{e2e:>8}{e2e_rps:>11}{r.server_cpu_ms:>12.2f}"
        )
    echo, bare = results.get("echo"), results.get("bare")
    for key, bot in results.items():
        if not key.startswith("bot"):
            continue
        print(f"\n{key}:")
        if echo is not None and echo.e2e_rps and bot.e2e_rps:
            ratio = bot.e2e_rps / echo.e2e_rps
            verdict = "met" if ratio >= 1.0 else "NOT met"
            print(f"  answers end to end / echo: {ratio:.2f}x (target >= 1.0x: {verdict})")
        if bare is not None and bare.rps and bot.e2e_rps:
            ratio = bot.e2e_rps / bare.rps
            verdict = "met" if ratio >= 0.5 else "not met"
            print(f"  answers end to end / bare floor: {ratio:.2f}x (moonshot >= 0.5x: {verdict})")
        print(f"  replies delivered {bot.replies}/{bot.requests}")
        for line in bot.scenarios:
            print(f"  {line}")


def bot_scenarios(
    standin: Standin,
    args: argparse.Namespace,
    users: list[str],
    event_workers: list[subprocess.Popen[bytes]],
) -> Callable[[int, list[int]], list[str]]:
    """The bot's further runs, against the same running processes, after the burst."""

    def run(port: int, web_pids: list[int]) -> list[str]:
        rng = random.Random(f"scenarios-{args.seed}")
        lines = [steady(port, rng), slow_line(port, rng), faults(port, rng)]
        lines.append(
            "peak RSS: web "
            + peak_rss(web_pids)
            + "; worker "
            + peak_rss([p.pid for p in event_workers])
            + "; LINE stand-in "
            + peak_rss([standin.proc.pid])
        )
        return lines

    def steady(port: int, rng: random.Random) -> str:
        standin.reset()
        n = int(args.rate * args.steady_seconds)
        bodies = make_requests(standin, n, users, rng)
        load = run_load(port, bodies, 32, rate=args.rate)
        standin.wait_for(n, args.drain_timeout)
        lat = reply_latencies(bodies, load, standin.times())
        p99 = pct(lat, 99)
        verdict = "met" if p99 <= 1000 else "NOT met"
        hook = [x for x in load["latency_ms"] if x is not None]
        return (
            f"steady {args.rate:g} events/s for {args.steady_seconds:g} s, open loop: answered "
            f"{len(lat)}/{n}; reply latency p50 {pct(lat, 50):.0f} ms, p99 {p99:.0f} ms, max "
            f"{max(lat, default=float('nan')):.0f} ms (target p99 <= 1 s: {verdict}); webhook "
            f"p99 {pct(hook, 99):.1f} ms"
        )

    def slow_line(port: int, rng: random.Random) -> str:
        standin.reset()
        standin.configure(latency=3.0)
        try:
            bodies = make_requests(standin, 12, users, rng, distinct=True)
            load = run_load(port, bodies, 12)
            standin.wait_for(12, 30)
            lat = reply_latencies(bodies, load, standin.times())
        finally:
            standin.configure()
        within = sum(1 for x in lat if x <= 5000)
        verdict = "met" if within == 12 else "NOT met"
        return (
            f"LINE 3 s late: {within}/12 questions (12 people) answered within 5 s (slowest "
            f"{max(lat, default=float('nan')) / 1000:.1f} s; target 12/12: {verdict})"
        )

    def faults(port: int, rng: random.Random) -> str:
        standin.reset()
        standin.configure(fault_rate=0.3)
        try:
            bodies = make_requests(standin, 80, users, rng)
            load = run_load(port, bodies, 8)

            def answered() -> int:
                stats = standin.stats()
                return int(stats["accepted"] + stats["pushed"])

            time.sleep(max(0.0, load["start"] + 2.0 - time.monotonic()))
            at_2s = answered()
            deadline = time.monotonic() + 30
            while answered() < 80 and time.monotonic() < deadline:
                time.sleep(0.05)
            took = time.monotonic() - load["start"]
            stats = standin.stats()
        finally:
            standin.configure()
        return (
            f"LINE failing 30% of replies (500/429/invalid token), 80 questions in a burst: "
            f"{at_2s}/80 answered within 2 s, {stats['accepted'] + stats['pushed']}/80 after "
            f"{took:.1f} s ({stats['pushed']} by the push fallback)"
        )

    return run


def reply_latencies(
    bodies: list[dict[str, str]], load: dict[str, Any], times: dict[str, float]
) -> list[float]:
    """Milliseconds from each request leaving the load generator to LINE taking its reply."""
    return [
        (times[b["token"]] - sent) * 1000.0
        for b, sent in zip(bodies, load["sent_at"], strict=True)
        if sent is not None and b["token"] in times
    ]


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=1500, help="measured requests per server")
    p.add_argument("-c", "--concurrency", type=int, default=8, help="concurrent connections")
    p.add_argument("--warmup", type=int, default=200, help="unmeasured requests first")
    p.add_argument("--users", type=int, default=500, help="distinct LINE users sending")
    p.add_argument(
        "--databases",
        default="sqlite,postgres",
        help=f"the bot's databases, in this order (postgres: {PG_BASE_URL})",
    )
    p.add_argument("--postgres", action="store_true", help="same as --databases postgres")
    p.add_argument(
        "--postgres-url",
        help="the PostgreSQL database for the bot's runs (a schema of its own is made there; "
        "default BENCH_POSTGRES_URL or the local `test` database)",
    )
    p.add_argument("--rate", type=float, default=100.0, help="steady run: events per second")
    p.add_argument("--steady-seconds", type=float, default=10.0, help="steady run: duration")
    p.add_argument(
        "--servers",
        default="bare,echo,bot",
        help="comma-separated subset of bare,echo,bot, run in this order",
    )
    p.add_argument("--drain-timeout", type=float, default=60.0, help="max wait for replies (s)")
    p.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="py-spy each server's workers for SECONDS of the measured run (keeps the work dir)",
    )
    p.add_argument(
        "--event-workers", type=int, default=1, help="`events work` processes beside the web"
    )
    p.add_argument(
        "--line-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="every LINE API call answers after MS ms (default 0: loopback, CPU-bound)",
    )
    p.add_argument(
        "--access-log",
        action="store_true",
        help="gunicorn access logs for every server (server-side latency and requests per pid)",
    )
    p.add_argument("--seed", default="1")
    p.add_argument("--keep", action="store_true", help="keep the work dir (logs, SQLite file)")
    args = p.parse_args(argv)
    args.keep = args.keep or args.profile > 0
    if args.postgres:
        args.databases = "postgres"
    if set(args.databases.split(",")) - {"sqlite", "postgres"}:
        p.error("--databases takes sqlite and/or postgres")
    unknown = set(args.servers.split(",")) - {"bare", "echo", "bot"}
    if unknown:
        p.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if args.n < 1 or args.concurrency < 1 or args.warmup < 0:
        p.error("-n and -c must be positive, --warmup not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    global PG_BASE_URL
    args = parse_args(argv)
    PG_BASE_URL = args.postgres_url or PG_BASE_URL
    specs = {
        "bare": ServerSpec(
            "bare", "verify + parse only", "bench.bare_app:app", None, ("-k", "sync"), False
        ),
        "echo": ServerSpec(
            "echo", "SDK flask-echo, sync reply", "bench.echo_app:app", None, ("-k", "sync"), True
        ),
        # The Procfile: gunicorn -c gunicorn.conf.py "app:create_app()" (threads, warm-up and
        # worker start-up come from that file; WEB_CONCURRENCY=2 gives the 2 workers).
        "bot": ServerSpec(
            "bot", "the bot (Procfile)", "app:create_app()", "gunicorn.conf.py", (), True
        ),
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    rng = random.Random(args.seed)
    users = ["U" + "".join(rng.choices("0123456789abcdef", k=32)) for _ in range(args.users)]
    standin: Standin | None = None
    results: dict[str, Result] = {}
    databases = args.databases.split(",")
    try:
        standin = Standin(args.line_latency / 1000)
        print(
            f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
            f"Python {platform.python_version()} on {platform.platform()}; load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
        )
        print(
            f"gunicorn {metadata.version('gunicorn')}, line-bot-sdk "
            f"{metadata.version('line-bot-sdk')}, Flask {metadata.version('flask')}"
        )
        print(
            f"load: N={args.n} per server after {args.warmup} warm-up, C={args.concurrency}, "
            f"{args.users} users, {len(QUESTIONS)} questions cycled; LINE stand-in {standin.url}, "
            f"answering after {args.line_latency:g} ms"
        )
        common = {
            **base_env(),
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": standin.url,
            "LINE_API_DATA_BASE_URL": standin.url,
            "WEB_CONCURRENCY": str(WORKERS),
        }
        runs = [(name, None) for name in args.servers.split(",") if name != "bot"]
        if "bot" in args.servers.split(","):
            runs += [("bot", db) for db in databases]
        for name, db in runs:
            spec = specs[name]
            key = f"bot ({db})" if db else name
            env = dict(common)
            database_url = None
            if db:
                database_url = prepare_database(db == "postgres", workdir)
                env.update(
                    DATABASE_URL=database_url,
                    EVENT_WORKER="off",  # Procfile: the `worker` process handles events
                    SECRET_KEY="bench-secret-key",
                )
            flags = " ".join(
                [f"-c {spec.config or '(empty)'}", f"--workers {WORKERS}", *spec.gunicorn_args]
            )
            print(f"\n== {key}: {spec.title} — gunicorn {flags} {spec.target}")
            if database_url:
                print(f"  database: {database_facts(database_url)}")
            print(f"  load average before: {os.getloadavg()[0]:.2f} (other work on the machine)")
            started = time.monotonic()
            workers = start_event_workers(env, args.event_workers, workdir) if db else []
            extra = bot_scenarios(standin, args, users, workers) if db else None
            try:
                result = bench_server(
                    spec,
                    env,
                    standin,
                    args,
                    users,
                    workdir / f"{key}.log",
                    extra,
                    [proc.pid for proc in workers],
                )
            finally:
                for proc in workers:
                    stop(proc)
            if database_url:
                result.notes.append(queue_summary(database_url))
            results[key] = result
            print(describe(result))
            for line in result.scenarios:
                print(f"  {line}")
            print(f"  ({time.monotonic() - started:.1f}s for this server)")
        print()
        print_table(results)
        return 0
    finally:
        if standin is not None:
            standin.close()
        if args.keep:
            print(f"\nwork dir kept: {workdir}, schema {PG_SCHEMA}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            if "postgres" in databases:
                with contextlib.suppress(Exception):
                    drop_postgres_schema()


if __name__ == "__main__":
    sys.exit(main())
