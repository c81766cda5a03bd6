"""What the browser tests share: Debian's chromium through Playwright (headless, no sandbox,
no background networking: Playwright's own browser download cannot work here), the marks that
skip them with the reason where chromium is missing, and an app served on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WAIT_MS = 15_000
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}

MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
]


@contextmanager
def launched() -> Iterator[Any]:
    """A headless chromium (Playwright's Browser)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def console_services(
    db_path: Path, line_url: str, content: dict[str, Any], clock: Callable[[], Any] | None = None
) -> Any:
    """Services for a console served to the browser: a migrated SQLite file of its own, the
    LINE stand-in at `line_url`, the worker off (pages only), the test content loaded."""
    import handlers
    from bot import migrate
    from bot.config import Settings
    from bot.services import Services

    db_url = f"sqlite:///{db_path}"
    migrate.upgrade(db_url)
    settings = Settings(
        channel_secret="s",
        channel_access_token="test-channel-access-token",
        line_api_base_url=line_url,
        line_api_data_base_url=line_url,
        database_url=db_url,
        secret_key="console-test-key",
        worker="off",
    )
    extra = {"clock": clock} if clock else {}
    services = Services(settings, routers=handlers.ROUTERS, **extra)
    services.__dict__.update(content)
    return services


@contextmanager
def served(app: Callable[..., Any]) -> Iterator[str]:
    """`app` (any WSGI callable) on a free loopback port, threaded; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
