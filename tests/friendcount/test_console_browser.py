"""/console/friends in a real browser (Debian's chromium through Playwright), phone-sized and
desktop: log in, the chart is drawn by Chart.js (served from this app, no network), the
table per fiscal year and the ledger are there, the CSV downloads. Screenshots go to
tests/artifacts/friends-{phone,desktop}.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot.models import FollowerSnapshot, FriendEvent
from bot.services import Services
from bot.staff import accounts
from tests.browser import ARTIFACTS, MARKS, SIZES, WAIT_MS, console_services, served

PASSWORD = "console password"
NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

pytestmark = MARKS


def history(services: Services) -> dict[date, int]:
    """Two and a half years of daily snapshots (two days missing) and a month of ledger;
    the followers per day."""
    followers, blocks = 11_700, 400
    stored: dict[date, int] = {}
    with services.db.session() as session:
        day = date(2024, 1, 1)
        while day <= date(2026, 12, 1):
            followers += 6 if day.month in (3, 4) else 4
            blocks += 1 if day.day % 3 == 0 else 0
            if day not in (date(2025, 8, 10), date(2025, 8, 11)):
                stored[day] = followers
                session.add(
                    FollowerSnapshot(
                        day=day, status="ready", followers=followers,
                        targeted_reaches=followers - blocks, blocks=blocks, attempts=1,
                        fetched_at=NOW, sample=False,
                    )
                )  # fmt: skip
            day += timedelta(days=1)
        for n in range(30):
            t = NOW - timedelta(days=n, hours=2)
            session.add_all(FriendEvent(kind="follow", occurred_at=t) for _ in range(3 + n % 4))
            session.add_all(FriendEvent(kind="unfollow", occurred_at=t) for _ in range(n % 2))
    return stored


@pytest.fixture
def console(
    tmp_path: Path, line_server: Any, content: dict[str, Any]
) -> Iterator[tuple[str, dict[date, int]]]:
    services = console_services(
        tmp_path / "friends.sqlite3", line_server.url, content, clock=lambda: NOW
    )
    with services.db.session() as session:
        accounts.add_staff(session, "tanaka", PASSWORD, "editor")
    stored = history(services)
    try:
        with served(create_app(services=services)) as base:
            yield base, stored
    finally:
        services.db.dispose()


@pytest.mark.parametrize("size", list(SIZES))
def test_dashboard_chart_table_ledger_and_csv(console, browser, size):
    base, stored = console
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=SIZES[size], locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", "tanaka")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/**")
    page.goto(f"{base}/console/friends")
    page.wait_for_function("document.documentElement.dataset.chartsReady === '1'")
    # Chart.js drew the five series on the canvas.
    datasets = page.evaluate(
        "Chart.getChart('friends-chart').data.datasets.map(d => [d.label, d.data.length])"
    )
    assert [name for name, _n in datasets] == [
        "友だち登録数", "届く友だち", "目標", "予測（最近のペース）", "目標に必要なペース",
    ]  # fmt: skip
    assert len({n for _name, n in datasets}) == 1  # aligned on one axis of days
    box = page.locator("#friends-chart").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    assert page.inner_text("[data-testid=followers]") == f"{stored[date(2026, 12, 1)]:,}"
    rows = page.locator("[data-testid=targets] tbody tr").all_inner_texts()
    assert stored[date(2024, 3, 31)] >= 12_000 and stored[date(2025, 3, 31)] < 16_000
    assert "達成" in rows[0] and "未達" in rows[1] and "未達" in rows[2]
    assert f"{stored[date(2025, 3, 31)]:,}" in rows[1]
    assert "計画のすべての目標期限が過ぎています" in page.inner_text("[data-testid=all-past]")
    assert "2025年8月10日〜2025年8月11日：未取得" in page.inner_text("body")
    follows = sum(3 + n % 4 for n in range(30))
    assert f"追加 {follows}" in page.inner_text("[data-testid=ledger-totals]")
    page.screenshot(path=str(ARTIFACTS / f"friends-{size}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=CSVダウンロード")
    path = download.value.path()
    assert path is not None
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("日付,取得状況,友だち登録数")
    assert len(lines) == 1 + (date(2026, 12, 1) - date(2024, 1, 1)).days + 1 + 1  # + today
    assert outside == []  # nothing fetched from outside the app: no CDN
    context.close()
