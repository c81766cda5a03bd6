"""データ削除: erase everything kept about one citizen, and say what was erased."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from bot.broadcasts.recipients import erase_history
from bot.flows.core import clear as clear_flow
from bot.models import SETTLED, EventStatus, OutboxMessage, WebhookEvent
from bot.segments import profile


def erase_user(session: Session, user_id: str, now: datetime) -> dict[str, int]:
    """Erase attributes, conversation state, delivery history, stored events and replies.

    The event being handled right now stays (its reply is this confirmation) but loses its
    user id; events and replies still waiting are left to be answered and sent.
    """
    attributes = profile.erase(session, user_id, now)
    flows = clear_flow(session, user_id)
    deliveries = erase_history(session, user_id)
    replies = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.user_key == user_id, OutboxMessage.status.in_(SETTLED)
        )
    ).rowcount
    events = session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.user_key == user_id,
            WebhookEvent.status.in_([EventStatus.DONE, EventStatus.FAILED]),
        )
    ).rowcount
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.user_key == user_id, WebhookEvent.status == EventStatus.PROCESSING)
        .values(user_key=None)
        .execution_options(synchronize_session=False)
    )
    return {
        "attributes": attributes,
        "flows": flows,
        "deliveries": deliveries,
        "events": events + replies,
    }
