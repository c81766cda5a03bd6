"""The audit log: one row per staff action (login, create, cancel, test send …)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import utcnow
from bot.staff.models import AuditEntry


def record(
    session: Session, actor: str, action: str, target: str | None = None, **detail: Any
) -> None:
    """Add an entry in the caller's transaction (it is kept only if the action is)."""
    session.add(
        AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail=detail or None)
    )


def recent(session: Session, limit: int = 100) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
    )
