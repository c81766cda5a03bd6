"""The Flask application factory: builds the app, registers blueprints and CLI commands."""

from __future__ import annotations

import logging

from flask import Flask

import handlers
import web
from bot.config import Settings
from bot.pipeline.worker import EventWorker
from bot.services import Services
from web import api, auth, broadcast_cli, cli, console, health, metrics, staff_cli, webhook


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the app from `settings` (default: the environment). See README 'Configuration'."""
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or Services(settings, routers=handlers.ROUTERS)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    worker = EventWorker(services) if settings.worker == "thread" else None
    web.init_app(app, services, worker)

    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    if settings.simulator:
        from simulator.web import mount

        mount(app, settings)
    auth.init_app(app)
    console.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    staff_cli.init_app(app)
    broadcast_cli.init_app(app)
    cli.report_config_errors(app.cli)
    return app
