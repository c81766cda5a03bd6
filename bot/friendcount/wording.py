"""The feature's wording (content/replies/friends.yaml, keys `friends.*`) and how dates and
numbers read in Japanese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.content import Replies

PREFIX = "friends."


@dataclass(frozen=True)
class Wording:
    """The `friends.*` keys of the merged wording, looked up without their prefix."""

    replies: Replies

    def text(self, key: str, **facts: Any) -> str:
        return self.replies.text(PREFIX + key, **facts)


def jdate(day: date) -> str:
    """2026-03-31 -> '2026年3月31日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: int | None) -> str:
    """12000 -> '12,000'; None -> '—'."""
    return "—" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
