"""/console/friends: the friend count against the plan's targets, the pace, the forecast,
follows and blocks per day and around each broadcast, and a CSV download."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, render_template

from bot.content import load_replies
from bot.friendcount import export, ledger, progress
from bot.friendcount.chart import chart_data
from bot.friendcount.clock import TOKYO, tokyo_today
from bot.friendcount.report import FORECAST_WINDOW_DAYS
from bot.friendcount.targets import cached_targets
from bot.friendcount.terminal import met_text, reaches_text
from bot.friendcount.wording import Wording, jdate, number, percent
from web import services
from web.auth import console_login_required
from web.console import bp, register_nav

register_nav("console.friends", Wording(load_replies()).text("page.nav"))


@bp.route("/friends")
@console_login_required
def friends() -> str:
    svc = services()
    targets = cached_targets()
    with svc.db.session() as session:
        report = progress.report(session, targets, svc.clock())
    w = Wording(svc.replies)
    return render_template(
        "console/friends.html",
        r=report,
        w=w,
        chart=chart_data(report, targets),
        window=FORECAST_WINDOW_DAYS,
        met_text=met_text,
        reaches=reaches_text(report, w),
        jdate=jdate,
        number=number,
        percent=percent,
        tz=TOKYO,
    )


@bp.route("/friends.csv")
@console_login_required
def friends_csv() -> Response:
    """Every stored day (and every day between) with LINE's figures and the ledger."""
    svc = services()
    today = tokyo_today(svc.clock())
    with svc.db.session() as session:
        snaps = progress.snapshots(session)
        first = snaps[0].day if snaps else today - timedelta(days=29)
        days = ledger.by_day(session, min(first, today - timedelta(days=29)), today)
    body = export.to_csv(
        snaps, [d for d in days if d.follows or d.refollows or d.unfollows], Wording(svc.replies)
    )
    name = f"line-friends-{today.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
