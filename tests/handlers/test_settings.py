"""配信設定, 配信設定の確認, 配信停止/再開 and データ削除 as a citizen does them, by chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.flows.models import FlowState
from bot.models import WebhookEvent
from bot.postback import Menu
from bot.segments.models import DeliveryPreference, FriendAttribute
from bot.segments.vocabulary import load_vocabulary

USER = "U" + "5" * 32


def quick(messages):
    """The quick-reply labels under the last message."""
    items = (messages[-1].get("quickReply") or {}).get("items", [])
    return [i["action"]["label"] for i in items]


def stored(services, user=USER):
    from bot.models import Friend

    with services.db.session() as session:
        fid = session.scalar(select(Friend.id).where(Friend.line_user_id == user))
        rows = session.execute(
            select(FriendAttribute.attribute, FriendAttribute.option).where(
                FriendAttribute.friend_id == fid
            )
        ).all()
    out: dict[str, list[str]] = {}
    for attribute, option in rows:
        out.setdefault(attribute, []).append(option)
    return {k: sorted(v) for k, v in out.items()}


def test_the_whole_settings_dialog_saves_what_was_chosen(webhook, services):
    vocab = load_vocabulary()
    first = webhook.say("配信設定", USER)
    assert "利用目的" in first[0]["text"] and quick(first) == ["同意して進む", "同意しない"]
    age = webhook.say("同意して進む", USER)
    assert quick(age)[:7] == [o.label for o in vocab.by_id["age"].options]
    area = webhook.say("30代", USER)
    assert "地区" in area[0]["text"]
    assert quick(area)[:7] == [o.label for o in vocab.by_id["area"].options]
    interests = webhook.say("比々多", USER)
    assert "完了" in quick(interests) and "スキップ" in quick(interests)
    webhook.say("子育て", USER)
    chosen = webhook.say("防災・防犯", USER)
    assert "子育て、防災・防犯" in chosen[0]["text"]
    done = webhook.say("完了", USER)
    text = done[0]["text"]
    assert "保存しました" in text and "30代" in text and "比々多" in text and "防災・防犯" in text
    assert stored(services) == {
        "age": ["30s"],
        "area": ["hibita"],
        "interests": ["childcare", "safety"],
    }
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(FlowState)) == 0


def test_skip_toggle_and_typed_answers(webhook, services):
    webhook.say("配信設定", USER)
    webhook.say("同意して進む", USER)
    webhook.say("スキップ", USER)  # age
    webhook.say("伊勢原", USER)
    webhook.say("教育", USER)
    untoggled = webhook.say("教育", USER)  # a second tap takes it off again
    assert "選択中" not in untoggled[0]["text"]
    webhook.say("農業", USER)
    webhook.say("完了", USER)
    assert stored(services) == {"area": ["isehara"], "interests": ["agriculture"]}
    shown = webhook.say("配信設定の確認", USER)[0]["text"]
    assert (
        "年代：未回答" in shown and "伊勢原" in shown and "農業" in shown and "受け取る" in shown
    )


def test_not_an_option_asks_again_and_yameru_leaves_without_saving(webhook, services):
    webhook.say("配信設定", USER)
    webhook.say("同意して進む", USER)
    again = webhook.say("マイナンバーカードの交付は？", USER)
    assert "選択肢からお選びください" in again[0]["text"]
    assert "20代" in quick(again)
    left = webhook.say("やめる", USER)
    assert "中止しました" in left[0]["text"]
    assert stored(services) == {}
    # Out of the flow, a question is answered by the answer engine again.
    answer = webhook.say("マイナンバーカードの交付は？", USER)
    assert "選択肢" not in str(answer)


def test_rich_menu_starts_the_same_dialog(webhook):
    first = webhook.tap(Menu("settings").pack(), USER)
    assert "利用目的" in first[0]["text"]


def test_declining_consent_keeps_nothing(webhook, services):
    webhook.say("配信設定", USER)
    assert "何も保存していません" in webhook.say("同意しない", USER)[0]["text"]
    assert webhook.say("配信設定の確認", USER)[0]["text"].startswith("配信設定はまだありません")


def test_the_timeout_leaves_the_flow(webhook, services):
    webhook.say("配信設定", USER)
    with services.db.session() as session:
        state = session.get(FlowState, USER)
        state.expires_at = services.clock() - timedelta(seconds=1)
    answer = webhook.say("30代", USER)
    assert "選択肢からお選びください" not in str(answer)
    with services.db.session() as session:
        assert session.get(FlowState, USER) is None


def test_stop_and_resume(webhook, services):
    webhook.say("配信設定", USER)
    webhook.say("同意して進む", USER)
    for _ in range(3):
        webhook.say("スキップ", USER)
    assert "停止しました" in webhook.say("配信停止", USER)[0]["text"]
    assert "すでに停止" in webhook.say("配信停止", USER)[0]["text"]
    assert "停止中" in webhook.say("配信設定の確認", USER)[0]["text"]
    assert "再開しました" in webhook.say("配信再開", USER)[0]["text"]
    with services.db.session() as session:
        assert session.scalars(select(DeliveryPreference.stopped_at)).one() is None


def test_data_deletion_asks_first_then_erases_and_says_what(webhook, services):
    webhook.say("配信設定", USER)
    webhook.say("同意して進む", USER)
    webhook.say("20代", USER)
    webhook.say("大山", USER)
    webhook.say("完了", USER)
    confirm = webhook.say("データ削除", USER)
    assert "元に戻せません" in confirm[0]["text"] and quick(confirm) == ["削除する", "削除しない"]
    assert "そのまま" in webhook.say("削除しない", USER)[0]["text"]
    assert stored(services) == {"age": ["20s"], "area": ["oyama"]}
    webhook.say("データ削除", USER)
    done = webhook.say("削除する", USER)[0]["text"]
    assert "削除しました" in done and "配信設定：3件" in done
    assert stored(services) == {}
    with services.db.session() as session:
        kept = session.scalars(select(WebhookEvent.id).where(WebhookEvent.user_key == USER)).all()
        assert kept == []
        assert session.get(FlowState, USER) is None
    assert "まだありません" in webhook.say("配信設定の確認", USER)[0]["text"]
