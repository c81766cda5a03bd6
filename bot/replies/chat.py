"""Conversation replies: 「もしかして」, the fallback, declined topics, small talk, welcome,
help, contact, features not yet available, media, location and errors."""

from __future__ import annotations

from collections.abc import Sequence

from linebot.v3.messaging import (
    Message,
    TextMessage,
)

from bot.content import Initiative
from bot.replies.kit import MatchLike, ReplyKit, memo

CANDIDATES_MAX = 3


class ChatReplies(ReplyKit):
    """Everything the bot says that is not a plan card."""

    @memo
    def candidates(self, matches: Sequence[MatchLike]) -> list[Message]:
        """「もしかして」: up to three likely answers to tap."""
        lines, actions = [self.t("candidates.intro")], []
        for found in self.resolve(matches)[:CANDIDATES_MAX]:
            if isinstance(found, Initiative):
                lines.append(self.t("bullet", text=f"{found.id} {found.title}"))
                actions.append(self.act_initiative(found))
            else:
                lines.append(
                    self.t("bullet", text=self.t("candidates.term", headword=found.headword))
                )
                actions.append(self.act_term(found))
        if not actions:
            return self.fallback()
        lines.append(self.t("candidates.outro"))
        return self.text("\n".join(lines), [*actions, self.act_list()])

    @memo
    def fallback(self) -> list[Message]:
        """Honest "I don't know", what the bot can answer, and whom to ask instead."""
        lines = [
            self.t("fallback.intro"),
            self.t(
                "fallback.scope",
                plan=self.plan.title,
                initiatives=len(self.plan.initiatives),
                terms=len(self.plan.terms),
            ),
            self.t("fallback.examples"),
            *[self.t("bullet", text=e) for e in self.examples[:3]],
            self.t("fallback.contact", **self.contact_facts()),
        ]
        actions = [self.act_list(), *self.examples_quick(), self.act_menu("contact")]
        return self.text("\n".join(lines), actions)

    @memo
    def offtopic(self, topic: str | None = None) -> list[Message]:
        """A polite decline for matters outside the plan; no invented phone numbers."""
        lines = [self.t("offtopic")]
        if topic and self.has(f"offtopic.topic.{topic}"):
            lines.append(self.t(f"offtopic.topic.{topic}"))
        lines += [self.t("offtopic.other"), self.t("offtopic.contact", **self.contact_facts())]
        return self.text("\n".join(lines), [self.act_list(), *self.examples_quick(2)])

    @memo
    def greeting(self) -> list[Message]:
        return self.text(self.t("greeting"), [self.act_list(), *self.examples_quick()])

    @memo
    def thanks(self) -> list[Message]:
        return self.text(self.t("thanks"), [self.act_list(), *self.examples_quick(2)])

    @memo
    def empty(self) -> list[Message]:
        example = self.examples[0] if self.examples else ""
        return self.text(
            self.t("empty", example=example), [self.act_list(), *self.examples_quick()]
        )

    def welcome(self, display_name: str | None = None) -> list[Message]:
        """For a new friend: thanks, what the bot does, and where to start."""
        name = " ".join((display_name or "").split())
        hello = self.t("welcome.named", name=name) if name else self.t("welcome.anonymous")
        body = f"{hello}\n{self.t('welcome.body', plan=self.plan.title)}"
        actions = [
            self.act_menu("ask"),
            self.act_list(),
            self.act_menu("settings"),
            self.act_menu("contact"),
            self.act_menu("help"),
        ]
        return self.text(body, actions)

    @memo
    def ask(self) -> list[Message]:
        """「質問する」: how to ask, with example questions to tap."""
        lines = [self.t("ask"), *[self.t("bullet", text=e) for e in self.examples]]
        return self.text(
            "\n".join(lines), [*self.examples_quick(len(self.examples)), self.act_list()]
        )

    @memo
    def contact(self) -> list[Message]:
        """The plan's contact (from plan.yaml) and where other matters go."""
        facts = self.contact_facts()
        lines = [self.t("contact.heading"), facts["department"]]
        for key in ("phone", "email", "address"):
            if facts[key]:
                lines.append(self.t(f"contact.{key}", **facts))
        lines += ["", self.t("contact.other")]
        return self.text("\n".join(lines), [self.act_list(), self.act_menu("help")])

    @memo
    def help(self) -> list[Message]:
        example = self.examples[0] if self.examples else ""
        lines = [
            self.t("help.heading"),
            self.t("bullet", text=self.t("help.ask", example=example)),
            self.t("bullet", text=self.t("help.list")),
            self.t("bullet", text=self.t("help.card")),
            self.t("bullet", text=self.t("help.scope")),
        ]
        actions = [self.act_menu("ask"), self.act_list(), self.act_menu("contact")]
        return self.text("\n".join(lines), actions)

    @memo
    def not_available_yet(self, feature: str) -> list[Message]:
        """For 配信設定/予約 before they exist: say honestly that they are being prepared."""
        key = f"feature.{feature}"
        name = self.t(key if self.has(key) else "feature.other")
        body = f"{self.t('not_available', feature=name)}\n{self.t('not_available.plan')}"
        extra = [self.act_initiative(i) for i in self.optional_initiative("1-5")]
        return self.text(body, [*extra, self.act_list(), self.act_menu("contact")])

    @memo
    def media(self) -> list[Message]:
        """Stickers, images, video, audio, files: ask for words instead."""
        return self.text(self.t("media"), [*self.examples_quick(), self.act_list()])

    @memo
    def location(self) -> list[Message]:
        """A location message: not used yet; point to the plan's open GIS initiative."""
        lines = [self.t("location")]
        gis = self.optional_initiative(self.t("location.initiative"))
        if gis:
            lines.append(self.t("location.hint", id=gis[0].id))
        actions = [*(self.act_initiative(i) for i in gis), self.act_list()]
        return self.text("\n".join(lines), [*actions, *self.examples_quick(2)])

    @memo
    def not_found(self) -> list[Message]:
        return self.text(self.t("not_found"), [self.act_list()])

    @memo
    def error(self) -> list[Message]:
        """Generic apology; safe to send from an exception handler (no plan lookups)."""
        return [TextMessage(text=self.t("error"))]
