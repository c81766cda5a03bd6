"""Helpers for segment tests: friends with declared attributes, staff with tokens."""

from __future__ import annotations

from bot.friends import follow, unfollow
from bot.segments import profile
from bot.services import Services
from bot.staff import accounts


def user(n: int) -> str:
    return f"U{n:032x}"


def make_friend(
    services: Services,
    n: int,
    answers: dict[str, list[str]] | None = None,
    *,
    stopped: bool = False,
    blocked: bool = False,
) -> str:
    """A friend (followed) who may have declared `answers`; returns the LINE user id."""
    uid = user(n)
    now = services.clock()
    with services.db.session() as session:
        follow(session, uid, now, False)
        if answers is not None:
            profile.save(session, uid, answers, now)
        if stopped:
            profile.set_stopped(session, uid, True, now)
        if blocked:
            unfollow(session, uid, now)
    return uid


def staff_token(services: Services, name: str = "editor1", role: str = "editor") -> str:
    with services.db.session() as session:
        accounts.add_staff(session, name, "a long password", role)
        return accounts.issue_token(session, name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_friends(services: Services, numbers: range, answers: dict[str, list[str]]) -> list[str]:
    """Many friends with the same declaration, in one transaction (fast set-up)."""
    now = services.clock()
    uids = [user(n) for n in numbers]
    with services.db.session() as session:
        for uid in uids:
            follow(session, uid, now, False)
            profile.save(session, uid, answers, now)
    return uids
