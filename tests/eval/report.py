"""Print the evaluation figures of one or more question sets (README figures).

Run: .venv/bin/python tests/eval/report.py [questions.yaml holdout.yaml blind.yaml] [-v]
[--lexical] (without the second scorer)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.answers import AnswerEngine, load_rules
from bot.content import load_plan
from tests.eval.scoring import evaluate, load


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")] or ["questions.yaml"]
    semantic = "off" if "--lexical" in argv else "sync"
    engine = AnswerEngine.from_content(load_plan(), load_rules(), semantic=semantic)
    for name in names:
        items = load(Path(name).name)
        score = evaluate(engine, items)
        print(f"== {name} ({len(items)} questions)")
        print("\n".join(score.lines()))
        if verbose:
            print("\n".join(score.misses))


if __name__ == "__main__":
    main(sys.argv[1:])
