"""Rich-menu and greeting items (postback Menu(name)) and the same pages typed as words
(予約, 配信設定, ヘルプ, 担当者 …, recognised by the answer engine): one place, `page`."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import PostbackEvent

from bot.dispatch import Context, Router, postback_is
from bot.postback import Menu

router = Router("menu")


def page(name: str, ctx: Context) -> list[Message]:
    """The menu page `name`: how to ask, help, the list, the contact, or an honest 「準備中」
    for features of initiative 1-5 not built yet. A feature that arrives (配信設定, 予約)
    answers its name here, so the button and the typed word stay the same."""
    return ctx.services.renderer.menu_page(name)


@router.on(PostbackEvent, when=postback_is(Menu))
def menu_item(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The tapped item."""
    data = ctx.postback
    assert isinstance(data, Menu)
    return page(data.name, ctx)
