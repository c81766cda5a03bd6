"""Rich-menu and greeting items (postback Menu(name)) and the same pages typed as words
(予約, 配信設定, ヘルプ, 担当者 …, recognised by the answer engine): one place, `page`."""

from __future__ import annotations

from collections.abc import Callable

from linebot.v3.messaging import Message
from linebot.v3.webhooks import PostbackEvent

from bot.dispatch import Context, Router, postback_is
from bot.postback import Menu

router = Router("menu")

# Features that have arrived answer their menu name here (handlers/settings.py adds
# "settings"), so the button, the typed word and the engine's menu intent stay the same.
FEATURES: dict[str, Callable[[Context], list[Message]]] = {}


def page(name: str, ctx: Context) -> list[Message]:
    """The menu page `name`: how to ask, help, the list, the contact, a feature's own start
    (配信設定), or an honest 「準備中」 for features of initiative 1-5 not built yet."""
    feature = FEATURES.get(name)
    if feature is not None:
        return feature(ctx)
    return ctx.services.renderer.menu_page(name)


@router.on(PostbackEvent, when=postback_is(Menu))
def menu_item(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The tapped item."""
    data = ctx.postback
    assert isinstance(data, Menu)
    return page(data.name, ctx)
