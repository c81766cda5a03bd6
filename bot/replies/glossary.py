"""One glossary term (用語解説): definition, pages and the initiatives that use it."""

from __future__ import annotations

from linebot.v3.messaging import (
    Message,
)

from bot.content import Initiative, Term
from bot.replies.kit import ReplyKit, memo
from bot.replies.limits import QUICK_REPLY_MAX


class GlossaryReplies(ReplyKit):
    """A glossary term as a text message with its initiatives as quick replies."""

    def term_text(self, term: Term) -> str:
        """A glossary entry: headword (aliases), definition, pages, initiatives using it."""
        if term.aliases:
            aliases = self.join(term.aliases)
            lines = [self.t("term.heading.aliases", headword=term.headword, aliases=aliases)]
        else:
            lines = [self.t("term.heading", headword=term.headword)]
        lines.append(term.definition.strip())
        if term.pages:
            lines += ["", self.t("term.pages", pages=", ".join(str(p) for p in term.pages))]
        inis = self._term_initiatives(term)
        if inis:
            lines += ["", self.t("section.heading", title=self.t("term.initiatives"))]
            lines += [self.t("bullet", text=f"{i.id} {i.title}") for i in inis]
        return "\n".join(lines)

    def _term_initiatives(self, term: Term) -> list[Initiative]:
        by_id = self.plan.initiative_by_id
        found = [by_id[i] for i in term.initiatives if i in by_id]
        return sorted(found, key=lambda i: i.sort_key)

    @memo
    def term(self, term: Term) -> list[Message]:
        actions = [self.act_initiative(i) for i in self._term_initiatives(term)]
        return self.text(self.term_text(term), [*actions[: QUICK_REPLY_MAX - 1], self.act_list()])
