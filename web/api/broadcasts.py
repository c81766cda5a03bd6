"""GET /api/segments and the /api/broadcasts routes (see README "Segment delivery")."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from bot.broadcasts import service
from bot.broadcasts.service import BroadcastError
from bot.segments import query
from bot.segments.vocabulary import vocabulary
from bot.staff import audit
from web import services
from web.api import bp
from web.auth import api_auth, current_staff


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise BroadcastError("本文は JSON（Content-Type: application/json）で送ってください。")
    return body


@bp.errorhandler(BroadcastError)
def _broadcast_error(e: BroadcastError) -> tuple[Response, int]:
    return _error(str(e), e.status)


@bp.get("/segments")
@api_auth()
def segments() -> Response:
    """The attributes citizens can declare, with their options (ids are stable)."""
    return jsonify(vocabulary().as_json())


@bp.post("/broadcasts/preview")
@api_auth()
def preview() -> Response:
    """How many friends a segment reaches right now."""
    body = _body()
    if not isinstance(body, dict):
        raise BroadcastError("JSON オブジェクトを送ってください。")
    try:
        segment = query.validate(body.get("segment"), vocabulary())
    except query.SegmentError as e:
        raise BroadcastError(str(e)) from e
    with services().db.session() as session:
        return jsonify({"recipients": query.count(session, segment)})


@bp.post("/broadcasts")
@api_auth()
def create() -> tuple[Response, int]:
    """Schedule a broadcast (now when send_at is absent): 201 with id, status, recipients."""
    svc, staff = services(), current_staff()
    assert staff is not None
    now = svc.clock()
    draft = service.validate(_body(), vocabulary(), now)
    with svc.db.session() as session:
        row = service.create(session, staff, draft, now)
        audit.record(session, staff.name, "broadcast.create", f"broadcast:{row.id}")
        body = service.as_json(session, row, vocabulary(), now)
    return jsonify(body), 201


@bp.get("/broadcasts")
@api_auth()
def listing() -> Response:
    """Every broadcast, newest first, with status and results."""
    svc = services()
    with svc.db.session() as session:
        rows = service.listing(session)
        items = [service.as_json(session, r, vocabulary(), svc.clock()) for r in rows]
    return jsonify({"broadcasts": items})


@bp.get("/broadcasts/<int:broadcast_id>")
@api_auth()
def show(broadcast_id: int) -> Response | tuple[Response, int]:
    """One broadcast: status, recipients, delivered, failed, unfollows in 24 h."""
    svc = services()
    with svc.db.session() as session:
        from bot.broadcasts.models import Broadcast

        row = session.get(Broadcast, broadcast_id)
        if row is None:
            return _error("その配信はありません。", 404)
        return jsonify(service.as_json(session, row, vocabulary(), svc.clock()))


@bp.delete("/broadcasts/<int:broadcast_id>")
@api_auth()
def cancel(broadcast_id: int) -> Response:
    """Cancel a scheduled broadcast (409 once it is sending or sent)."""
    svc, staff = services(), current_staff()
    assert staff is not None
    with svc.db.session() as session:
        row = service.cancel(session, broadcast_id, staff)
        audit.record(session, staff.name, "broadcast.cancel", f"broadcast:{row.id}")
        return jsonify(service.as_json(session, row, vocabulary(), svc.clock()))
