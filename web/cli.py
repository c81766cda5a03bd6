"""CLI commands (`flask --app app …`): thin wrappers over bot/ functions."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from bot import migrate
from bot.config import MISSING_DATABASE_URL, ConfigError
from bot.content import CONTENT_DIR, ContentError
from bot.pipeline.worker import EventWorker, run_until_idle
from bot.respond import text_for
from web import services

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
content_cli = AppGroup("content", help="The plan's content in content/.")
events_cli = AppGroup("events", help="Webhook events waiting to be handled.")
richmenu_cli = AppGroup("richmenu", help="The LINE rich menu defined in content/richmenu.yaml.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (the release step)."""
    url = services().settings.database_url
    if not url:
        raise ConfigError(MISSING_DATABASE_URL)
    try:
        migrate.upgrade(url, revision)
    except SQLAlchemyError as e:
        message = f"the database is unavailable: {type(e).__name__}: {e.orig or e}"
        raise click.ClickException(message) from e
    click.echo(f"database at {revision}")


@content_cli.command("check")
def content_check() -> None:
    """Validate every content file and print a summary (exit 1 with the errors if invalid)."""
    from bot.answers import load_rules
    from bot.answers.english import check_english, load_english
    from bot.content import load_plan, load_replies
    from bot.departments import load_directory
    from bot.friendcount.targets import load_targets
    from bot.richmenu import load_spec

    try:
        plan = load_plan()
        replies = load_replies()
        load_rules()
        check_english(load_english(), plan)
        menu = load_spec(CONTENT_DIR)
        directory = load_directory()
        from bot.segments.vocabulary import load_vocabulary

        vocab = load_vocabulary()
        targets = load_targets()
    except ContentError as e:
        click.echo(f"content is invalid:\n{e}", err=True)
        sys.exit(1)
    indicators = sum(len(i.indicators) for i in plan.initiatives)
    unknown = sum(
        1
        for i in plan.initiatives
        for ind in i.indicators
        for v in ind.values.values()
        if v is None
    )
    click.echo(f"{plan.title}（{plan.period}）")
    for policy in plan.policies:
        count = len(plan.initiatives_of(policy.number))
        click.echo(f"  基本方針{policy.number} {policy.title}: 取組 {count}件")
    click.echo(f"取組 {len(plan.initiatives)}件 / 指標 {indicators}件（不明な値 {unknown}件）")
    click.echo(f"用語 {len(plan.terms)}件 / 同義語グループ {len(plan.synonyms)}件")
    files = len(set(replies.sources.values()))
    click.echo(
        f"返信文 {len(list(replies.keys()))}件（{files}ファイル） / "
        f"リッチメニュー領域 {len(menu.areas)}件"
    )
    click.echo(f"担当課 {len(directory.departments)}件")
    options = sum(len(a.options) for a in vocab.attributes)
    click.echo(f"配信設定の属性 {len(vocab.attributes)}件 / 選択肢 {options}件")
    click.echo(
        f"{targets.indicator}の目標 {len(targets.targets)}件（最終 "
        f"{targets.targets[-1].label}末 {targets.targets[-1].followers:,}人）"
    )
    click.echo("OK")


@click.command("ask")
@with_appcontext
@click.argument("question", required=False)
@click.option(
    "--jsonl", is_flag=True, help="Read one question per line on stdin; write JSON lines."
)
def ask(question: str | None, jsonl: bool) -> None:
    """Print the bot's reply to QUESTION, as it would send it."""
    svc = services()
    svc.warm()
    if jsonl:
        for line in sys.stdin:
            q = line.rstrip("\n")
            if not q.strip():
                continue
            click.echo(json.dumps(_ask_json(q), ensure_ascii=False))
            sys.stdout.flush()
        return
    if question is None:
        raise click.UsageError('give a QUESTION, e.g. flask --app app ask "マイナカードとは"')
    result = svc.engine.ask(question)
    click.echo(text_for(result, svc.renderer, svc.plan))


