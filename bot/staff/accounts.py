"""Staff accounts: create, authenticate (slowed and locked after failures), API tokens."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.staff.models import StaffAccount, StaffToken

NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
PASSWORD_MIN = 10
# After this many wrong passwords in a row the account is locked for LOCK_MINUTES.
MAX_FAILURES = 5
LOCK_MINUTES = 15

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


class Role(enum.StrEnum):
    EDITOR = "editor"  # drafts and schedules segment broadcasts
    APPROVER = "approver"  # may also send to every friend


class StaffError(ValueError):
    """A staff operation was refused; the message is for the operator."""


@dataclass(frozen=True)
class Staff:
    """A signed-in member of staff, detached from the session."""

    id: int
    name: str
    role: str
    line_user_id: str | None

    @property
    def is_approver(self) -> bool:
        return self.role == Role.APPROVER


def _staff(account: StaffAccount) -> Staff:
    return Staff(account.id, account.name, account.role, account.line_user_id)


def add_staff(session: Session, name: str, password: str, role: str = Role.EDITOR) -> Staff:
    """Create an account. Raises StaffError for a bad name, weak password or unknown role."""
    if not NAME.match(name):
        raise StaffError("name must be 2-64 letters, digits, '.', '_' or '-'")
    if len(password) < PASSWORD_MIN:
        raise StaffError(f"password must be at least {PASSWORD_MIN} characters")
    if role not in set(Role):
        raise StaffError(f"role must be one of: {', '.join(Role)}")
    if session.scalars(select(StaffAccount).where(StaffAccount.name == name)).first():
        raise StaffError(f"staff account {name!r} already exists")
    account = StaffAccount(name=name, password_hash=_hasher.hash(password), role=role)
    session.add(account)
    session.flush()
    return _staff(account)


def find(session: Session, name: str) -> StaffAccount | None:
    return session.scalars(select(StaffAccount).where(StaffAccount.name == name)).first()


def get(session: Session, staff_id: int) -> Staff | None:
    account = session.get(StaffAccount, staff_id)
    return _staff(account) if account else None


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    locked_until: datetime | None = None


def authenticate(session: Session, name: str, password: str, now: datetime) -> LoginResult:
    """Check a password. Wrong ones count; MAX_FAILURES in a row lock the account."""
    account = find(session, name)
    if account is None:
        _hasher.hash(password)  # same cost as a real check: do not reveal which names exist
        return LoginResult(None)
    if account.locked_until and account.locked_until > now:
        return LoginResult(None, account.locked_until)
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILURES:
            account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            account.failed_logins = 0
            return LoginResult(None, account.locked_until)
        return LoginResult(None)
    account.failed_logins = 0
    account.locked_until = None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return LoginResult(_staff(account))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, name: str) -> str:
    """A new API token for `name` (shown once; only its hash is kept)."""
    account = find(session, name)
    if account is None:
        raise StaffError(f"no staff account named {name!r}")
    token = secrets.token_urlsafe(32)
    session.add(StaffToken(staff_id=account.id, token_hash=_digest(token)))
    return token


def staff_for_token(session: Session, token: str, now: datetime) -> Staff | None:
    """The staff member a Bearer token belongs to, or None."""
    row = session.scalars(
        select(StaffToken).where(StaffToken.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    row.last_used_at = now
    return get(session, row.staff_id)


def set_line_user_id(session: Session, staff_id: int, line_user_id: str | None) -> None:
    account = session.get(StaffAccount, staff_id)
    if account is None:
        raise StaffError("no such staff account")
    if line_user_id and not re.fullmatch(r"U[0-9a-f]{32}", line_user_id):
        raise StaffError("LINE user id must be 'U' followed by 32 hex digits")
    account.line_user_id = line_user_id or None
