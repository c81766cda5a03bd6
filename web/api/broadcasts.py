"""GET /api/segments and the /api/broadcasts routes (see README "Segment delivery")."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

import bot.broadcasts.metrics  # noqa: F401  (registers the broadcast collector for /metrics)
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
    if draft.send_at is None:
        _check_quota_now(draft)
    with svc.db.session() as session:
        row = service.create(session, staff, draft, now)
        audit.record(session, staff.name, "broadcast.create", f"broadcast:{row.id}")
        body = service.as_json(session, row, vocabulary(), now)
    return jsonify(body), 201


def _check_quota_now(draft: service.Draft) -> None:
    """A broadcast for now that the month's quota cannot cover is refused at once."""
    from bot.broadcasts.delivery import QuotaExceeded, check_quota
    from bot.line import LineApiError

    svc = services()
    with svc.db.session() as session:
        expected = query.count(session, draft.segment)
    try:
        check_quota(svc.line.quota(), expected)
    except QuotaExceeded as e:
        raise BroadcastError(str(e)) from e
    except LineApiError:
        pass  # checked again before sending


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


@bp.post("/broadcasts/test")
@api_auth()
def test_send() -> Response | tuple[Response, int]:
    """Push the draft text to the staff member's own LINE user id (through the outbox)."""
    from bot.broadcasts.delivery import messages_for
    from bot.pipeline import outbox
    from bot.replies.limits import TEXT_MAX, utf16_len

    svc, staff = services(), current_staff()
    assert staff is not None
    body = _body()
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise BroadcastError("text（本文）を入力してください。")
    if utf16_len(text) > TEXT_MAX:
        raise BroadcastError(f"text は {TEXT_MAX:,} 文字までです（LINE の上限）。")
    if not staff.line_user_id:
        raise BroadcastError("「自分の設定」で自分の LINE ユーザーIDを登録してください。")
    with svc.db.session() as session:
        row = outbox.enqueue_push(
            session, staff.line_user_id, messages_for(text), origin=f"test:{staff.id}"
        )
        audit.record(session, staff.name, "broadcast.test_send", f"outbox:{row}")
    return jsonify({"message": "テスト送信を受け付けました。まもなく自分の LINE に届きます。"})
