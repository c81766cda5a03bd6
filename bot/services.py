"""Services: the long-lived parts built once per process (web worker, CLI, scheduler)."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from bot.answers import AnswerEngine, load_rules
from bot.config import MISSING_DATABASE_URL, ConfigError, Settings
from bot.content import Plan, Replies, load_plan, load_replies
from bot.db import Database, database_now
from bot.dispatch import Dispatcher, Router
from bot.line import LineGateway
from bot.models import utcnow
from bot.replies import Renderer

if TYPE_CHECKING:
    from bot.pipeline.outbox import QuotaGuard

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Settings plus everything built from them. Content and engine load eagerly via `warm()`."""

    settings: Settings
    routers: Sequence[Router] = ()
    # This process's clock, for what has no transaction at hand; leases, deadlines and
    # retries use `now(session)` (the database's clock) instead.
    clock: Callable[[], datetime] = field(default=utcnow)
    # Added to the database's clock; tests move time forward with it (0 in production).
    clock_skew: timedelta = timedelta(0)

    def now(self, session: Session | Connection) -> datetime:
        """The time every pipeline decision uses: the database's clock (see bot.db)."""
        return database_now(session) + self.clock_skew

    @cached_property
    def db(self) -> Database:
        if not self.settings.database_url:
            raise ConfigError(MISSING_DATABASE_URL)
        return Database(self.settings.database_url)

    @cached_property
    def plan(self) -> Plan:
        return load_plan()

    @cached_property
    def replies(self) -> Replies:
        return load_replies()

    @cached_property
    def engine(self) -> AnswerEngine:
        return AnswerEngine.from_content(
            self.plan, load_rules(), semantic=self.settings.answer_semantic
        )

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(self.plan, self.replies)

    @cached_property
    def line(self) -> LineGateway:
        return LineGateway(self.settings)

    @cached_property
    def quota(self) -> QuotaGuard:
        """This process's view of the month's push/multicast quota (bot.pipeline.outbox)."""
        from bot.pipeline.outbox import QuotaGuard

        return QuotaGuard(self.line, self.settings.quota_refresh_seconds)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.routers)

    def warm(self) -> None:
        """Load content and build the answer engine now, not on a citizen's first question."""
        started = time.perf_counter()
        _ = self.plan, self.replies, self.renderer, self.engine, self.dispatcher
        # content, engine and replies live as long as the process: keep them out of the
        # garbage collector's passes (fewer pauses while answering)
        gc.freeze()
        log.info("content and answer engine ready in %.2fs", time.perf_counter() - started)
