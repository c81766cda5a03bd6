"""GET /api/friends (Bearer token) and /console/friends + CSV (login), from real snapshots
and webhook events in the database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.models import FollowerSnapshot, FriendEvent
from tests.segments_helpers import bearer, staff_token
from tests.staff.test_staff import add, login

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def snap(day: date, followers: int, blocks: int, status: str = "ready") -> FollowerSnapshot:
    ready = status == "ready"
    return FollowerSnapshot(
        day=day, status=status, followers=followers if ready else None,
        targeted_reaches=followers - blocks if ready else None, blocks=blocks if ready else None,
        attempts=1, fetched_at=NOW, sample=False,
    )  # fmt: skip


@pytest.fixture
def filled(services):
    services.clock = lambda: NOW
    with services.db.session() as session:
        session.add(snap(date(2024, 3, 31), 12_300, 500))
        session.add(snap(date(2025, 3, 30), 15_400, 800))
        session.add(snap(date(2026, 3, 31), 19_700, 1_100))
        for n in range(39):  # 2026-10-23 … 2026-11-30
            day = date(2026, 10, 23) + timedelta(days=n)
            session.add(snap(day, 20_500 + 6 * n, 1_300 + n))
        session.add(snap(date(2026, 12, 1), 0, 0, status="unready"))
        t = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
        session.add_all(FriendEvent(kind="follow", occurred_at=t) for _ in range(4))
        session.add(FriendEvent(kind="unfollow", occurred_at=t))
    return services


def test_api_needs_a_bearer_token(client, filled):
    assert client.get("/api/friends").status_code == 401
    assert client.get("/api/friends", headers=bearer("wrong")).status_code == 401


def test_api_answers_exactly_the_documented_fields(client, filled):
    token = staff_token(filled)
    response = client.get("/api/friends", headers=bearer(token))
    assert response.status_code == 200
    api = response.get_json()
    assert set(api) == {
        "followers", "reachable", "as_of", "target", "target_date", "progress",
        "targets", "forecast", "ledger",
    }  # fmt: skip
    assert (api["followers"], api["reachable"], api["as_of"]) == (20_728, 19_390, "2026-11-30")
    assert (api["target"], api["target_date"]) == (20_000, "2026-03-31")
    assert api["progress"] == round(20_728 / 20_000, 4)
    assert [(t["label"], t["actual"], t["met"]) for t in api["targets"]] == [
        ("令和5年度", 12_300, True),
        ("令和6年度", 15_400, False),
        ("令和7年度", 19_700, False),
    ]
    assert api["forecast"] == {"daily_growth": 6.0, "reaches_target_on": "2026-10-23"}
    assert api["ledger"]["follows"] == 4 and api["ledger"]["unfollows"] == 1
    day = next(d for d in api["ledger"]["days"] if d["date"] == "2026-12-01")
    assert (day["follows"], day["unfollows"]) == (4, 1)


def test_console_page_needs_login_and_shows_the_report(runner, client, filled):
    assert client.get("/console/friends").status_code == 302
    add(runner)
    login(client)
    page = client.get("/console/friends").get_data(as_text=True)
    assert "20,728" in page and "19,390" in page  # followers and reachable
    assert "計画のすべての目標期限が過ぎています" in page
    assert "未達" in page and "達成" in page
    assert "集計中（LINE）" in page  # 2026-12-01 unready
    assert "vendor/chart.umd.min.js" in page
    assert "cdn" not in page.lower()


def test_csv_has_every_day_with_figures_ledger_and_gaps(runner, client, filled):
    add(runner)
    login(client)
    response = client.get("/console/friends.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["日付", "取得状況", "友だち登録数", "届く友だち"]
    by_day = {r[0]: r for r in rows[1:]}
    assert by_day["2024-03-31"][1:4] == ["ready", "12300", "11800"]
    assert by_day["2024-04-01"][1:3] == ["missing", ""]  # a gap stays visible
    assert by_day["2026-12-01"][1] == "unready"
    assert by_day["2026-12-01"][6:9] == ["4", "0", "1"]


def test_follows_and_blocks_around_each_broadcast(runner, client, filled):
    from bot.broadcasts.models import Broadcast

    sent = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 12:00 JST
    with filled.db.session() as session:
        session.add(
            Broadcast(text="【お知らせ】\n年末年始の窓口", segment={}, status="sent",
                      send_at=sent, started_at=sent, created_by="sato")
        )  # fmt: skip
        session.add(FriendEvent(kind="follow", occurred_at=sent - timedelta(hours=3)))
        session.add_all(
            FriendEvent(kind="unfollow", occurred_at=sent + timedelta(hours=h)) for h in (1, 2, 30)
        )
    add(runner)
    login(client)
    page = client.get("/console/friends").get_data(as_text=True)
    assert "2026-11-28 12:00" in page and "【お知らせ】 年末年始の窓口" in page
    assert "<td>1 / 0</td>" in page  # the 24 h before: one follow, no block
    assert (
        "<td>0 / <strong>2</strong></td>" in page
    )  # the 24 h after: two blocks (not the 30th hour)
    out = runner.invoke(args=["friends", "report"]).output
    assert "2026-11-28 12:00" in out and "1/0" in out and "0/2" in out
