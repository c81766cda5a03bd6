"""Console pages that are not about one feature: home, audit log, own settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from bot.scheduler import TZ
from bot.staff import accounts, audit
from bot.staff.accounts import StaffError
from web import services
from web.auth import console_login_required, current_staff
from web.console import bp, register_nav
from web.console.forms import LineIdForm

register_nav("console.audit_log", "操作履歴")
register_nav("console.me", "自分の設定")


@bp.route("/")
@console_login_required
def home() -> Response:
    """The first page: the first registered feature page (broadcasts)."""
    from web.console import NAV

    return redirect(url_for(NAV[0].endpoint))


@bp.route("/audit")
@console_login_required
def audit_log() -> str:
    with services().db.session() as session:
        entries = audit.recent(session, 200)
    return render_template("console/audit.html", entries=entries, tz=TZ)


@bp.route("/me", methods=["GET", "POST"])
@console_login_required
def me() -> str | Response:
    staff = current_staff()
    assert staff is not None
    form = LineIdForm(line_user_id=staff.line_user_id or "")
    if form.validate_on_submit():
        value = (form.line_user_id.data or "").strip()
        try:
            with services().db.session() as session:
                accounts.set_line_user_id(session, staff.id, value or None)
                audit.record(session, staff.name, "set_line_user_id")
        except StaffError:
            flash("LINE ユーザーIDは「U」と32桁の英数字（0-9, a-f）です。")
        else:
            flash("保存しました。")
            return redirect(url_for("console.me"))
    return render_template("console/me.html", form=form, staff=staff)
