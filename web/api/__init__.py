"""The staff JSON API (/api): Bearer token (or a console session + CSRF header).

Routes are in web/api/broadcasts.py; errors are always JSON `{"error": "…"}` in Japanese.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

bp = Blueprint("api", __name__, url_prefix="/api")

MESSAGES = {
    400: "リクエストが正しくありません。",
    404: "見つかりません。",
    405: "このメソッドは使えません。",
    413: "リクエストが大きすぎます。",
}


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException) -> tuple[Response, int]:
    status = e.code or 500
    return jsonify({"error": MESSAGES.get(status, "エラーが発生しました。")}), status


def init_app(app: Flask) -> None:
    from web.api import broadcasts, friends  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
