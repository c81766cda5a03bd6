"""Answer-engine speed: questions/s, latency percentiles and cold start.

Run: .venv/bin/python bench/answers.py [--asks 10000]
Single process, one core (BLAS threads pinned to 1 before numpy loads).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.answers import AnswerEngine, load_rules  # noqa: E402
from bot.content import load_plan, load_replies  # noqa: E402
from bot.replies import Renderer  # noqa: E402

COLD = (
    "import time; t = time.perf_counter();"
    "from bot.content import load_plan, load_replies;"
    "from bot.answers import AnswerEngine, load_rules;"
    "plan = load_plan(); e = AnswerEngine.from_content(plan, load_rules(), semantic='background');"
    "e.ask('マイナカードの目標は？'); print(time.perf_counter() - t);"
    "from bot.replies import Renderer;"
    "r = Renderer(plan, load_replies()); r.answer(e.ask('マイナカードの目標は？'));"
    "print(time.perf_counter() - t);"
    "e.semantic.wait(60); print(time.perf_counter() - t)"
)


def questions() -> list[str]:
    out: list[str] = []
    # every tuning set (each blind set joins once it has been measured and seen)
    for name in ("questions.yaml", "holdout.yaml", "blind1.yaml", "blind.yaml", "blind3.yaml"):
        with (ROOT / "tests" / "eval" / name).open(encoding="utf-8") as f:
            out += [item["q"] for item in yaml.safe_load(f)["questions"]]
    return out


def cold_start() -> tuple[float, float, float]:
    """Seconds, in a fresh interpreter, until (1) the engine answers its first question
    (import, content, engine; the second scorer starts loading in a background thread),
    (2) the first reply is built as LINE messages (the LINE SDK's import is most of it),
    (3) the second scorer is ready. Best of three."""
    runs = []
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-c", COLD],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        engine, reply, ready = proc.stdout.strip().splitlines()[-3:]
        runs.append((float(engine), float(reply), float(ready)))
    return min(runs)


def run(
    engine: AnswerEngine, qs: list[str], asks: int, label: str, renderer: Renderer | None = None
) -> None:
    """Ask every question in turn until `asks`; with a renderer, build the reply too."""
    if renderer is None:
        ask = engine.ask
    else:

        def ask(q: str) -> object:
            return renderer.answer(engine.ask(q))

    for q in qs:  # warm caches
        ask(q)
    gc.freeze()  # as Services.warm() does in the web and worker processes
    times: list[float] = []
    cpu_start = time.process_time()
    total_start = time.perf_counter()
    while len(times) < asks:
        for q in qs:
            t = time.perf_counter()
            ask(q)
            times.append(time.perf_counter() - t)
    wall = time.perf_counter() - total_start
    cpu = time.process_time() - cpu_start
    ms = sorted(x * 1000 for x in times)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    print(f"[{label}] {len(times)} asks over {len(qs)} questions")
    print(
        f"  questions/s : {len(times) / wall:,.0f} wall-clock, "
        f"{len(times) / cpu:,.0f} per CPU-second"
    )
    print(f"  mean ms     : {statistics.fmean(ms):.3f}")
    print(f"  p50 ms      : {p(0.50):.3f}")
    print(f"  p99 ms      : {p(0.99):.3f}")


def load_note() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    cores = os.cpu_count()
    return f"load average {one:.1f} / {five:.1f} on {cores} cores (wall-clock figures suffer)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--asks", type=int, default=10_000)
    args = parser.parse_args()
    qs = questions()
    plan, rules = load_plan(), load_rules()

    print(load_note())
    engine, reply, ready = cold_start()
    print(f"cold start, engine answers (import, content, engine): {engine:.2f} s")
    print(f"  first reply as LINE messages (+ LINE SDK import, renderer): {reply:.2f} s")
    print(f"  second scorer ready (background thread): {ready:.2f} s")
    run(AnswerEngine.from_content(plan, rules), qs, args.asks, "engine, lexical only")
    full = AnswerEngine.from_content(plan, rules, semantic="sync")
    run(full, qs, args.asks, "engine with the second scorer")
    renderer = Renderer(plan, load_replies())
    run(full, qs, args.asks, "engine + second scorer + reply messages", renderer)


if __name__ == "__main__":
    main()
