"""What kind of message this is, before and beside ranking: small talk, list request,
out-of-scope topic, and whether the wording leans to a glossary term or an initiative.

All words come from content/answering.yaml; this module only compiles and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.normalize import katakana, soft
from bot.answers.rules import AnsweringRules


def fold_for_patterns(text: str) -> str:
    """The form both patterns and questions take before regex matching."""
    return katakana(soft(text))


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fold_for_patterns(p)})" for p in patterns))


_PUNCT = re.compile(r"[\s、。,.!?！？・…~〜ー\-ｰw笑]+")


@dataclass(frozen=True)
class Lean:
    """Which kind the wording leans to: +1 term, -1 initiative, 0 neither/both."""

    term: bool
    initiative: bool

    @property
    def direction(self) -> int:
        return int(self.term) - int(self.initiative)


class IntentRules:
    """Compiled answering.yaml patterns."""

    def __init__(self, rules: AnsweringRules) -> None:
        self._greeting = _compile(rules.greeting)
        self._thanks = _compile(rules.thanks)
        self._chatter = _compile(rules.chatter)
        self._browse = _compile(rules.browse)
        self._browse_filler = _compile(rules.browse_filler)
        self._topics = [(t.topic, _compile(t.patterns)) for t in rules.offtopic]
        self._term = _compile(rules.cues.term)
        self._initiative = _compile(rules.cues.initiative)
        self._strip = _compile(rules.cues.strip)

    @staticmethod
    def _rest(pattern: re.Pattern[str] | None, text: str) -> tuple[str, bool]:
        if pattern is None:
            return text, False
        rest, n = pattern.subn(" ", text)
        return rest, n > 0

    def small_talk(self, question: str) -> str | None:
        """'greeting' / 'thanks' when the message is nothing but small talk."""
        text = fold_for_patterns(question)
        rest, thanked = self._rest(self._thanks, text)
        rest, greeted = self._rest(self._greeting, rest)
        if not (thanked or greeted):
            return None
        rest, _ = self._rest(self._chatter, rest)
        if _PUNCT.sub("", rest):
            return None
        return "thanks" if thanked else "greeting"

    def strip_small_talk(self, question: str) -> str:
        """The question without a leading こんにちは or trailing ありがとう."""
        text = fold_for_patterns(question)
        text, _ = self._rest(self._thanks, text)
        text, _ = self._rest(self._greeting, text)
        return text

    def browse(self, question: str) -> bool:
        """A list request: a browse word and nothing else but fillers."""
        text = fold_for_patterns(question)
        rest, asked = self._rest(self._browse, text)
        if not asked:
            return False
        rest, _ = self._rest(self._browse_filler, rest)
        rest, _ = self._rest(self._chatter, rest)
        return not _PUNCT.sub("", rest)

    def topic(self, question: str) -> str | None:
        """The first declined topic the question mentions."""
        text = fold_for_patterns(question)
        for name, pattern in self._topics:
            if pattern is not None and pattern.search(text):
                return name
        return None

    def lean(self, question: str) -> Lean:
        text = fold_for_patterns(question)
        return Lean(
            term=bool(self._term and self._term.search(text)),
            initiative=bool(self._initiative and self._initiative.search(text)),
        )

    def core(self, question: str) -> str:
        """The question without its asking phrase (とは, って何, 教えて …): the named thing."""
        text = fold_for_patterns(question)
        rest, _ = self._rest(self._strip, text)
        return rest.strip()
