"""GET /api/friends: the friend count against the plan's targets (see README "Friend count")."""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from bot.friendcount import progress
from bot.friendcount.targets import cached_targets
from web import services
from web.api import bp
from web.auth import api_auth


@bp.get("/friends")
@api_auth()
def friends() -> Response:
    """followers, reachable, as_of, target, target_date, progress, targets, forecast, ledger."""
    svc = services()
    with svc.db.session() as session:
        report = progress.report(session, cached_targets(), svc.clock())
    return jsonify(report.to_api())
