"""Console login and logout (Flask-Login session; lockout after repeated failures)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from bot.staff import accounts, audit
from web import services
from web.auth import StaffUser, current_staff
from web.console import bp
from web.console.forms import LoginForm


def _safe_next(target: str | None) -> str:
    """Only redirect inside the console after login (no open redirect)."""
    if target and target.startswith("/console") and "//" not in target:
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        svc = services()
        with svc.db.session() as session:
            result = accounts.authenticate(
                session, form.name.data, form.password.data, svc.clock()
            )
            if result.staff:
                audit.record(session, result.staff.name, "login")
        if result.staff:
            login_user(StaffUser(result.staff))
            return redirect(_safe_next(request.args.get("next")))
        status = 401
        if result.locked_until:
            status = 429
            flash(
                "ログインの失敗が続いたため、しばらくログインできません。15分ほど後にお試しください。"
            )
        else:
            flash("ユーザー名またはパスワードが違います。")
    elif request.method == "POST":
        status = 400
    return render_template("console/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    from web.console.forms import ActionForm

    if ActionForm().validate_on_submit():
        staff = current_staff()
        if staff:
            with services().db.session() as session:
                audit.record(session, staff.name, "logout")
        logout_user()
    return redirect(url_for("console.login"))
