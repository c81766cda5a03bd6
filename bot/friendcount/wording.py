"""The feature's wording (content/friend_count.yaml) and how dates and numbers read in Japanese."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from bot.content import CONTENT_DIR, ContentError, Replies, _read_yaml


def load_wording(content_dir: Path = CONTENT_DIR) -> Replies:
    """content/friend_count.yaml as a key -> text table (validated like replies.yaml)."""
    path = content_dir / "friend_count.yaml"
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: expected a mapping of key: text")
    bad = [k for k, v in data.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ContentError(f"{path.name}: keys without text: {bad}")
    return Replies(texts=data)


@cache
def wording() -> Replies:
    """The wording, read once per process."""
    return load_wording()


def jdate(day: date) -> str:
    """2026-03-31 -> '2026年3月31日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: int | None) -> str:
    """12000 -> '12,000'; None -> '—'."""
    return "—" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
