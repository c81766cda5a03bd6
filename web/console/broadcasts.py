"""Console pages for broadcasts: list with results, new (live count + LINE preview), copy,
cancel, detail. They call the same bot/ services as the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bot.broadcasts import service, timing
from bot.broadcasts.models import Broadcast, BroadcastStatus, Repeat
from bot.broadcasts.service import BroadcastError
from bot.scheduler import TZ
from bot.segments.vocabulary import vocabulary
from bot.staff import audit
from web import services
from web.auth import console_login_required, current_staff
from web.console import bp, register_nav
from web.console.forms import WEEKDAYS, ActionForm, BroadcastForm

register_nav("console.broadcasts", "配信一覧")
register_nav("console.new_broadcast", "新しい配信")

STATUS_LABELS = {
    BroadcastStatus.SCHEDULED: "予約中",
    BroadcastStatus.SENDING: "送信中",
    BroadcastStatus.SENT: "送信済み",
    BroadcastStatus.FAILED: "失敗",
    BroadcastStatus.CANCELLED: "取消",
}
REPEAT_LABELS = {Repeat.ONCE: "1回", Repeat.WEEKLY: "毎週", Repeat.MONTHLY: "毎月"}


def _view(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        item["status_label"] = STATUS_LABELS.get(item["status"], item["status"])
        item["repeat_label"] = REPEAT_LABELS.get(item["repeat"], item["repeat"])
        item["when"] = datetime.fromisoformat(item["send_at"]).strftime("%Y-%m-%d %H:%M")
    return items


@bp.route("/broadcasts")
@console_login_required
def broadcasts() -> str:
    svc = services()
    with svc.db.session() as session:
        rows = service.listing(session)
        items = [service.as_json(session, r, vocabulary(), svc.clock()) for r in rows]
    return render_template("console/broadcasts.html", items=_view(items), form=ActionForm())


@bp.route("/broadcasts/<int:broadcast_id>")
@console_login_required
def broadcast(broadcast_id: int) -> str:
    svc = services()
    with svc.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None:
            abort(404)
        item = _view([service.as_json(session, row, vocabulary(), svc.clock())])[0]
    return render_template("console/broadcast.html", item=item, form=ActionForm())


def _segment_from_form() -> dict[str, list[str]]:
    return {a.id: request.form.getlist(f"seg-{a.id}") for a in vocabulary().attributes}


def _send_at(form: BroadcastForm, now: datetime) -> tuple[str | None, str]:
    """(send_at ISO or None for now, repeat) from the timing fields (Tokyo time)."""
    kind = form.timing.data or "now"
    if kind == "now":
        return None, Repeat.ONCE
    if kind == "once":
        return (form.once_at.data or "").strip() or "", Repeat.ONCE
    try:
        at = time.fromisoformat((form.time.data or "").strip())
    except ValueError as e:
        raise BroadcastError("時刻は 09:00 のように入力してください。") from e
    if kind == "weekly":
        weekday = _number(form.weekday.data, 0, 6, "曜日を選んでください。")
        return timing.first_weekly(now, weekday, at).isoformat(), Repeat.WEEKLY
    monthday = _number(form.monthday.data, 1, 28, "日は1〜28日から選んでください。")
    return timing.first_monthly(now, monthday, at).isoformat(), Repeat.MONTHLY


def _number(value: str | None, low: int, high: int, message: str) -> int:
    if value is None or not value.isdigit() or not low <= int(value) <= high:
        raise BroadcastError(message)
    return int(value)


@bp.route("/broadcasts/new", methods=["GET", "POST"])
@console_login_required
def new_broadcast() -> str | Response:
    svc, staff = services(), current_staff()
    assert staff is not None
    form = BroadcastForm()
    chosen: dict[str, list[str]] = {}
    if request.method == "GET" and request.args.get("copy", "").isdigit():
        with svc.db.session() as session:
            source = session.get(Broadcast, int(request.args["copy"]))
            if source is not None:
                form.text.data = source.text
                chosen = dict(source.segment)
    status = 200
    if form.validate_on_submit():
        chosen = _segment_from_form()
        now = svc.clock()
        try:
            send_at, repeat = _send_at(form, now)
            body = {"text": form.text.data, "segment": chosen, "repeat": repeat}
            if send_at is not None:
                body["send_at"] = send_at
            draft = service.validate(body, vocabulary(), now)
            with svc.db.session() as session:
                row = service.create(session, staff, draft, now)
                audit.record(session, staff.name, "broadcast.create", f"broadcast:{row.id}")
                created = row.id
        except BroadcastError as e:
            flash(str(e))
            status = e.status if e.status != 404 else 400
        else:
            flash(f"配信 #{created} を登録しました。")
            return redirect(url_for("console.broadcasts"))
    elif request.method == "POST":
        chosen = _segment_from_form()
        for errors in form.errors.values():
            for error in errors:
                flash(error if isinstance(error, str) else "入力を確かめてください。")
        status = 400
    return render_template(
        "console/new_broadcast.html",
        form=form,
        vocabulary=vocabulary(),
        chosen=chosen,
        weekdays=WEEKDAYS,
        staff=staff,
        now_local=datetime.now(UTC).astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
    ), status


@bp.route("/broadcasts/<int:broadcast_id>/cancel", methods=["POST"])
@console_login_required
def cancel_broadcast(broadcast_id: int) -> Response:
    staff = current_staff()
    assert staff is not None
    if not ActionForm().validate_on_submit():
        flash("ページの有効期限が切れました。もう一度お試しください。")
        return redirect(url_for("console.broadcasts"))
    try:
        with services().db.session() as session:
            service.cancel(session, broadcast_id, staff)
            audit.record(session, staff.name, "broadcast.cancel", f"broadcast:{broadcast_id}")
    except BroadcastError as e:
        flash(str(e))
    else:
        flash(f"配信 #{broadcast_id} を取り消しました。")
    return redirect(url_for("console.broadcasts"))
