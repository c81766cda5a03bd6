"""「友だちは何人？」 through the signed webhook: the latest count and the plan's target with its
date; other questions about initiative 1-5 still reach the answer engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.models import FollowerSnapshot
from handlers.friend_count import asks_friend_count

USER = "U" + "f" * 32


def snapshot(day: date, followers: int, blocks: int = 0) -> FollowerSnapshot:
    return FollowerSnapshot(
        day=day, status="ready", followers=followers, targeted_reaches=followers - blocks,
        blocks=blocks, attempts=1, fetched_at=datetime(2026, 12, 2, tzinfo=UTC), sample=False,
    )  # fmt: skip


def at(services, when: datetime) -> None:
    services.clock = lambda: when


def test_all_targets_past_the_answer_gives_the_count_and_the_last_targets_outcome(
    webhook, services
):
    at(services, datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    with services.db.session() as session:
        session.add_all(
            [snapshot(date(2026, 3, 31), 19_420, 900), snapshot(date(2026, 12, 1), 20_950, 1_100)]
        )
    [message] = webhook.say("友だちは何人？", user=USER)
    text = message["text"]
    assert "2026年12月1日時点で20,950人" in text
    assert "令和7年度末（2026年3月31日）までに20,000人" in text
    assert "2026年3月31日時点では19,420人" in text  # missed, judged on the deadline
    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert labels[0].startswith("1-5")


def test_during_a_fiscal_year_the_answer_gives_that_years_target(webhook, services):
    at(services, datetime(2024, 6, 10, 3, 0, tzinfo=UTC))
    with services.db.session() as session:
        session.add(snapshot(date(2024, 6, 9), 12_480))
    [message] = webhook.say("LINEの友達登録数って今どのくらい？", user=USER)
    assert "2024年6月9日時点で12,480人" in message["text"]
    assert "令和6年度末（2025年3月31日）までに16,000人です" in message["text"]


def test_before_any_snapshot_the_answer_says_it_is_being_counted(webhook, services):
    at(services, datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    [message] = webhook.say("ﾌｫﾛﾜｰ何人いるの", user=USER)
    assert "ただいま集計中" in message["text"]
    assert "20,000人" in message["text"]


@pytest.mark.parametrize(
    "said",
    [
        "友だちは何人？",
        "友達の人数を教えて",
        "LINEの友だち登録数は？",
        "フォロワーって何人",
        "友だち数の目標は",
    ],
)
def test_questions_about_the_number_of_friends_match(said):
    assert asks_friend_count(said)


@pytest.mark.parametrize(
    "said",
    [
        "友だち登録の方法は？",
        "1-5の指標は？",
        "LINEのセグメント配信とは",
        "防災情報一斉配信システムの登録者数",
        "スマホ教室の参加者数は何人を目指してる？",
        "ブロックした友だちは何人？",
    ],
)
def test_other_questions_do_not_match(said):
    assert not asks_friend_count(said)


def test_other_questions_about_1_5_still_reach_the_answer_engine(webhook):
    messages = webhook.say("市LINE公式アカウントのチャットボットの導入はいつ？", user=USER)
    [card] = [m for m in messages if m["type"] == "flex"]
    assert "市LINE公式アカウントの活用の推進" in card["altText"]
