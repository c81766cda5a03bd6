"""Delivery history per citizen (filled in with the broadcast model)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def erase_history(session: Session, user_id: str) -> int:
    """Delete the citizen's delivery history; returns the rows deleted."""
    return 0
