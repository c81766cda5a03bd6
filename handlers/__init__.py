"""Handlers, one module per kind of event or conversation. ROUTERS is the one registration
point: the order is the priority, and the first handler that matches an event wins."""

from __future__ import annotations

from handlers import browse, follow, friend_count, media, menu, question, unknown

ROUTERS = [
    follow.router,  # follow / unfollow / join
    browse.router,  # 一覧 and the plan's initiatives and terms (postbacks)
    menu.router,  # rich menu and greeting items (postbacks)
    media.router,  # stickers, images, locations …
    friend_count.router,  # 「友だちは何人？」: the LINE friend count and its target (1-5)
    question.router,  # any other text -> the answer engine
    unknown.router,  # everything else: recorded, answered with guidance where possible
]
