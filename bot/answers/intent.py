"""What kind of message this is, before and beside ranking: small talk, list request,
out-of-scope topic, and whether the wording leans to a glossary term or an initiative.

All words come from content/answering.yaml; this module only compiles and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.normalize import katakana, rule_pattern, soft
from bot.answers.rules import AnsweringRules


def _compile(patterns: tuple[str, ...], whole_word: bool = False) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(rule_pattern(p, whole_word) for p in patterns))


_KATAKANA_WORD = re.compile("[\u30a1-\u30faー]+")


def _compile_plain(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Katakana words matched as written (not folded)."""
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words))


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc"


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u3096"


def _inside_word(text: str, a: int, b: int) -> bool:
    """The match [a, b) starts inside a katakana word of `text` and runs on into hiragana:
    in the katakana fold, チャットボットは reads as チャットボッ + トハ (「とは」), which it is
    not. Patterns match the fold; this checks the original spelling."""
    if a == 0 or not (_is_katakana(text[a]) and _is_katakana(text[a - 1])):
        return False
    return any(_is_hiragana(text[i]) for i in range(a + 1, b))


def _found(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    """Spans where `pattern` matches the katakana fold of `text` (soft form), not counting
    matches that begin inside a katakana word."""
    if pattern is None:
        return []
    return [
        m.span()
        for m in pattern.finditer(katakana(text))
        if m.end() > m.start() and not _inside_word(text, m.start(), m.end())
    ]


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
        # small talk is whole words: the greeting hi is not the start of hiking
        self._greeting = _compile(rules.greeting, whole_word=True)
        self._thanks = _compile(rules.thanks, whole_word=True)
        self._chatter = _compile(rules.chatter, whole_word=True)
        self._browse = _compile(rules.browse)
        self._browse_filler = _compile(rules.browse_filler)
        # a topic word written in katakana is matched as written (バス, not the 〜ばす of 飛ばす);
        # the others on the katakana fold (ごみ matches ゴミ)
        self._topics = [
            (
                t.topic,
                _compile(tuple(p for p in t.patterns if not _KATAKANA_WORD.fullmatch(p)), True),
                _compile_plain(tuple(p for p in t.patterns if _KATAKANA_WORD.fullmatch(p))),
            )
            for t in rules.offtopic
        ]
        self.weak_topics = frozenset(t.topic for t in rules.offtopic if t.weak)
        self._term = _compile(rules.cues.term)
        self._initiative = _compile(rules.cues.initiative)
        self._strip = _compile(rules.cues.strip)
        self._menu_filler = _compile(rules.menu_filler)

    @staticmethod
    def _rest(pattern: re.Pattern[str] | None, text: str) -> tuple[str, bool]:
        """`text` (soft form) without what `pattern` matches in its katakana fold."""
        spans = _found(pattern, text)
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
        folded = katakana(text)
        for name, pattern, written in self._topics:
            if pattern is not None and pattern.search(folded):
                return name
            if written is not None and written.search(text):
                return name
        return None

    def lean(self, question: str) -> Lean:
        text = soft(question)
        return Lean(
            term=bool(_found(self._term, text)), initiative=bool(_found(self._initiative, text))
        )

    def core(self, question: str) -> str:
        """The question without its asking phrase (とは, って何, 教えて …): the named thing."""
        text = soft(question)
        rest, _ = self._rest(self._strip, text)
        return rest.strip()
