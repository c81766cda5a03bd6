"""GET /healthz: 200 when the app, its content, its database and its queue are fine."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from bot.pipeline.stats import queue_state
from web import services, worker

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """503 when the database does not answer, or when the oldest pending event has waited
    longer than QUEUE_STUCK_SECONDS (no worker running, or the workers cannot keep up)."""
    svc = services()
    try:
        with svc.db.session() as session:
            state = queue_state(svc, session)
    except SQLAlchemyError as e:
        log.error("health check: database not ready: %s", type(e).__name__)
        return jsonify(status="error", database="unavailable"), 503
    if (w := worker()) is not None:
        w.ensure_started()  # also picks up events left by a process that died
    stuck = state.stuck(svc.settings.stuck_after_seconds)
    body = {
        "status": "stuck" if stuck else "ok",
        "database": "ok",
        "initiatives": len(svc.plan.initiatives),
        "terms": len(svc.plan.terms),
        "pending_events": state.pending_events,
        "oldest_pending_seconds": round(state.oldest_event_age or 0.0, 1),
        "outbox_unsent": state.outbox_due,
        "workers_alive": state.workers_alive,
    }
    return jsonify(body), 503 if stuck else 200
