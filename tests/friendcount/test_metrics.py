"""GET /metrics gains the friend-count gauges and counters and the answers counter, read from
the database (so every process answers the same and nothing is lost on restart)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app import create_app
from bot.models import FollowerSnapshot, FriendEvent
from bot.services import Services


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_gauges_and_counters_come_from_the_database(client, services, settings, content):
    services.clock = lambda: datetime(2026, 12, 2, tzinfo=UTC)
    before = scrape(client)
    assert "\nline_followers " not in before  # no snapshot yet: no made-up zero
    assert "line_followers_target 20000.0" in before
    with services.db.session() as session:
        for day, followers in ((date(2026, 11, 30), 20_900), (date(2026, 12, 1), 20_950)):
            session.add(
                FollowerSnapshot(day=day, status="ready", followers=followers,
                                 targeted_reaches=15_000, blocks=1_234, attempts=1,
                                 fetched_at=datetime.now(UTC), sample=False)
            )  # fmt: skip
        session.add(FollowerSnapshot(day=date(2026, 12, 2), status="unready", attempts=1,
                                     fetched_at=datetime.now(UTC), sample=False))  # fmt: skip
        t = datetime(2026, 12, 1, tzinfo=UTC)
        session.add_all(
            FriendEvent(kind=k, occurred_at=t)
            for k in ["follow", "follow", "refollow", "unfollow"]
        )
    # Another app with its own Services (another gunicorn worker, or after a restart).
    other = Services(settings, clock=services.clock)
    other.__dict__.update(content)
    for c in (client, create_app(services=other).test_client()):
        text = scrape(c)
        assert "\nline_followers 20950.0" in text
        assert "\nline_targeted_reaches 15000.0" in text
        assert "\nline_blocks 1234.0" in text
        assert 'line_follow_events_total{kind="follow"} 2.0' in text
        assert 'line_follow_events_total{kind="refollow"} 1.0' in text
        assert "\nline_unfollow_events_total 1.0" in text
    other.db.dispose()


def test_the_target_gauge_follows_the_fiscal_year(client, services):
    services.clock = lambda: datetime(2024, 3, 31, 12, tzinfo=UTC)  # 21:00 JST, still 令和5年度
    assert "line_followers_target 12000.0" in scrape(client)
    services.clock = lambda: datetime(2024, 3, 31, 15, tzinfo=UTC)  # 00:00 JST on 1 April
    assert "line_followers_target 16000.0" in scrape(client)


def test_answers_confident_and_not_are_counted_from_the_webhook(webhook, client):
    webhook.say("マイナンバーカードの交付率の目標は？")  # a clear answer
    webhook.say("あしたの天気はどうですか")  # declined: not confident
    webhook.say("ぷにゅぷにゅ")  # nothing near: the fallback
    text = scrape(client)
    assert 'line_answers_total{confident="true"} 1.0' in text
    assert 'line_answers_total{confident="false"} 2.0' in text
