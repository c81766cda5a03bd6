"""One initiative (取組): its Flex card and its complete text (「詳しく（全文）」)."""

from __future__ import annotations

from collections.abc import Iterable

from linebot.v3.messaging import (
    Action,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexComponent,
    FlexSeparator,
    FlexText,
    Message,
)

from bot.content import Indicator, Initiative, ScheduleRow, fiscal_short
from bot.postback import ShowInitiativeFull
from bot.replies.kit import MUTED, TEXT, WHITE, ReplyKit, memo
from bot.replies.limits import summarize

QUICK_TERMS_MAX = 8  # glossary terms offered under a card, leaving room for navigation


class InitiativeReplies(ReplyKit):
    """The card of an initiative and its full text."""

    def schedule_cells(self, row: ScheduleRow) -> list[tuple[str, str | None]]:
        """(year key, value or None) for the plan's years; an unknown baseline cell is dropped
        because the baseline is the state at planning time, not a planned step."""
        cells = [(k, row.by_year.get(k)) for k in self.years]  # type: ignore[call-overload]
        return [(k, v) for k, v in cells if v is not None or k != self.years[0]]

    def initiative_text(self, ini: Initiative) -> str:
        """The complete plain text of one initiative: every section, row and indicator."""
        policy = self.plan.policy(ini.policy)
        lines = [self.t("initiative.heading", id=ini.id, title=ini.title)]
        lines += self.marks(ini, long=True)
        lines.append(self.t("initiative.policy", number=policy.number, title=policy.title))
        lines += self._section("section.content", [ini.content.strip()])
        lines += self._section("section.effect", [ini.effect.strip()])
        lines += self._section("section.departments", [self.join(ini.departments)])
        if ini.schedule:
            lines += self._section("section.schedule", self._schedule_lines(ini.schedule))
        if ini.indicators:
            lines += self._section("section.indicators", self._indicator_lines(ini.indicators))
        lines += ["", self.t("source", plan=self.plan.title, period=self.plan.period)]
        return "\n".join(lines)

    def _section(self, key: str, body: list[str]) -> list[str]:
        return ["", self.t("section.heading", title=self.t(key)), *body]

    def _schedule_lines(self, rows: Iterable[ScheduleRow]) -> list[str]:
        lines = []
        for row in rows:
            lines.append(self.t("bullet", text=row.item))
            for key, value in self.schedule_cells(row):
                shown = self.schedule_value(value)
                lines.append("　" + self.t("cell", year=self.year_label(key), value=shown))
        return lines

    def _indicator_lines(self, indicators: Iterable[Indicator]) -> list[str]:
        lines = []
        for ind in indicators:
            lines.append(self.t("bullet", text=ind.name))
            for key in self.years:
                cell = self.t("cell", year=self.year_label(key), value=self.value(ind, key))
                lines.append("　" + cell)
        return lines

    @memo
    def initiative(self, ini: Initiative) -> list[Message]:
        """A Flex card of one initiative; the altText carries the full text (shortened)."""
        bubble = FlexBubble(
            size="mega",
            header=self._initiative_header(ini),
            body=self._initiative_body(ini),
            footer=self._initiative_footer(ini),
        )
        return self.flex(self.initiative_text(ini), bubble, self._initiative_quick(ini))

    @memo
    def initiative_full(self, ini: Initiative) -> list[Message]:
        """The complete text as a text message, for 「詳しく（全文）」."""
        return self.text(self.initiative_text(ini), self._initiative_quick(ini))

    def _initiative_quick(self, ini: Initiative) -> list[Action]:
        siblings = self.plan.initiatives_of(ini.policy)
        at = next(i for i, s in enumerate(siblings) if s.id == ini.id)
        actions: list[Action] = []
        if at > 0:
            actions.append(self.act_initiative(siblings[at - 1], "label.prev"))
        if at + 1 < len(siblings):
            actions.append(self.act_initiative(siblings[at + 1], "label.next"))
        terms = [self.plan.term_by_headword[h] for h in ini.terms]
        actions += [self.act_term(t) for t in terms[:QUICK_TERMS_MAX]]
        return [*actions, self.act_list()]

    def _initiative_header(self, ini: Initiative) -> FlexBox:
        policy = self.plan.policy(ini.policy)
        contents: list[FlexComponent] = [
            FlexText(text=self.t("initiative.number", id=ini.id), size="sm", color=WHITE),
            FlexText(text=ini.title, size="lg", weight="bold", color=WHITE, wrap=True),
            FlexText(
                text=self.t("initiative.policy", number=policy.number, title=policy.title),
                size="xxs",
                color=WHITE,
                wrap=True,
            ),
        ]
        marks = self.marks(ini)
        if marks:
            badges = [self._badge(m, self.policy_color(ini.policy)) for m in marks]
            contents.append(FlexBox(layout="horizontal", spacing="sm", contents=badges))
        color = self.policy_color(ini.policy)
        return FlexBox(layout="vertical", spacing="sm", backgroundColor=color, contents=contents)

    def _initiative_body(self, ini: Initiative) -> FlexBox:
        color = self.policy_color(ini.policy)
        contents: list[FlexComponent] = [
            self._heading("section.content", color),
            self._para(summarize(ini.content)),
            self._heading("section.effect", color),
            self._para(summarize(ini.effect)),
        ]
        if ini.indicators:
            contents += [FlexSeparator(margin="lg"), self._heading("section.indicators", color)]
            contents += [box for ind in ini.indicators for box in self._indicator_rows(ind)]
        if ini.schedule:
            contents += [FlexSeparator(margin="lg"), self._heading("section.schedule", color)]
            contents += [box for row in ini.schedule for box in self._schedule_rows(row)]
        departments = self.t("departments.short", departments=self.join(ini.departments))
        contents += [FlexSeparator(margin="lg"), self._para(departments, "xs", MUTED)]
        return FlexBox(layout="vertical", spacing="sm", contents=contents)

    def _indicator_rows(self, ind: Indicator) -> list[FlexComponent]:
        rows: list[FlexComponent] = [
            FlexText(text=ind.name, size="xs", weight="bold", color=TEXT, wrap=True, margin="md")
        ]
        for key in self.years:
            rows.append(
                FlexBox(
                    layout="horizontal",
                    contents=[
                        FlexText(
                            text=self.year_label(key, short=True), size="xs", color=MUTED, flex=3
                        ),
                        FlexText(
                            text=self.value(ind, key),
                            size="xs",
                            color=TEXT,
                            align="end",
                            flex=2,
                            wrap=True,
                        ),
                    ],
                )
            )
        return rows

    def _schedule_rows(self, row: ScheduleRow) -> list[FlexComponent]:
        cells = [
            self.t("cell.compact", year=fiscal_short(k), value=self.schedule_value(v))
            for k, v in self.schedule_cells(row)
        ]
        compact = self.t("cell.compact.separator").join(cells)
        return [
            FlexText(text=row.item, size="xs", weight="bold", color=TEXT, wrap=True, margin="md"),
            self._para(compact, "xxs", MUTED),
        ]

    def _initiative_footer(self, ini: Initiative) -> FlexBox:
        full = self._postback(
            ShowInitiativeFull(ini.id), self.t("label.full"), self.t("display.full", id=ini.id)
        )
        button = FlexButton(
            action=full, style="link", height="sm", color=self.policy_color(ini.policy)
        )
        return FlexBox(layout="vertical", contents=[button])
