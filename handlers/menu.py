"""Rich-menu and greeting items (postback Menu(name)): help, list, contact, coming features."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import PostbackEvent

from bot.dispatch import Context, Router, postback_is
from bot.postback import Menu

router = Router("menu")

# Features of the plan's initiative 1-5 that later releases add as handlers of their own.
COMING = {"reservation"}  # "settings" is served by handlers/settings.py


@router.on(PostbackEvent, when=postback_is(Menu))
def menu_item(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The tapped item: how to ask, the plan's list, the contact, or an honest 「準備中」."""
    data = ctx.postback
    assert isinstance(data, Menu)
    renderer = ctx.services.renderer
    if data.name in COMING:
        return renderer.not_available_yet(data.name)
    pages = {
        "ask": renderer.ask,
        "help": renderer.help,
        "list": renderer.browse_policies,
        "contact": renderer.contact,
    }
    return pages.get(data.name, renderer.not_found)()
