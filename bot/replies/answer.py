"""The reply to a question: the engine's Result -> the answer first, then the plan's card;
near misses sent to the right desk; candidates, small talk or the fallback otherwise.

The answer-first sentence reads the plan's data (an indicator's value for the asked year and
its baseline, a schedule row, the departments); a lost table cell is said plainly (the one
wording of `cell.unknown`), never guessed. Wording: content/replies/answer.yaml.
"""

from __future__ import annotations

from functools import cached_property

from linebot.v3.messaging import FlexBox, FlexBubble, FlexComponent, FlexSeparator, Message

from bot.answers import Match, Result
from bot.content import Indicator, Initiative, ScheduleRow, fiscal_short
from bot.departments import Department, Directory, load_directory
from bot.replies.browse import BrowseReplies
from bot.replies.chat import ChatReplies
from bot.replies.glossary import GlossaryReplies
from bot.replies.initiative import InitiativeReplies
from bot.replies.kit import MUTED, memo
from bot.replies.limits import MESSAGES_MAX, TEXT_MAX, shorten

# Menu pages of initiative 1-5's features that later releases add (an honest 「準備中」).
COMING = frozenset({"settings", "reservation"})
FIGURES_MAX = 3  # indicator sentences when the question names none of several
ROWS_MAX = 3  # schedule sentences likewise
DEPARTMENTS_MAX = 4  # departments named in a near miss before 「など」


