"""`flask --app app friends …`: fetch LINE's follower statistics, print the progress report."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from bot.friendcount import insight, progress, sample, terminal
from bot.friendcount.clock import yesterday
from bot.friendcount.targets import load_targets
from bot.friendcount.wording import Wording
from bot.loader import ContentError
from web import services

friends_cli = AppGroup("friends", help="LINE friend count against the plan's targets (取組1-5).")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from e


@friends_cli.command("sync")
@click.option("--date", "day", help="The last day to fetch, YYYY-MM-DD (default: yesterday, JST).")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=1,
    show_default=True,
    help="How many days up to --date to fetch (backfill).",
)
def sync(day: str | None, days: int) -> None:
    """Fetch LINE's Insight follower statistics for one day or a range of days."""
    svc = services()
    try:
        results = insight.backfill(svc.db, svc.line, svc.clock(), end=_day(day), count=days)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e
    except SQLAlchemyError as e:
        raise click.ClickException(f"the database is unavailable: {type(e).__name__}") from e
    for r in results:
        figures = f" followers={r.followers} blocks={r.blocks}" if r.followers is not None else ""
        message = f" ({r.message})" if r.message else ""
        click.echo(f"{r.day} {r.status}{figures}{message}")
    failed = [r for r in results if r.status == "error"]
    pending = [r for r in results if r.status == "unready"]
    click.echo(
        f"{len(results)} day(s): {len(results) - len(failed) - len(pending)} settled, "
        f"{len(pending)} unready (asked again by the scheduler), {len(failed)} failed"
    )
    if failed:
        raise SystemExit(1)


@friends_cli.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print what GET /api/friends answers.")
def report(as_json: bool) -> None:
    """Print the friend count, the targets met and missed, the pace and the forecast."""
    svc = services()
    try:
        targets = load_targets()
        with svc.db.session() as session:
            result = progress.report(session, targets, svc.clock())
    except ContentError as e:
        raise click.ClickException(f"content/targets.yaml is invalid:\n{e}") from e
    except SQLAlchemyError as e:
        raise click.ClickException(f"the database is unavailable: {type(e).__name__}") from e
    if as_json:
        click.echo(json.dumps(result.to_api(), ensure_ascii=False, indent=2))
        return
    terminal.render(result, Wording(svc.replies), Console())


@friends_cli.command("sample")
@click.option("--days", type=click.IntRange(1, 3660), default=365, show_default=True)
def sample_data(days: int) -> None:
    """Development only: fill sample snapshots (marked as sample) when none are real."""
    svc = services()
    if not svc.settings.development:
        raise click.ClickException(
            "sample data is for development mode only (APP_ENV=development)"
        )
    now = svc.clock()
    with svc.db.session() as session:
        added = sample.fill(session, yesterday(now), now, days)
    click.echo(f"{added} sample snapshot(s) added")
