"""GET /healthz: 200 when the app, its content and its database are ready."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.models import WebhookEvent
from web import services, worker

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    svc = services()
    try:
        with svc.db.session() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(WebhookEvent)
                .where(WebhookEvent.status == "pending")
            )
    except SQLAlchemyError as e:
        log.error("health check: database not ready: %s", type(e).__name__)
        return jsonify(status="error", database="unavailable"), 503
    if (w := worker()) is not None:
        w.ensure_started()  # also picks up events left by a process that died
    return jsonify(
        status="ok",
        database="ok",
        initiatives=len(svc.plan.initiatives),
        terms=len(svc.plan.terms),
        pending_events=pending,
    )
