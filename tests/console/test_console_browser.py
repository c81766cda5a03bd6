"""The staff console in a real browser (Debian's chromium through Playwright), phone-sized
and desktop: log in, compose with the live recipient count and the LINE-like preview,
schedule, copy, cancel. Screenshots go to tests/artifacts/ (docs/ keeps the README's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot.services import Services
from bot.staff import accounts
from tests.browser import ARTIFACTS, MARKS, SIZES, WAIT_MS, console_services, served
from tests.segments_helpers import make_friend, user

PASSWORD = "console password"
pytestmark = MARKS


@pytest.fixture
def console(
    tmp_path: Path, line_server: Any, content: dict[str, Any]
) -> Iterator[tuple[str, Services]]:
    """The app (worker off) on a free loopback port, with staff and a few friends."""
    services = console_services(tmp_path / "console.sqlite3", line_server.url, content)
    with services.db.session() as session:
        accounts.add_staff(session, "tanaka", PASSWORD, "approver")
        accounts.set_line_user_id(session, 1, user(99))
        accounts.add_staff(session, "suzuki", PASSWORD, "editor")
    make_friend(services, 1, {"age": ["30s"], "area": ["isehara"], "interests": ["childcare"]})
    make_friend(services, 2, {"age": ["40s"], "area": ["oyama"], "interests": ["safety"]})
    make_friend(services, 3, {"area": ["isehara"], "interests": ["safety"]})
    make_friend(services, 4)
    # One broadcast already sent, so the list shows results too.
    from bot.broadcasts import service
    from bot.broadcasts.delivery import run_due
    from bot.segments.vocabulary import vocabulary

    now = services.clock()
    draft = service.validate(
        {"text": "伊勢原地区の子育て講座のお知らせ", "segment": {"area": ["isehara"]}},
        vocabulary(),
        now,
    )
    with services.db.session() as session:
        service.create(session, accounts.Staff(1, "tanaka", "approver", None), draft, now)
    run_due(services)
    try:
        with served(create_app(services=services)) as base:
            yield base, services
    finally:
        services.db.dispose()


def login(page: Any, base: str, name: str = "tanaka") -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/broadcasts", timeout=WAIT_MS)


@pytest.mark.parametrize("size", list(SIZES))
def test_compose_schedule_copy_and_cancel(console, browser, size):
    base, _services = console
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=SIZES[size], locale="ja-JP")
    page.set_default_timeout(WAIT_MS)
    login(page, base)
    page.click("text=＋ 新しい配信")
    page.wait_for_selector("#recipients")
    # Every friend at first (4), then live as the segment changes.
    page.wait_for_function("document.getElementById('recipients').textContent === '4'")
    page.check("input[name=seg-area][value=isehara]")
    page.wait_for_function("document.getElementById('recipients').textContent === '2'")
    page.check("input[name=seg-area][value=oyama]")
    page.wait_for_function("document.getElementById('recipients').textContent === '3'")
    page.check("input[name=seg-interests][value=safety]")
    page.wait_for_function("document.getElementById('recipients').textContent === '2'")
    body = "【防災訓練のお知らせ】\n12月7日（日）9時から、各地区で防災訓練を行います。"
    page.fill("#text", body)
    assert page.inner_text("#preview-text") == body
    page.check("input[name=timing][value=once]")
    page.fill("input[name=once_at]", "2099-12-07T09:00")
    page.screenshot(path=str(ARTIFACTS / f"console-form-{size}.png"), full_page=True)
    page.locator("#preview").screenshot(path=str(ARTIFACTS / f"console-preview-{size}.png"))
    page.click("#submit")
    page.wait_for_url(f"{base}/console/broadcasts")
    row = page.locator("#broadcasts tbody tr").first
    assert "予約中" in row.inner_text() and "2099-12-07 09:00" in row.inner_text()
    assert "防災・防犯" in row.inner_text()
    sent = page.locator("#broadcasts tbody tr").nth(1).inner_text()
    assert "送信済み" in sent and "伊勢原地区の子育て講座" in sent
    page.screenshot(path=str(ARTIFACTS / f"console-list-{size}.png"), full_page=True)

    # Copy: the form comes back filled in.
    row.locator("text=コピー").click()
    page.wait_for_selector("#text")
    assert page.input_value("#text") == body
    assert page.is_checked("input[name=seg-area][value=oyama]")

    # Cancel the scheduled one.
    page.goto(f"{base}/console/broadcasts")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#broadcasts tbody tr").first.locator("text=取消").click()
    page.wait_for_selector("text=を取り消しました")
    assert "取消" in page.locator("#broadcasts tbody tr").first.inner_text()
    page.close()


def test_an_editor_cannot_send_to_everyone(console, browser):
    base, _services = console
    page = browser.new_page(viewport=SIZES["phone"], locale="ja-JP")
    page.set_default_timeout(WAIT_MS)
    login(page, base, "suzuki")
    page.goto(f"{base}/console/broadcasts/new")
    page.fill("#text", "全員へのお知らせ")
    page.click("#submit")
    page.wait_for_selector("text=承認者")
    page.goto(f"{base}/console/broadcasts")
    assert "全員へのお知らせ" not in page.inner_text("#broadcasts")
    page.close()
