"""Store, show, stop and erase what one citizen declared (always in the caller's session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.friends import touch
from bot.segments.models import DeliveryPreference, FriendAttribute

Answers = dict[str, list[str]]  # attribute id -> chosen option ids ([] = skipped)


@dataclass(frozen=True)
class Profile:
    consented_at: datetime | None
    stopped: bool
    answers: Answers


def _friend_id(session: Session, user_id: str, now: datetime) -> int:
    return touch(session, user_id, now).id


def save(session: Session, user_id: str, answers: Answers, now: datetime) -> None:
    """Replace the citizen's choices with `answers`, record consent, (re)start delivery."""
    friend_id = _friend_id(session, user_id, now)
    session.execute(delete(FriendAttribute).where(FriendAttribute.friend_id == friend_id))
    for attribute, options in answers.items():
        for option in dict.fromkeys(options):
            session.add(FriendAttribute(friend_id=friend_id, attribute=attribute, option=option))
    pref = session.get(DeliveryPreference, friend_id)
    if pref is None:
        pref = DeliveryPreference(friend_id=friend_id)
        session.add(pref)
    pref.consented_at = now
    pref.stopped_at = None
    pref.updated_at = now


def get(session: Session, user_id: str, now: datetime) -> Profile | None:
    """What is kept for this citizen, or None when nothing is."""
    friend_id = _friend_id(session, user_id, now)
    pref = session.get(DeliveryPreference, friend_id)
    rows = session.execute(
        select(FriendAttribute.attribute, FriendAttribute.option).where(
            FriendAttribute.friend_id == friend_id
        )
    ).all()
    if pref is None and not rows:
        return None
    answers: Answers = {}
    for attribute, option in rows:
        answers.setdefault(attribute, []).append(option)
    return Profile(
        consented_at=pref.consented_at if pref else None,
        stopped=bool(pref and pref.stopped_at),
        answers=answers,
    )


def set_stopped(session: Session, user_id: str, stopped: bool, now: datetime) -> bool:
    """Stop (or resume) all segment delivery; returns False when it already was so."""
    friend_id = _friend_id(session, user_id, now)
    pref = session.get(DeliveryPreference, friend_id)
    if pref is None:
        pref = DeliveryPreference(friend_id=friend_id)
        session.add(pref)
    if bool(pref.stopped_at) == stopped:
        return False
    pref.stopped_at = now if stopped else None
    pref.updated_at = now
    return True


def erase(session: Session, user_id: str, now: datetime) -> int:
    """Delete the citizen's choices and delivery preference; returns the rows deleted."""
    friend_id = _friend_id(session, user_id, now)
    attributes = session.execute(
        delete(FriendAttribute).where(FriendAttribute.friend_id == friend_id)
    ).rowcount
    prefs = session.execute(
        delete(DeliveryPreference).where(DeliveryPreference.friend_id == friend_id)
    ).rowcount
    return attributes + prefs
