"""gunicorn settings for the `web` process (Procfile). Values come from the environment."""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
accesslog = "-"  # paths only: /callback carries no user id in its URL


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Load the content and answer engine, then start the event workers, as soon as a web
    process is up: the first citizen pays no cold start, and events left pending by a process
    that died are handled without waiting for the next webhook."""
    extensions = getattr(worker.wsgi, "extensions", {})
    if "bot.services" in extensions:
        extensions["bot.services"].warm()
        _ = extensions["bot.services"].db  # no DATABASE_URL: stops here with a clear message
    event_worker = extensions.get("bot.worker")
    if event_worker is not None:
        event_worker.ensure_started()
