"""The scheduler process (`flask --app app scheduler`, the Procfile's `scheduler:` line).

APScheduler with its SQLAlchemy job store in the app's own database, timezone Asia/Tokyo.
Run exactly one instance: APScheduler does not coordinate processes. Every job must be
idempotent anyway (a job killed mid-run is simply run again), so a second instance or a
manual run beside it never does anything twice.

Registering a job (extension point for other features):

    from bot import scheduler

    scheduler.register("friends.record", "bot.friends_count:record_job",
                       lambda settings: CronTrigger(hour=9, timezone=scheduler.TZ))

The function is referenced by "module:function" (the job store keeps the reference, not
the code), is called with no arguments, and reaches the process's Services through
`scheduler.services()`. Register at import time of a module listed in `JOB_MODULES`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Column, Float, Index, LargeBinary, MetaData, Table, Unicode

from bot.config import Settings
from bot.models import Base
from bot.services import Services

log = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Tokyo")
JOBS_TABLE = "apscheduler_jobs"
# Modules whose import registers jobs (each calls `register`). Add yours here.
JOB_MODULES: list[str] = ["bot.broadcasts.jobs", "bot.maintenance_jobs", "bot.friendcount.jobs"]

# APScheduler creates this table itself; declaring the same table in our metadata lets
# Alembic create it and keeps `compare_metadata` clean.
Table(
    JOBS_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25)),
    Column("job_state", LargeBinary, nullable=False),
    Index("ix_apscheduler_jobs_next_run_time", "next_run_time"),
)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function"
    trigger: Callable[[Settings], BaseTrigger]  # built when the scheduler starts


_registry: dict[str, JobSpec] = {}
_services: Services | None = None


def register(job_id: str, func: str, trigger: Callable[[Settings], BaseTrigger]) -> None:
    """Declare a recurring job; the scheduler (re)writes it in the job store at start."""
    _registry[job_id] = JobSpec(job_id, func, trigger)


def registered() -> dict[str, JobSpec]:
    for module in JOB_MODULES:
        import_module(module)
    return dict(_registry)


def services() -> Services:
    """The Services of the scheduler process (jobs call this)."""
    if _services is None:
        raise RuntimeError("the scheduler is not running in this process")
    return _services


def build(
    svc: Services, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    """A scheduler with the DB job store and every registered job (replacing stale ones)."""
    global _services
    _services = svc
    store = SQLAlchemyJobStore(engine=svc.db.engine, tablename=JOBS_TABLE, metadata=MetaData())
    scheduler = scheduler_class(
        jobstores={"default": store},
        timezone=TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for spec in registered().values():
        trigger = spec.trigger(svc.settings)
        scheduler.add_job(spec.func, trigger, id=spec.id, replace_existing=True)
    return scheduler
