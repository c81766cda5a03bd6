"""Turn an answer-engine Result into what the citizen sees: LINE messages or plain text.

Kept as the handlers' and the CLI's entry point; the replies themselves live in
bot/replies/answer.py.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.answers import Result
from bot.content import Plan
from bot.replies import Renderer


def messages_for(result: Result, renderer: Renderer, plan: Plan | None = None) -> list[Message]:
    """The reply for a question: a plan answer, candidates, small talk or the fallback."""
    return renderer.answer(result)


def text_for(result: Result, renderer: Renderer, plan: Plan | None = None) -> str:
    """The complete plain text of the reply (the CLI's `ask` output)."""
    return renderer.answer_text(result)
