"""CLI for staff accounts and the scheduler process (`flask --app app staff …`, `scheduler`)."""

from __future__ import annotations

import contextlib
import signal
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from bot.staff import accounts
from bot.staff.accounts import Role, StaffError
from web import services

staff_cli = AppGroup("staff", help="Staff accounts for the console and the API.")

DEV_NAME = "dev"
DEV_PASSWORD = "development-password"


@staff_cli.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.EDITOR.value,
    show_default=True,
    help="editor drafts and schedules; approver may also send to every friend.",
)
def staff_add(name: str, password_stdin: bool, role: str) -> None:
    """Create the staff account NAME (password hashed with argon2id)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with services().db.session() as session:
            accounts.add_staff(session, name, password, role)
    except StaffError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"staff account {name} ({role}) created")


@staff_cli.command("token")
@click.argument("name")
def staff_token(name: str) -> None:
    """Print a new API token for NAME (the last line of the output; shown only once)."""
    try:
        with services().db.session() as session:
            token = accounts.issue_token(session, name)
    except StaffError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"new API token for {name} (keep it secret; use as 'Authorization: Bearer …'):")
    click.echo(token)


@staff_cli.command("dev-account")
def staff_dev_account() -> None:
    """Development mode only: make sure the console has an approver account to log in with."""
    svc = services()
    if not svc.settings.development:
        raise click.ClickException("dev-account exists only in development mode (APP_ENV)")
    with svc.db.session() as session:
        if accounts.find(session, DEV_NAME) is None:
            accounts.add_staff(session, DEV_NAME, DEV_PASSWORD, Role.APPROVER)
    click.echo(f"console: log in as {DEV_NAME} / {DEV_PASSWORD}")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler until stopped (the Procfile's `scheduler`; run exactly one)."""
    from bot import scheduler

    sched = scheduler.build(services())

    def stop(*_: object) -> None:
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    jobs = ", ".join(scheduler.registered())
    click.echo(f"scheduler running (Asia/Tokyo) with jobs: {jobs}; stop with SIGTERM or Ctrl-C")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        sched.start()
    click.echo("scheduler stopped")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(scheduler_command)
