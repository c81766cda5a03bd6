"""The chat simulator in a real browser, end to end: page → /simulator/api → signed webhook over
real HTTP → /callback → background worker → real line-bot-sdk → /_line stand-in → page.

Why a browser: the page's Flex renderer, quick replies, rich-menu hit areas and user switching
are JavaScript; only a browser shows they work together. Chromium is Debian's (Playwright's own
download cannot work here); without it the test is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot import migrate
from bot.config import Settings
from tests.browser import ARTIFACTS, MARKS, WAIT_MS, launched, served

pytestmark = MARKS


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[str]:
    """The development app (simulator on, threaded worker) on a free loopback port.

    The server is bound first (port 0) and the app built after, because the app's LINE API
    host must name the port the server really got.
    """
    db_url = f"sqlite:///{tmp_path / 'simulator.sqlite3'}"
    migrate.upgrade(db_url)
    holder: dict[str, Any] = {}

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    with served(wsgi) as base:
        yield from _simulator_app(holder, base, db_url)


def _simulator_app(holder: dict[str, Any], base: str, db_url: str) -> Iterator[str]:
    line_api = f"{base}/_line"
    settings = Settings(
        channel_secret="browser-test-secret",
        channel_access_token="browser-test-token",
        line_api_base_url=line_api,
        line_api_data_base_url=line_api,
        database_url=db_url,
        secret_key="browser-test-key",
        development=True,
        simulator=True,
        worker="thread",
    )
    app = create_app(settings)
    holder["app"] = app
    try:
        yield base
    finally:
        worker = app.extensions.get("bot.worker")
        if worker is not None:
            worker.stop()
        app.extensions["bot.services"].db.dispose()


def test_chat_in_the_simulator(live_app: str) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    expect.set_options(timeout=WAIT_MS)
    with launched() as browser:
        # A phone-sized screen: the layout must work there (and it makes a tidy screenshot).
        page = browser.new_page(viewport={"width": 420, "height": 1100}, locale="ja-JP")
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _converse(page, live_app, expect)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "simulator.png"), full_page=True)
        assert errors == [], errors


def _converse(page: Any, base: str, expect: Any) -> None:
    page.goto(f"{base}/simulator")
    bot = page.locator("#chat .msg.bot")
    user_bubbles = page.locator("#chat .msg.user")
    # The first visit creates a user who adds the bot as a friend: the welcome arrives.
    expect(page.locator("#chat .notice")).to_contain_text("友だち追加しました")
    expect(bot).to_have_count(1)
    expect(page.locator(".topbar-name")).to_have_text("いせはら")
    first_user = page.locator("#user-select").input_value()
    assert first_user.startswith("U") and len(first_user) == 33

    # A question: the answer is an initiative card (Flex), rendered with its indicator.
    page.locator("#input").fill("マイナンバーカードの交付率の目標は？")
    page.locator("#send").click()
    expect(user_bubbles.last).to_contain_text("マイナンバーカードの交付率の目標は？")
    card = bot.locator(".fx-bubble").filter(has_text="マイナンバーカードの交付促進")
    expect(card.filter(has_text="100%")).to_be_visible()
    expect(user_bubbles.last.locator(".read")).to_be_visible()  # 既読 once the bot answered
    answered = bot.count()

    # A quick reply: its label shows as the user's message and the bot answers again.
    chip = page.locator("#quick-replies .chip").first
    expect(chip).to_be_visible()
    label = chip.inner_text()
    chip.click()
    expect(bot).to_have_count(answered + 1)
    expect(user_bubbles).to_have_count(2)
    expect(page.locator("#quick-replies .chip").first).to_be_visible()
    assert label

    # Small talk gets a friendly text.
    page.locator("#input").fill("こんにちは")
    page.locator("#input").press("Enter")
    greeting = bot.last.locator(".bubble-text")
    expect(greeting).to_contain_text("こんにちは")
    expect(greeting).to_contain_text("お気軽に")

    # A second user has a conversation of their own.
    page.locator("#add-user").click()
    expect(page.locator("#user-select option")).to_have_count(2)
    second_user = page.locator("#user-select").input_value()
    assert second_user != first_user and second_user.startswith("U")
    expect(bot).to_have_count(1)  # just their welcome
    expect(user_bubbles).to_have_count(0)
    expect(page.locator("#chat")).not_to_contain_text("マイナンバーカードの交付促進")

    # The rich menu (folded away while typing on a phone, as in LINE): 計画の一覧.
    menu_area = page.locator('.richmenu-area[aria-label="計画の一覧"]')
    if not menu_area.is_visible():
        page.locator("#chatbar").click()
    menu_area.click()
    expect(user_bubbles.last).to_contain_text("計画の一覧")
    carousel = bot.last.locator(".fx-carousel")
    expect(carousel).to_contain_text("基本方針")
    expect(carousel.locator(".fx-bubble")).to_have_count(4)

    # Back to the first user: the whole conversation, in order.
    page.locator("#user-select").select_option(first_user)
    expect(user_bubbles).to_have_count(3)
    expect(card.first).to_be_visible()
    expect(bot.last.locator(".bubble-text")).to_contain_text("お気軽に")
    texts = user_bubbles.all_inner_texts()
    assert "マイナンバーカードの交付率の目標は？" in texts[0]
    assert "こんにちは" in texts[2]
    # The page's own layout: at phone width the chat and composer fit the screen.
    box = page.locator("#composer").bounding_box()
    assert box is not None and box["width"] <= 420
    page.locator("#chat").evaluate("chat => { chat.scrollTop = chat.scrollHeight; }")
    expect(page.locator("#toast")).to_be_hidden()  # not over the screenshot
