"""Staff authentication for the Flask layer.

- `api_auth(approver=False)`: decorator for JSON API routes. Accepts `Authorization: Bearer
  <token>` (tokens from `flask --app app staff token NAME`), or a console session plus the
  `X-CSRFToken` header (so console pages can call the same routes). 401 otherwise; 403 when
  the route needs an approver.
- `console_login_required`: decorator for console pages (Flask-Login; redirects to login).
- `current_staff()`: the Staff behind the current request (either way).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from bot.staff import accounts
from bot.staff.accounts import Staff
from web import services

F = TypeVar("F", bound=Callable[..., Any])
login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "ログインしてください。"


class StaffUser(UserMixin):
    """Flask-Login's view of a staff member."""

    def __init__(self, staff: Staff) -> None:
        self.staff = staff
        self.id = str(staff.id)


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    with services().db.session() as session:
        staff = accounts.get(session, int(user_id))
    return StaffUser(staff) if staff else None


def current_staff() -> Staff | None:
    staff = g.get("api_staff")
    if staff is not None:
        return staff
    if current_user.is_authenticated:
        return current_user.staff
    return None


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="isehara"'
    return response


def _bearer_staff() -> Staff | bool | None:
    """The token's staff; None for a bad token; False when no Bearer header was sent."""
    header = request.headers.get("Authorization", "")
    if not header:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    svc = services()
    with svc.db.session() as session:
        return accounts.staff_for_token(session, token.strip(), svc.clock())


def api_auth(approver: bool = False) -> Callable[[F], F]:
    """Require a Bearer token (or a console session with a CSRF token) on a JSON route."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            staff = _bearer_staff()
            if staff is False:
                if not current_user.is_authenticated:
                    return _error(401, "認証が必要です（Authorization: Bearer <token>）。")
                if request.method not in {"GET", "HEAD", "OPTIONS"}:
                    try:
                        validate_csrf(request.headers.get("X-CSRFToken", ""))
                    except ValidationError:
                        return _error(
                            400, "CSRF トークンが無効です。ページを再読み込みしてください。"
                        )
                staff = current_user.staff
            if not staff:
                return _error(401, "トークンが無効です。")
            if approver and not staff.is_approver:
                return _error(403, "この操作には承認者（approver）の権限が必要です。")
            g.api_staff = staff
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


console_login_required = login_required


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session's life
    # Forms check their own token (Flask-WTF FlaskForm); no global CSRFProtect, so the
    # signed webhook and the Bearer-token API need no exemptions.
    app.jinja_env.globals["csrf_token"] = generate_csrf
