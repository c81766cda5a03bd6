"""Messages of 配信設定, 配信設定の確認, 配信停止 and データ削除 (content/replies/settings.yaml).

Quick replies are message actions whose label and text are the option's label, so what a
citizen taps is what the chat shows and what the flow step reads; the labels are exactly
those of GET /api/segments. Handlers reach these as `settings_replies(ctx)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linebot.v3.messaging import Message, MessageAction, TextMessage

from bot.replies.kit import ReplyKit, memo
from bot.segments.profile import Answers, Profile
from bot.segments.vocabulary import Attribute, fold, vocabulary

if TYPE_CHECKING:
    from bot.dispatch import Context


class SettingsReplies(ReplyKit):
    """Builds the settings dialogs' messages from the wording and the vocabulary."""

    def s(self, key: str, **facts: object) -> str:
        return self.t(f"settings.{key}", **facts)

    def words(self, key: str) -> frozenset[str]:
        """What a citizen may type for `key` (settings.words.*), folded; built once per key,
        as every text message is checked against several of these."""
        cache: dict[str, frozenset[str]] = self.__dict__.setdefault("_words", {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = frozenset(fold(w) for w in self.s(f"words.{key}").split("|"))
        return found

    def is_label(self, text: str, key: str) -> bool:
        return fold(text) == fold(self.s(f"label.{key}"))

    def _say(self, body: str, labels: list[str]) -> list[Message]:
        return self.text(body, [MessageAction(label=lb, text=lb) for lb in labels])

    def _labels(self, *keys: str) -> list[str]:
        return [self.s(f"label.{k}") for k in keys]

    # --- 配信設定 -------------------------------------------------------------------

    @memo
    def purpose(self) -> list[Message]:
        """What is kept and why (利用目的), and a request for consent."""
        return self._say(self.s("purpose"), self._labels("agree", "disagree"))

    def ask(self, attribute: Attribute, chosen: list[str] | None = None) -> list[Message]:
        """One question: the attribute's options as quick replies (+ 完了/スキップ/やめる)."""
        labels = [o.label for o in attribute.options]
        if attribute.multiple:
            if chosen:
                names = "、".join(attribute.label_of(c) for c in chosen)
                body = self.s("ask.multiple.chosen", chosen=names)
            else:
                body = self.s("ask.multiple", attribute=attribute.label)
            return self._say(body, [*labels, *self._labels("done", "skip", "cancel")])
        body = self.s("ask.single", attribute=attribute.label)
        return self._say(body, [*labels, *self._labels("skip", "cancel")])

    def not_an_option(self, attribute: Attribute, chosen: list[str]) -> list[Message]:
        """Something that is not an option: say so and ask the same question again."""
        question = self.ask(attribute, chosen)[0]
        assert isinstance(question, TextMessage)
        return [
            TextMessage(
                text=f"{self.s('not_an_option')}\n{question.text}",
                quickReply=question.quick_reply,
            )
        ]

    def simple(self, key: str) -> list[Message]:
        """A one-line outcome (cancelled, declined, timed out) with a way back in."""
        return self._say(self.s(key), self._labels("change") if key != "declined" else [])

    def saved(self, answers: Answers) -> list[Message]:
        body = f"{self.s('saved')}\n\n{self._summary(answers, stopped=False)}"
        return self._say(body, self._labels("change", "stop", "delete"))

    # --- 配信設定の確認 / 配信停止 ----------------------------------------------------

    def _summary(self, answers: Answers, stopped: bool) -> str:
        lines = []
        for attribute in vocabulary().attributes:
            chosen = answers.get(attribute.id)
            if chosen is None:
                value = self.s("not_set")
            elif not chosen:
                value = self.s("none_chosen")
            else:
                value = "、".join(attribute.label_of(c) for c in chosen)
            lines.append(self.s("attribute_line", attribute=attribute.label, value=value))
        delivery = self.s("delivery.off" if stopped else "delivery.on")
        return self.s("summary", attribute_lines="\n".join(lines), delivery=delivery)

    def show(self, profile: Profile | None) -> list[Message]:
        """Everything kept about the citizen, with change / stop (or resume) / delete."""
        if profile is None:
            return self._say(self.s("no_settings"), self._labels("change"))
        toggle = "resume" if profile.stopped else "stop"
        return self._say(
            self._summary(profile.answers, profile.stopped),
            self._labels("change", toggle, "delete"),
        )

    def stopped(self, changed: bool) -> list[Message]:
        key = "stopped" if changed else "already_stopped"
        return self._say(self.s(key), self._labels("resume", "show"))

    def resumed(self) -> list[Message]:
        return self._say(self.s("resumed"), self._labels("show", "change"))

    # --- データ削除 ------------------------------------------------------------------

    def delete_confirm(self) -> list[Message]:
        return self._say(self.s("delete.confirm"), self._labels("delete_confirm", "keep"))

    def delete_kept(self) -> list[Message]:
        return self._say(self.s("delete.kept"), self._labels("show"))

    def deleted(self, counts: dict[str, int]) -> list[Message]:
        return self._say(self.s("delete.done", **counts), [])


def settings_replies(ctx: Context) -> SettingsReplies:
    """The settings replies of the running process (built once by the Renderer)."""
    return ctx.services.renderer.part(SettingsReplies)
