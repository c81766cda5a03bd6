"""The Flask layer: blueprints and CLI commands, thin wrappers over `bot/`."""

from __future__ import annotations

from flask import Flask, current_app

from bot.pipeline.worker import EventWorker
from bot.services import Services


def services() -> Services:
    """The Services of the running app (set up by create_app)."""
    return current_app.extensions["bot.services"]


def worker() -> EventWorker | None:
    return current_app.extensions.get("bot.worker")


def init_app(app: Flask, services_: Services, worker_: EventWorker | None) -> None:
    app.extensions["bot.services"] = services_
    if worker_ is not None:
        app.extensions["bot.worker"] = worker_
