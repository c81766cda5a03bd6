"""Broadcast delivery (filled in with the segments work)."""

from __future__ import annotations

from bot.services import Services


def run_due(services: Services) -> int:
    """Send every broadcast that is due now; returns how many were handled."""
    return 0