class AnswerReplies(InitiativeReplies, GlossaryReplies, BrowseReplies, ChatReplies):
    """Replies to a free-text question, built from the answer engine's Result."""

    @cached_property
    def directory(self) -> Directory:
        """The plan's departments and their contacts (content/departments.yaml)."""
        return load_directory()

    # ------------------------------------------------------------------ entry points

    def answer(self, result: Result) -> list[Message]:
        """The reply for a question: a plan answer, a near miss, candidates, small talk,
        a menu page or the fallback."""
        best = result.best
        if result.intent == "answer" and best is not None:
            return self._plan_answer(best, result)
        reply = self._other(result)
        if result.facets.english and result.intent != "nearmiss":
            english = self.t("answer.english.other", **self.contact_facts())
            return [*self.text(english), *reply][:MESSAGES_MAX]
        return reply

    def _other(self, result: Result) -> list[Message]:
        """Everything but a plan answer."""
        if result.intent == "nearmiss" and result.matches:
            return self.near_miss(result)
        if result.intent == "candidates" and result.matches:
            return self.candidates(list(result.matches[:3]))
        if result.intent == "offtopic":
            return self.offtopic(result.topic)
        if result.intent == "menu" and result.topic:
            return self.menu_page(result.topic)
        if result.intent == "browse" and result.topic and result.topic.isdigit():
            return self.browse_policy(int(result.topic))
        by_intent = {
            "greeting": self.greeting,
            "thanks": self.thanks,
            "browse": self.browse_policies,
            "empty": self.empty,
        }
        return by_intent.get(result.intent, self.fallback)()

    def answer_text(self, result: Result) -> str:
        """The complete plain text of the reply (the CLI's `ask`): the answer sentence first,
        then the full text of the initiative or term."""
        best = result.best
        if result.intent == "answer" and best is not None:
            lead = self.lead(result)
            if best.kind == "initiative":
                body = self.initiative_text(self.plan.initiative_by_id[best.id])
            else:
                body = self.term_text(self.plan.term_by_headword[best.id])
            return f"{lead}\n\n{body}" if lead else body
        return "\n\n".join(_plain(m) for m in self.answer(result))

    def menu_page(self, name: str) -> list[Message]:
        """A typed menu word: the same page as the rich menu's button."""
        if name in COMING:
            return self.not_available_yet(name)
        pages = {
            "ask": self.ask,
            "help": self.help,
            "list": self.browse_policies,
            "contact": self.contact,
        }
        return pages.get(name, self.not_found)()

    # ------------------------------------------------------------------ plan answers

    def _plan_answer(self, best: Match, result: Result) -> list[Message]:
        lead = self.lead(result)
        if best.kind == "initiative":
            ini = self.plan.initiative_by_id[best.id]
            facet = result.facets.facet
            if facet in ("figure", "when") and (ini.indicators or ini.schedule):
                card = self.initiative_focus(ini, facet, result.indicator, result.row)
            else:
                card = self.initiative(ini)
        else:
            card = self.term(self.plan.term_by_headword[best.id])
        if not lead:
            return card
        return [*self.text(lead), *card]

    def lead(self, result: Result) -> str:
        """The sentence(s) that answer the question before the card ('' when nothing to add)."""
        best = result.best
        if best is None:
            return ""
        lines: list[str] = []
        if best.kind == "term":
            if result.facets.english:
                lines.append(self.t("answer.english.term", headword=best.id))
            return "\n".join(lines)
        ini = self.plan.initiative_by_id[best.id]
        if result.facets.english:
            lines.append(self.t("answer.english", id=ini.id, title=ini.title))
        if result.marked:
            lines.append(self.t("answer.marked", word=result.marked, id=ini.id, title=ini.title))
        facet = result.facets.facet
        if facet == "figure":
            lines += self.figure_sentences(ini, result.facets.year, result.indicator)
        elif facet == "when":
            lines += self.when_sentences(ini, result.facets.year, result.row)
        elif facet == "department":
            departments = self.join(ini.departments)
            lines.append(
                self.t("answer.department", id=ini.id, title=ini.title, departments=departments)
            )
        elif facet == "yesno":
            lines.append(self.t("answer.yesno", id=ini.id, title=ini.title))
            lines += self.when_sentences(ini, None, result.row, limit=1)
        return "\n".join(lines)

    # --- figures

    def _year_key(self, asked: str | None) -> tuple[str, str]:
        """(column key, how it was asked: final|baseline|year|outside)."""
        first, last = self.years[0], self.years[-1]
        if asked is None or asked == "final":
            return last, "final"
        if asked == "baseline":
            return first, "baseline"
        if asked in self.years:
            return asked, "year"
        return last, "outside"

    def figure_sentences(
        self, ini: Initiative, asked: str | None, indicator: int | None
    ) -> list[str]:
        """One sentence per asked indicator: the value for the asked year and the baseline."""
        if not ini.indicators:
            return [self.t("answer.figure.no_indicator"), *self.when_sentences(ini, None, None)]
        key, how = self._year_key(asked)
        lines: list[str] = []
        if how == "outside" and asked is not None:
            lines.append(
                self.t(
                    "answer.figure.outside",
                    first=fiscal_short(self.years[1] if len(self.years) > 1 else self.years[0]),
                    last=fiscal_short(self.years[-1]),
                    year=_year_name(asked),
                )
            )
        chosen = [ini.indicators[indicator]] if indicator is not None else ini.indicators
        for ind in chosen[:FIGURES_MAX]:
            lines += self._figure(ind, key, how)
        if len(chosen) > FIGURES_MAX or (indicator is not None and len(ini.indicators) > 1):
            lines.append(self.t("answer.figure.more"))
        return lines

    def _figure(self, ind: Indicator, key: str, how: str) -> list[str]:
        base_key = self.years[0]
        if how == "baseline":
            value = ind.values.get(base_key)  # type: ignore[call-overload]
            if value not in (None, "-"):
                year = fiscal_short(base_key)
                return [
                    self.t(
                        "answer.figure.current",
                        name=ind.name,
                        year=year,
                        value=self.value(ind, base_key),
                    )
                ]
            key, how = self.years[-1], "final"
        value = ind.values.get(key)  # type: ignore[call-overload]
        year = fiscal_short(key)
        if value is None:
            lines = [
                self.t(
                    "answer.figure.lost", year=year, name=ind.name, unknown=self.t("cell.unknown")
                )
            ]
            nearest = self._nearest_known(ind, key)
            if nearest is not None:
                lines.append(
                    self.t(
                        "answer.figure.lost.nearest",
                        year=fiscal_short(nearest),
                        value=self.value(ind, nearest),
                    )
                )
            return lines
        if value == "-":
            return [self.t("answer.figure.none", year=year, name=ind.name)]
        baseline = ""
        if key != base_key and ind.values.get(base_key) not in (None, "-"):  # type: ignore[call-overload]
            baseline = self.t(
                "answer.figure.baseline",
                year=fiscal_short(base_key),
                value=self.value(ind, base_key),
            )
        template = "answer.figure.final" if how == "final" else "answer.figure"
        return [
            self.t(
                template, year=year, name=ind.name, value=self.value(ind, key), baseline=baseline
            )
        ]

    def _nearest_known(self, ind: Indicator, key: str) -> str | None:
        """The latest earlier target year with a value (never the baseline)."""
        at = self.years.index(key)
        for k in reversed(self.years[1:at]):
            if ind.values.get(k) not in (None, "-"):  # type: ignore[call-overload]
                return k
        return None

    # --- schedules

    def when_sentences(
        self, ini: Initiative, asked: str | None, row: int | None, limit: int = ROWS_MAX
    ) -> list[str]:
        """The schedule of the asked row (or of each row): every year, lost cells said so."""
        if not ini.schedule:
            return [self.t("answer.when.none")]
        rows = [ini.schedule[row]] if row is not None else list(ini.schedule)
        lines = []
        for r in rows[:limit]:
            lines.append(self._when(r, asked))
        return lines

    def _when(self, row: ScheduleRow, asked: str | None) -> str:
        if asked in self.years:
            value = row.by_year.get(asked)  # type: ignore[call-overload,arg-type]
            year = fiscal_short(str(asked))
            if value is None:
                return self.t(
                    "answer.when.year.lost",
                    year=year,
                    item=row.item,
                    unknown=self.t("cell.unknown"),
                )
            return self.t("answer.when.year", year=year, item=row.item, value=value)
        cells = [
            self.t("answer.when.cell", year=fiscal_short(k), value=self.schedule_value(v))
            for k, v in self.schedule_cells(row)
        ]
        return self.t("answer.when", item=row.item, cells=self.join(cells))

    # --- the trimmed card

    @memo
    def initiative_focus(
        self, ini: Initiative, facet: str, indicator: int | None, row: int | None
    ) -> list[Message]:
        """A card trimmed to what was asked (the indicator or schedule row) plus 全文."""
        color = self.policy_color(ini.policy)
        contents: list[FlexComponent] = []
        if facet == "figure" and ini.indicators:
            chosen = [ini.indicators[indicator]] if indicator is not None else ini.indicators
            contents.append(self._heading("section.indicators", color))
            contents += [box for ind in chosen for box in self._indicator_rows(ind)]
        else:
            rows = [ini.schedule[row]] if row is not None else list(ini.schedule)
            contents.append(self._heading("section.schedule", color))
            contents += [box for r in rows for box in self._schedule_rows(r)]
        departments = self.t("departments.short", departments=self.join(ini.departments))
        contents += [FlexSeparator(margin="lg"), self._para(departments, "xs", MUTED)]
        bubble = FlexBubble(
            size="mega",
            header=self._initiative_header(ini),
            body=FlexBox(layout="vertical", spacing="sm", contents=contents),
            footer=self._initiative_footer(ini),
        )
        return self.flex(self.initiative_text(ini), bubble, self._initiative_quick(ini))

    # ------------------------------------------------------------------ near misses

    def near_miss(self, result: Result) -> list[Message]:
        """Not in the plan: say so, name the desk, offer the related initiative."""
        related = [
            self.plan.initiative_by_id[m.id]
            for m in result.matches
            if m.kind == "initiative" and m.id in self.plan.initiative_by_id
        ]
        first = related[0] if related else None
        desks = self.directory.for_question(result.question, first)
        return self._near_miss(
            result.facets.nearmiss or "other",
            result.facets.safety,
            result.facets.english,
            tuple(d.name for d in desks),
            tuple(related[:3]),
        )

    @memo
    def _near_miss(
        self,
        kind: str,
        safety: bool,
        english: bool,
        desks: tuple[str, ...],
        related: tuple[Initiative, ...],
    ) -> list[Message]:
        lines: list[str] = []
        facts = self.contact_facts()
        if english:
            lines.append(self.t("answer.english.other", **facts))
        if safety and related:  # the engine puts the plan's emergency-information item first
            lines.append(self.t("nearmiss.safety", id=related[0].id))
        key = f"nearmiss.ask.{kind}"
        ask = self.t(key if self.has(key) else "nearmiss.ask.other")
        lines.append(self.t("nearmiss.intro", ask=ask))
        departments = [self.directory.get(n) for n in desks]
        if departments:
            names = [d.name for d in departments[:DEPARTMENTS_MAX]]
            many = len(departments) > DEPARTMENTS_MAX
            key = "nearmiss.department.many" if many else "nearmiss.department"
            lines.append(self.t(key, departments=self.join(names)))
            lines += self._contacts(departments[:DEPARTMENTS_MAX])
        if related:
            lines.append(self.t("nearmiss.related", id=related[0].id, title=related[0].title))
        lines.append(self.t("nearmiss.plan_contact", **facts))
        actions = [self.act_initiative(i) for i in related]
        body = shorten("\n".join(lines), TEXT_MAX)
        return self.text(body, [*actions, self.act_menu("contact"), self.act_list()])

    def _contacts(self, departments: list[Department]) -> list[str]:
        plan_desk = self.plan.contact.get("department", "")
        lines = [
            self.t("nearmiss.phone", name=d.name, phone=d.phone)
            for d in departments
            if d.phone and d.name not in plan_desk
        ]
        if any(not d.phone for d in departments):
            lines.append(self.t("nearmiss.website"))
        return lines


def _year_name(key: str) -> str:
    """'R9' -> '令和9年度'."""
    return fiscal_short(key)


def _plain(message: Message) -> str:
    text = getattr(message, "text", None) or getattr(message, "alt_text", None)
    return str(text or "")
