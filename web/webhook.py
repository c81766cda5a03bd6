"""POST /callback: verify, record, answer 200. Handling and replying happen in the workers."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from bot.pipeline import inbox
from web import services, worker

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


@bp.post("/callback")
def callback() -> ResponseReturnValue:
    body = request.get_data(as_text=True)  # over MAX_CONTENT_LENGTH: 413 before we get here
    try:
        recorded = inbox.record(services(), body, request.headers.get("X-Line-Signature"))
    except inbox.InvalidSignature:
        log.warning("webhook rejected: bad or missing signature")
        return jsonify(message="invalid signature"), 400
    except inbox.MalformedBody as e:
        log.warning("webhook rejected: %s", e)
        return jsonify(message=str(e)), 400
    except SQLAlchemyError as e:
        # Not recorded, so not accepted: a non-2xx makes LINE redeliver (when redelivery is on).
        log.error("webhook not recorded: database unavailable (%s)", type(e).__name__)
        return jsonify(message="temporarily unavailable"), 503
    if recorded.new and (w := worker()) is not None:
        w.ensure_started()
        w.notify(recorded.new)
    return jsonify(message="OK"), 200
