"""Messages of 配信設定, 配信設定の確認, 配信停止 and データ削除 (content/settings.yaml).

Quick replies are message actions whose label and text are the option's label, so what a
citizen taps is what the chat shows and what the flow step reads; the labels are exactly
those of GET /api/segments.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from linebot.v3.messaging import Message, MessageAction, QuickReply, QuickReplyItem, TextMessage

from bot.content import CONTENT_DIR, ContentError, Replies, _read_yaml
from bot.segments.profile import Answers, Profile
from bot.segments.vocabulary import Attribute, Vocabulary, fold, vocabulary

QUICK_REPLY_MAX = 13


def load_wording(content_dir: Path = CONTENT_DIR) -> Replies:
    path = content_dir / "settings.yaml"
    data = _read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(v, str) and v.strip() for v in data.values()
    ):
        raise ContentError(f"{path.name}: expected a mapping of key: non-empty text")
    labels = [k for k, v in data.items() if k.startswith("label.") and len(v) > 20]
    if labels:
        raise ContentError(f"{path.name}: labels over 20 characters: {labels}")
    return Replies(texts=data)


class SettingsReplies:
    """Builds the settings dialogs' messages from the wording and the vocabulary."""

    def __init__(self, wording: Replies, vocab: Vocabulary) -> None:
        self.w = wording
        self.vocab = vocab

    def t(self, key: str, **facts: object) -> str:
        return self.w.text(key, **facts)

    def words(self, key: str) -> frozenset[str]:
        """What a citizen may type for `key` (words.*), folded."""
        return frozenset(fold(w) for w in self.t(f"words.{key}").split("|"))

    def is_label(self, text: str, key: str) -> bool:
        return fold(text) == fold(self.t(f"label.{key}"))

    def _text(self, body: str, labels: list[str]) -> list[Message]:
        items = [
            QuickReplyItem(action=MessageAction(label=label, text=label))
            for label in labels[:QUICK_REPLY_MAX]
        ]
        quick = QuickReply(items=items) if items else None
        return [TextMessage(text=body, quickReply=quick)]

    def _labels(self, *keys: str) -> list[str]:
        return [self.t(f"label.{k}") for k in keys]

    # --- 配信設定 -------------------------------------------------------------------

    def purpose(self) -> list[Message]:
        return self._text(self.t("purpose"), self._labels("agree", "disagree"))

    def ask(self, attribute: Attribute, chosen: list[str] | None = None) -> list[Message]:
        labels = [o.label for o in attribute.options]
        if attribute.multiple:
            if chosen:
                names = "、".join(attribute.label_of(c) for c in chosen)
                body = self.t("ask.multiple.chosen", chosen=names)
            else:
                body = self.t("ask.multiple", attribute=attribute.label)
            return self._text(body, [*labels, *self._labels("done", "skip", "cancel")])
        body = self.t("ask.single", attribute=attribute.label)
        return self._text(body, [*labels, *self._labels("skip", "cancel")])

    def not_an_option(self, attribute: Attribute, chosen: list[str]) -> list[Message]:
        hint = self.ask(attribute, chosen)[0]
        assert isinstance(hint, TextMessage)
        return self._text(
            f"{self.t('not_an_option')}\n{hint.text}",
            [i.action.label for i in (hint.quick_reply.items if hint.quick_reply else [])],
        )

    def simple(self, key: str) -> list[Message]:
        return self._text(self.t(key), self._labels("change") if key != "declined" else [])

    def saved(self, answers: Answers) -> list[Message]:
        body = f"{self.t('saved')}\n\n{self._summary(answers, stopped=False)}"
        return self._text(body, self._labels("change", "stop", "delete"))

    # --- 配信設定の確認 / 配信停止 ----------------------------------------------------

    def _summary(self, answers: Answers, stopped: bool) -> str:
        lines = []
        for attribute in self.vocab.attributes:
            chosen = answers.get(attribute.id)
            if chosen is None:
                value = self.t("not_set")
            elif not chosen:
                value = self.t("none_chosen")
            else:
                value = "、".join(attribute.label_of(c) for c in chosen)
            lines.append(self.t("attribute_line", attribute=attribute.label, value=value))
        delivery = self.t("delivery.off" if stopped else "delivery.on")
        return self.t("summary", attribute_lines="\n".join(lines), delivery=delivery)

    def show(self, profile: Profile | None) -> list[Message]:
        if profile is None:
            return self._text(self.t("no_settings"), self._labels("change"))
        toggle = "resume" if profile.stopped else "stop"
        return self._text(
            self._summary(profile.answers, profile.stopped),
            self._labels("change", toggle, "delete"),
        )

    def stopped(self, changed: bool) -> list[Message]:
        return self._text(
            self.t("stopped" if changed else "already_stopped"), self._labels("resume", "show")
        )

    def resumed(self) -> list[Message]:
        return self._text(self.t("resumed"), self._labels("show", "change"))

    # --- データ削除 ------------------------------------------------------------------

    def delete_confirm(self) -> list[Message]:
        return self._text(self.t("delete.confirm"), self._labels("delete_confirm", "keep"))

    def delete_kept(self) -> list[Message]:
        return self._text(self.t("delete.kept"), self._labels("show"))

    def deleted(self, counts: dict[str, int]) -> list[Message]:
        return self._text(self.t("delete.done", **counts), [])


@cache
def settings_replies() -> SettingsReplies:
    """Built once per process (the content does not change while it runs)."""
    return SettingsReplies(load_wording(), vocabulary())
