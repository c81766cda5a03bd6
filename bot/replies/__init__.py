"""Everything the bot sends, as LINE message objects: one module per feature.

Layout
    limits.py      LINE's documented limits and text helpers (utf16_len, shorten, label …)
    kit.py         ReplyKit: plan + wording, actions, quick replies, text/Flex messages, memo
    initiative.py  an initiative's Flex card and full text
    glossary.py    a glossary term
    browse.py      「一覧」: basic policies and their initiatives
    chat.py        「もしかして」, fallback, declined topics, small talk, help, contact …
    answer.py      the answer-first sentence, trimmed figure cards, near misses

`Renderer` combines the core features; handlers reach it as `ctx.services.renderer`. Every
reply method returns at most 5 messages inside LINE's limits (the tests validate every one
against LINE's OpenAPI spec); Python arranges, the wording lives in content/.

Adding a feature's replies (e.g. segment-delivery settings):

1. Wording: create ``content/replies/settings.yaml`` (``key: text`` lines, Japanese,
   ``{placeholders}`` filled by ``t(key, **facts)``). Every file in content/replies/ is merged
   with content/replies.yaml at load; a key defined twice is an error naming both files.
2. Module: create ``bot/replies/settings.py``::

       from bot.replies.kit import ReplyKit, memo

       class SettingsReplies(ReplyKit):
           @memo  # only for replies that depend on nothing but the arguments
           def settings_menu(self) -> list[Message]:
               return self.text(self.t("settings.intro"), [self.act_list()])

3. Handler: ``ctx.services.renderer.part(SettingsReplies).settings_menu()`` — `part` builds
   the feature's replies once per process, on the same plan and wording.
4. Other content (not wording): a pydantic model and ``bot.loader.load_file("x.yaml", Model)``.

Do not edit Renderer's bases for a new feature: `part` keeps features apart and merges easy.
"""

from __future__ import annotations

from typing import TypeVar

from bot.content import Plan, Replies
from bot.replies.answer import AnswerReplies
from bot.replies.kit import MatchLike, Rendered, ReplyKit, memo, payload_json, payload_of
from bot.replies.limits import label, shorten, summarize, utf16_len

K = TypeVar("K", bound=ReplyKit)


class Renderer(AnswerReplies):
    """The core replies (cards, terms, browsing, conversation, answers) in one object."""

    def __init__(self, plan: Plan, replies: Replies) -> None:
        super().__init__(plan, replies)
        self._parts: dict[type[ReplyKit], ReplyKit] = {}

    def part(self, cls: type[K]) -> K:
        """A feature's replies (a ReplyKit subclass), built once on this plan and wording."""
        found = self._parts.get(cls)
        if found is None:
            found = self._parts[cls] = cls(self.plan, self.replies)
        return found  # type: ignore[return-value]


__all__ = [
    "MatchLike",
    "Rendered",
    "Renderer",
    "ReplyKit",
    "label",
    "memo",
    "payload_json",
    "payload_of",
    "shorten",
    "summarize",
    "utf16_len",
]
