"""配信設定 (a flow: purpose and consent, then each attribute), 配信設定の確認, 配信停止/再開."""

from __future__ import annotations

from linebot.v3.messaging import Message
from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent

from bot.dispatch import Context, Predicate, Router, from_user, postback_is
from bot.flows import Conversation, Flow
from bot.postback import Menu
from bot.replies.settings import settings_replies
from bot.segments import profile
from bot.segments.vocabulary import fold, vocabulary
from handlers import menu

router = Router("settings")


def says(key: str) -> Predicate:
    """The text is one of the words.<key> of content/settings.yaml."""

    def check(event: MessageEvent, ctx: Context) -> bool:
        folded = ctx.extra.get("folded_text")
        if folded is None:  # once per message, not once per settings word list
            folded = ctx.extra["folded_text"] = fold(event.message.text or "")
        return folded in settings_replies(ctx).words(key)

    return Predicate(check, f"says({key})")


def _cancelled(ctx: Context) -> list[Message]:
    return settings_replies(ctx).simple("cancelled")


flow = Flow(
    "settings",
    is_cancel=lambda text, ctx: fold(text) in settings_replies(ctx).words("cancel"),
    on_cancel=_cancelled,
)


def _start(ctx: Context) -> list[Message]:
    flow.start(ctx, "consent")
    return settings_replies(ctx).purpose()


menu.FEATURES["settings"] = _start  # the engine's "settings" menu intent starts it too


@router.on(MessageEvent, message=TextMessageContent, when=from_user & says("settings"))
def start(event: MessageEvent, ctx: Context) -> list[Message]:
    """「配信設定」: what is kept and why, and a request for consent."""
    return _start(ctx)


settings_menu = Predicate(
    lambda _e, c: isinstance(c.postback, Menu) and c.postback.name == "settings", "menu=settings"
)


@router.on(PostbackEvent, when=from_user & postback_is(Menu) & settings_menu)
def start_from_menu(event: PostbackEvent, ctx: Context) -> list[Message]:
    """The rich menu's or the greeting's 「配信設定」: the same start as typing it."""
    return _start(ctx)


@flow.step("consent")
def consent(text: str, ctx: Context, conv: Conversation) -> list[Message]:
    """同意して進む → the first question; 同意しない → nothing is kept."""
    replies = settings_replies(ctx)
    if replies.is_label(text, "agree"):
        conv.data = {"at": 0, "answers": {}}
        conv.goto("attribute")
        return replies.ask(vocabulary().attributes[0])
    if replies.is_label(text, "disagree"):
        conv.end()
        return replies.simple("declined")
    return replies.purpose()


@flow.step("attribute")
def attribute(text: str, ctx: Context, conv: Conversation) -> list[Message]:
    """One option (or several, then 完了), or スキップ; after the last, save and summarise."""
    replies, vocab = settings_replies(ctx), vocabulary()
    current = vocab.attributes[conv.data["at"]]
    answers: dict[str, list[str]] = conv.data["answers"]
    chosen = answers.get(current.id, [])
    option = current.by_text(text)
    if current.multiple and option is not None:
        chosen = (
            [c for c in chosen if c != option.id] if option.id in chosen else [*chosen, option.id]
        )
        answers[current.id] = chosen
        return replies.ask(current, chosen)
    if option is not None:
        answers[current.id] = [option.id]
    elif replies.is_label(text, "skip"):
        answers.pop(current.id, None)
    elif not (current.multiple and replies.is_label(text, "done")):
        return replies.not_an_option(current, chosen)
    conv.data["at"] += 1
    if conv.data["at"] < len(vocab.attributes):
        return replies.ask(vocab.attributes[conv.data["at"]])
    conv.end()
    profile.save(ctx.session, ctx.user_id or "", answers, ctx.now)
    return replies.saved(answers)


@router.on(MessageEvent, message=TextMessageContent, when=from_user & says("show"))
def show(event: MessageEvent, ctx: Context) -> list[Message]:
    """「配信設定の確認」: everything kept about them, with change / stop / delete."""
    return settings_replies(ctx).show(profile.get(ctx.session, ctx.user_id or "", ctx.now))


@router.on(MessageEvent, message=TextMessageContent, when=from_user & says("stop"))
def stop(event: MessageEvent, ctx: Context) -> list[Message]:
    """「配信停止」: no more segment broadcasts (the choices stay until deleted)."""
    changed = profile.set_stopped(ctx.session, ctx.user_id or "", True, ctx.now)
    return settings_replies(ctx).stopped(changed)


@router.on(MessageEvent, message=TextMessageContent, when=from_user & says("resume"))
def resume(event: MessageEvent, ctx: Context) -> list[Message]:
    """「配信再開」: broadcasts reach them again."""
    profile.set_stopped(ctx.session, ctx.user_id or "", False, ctx.now)
    return settings_replies(ctx).resumed()
