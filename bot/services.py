"""Services: the long-lived parts built once per process (web worker, CLI, scheduler)."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from bot.answers import AnswerEngine, load_rules
from bot.config import Settings
from bot.content import Plan, Replies, load_plan, load_replies
from bot.db import Database
from bot.dispatch import Dispatcher, Router
from bot.line import LineGateway
from bot.models import utcnow
from bot.replies import Renderer

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Settings plus everything built from them. Content and engine load eagerly via `warm()`."""

    settings: Settings
    routers: Sequence[Router] = ()
    clock: Callable[[], datetime] = field(default=utcnow)

    @cached_property
    def db(self) -> Database:
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
