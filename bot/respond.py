"""Turn an answer-engine Result into what the citizen sees: LINE messages or plain text."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.answers import Match, Result
from bot.content import Plan
from bot.replies import Renderer


def messages_for(result: Result, renderer: Renderer, plan: Plan) -> list[Message]:
    """The reply for a question: a plan answer, candidates, small talk or the fallback."""
    best = result.best
    if result.intent == "answer" and best is not None:
        return _answer(best, renderer, plan)
    if result.intent == "candidates" and result.matches:
        return renderer.candidates(list(result.matches[:3]))
    if result.intent == "offtopic":
        return renderer.offtopic(result.topic)
    by_intent = {
        "greeting": renderer.greeting,
        "thanks": renderer.thanks,
        "browse": renderer.browse_policies,
        "empty": renderer.empty,
    }
    return by_intent.get(result.intent, renderer.fallback)()


def text_for(result: Result, renderer: Renderer, plan: Plan) -> str:
    """The complete plain text of the reply (the CLI's `ask` output)."""
    best = result.best
    if result.intent == "answer" and best is not None:
        if best.kind == "initiative":
            return renderer.initiative_text(plan.initiative_by_id[best.id])
        return renderer.term_text(plan.term_by_headword[best.id])
    return "\n\n".join(_plain(m) for m in messages_for(result, renderer, plan))


def _answer(best: Match, renderer: Renderer, plan: Plan) -> list[Message]:
    if best.kind == "initiative":
        return renderer.initiative(plan.initiative_by_id[best.id])
    return renderer.term(plan.term_by_headword[best.id])


def _plain(message: Message) -> str:
    text = getattr(message, "text", None) or getattr(message, "alt_text", None)
    return str(text or "")
