"""Every table of the app in one metadata: importing the feature packages registers theirs."""

from __future__ import annotations

from bot.models import Base


def load_all() -> type[Base]:
    """Import every module that declares tables (Alembic and tests need the full metadata)."""
    import bot.broadcasts.models
    import bot.flows.models
    import bot.scheduler
    import bot.segments.models
    import bot.staff.models  # noqa: F401

    return Base
