"""`flask --app app broadcasts run-due`: send what is due now, with a progress bar."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from bot.broadcasts.delivery import run_due
from web import services

broadcasts_cli = AppGroup("broadcasts", help="Segment broadcasts.")


@broadcasts_cli.command("run-due")
@click.option("--max-seconds", type=float, default=600.0, show_default=True)
def broadcasts_run_due(max_seconds: float) -> None:
    """Send every broadcast that is due now and return (safe beside the scheduler)."""
    svc = services()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("配信中", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_due(svc, progress=progress, max_seconds=max_seconds)
    if not report.settled:
        click.echo("nothing due")
    for bid, status in report.settled.items():
        click.echo(f"broadcast {bid}: {status}")


def init_app(app: Flask) -> None:
    app.cli.add_command(broadcasts_cli)
