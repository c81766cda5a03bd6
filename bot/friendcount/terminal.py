"""`flask --app app friends report`: the progress report drawn in a terminal with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .clock import TOKYO
from .report import FORECAST_WINDOW_DAYS, Report
from .wording import Wording, jdate, number, percent


def met_text(w: Wording, met: bool | None, judged: bool) -> str:
    if met is None:
        return w.text("met.unknown") if judged else w.text("met.none")
    return w.text("met.true") if met else w.text("met.false")


def render(report: Report, w: Wording, console: Console) -> None:
    """Print the headline figures, the targets per fiscal year, the pace and the ledger."""
    parts: list[object] = []
    if report.sample:
        parts.append(Text(w.text("sample"), style="bold yellow"))
    if report.latest is None:
        parts.append(Text(w.text("no_data")))
    else:
        head = Table.grid(padding=(0, 2))
        head.add_row(w.text("as_of", as_of=jdate(report.latest.day)))
        head.add_row(w.text("followers"), Text(number(report.followers), style="bold"))
        head.add_row(w.text("reachable"), number(report.reachable))
        head.add_row(w.text("blocks"), number(report.blocks))
        head.add_row(
            w.text("current_target"),
            f"{report.target.label} {number(report.target.followers)} "
            f"({jdate(report.target.deadline)})",
        )
        head.add_row(w.text("progress"), percent(report.progress))
        parts.append(head)
    if report.all_targets_past:
        parts.append(
            Text(
                w.text(
                    "all_past", label=report.target.label, target=number(report.target.followers)
                ),
                style="bold",
            )
        )
    parts.append(_targets(report, w))
    parts.append(_pace(report, w))
    parts.append(_ledger(report, w))
    if report.broadcasts:
        parts.append(_broadcasts(report, w))
    if report.gaps:
        gaps = Table(title=w.text("gaps"), title_justify="left")
        gaps.add_column(w.text("day"))
        gaps.add_column("")
        for g in report.gaps:
            span = jdate(g.first) if g.days == 1 else f"{jdate(g.first)}〜{jdate(g.last)}"
            gaps.add_row(span, w.text(f"gap.{g.reason}"))
        parts.append(gaps)
    if report.drops:
        lines = [
            w.text("drop", day=jdate(d.day), before=number(d.before), after=number(d.after))
            for d in report.drops
        ]
        parts.append(Text(w.text("drops") + "\n" + "\n".join(lines), style="red"))
    console.print(Panel(Group(*parts), title=w.text("title")))


def _targets(report: Report, w: Wording) -> Table:
    table = Table(title=w.text("target"), title_justify="left")
    for key in ("fiscal_year", "target", "deadline", "actual", "met"):
        table.add_column(w.text(key), justify="right" if key in ("target", "actual") else "left")
    for r in report.targets:
        judged = r.target.deadline < report.today
        style = {True: "green", False: "red"}.get(r.met, "") if judged else ""
        table.add_row(
            r.target.label,
            number(r.target.followers),
            jdate(r.target.deadline),
            number(r.actual),
            Text(met_text(w, r.met, judged), style=style),
        )
    return table


def _pace(report: Report, w: Wording) -> Table:
    f = report.forecast
    table = Table.grid(padding=(0, 2))
    growth = "—" if f.daily_growth is None else w.text("per_day", value=f"{f.daily_growth:.1f}")
    table.add_row(w.text("daily_growth", days=FORECAST_WINDOW_DAYS), growth)
    if f.needed_daily is not None:
        table.add_row(w.text("needed"), w.text("per_day", value=f"{f.needed_daily:.1f}"))
    table.add_row(w.text("reaches_on"), reaches_text(report, w))
    if f.on_track is not None:
        key = "on_track.true" if f.on_track else "on_track.false"
        table.add_row("", Text(w.text(key), style="green" if f.on_track else "bold red"))
    return table


def reaches_text(report: Report, w: Wording) -> str:
    f = report.forecast
    if f.reaches_target_on is None:
        return "—" if f.daily_growth is None else w.text("reaches_on.never")
    if report.followers is not None and report.followers >= report.target.followers:
        return w.text("reaches_on.reached", day=jdate(f.reaches_target_on))
    return jdate(f.reaches_target_on)


def _ledger(report: Report, w: Wording) -> Table:
    table = Table(title=w.text("ledger", days=len(report.ledger)), title_justify="left")
    for key in ("day", "follows", "refollows", "unfollows", "net"):
        table.add_column(w.text(key), justify="left" if key == "day" else "right")
    for d in report.ledger:
        if not (d.follows or d.refollows or d.unfollows):
            continue  # the terminal shows only the days something happened
        table.add_row(jdate(d.day), str(d.follows), str(d.refollows), str(d.unfollows), str(d.net))
    t = report.ledger_totals()
    table.add_row(
        w.text("total"),
        str(t.follows),
        str(t.refollows),
        str(t.unfollows),
        str(t.net),
        style="bold",
    )
    return table


def _broadcasts(report: Report, w: Wording) -> Table:
    table = Table(title=w.text("broadcasts"), title_justify="left")
    table.add_column(w.text("page.sent_at"))
    table.add_column(w.text("page.broadcast"))
    for key in ("broadcast.before", "broadcast.after"):
        table.add_column(
            f"{w.text(key)} {w.text('follows')}/{w.text('unfollows')}", justify="right"
        )
    for b in report.broadcasts:
        before, after = b.before, b.after
        table.add_row(
            b.sent_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
            b.label,
            f"{before.follows + before.refollows}/{before.unfollows}" if before else "—",
            f"{after.follows + after.refollows}/{after.unfollows}" if after else "—",
        )
    return table
