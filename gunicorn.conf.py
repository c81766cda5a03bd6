"""gunicorn settings for the `web` process (Procfile). Values come from the environment."""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread keeps LINE's connections alive between webhooks (no TCP set-up per delivery) and
# lets one process take several at once; `sync` is the other measured choice (README).
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
# (gunicorn would turn `sync` with threads > 1 into gthread.)
threads = int(os.environ.get("WEB_THREADS", "1" if worker_class == "sync" else "4"))
timeout = 30
# Off by default: the platform's router already logs every request, and a line per webhook
# costs the web process CPU at a burst's peak. WEB_ACCESS_LOG=1 writes them to stdout (paths
# only: /callback carries no user id in its URL).
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "0").lower() in {"1", "on", "true"} else None


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """With EVENT_WORKER=thread, load the content and answer engine, then start the event
    workers, as soon as a web process is up: the first citizen pays no cold start, and events
    left pending by a process that died are handled without waiting for the next webhook.
    With EVENT_WORKER=off (the Procfile: the `worker` process answers) the web process never
    answers, so it builds no engine: ~2.5 s of CPU and ~400 MB per web process saved."""
    extensions = getattr(worker.wsgi, "extensions", {})
    event_worker = extensions.get("bot.worker")
    if "bot.services" in extensions:
        if event_worker is not None:
            extensions["bot.services"].warm()
        _ = extensions["bot.services"].db  # no DATABASE_URL: stops here with a clear message
    if event_worker is not None:
        event_worker.ensure_started()
