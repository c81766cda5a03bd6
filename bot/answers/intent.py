"""What kind of message this is, before and beside ranking: small talk, list request,
out-of-scope topic, and whether the wording leans to a glossary term or an initiative.

All words come from content/answering.yaml; this module only compiles and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.normalize import katakana, pattern_fold, soft
from bot.answers.rules import AnsweringRules

fold_for_patterns = pattern_fold


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
        self._menu_filler = _compile(rules.menu_filler)

    @staticmethod
    def _rest(pattern: re.Pattern[str] | None, text: str) -> tuple[str, bool]:
        """`text` (soft form) without what `pattern` matches in its katakana fold."""
        if pattern is None:
            return text, False
        spans = [m.span() for m in pattern.finditer(katakana(text)) if m.end() > m.start()]
        if not spans:
            return text, False
        out, last = [], 0
        for a, b in spans:
            out.append(text[last:a])
            out.append(" ")
            last = b
        out.append(text[last:])
        return "".join(out), True

    def small_talk(self, question: str) -> str | None:
        """'greeting' / 'thanks' when the message is nothing but small talk."""
        text = soft(question)
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
        text = soft(question)
        text, _ = self._rest(self._thanks, text)
        text, _ = self._rest(self._greeting, text)
        return text

    def browse(self, question: str) -> bool:
        """A list request: a browse word and nothing else but fillers."""
        text = soft(question)
        rest, asked = self._rest(self._browse, text)
        if not asked:
            return False
        rest, _ = self._rest(self._browse_filler, rest)
        rest, _ = self._rest(self._chatter, rest)
        return not _PUNCT.sub("", rest)

    def only(self, pattern: re.Pattern[str], question: str) -> bool:
        """The message is `pattern` plus fillers (ください, したい, を …) and nothing else."""
        rest, found = self._rest(pattern, soft(question))
        if not found:
            return False
        rest, _ = self._rest(self._browse_filler, rest)
        rest, _ = self._rest(self._chatter, rest)
        rest, _ = self._rest(self._menu_filler, rest)
        return not _PUNCT.sub("", rest)

    def topic(self, question: str) -> str | None:
        """The first declined topic the question mentions."""
        text = soft(question)
        for name, pattern in self._topics:
            if pattern is not None and pattern.search(katakana(text)):
                return name
        return None

    def lean(self, question: str) -> Lean:
        text = soft(question)
        return Lean(
            term=bool(self._term and self._term.search(katakana(text))),
            initiative=bool(self._initiative and self._initiative.search(katakana(text))),
        )

    def core(self, question: str) -> str:
        """The question without its asking phrase (とは, って何, 教えて …): the named thing."""
        text = soft(question)
        rest, _ = self._rest(self._strip, text)
        return rest.strip()
