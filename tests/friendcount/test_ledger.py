"""The webhook's follow ledger per Tokyo day: follows, re-follows (isUnblocked), unfollows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.friendcount import ledger
from bot.models import FriendEvent
from tests import builders


def test_days_are_tokyo_days_on_every_backend(services):
    # 14:59 UTC is 23:59 in Tokyo on the 1st; 15:00 UTC is already the 2nd there.
    events = [
        ("follow", datetime(2026, 12, 1, 14, 59, tzinfo=UTC)),
        ("follow", datetime(2026, 12, 1, 15, 0, tzinfo=UTC)),
        ("refollow", datetime(2026, 12, 1, 20, 0, tzinfo=UTC)),
        ("unfollow", datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),  # 00:00 on the 1st
        ("unfollow", datetime(2026, 11, 30, 14, 59, tzinfo=UTC)),  # before the window
    ]
    with services.db.session() as session:
        session.add_all(FriendEvent(kind=k, occurred_at=t) for k, t in events)
    with services.db.session() as session:
        days = ledger.by_day(session, date(2026, 12, 1), date(2026, 12, 3))
        total = ledger.totals(session)
    assert [(d.day.day, d.follows, d.refollows, d.unfollows) for d in days] == [
        (1, 1, 0, 1),
        (2, 1, 1, 0),
        (3, 0, 0, 0),
    ]
    assert total == {"follow": 2, "refollow": 1, "unfollow": 2}


def test_follows_and_blocks_from_the_webhook_reach_the_report(webhook, runner, services):
    services.clock = lambda: datetime.now(UTC)
    webhook.follow("U" + "a" * 32)
    webhook.follow("U" + "b" * 32)
    assert webhook.post(builders.unfollow("U" + "a" * 32)).status_code == 200
    webhook.drain()
    webhook.follow("U" + "a" * 32, unblocked=True)
    api = json.loads(runner.invoke(args=["friends", "report", "--json"]).output)
    assert (api["ledger"]["follows"], api["ledger"]["refollows"], api["ledger"]["unfollows"]) == (
        2, 1, 1,
    )  # fmt: skip
    today = api["ledger"]["days"][-1]
    assert today["date"] == (datetime.now(UTC) + timedelta(hours=9)).date().isoformat()
    assert (today["follows"], today["refollows"], today["unfollows"]) == (2, 1, 1)
    assert len(api["ledger"]["days"]) == 30


def test_rollup_of_closed_days_keeps_the_totals_exact(services):
    base = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with services.db.session() as session:
        session.add_all(
            FriendEvent(kind=k, occurred_at=base + timedelta(days=n))
            for n in range(12)
            for k in ("follow", "follow", "unfollow")
        )
    with services.db.session() as session:
        before = ledger.totals(session)
        assert ledger.rollup(session, date(2026, 12, 2)) == 11  # 11-20 … 11-30: closed days
        assert ledger.rolled_through(session) == date(2026, 11, 30)
        assert ledger.rollup(session, date(2026, 12, 2)) == 0  # nothing new: no double count
    with services.db.session() as session:
        assert ledger.totals(session) == before == {"follow": 24, "refollow": 0, "unfollow": 12}
        # Events after the rolled-up days are still counted from the ledger itself.
        session.add(FriendEvent(kind="refollow", occurred_at=datetime(2026, 12, 2, tzinfo=UTC)))
    with services.db.session() as session:
        assert ledger.totals(session)["refollow"] == 1
        assert ledger.rollup(session, date(2026, 12, 4)) == 2  # 12-01, 12-02
        assert ledger.totals(session) == {"follow": 24, "refollow": 1, "unfollow": 12}
