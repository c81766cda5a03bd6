"""gunicorn.conf.py as the Procfile's `web` process runs it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

from app import create_app
from bot.services import Services

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load_conf(monkeypatch, **env: str) -> ModuleType:
    for name in ("WEB_WORKER_CLASS", "WEB_THREADS", "WEB_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_web_process_that_never_answers_builds_no_answer_engine(settings, monkeypatch):
    """EVENT_WORKER=off (the Procfile): the `worker` process answers, so a web process would
    spend seconds of CPU and hundreds of MB on an engine it never uses."""
    conf = load_conf(monkeypatch)
    services = Services(settings)  # settings: EVENT_WORKER off, as in the Procfile
    app = create_app(services=services)
    conf.post_worker_init(SimpleNamespace(wsgi=app))
    assert "engine" not in services.__dict__ and "renderer" not in services.__dict__
    assert "db" in services.__dict__  # the database is still checked at start


def test_access_log_off_by_default_and_sync_gets_one_thread(monkeypatch):
    conf = load_conf(monkeypatch)
    assert conf.accesslog is None and conf.worker_class == "gthread" and conf.threads == 4
    conf = load_conf(monkeypatch, WEB_ACCESS_LOG="1", WEB_WORKER_CLASS="sync")
    assert conf.accesslog == "-" and conf.worker_class == "sync" and conf.threads == 1