def _ask_json(question: str) -> dict[str, object]:
    svc = services()
    result = svc.engine.ask(question)
    return {
        "question": question,
        "confident": result.confident,
        "answers": [
            {"kind": m.kind, "id": m.id, "title": m.title, "score": round(m.score, 4)}
            for m in result.matches[:5]
        ],
        "text": text_for(result, svc.renderer, svc.plan),
    }


@events_cli.command("run")
def events_run() -> None:
    """Handle every pending event and send every due reply now, then exit."""
    done = run_until_idle(services())
    click.echo(f"{done} unit(s) of work done")


@events_cli.command("prune")
@click.option("--days", type=int, default=None, help="Keep this many days (PRUNE_DAYS, 30).")
def events_prune(days: int | None) -> None:
    """Delete handled events and settled outbox rows older than DAYS."""
    from bot.pipeline.prune import prune

    svc = services()
    keep = svc.settings.prune_days if days is None else days
    if keep < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    try:
        pruned = prune(svc, keep)
    except SQLAlchemyError as e:
        raise click.ClickException(f"the database is unavailable: {type(e).__name__}") from e
    click.echo(
        f"deleted {pruned.events} event(s) and {pruned.outbox} outbox row(s) "
        f"older than {keep} day(s)"
    )


@events_cli.command("work")
@click.option("--threads", type=int, default=None, help="Worker threads (EVENT_WORKER_THREADS).")
@click.option("--nice", type=int, default=0, show_default=True, help="CPU priority offset.")
def events_work(threads: int | None, nice: int) -> None:
    """Handle events and send to LINE until stopped: the Procfile's `worker` process."""
    # Not lowered by default: a niced worker on a busy machine starves the answers, and on
    # SQLite one holding the write lock while descheduled stalls the webhook behind it.
    if nice:
        os.nice(nice)
    svc = services()
    svc.warm()
    count = threads or svc.settings.worker_threads
    worker = EventWorker(svc, count)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.ensure_started()
    click.echo(f"event worker running with {count} thread(s); stop with SIGTERM or Ctrl-C")
    stop.wait()
    worker.stop()
    click.echo("event worker stopped")


@richmenu_cli.command("draw")
def richmenu_draw() -> None:
    """Redraw content/richmenu.png from content/richmenu.yaml (needs a Japanese font)."""
    from bot.richmenu import FontNotFoundError, load_spec, write_image

    try:
        path = write_image(load_spec(CONTENT_DIR))
    except (ContentError, FontNotFoundError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"wrote {path}")


@richmenu_cli.command("deploy")
def richmenu_deploy() -> None:
    """Create the rich menu on LINE, upload its image and make it every user's default."""
    from bot.line import LineApiError
    from bot.richmenu import load_spec

    try:
        spec = load_spec(CONTENT_DIR)
        image = (CONTENT_DIR / "richmenu.png").read_bytes()
        rich_menu_id = services().line.deploy_rich_menu(spec, image)
    except (LineApiError, ValueError, ContentError, OSError) as e:
        click.echo(f"LINE refused the rich menu: {e}", err=True)
        sys.exit(1)
    click.echo(f"rich menu {rich_menu_id} is now the default")


def init_app(app: Flask) -> None:
    from web.friends_cli import friends_cli

    for command in (db_cli, content_cli, events_cli, richmenu_cli, ask, friends_cli):
        app.cli.add_command(command)


def report_config_errors(group: click.Group) -> None:
    """Make every command of `group` (and its subgroups) stop on a configuration error — such
    as a missing DATABASE_URL, met only when a command opens the database — with the message
    and exit status 1 instead of a traceback. Call once every command is registered."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            report_config_errors(command)
        elif command.callback is not None and not getattr(command, "_reports_config", False):
            command.callback = _config_errors_as_click(command.callback)
            command._reports_config = True  # type: ignore[attr-defined]


def _config_errors_as_click(callback):  # type: ignore[no-untyped-def]
    @functools.wraps(callback)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return callback(*args, **kwargs)
        except ConfigError as e:
            raise click.ClickException(str(e)) from e

    return run
