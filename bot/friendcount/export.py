"""The dashboard's CSV: one row per day with LINE's figures and the webhook ledger."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .clock import days as day_range
from .ledger import LedgerDay
from .report import Snapshot
from .wording import Wording

COLUMNS = (
    "day", "status", "followers", "reachable", "blocks", "targeted_reaches",
    "follows", "refollows", "unfollows", "sample",
)  # fmt: skip


def to_csv(snapshots: Sequence[Snapshot], ledger: Sequence[LedgerDay], w: Wording) -> str:
    """UTF-8 with a BOM (so spreadsheet software reads the Japanese headers), CRLF lines.

    Days without a snapshot still get a row (status 'missing'): gaps stay visible.
    """
    by_day = {s.day: s for s in snapshots}
    ledger_by_day = {d.day: d for d in ledger}
    known = sorted(set(by_day) | set(ledger_by_day))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([w.text(f"csv.{c}") for c in COLUMNS])
    if not known:
        return out.getvalue()
    for day in day_range(known[0], known[-1]):
        s = by_day.get(day)
        d = ledger_by_day.get(day, LedgerDay(day))
        writer.writerow(
            [
                day.isoformat(),
                s.status if s else "missing",
                _cell(s.followers if s else None),
                _cell(s.reachable if s else None),
                _cell(s.blocks if s else None),
                _cell(s.targeted_reaches if s else None),
                d.follows,
                d.refollows,
                d.unfollows,
                1 if s and s.sample else 0,
            ]
        )
    return out.getvalue()


def _cell(value: int | None) -> str | int:
    return "" if value is None else value
