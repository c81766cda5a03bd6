"""「友だちは何人？」: the city's LINE friend count and the plan's target (initiative 1-5).

Matched narrowly — a question about how many friends the city's LINE account has — so every
other question about initiative 1-5 (セグメント配信, チャットボット, its targets table …)
still reaches the answer engine. Registered before `question` in handlers.ROUTERS.
"""

from __future__ import annotations

import re
import unicodedata

from linebot.v3.messaging import Message
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from bot.dispatch import Context, Predicate, Router, from_user
from bot.friendcount import progress
from bot.friendcount.targets import cached_targets
from bot.replies.friends import FriendCountReplies

router = Router("friend_count")

# "friends" of the account, and a word asking for a number.
FRIENDS = re.compile(r"友だち|友達|ともだち|トモダチ|フォロワー")
HOW_MANY = re.compile(
    r"何人|なんにん|何名|なんめい|人数|登録数|登録者数|数は|数って|数を|数教えて|いくつ|"
    r"どのくらい|どれくらい|どれだけ|何万|増え|目標"
)
# Questions about something else that happens to mention friends; a question naming a
# fiscal year asks the plan's table (the answer engine says that year's target).
OTHER = re.compile(
    r"方法|やり方|仕方|どうやって|どうすれば|追加する|登録する|解除|ブロック|とは|意味|"
    r"年度|令和|\d{4}年|来年|再来年"
)


def asks_friend_count(text: str) -> bool:
    """True for 「友だちは何人？」「LINEの友達登録数は？」「フォロワー何人いるの」…"""
    t = unicodedata.normalize("NFKC", text)
    if len(t) > 60:  # long messages are real questions for the engine
        return False
    return bool(FRIENDS.search(t) and HOW_MANY.search(t) and not OTHER.search(t))


asks_count = Predicate(
    lambda e, _c: asks_friend_count(getattr(e.message, "text", "") or ""), "asks_friend_count"
)


@router.on(MessageEvent, message=TextMessageContent, when=from_user & asks_count)
def friend_count(event: MessageEvent, ctx: Context) -> list[Message]:
    """The latest count from the Insight snapshots and the target of the plan, with its date."""
    targets = cached_targets()
    # The calendar day comes from the process clock, as in the CLI, API and console (the
    # pipeline's ctx.now is the database's clock, kept for leases and deadlines).
    report = progress.headline(ctx.session, targets, ctx.services.clock())
    return ctx.services.renderer.part(FriendCountReplies).friend_count(report, targets)
