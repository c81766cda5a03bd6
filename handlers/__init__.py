"""Handlers, one module per kind of event or conversation. ROUTERS is the one registration
point: the order is the priority, and the first handler that matches an event wins."""

from __future__ import annotations

from handlers import (
    browse,
    flows,
    follow,
    friend_count,
    media,
    menu,
    privacy,
    question,
    settings,
    unknown,
)

ROUTERS = [
    flows.router,  # a person inside a dialog: their text goes to its current step first
    follow.router,  # follow / unfollow / join
    privacy.router,  # データ削除 (before settings: its words are more specific)
    settings.router,  # 配信設定, 配信設定の確認, 配信停止/再開 (before menu's 「準備中」)
    browse.router,  # 一覧 and the plan's initiatives and terms (postbacks)
    menu.router,  # rich menu and greeting items (postbacks)
    media.router,  # stickers, images, locations …
    friend_count.router,  # 「友だちは何人？」: the LINE friend count and its target (1-5)
    question.router,  # any other text -> the answer engine
    unknown.router,  # everything else: recorded, answered with guidance where possible
]
