"""The reply to a question: the engine's Result -> the plan's answer, candidates, small talk
or the fallback, as LINE messages or as plain text (the CLI's `ask`)."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.answers import Match, Result
from bot.replies.browse import BrowseReplies
from bot.replies.chat import ChatReplies
from bot.replies.glossary import GlossaryReplies
from bot.replies.initiative import InitiativeReplies


class AnswerReplies(InitiativeReplies, GlossaryReplies, BrowseReplies, ChatReplies):
    """Replies to a free-text question, built from the answer engine's Result."""

    def answer(self, result: Result) -> list[Message]:
        """The reply for a question: a plan answer, candidates, small talk or the fallback."""
        best = result.best
        if result.intent == "answer" and best is not None:
            return self._plan_answer(best)
        if result.intent == "candidates" and result.matches:
            return self.candidates(list(result.matches[:3]))
        if result.intent == "offtopic":
            return self.offtopic(result.topic)
        by_intent = {
            "greeting": self.greeting,
            "thanks": self.thanks,
            "browse": self.browse_policies,
            "empty": self.empty,
        }
        return by_intent.get(result.intent, self.fallback)()

    def answer_text(self, result: Result) -> str:
        """The complete plain text of the reply (the CLI's `ask` output)."""
        best = result.best
        if result.intent == "answer" and best is not None:
            if best.kind == "initiative":
                return self.initiative_text(self.plan.initiative_by_id[best.id])
            return self.term_text(self.plan.term_by_headword[best.id])
        return "\n\n".join(_plain(m) for m in self.answer(result))

    def _plan_answer(self, best: Match) -> list[Message]:
        if best.kind == "initiative":
            return self.initiative(self.plan.initiative_by_id[best.id])
        return self.term(self.plan.term_by_headword[best.id])


def _plain(message: Message) -> str:
    text = getattr(message, "text", None) or getattr(message, "alt_text", None)
    return str(text or "")
