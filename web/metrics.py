"""GET /metrics: Prometheus text format, values read from the database at scrape time."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

import bot.pipeline.stats  # noqa: F401  (registers the pipeline's collector)
from bot import metrics
from web import services

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def prometheus() -> ResponseReturnValue:
    svc = services()
    token = svc.settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
    try:
        body, content_type = metrics.render(svc)
    except SQLAlchemyError as e:
        log.error("metrics: database unavailable (%s)", type(e).__name__)
        return Response("database unavailable\n", 503, mimetype="text/plain")
    return Response(body, 200, {"Content-Type": content_type})
