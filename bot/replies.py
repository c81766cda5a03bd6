"""Turn plan content and answer-engine results into LINE message objects.

The Renderer is the only place that knows how a reply looks on LINE (Flex cards, quick
replies) and keeps every reply inside LINE's limits, so a handler can never send a message
LINE rejects. All wording comes from content/replies.yaml via `Replies.text`; Python only
arranges it. Structural labels such as 「令和5年度」 come from the fiscal-year helpers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cached_property
from typing import Any, Protocol

from linebot.v3.messaging import (
    Action,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexComponent,
    FlexMessage,
    FlexSeparator,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.content import Indicator, Initiative, Plan, Replies, ScheduleRow, Term, fiscal_short
from bot.postback import (
    BrowsePolicies,
    BrowsePolicy,
    Menu,
    PostbackData,
    ShowInitiative,
    ShowInitiativeFull,
    ShowTerm,
)

# LINE limits (developers.line.biz/en/reference/messaging-api/), counted in UTF-16 units.
LABEL_MAX = 20  # quick-reply / template action label
TEXT_MAX = 5000  # text message
ALT_TEXT_MAX = 1500  # Flex altText
DISPLAY_TEXT_MAX = 300  # postback displayText, message action text
QUICK_REPLY_MAX = 13
MESSAGES_MAX = 5
ELLIPSIS = "…"

SUMMARY_MAX = 110  # card summary of 取組内容 / 期待効果: about four lines on a phone
QUICK_TERMS_MAX = 8  # glossary terms offered under a card, leaving room for navigation
CANDIDATES_MAX = 3
DEFAULT_YEARS = ("R4", "R5", "R6", "R7")

# City-friendly colours per basic policy (header backgrounds, accents).
POLICY_COLORS = {1: "#1F6FB2", 2: "#2E7D5B", 3: "#C8651B", 4: "#6A4C9C"}
DEFAULT_COLOR = "#1F6FB2"
WHITE = "#FFFFFF"
MUTED = "#6B7280"
TEXT = "#1F2937"


class MatchLike(Protocol):
    """What the answer engine's Match offers (kind 'initiative' or 'term', id, title, score)."""

    kind: str
    id: str
    title: str


def utf16_len(text: str) -> int:
    """LINE counts characters in UTF-16 code units (a rare kanji or emoji counts as two)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-16 units, ending with "…" when something was cut."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], utf16_len(ELLIPSIS)
    for ch in text:
        used += utf16_len(ch)
        if used > limit:
            break
        out.append(ch)
    return "".join(out).rstrip() + ELLIPSIS


def label(text: str, limit: int = LABEL_MAX) -> str:
    """A button/quick-reply label: one line, at most 20 characters, shortened with "…"."""
    return shorten(" ".join(text.split()), limit)


def summarize(text: str, limit: int = SUMMARY_MAX) -> str:
    """Shorten prose at a sentence end (。) when one falls late enough, else with "…"."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return text
    cut = text.rfind("。", 0, limit)
    if cut >= limit // 2:
        return text[: cut + 1] + ELLIPSIS
    return shorten(text, limit)


class Rendered(tuple):  # type: ignore[type-arg]
    """An immutable reply (SDK message models) that serialises itself once.

    Building and serialising a Flex card with the SDK's models costs milliseconds; the plan
    is fixed for the life of the process, so each distinct reply is built once and its JSON
    reused for every citizen who gets it.
    """

    @cached_property
    def payload(self) -> list[dict[str, Any]]:
        return [m.to_dict() for m in self]


def payload_of(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The JSON that LINE receives for `messages` (cached for Rendered replies)."""
    if isinstance(messages, Rendered):
        return messages.payload
    return [m.to_dict() for m in messages]


def _memo_key(value: Any) -> Hashable:
    if isinstance(value, Initiative):
        return ("initiative", value.id)
    if isinstance(value, Term):
        return ("term", value.headword)
    if isinstance(value, list | tuple):
        return tuple(_memo_key(v) for v in value)
    if hasattr(value, "kind") and hasattr(value, "id"):  # an engine Match
        return (str(value.kind), str(value.id), str(getattr(value, "title", "")))
    return value  # str, int, None


def memo(method: Callable[..., Sequence[Message]]) -> Callable[..., Rendered]:
    """Cache a pure reply method per Renderer: same arguments, same (immutable) reply."""

    @functools.wraps(method)
    def wrapper(self: Renderer, *args: Any, **kwargs: Any) -> Rendered:
        key = (
            method.__name__,
            *(_memo_key(a) for a in args),
            *((k, _memo_key(v)) for k, v in sorted(kwargs.items())),
        )
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = Rendered(method(self, *args, **kwargs))
        return found

    return wrapper


class Renderer:
    """Builds LINE messages (linebot.v3 models) for every kind of reply the bot sends."""

    def __init__(self, plan: Plan, replies: Replies) -> None:
        self.plan = plan
        self.replies = replies
        self._memo: dict[Hashable, Rendered] = {}
        self.years = self._fiscal_years(plan)
        self.examples = self._examples(replies)

    # ------------------------------------------------------------------ wording helpers

    def t(self, key: str, **facts: Any) -> str:
        """The sentence for `key` from replies.yaml, filled with `facts`."""
        return self.replies.text(key, **facts)

    def has(self, key: str) -> bool:
        return key in self.replies.texts

    def fit(self, key: str, **facts: Any) -> str:
        """A label template filled so that it fits 20 characters by shortening `title`."""
        full = " ".join(self.t(key, **facts).split())
        if utf16_len(full) <= LABEL_MAX or "title" not in facts:
            return label(full)
        room = LABEL_MAX - utf16_len(self.t(key, **{**facts, "title": ""}).strip())
        return label(self.t(key, **{**facts, "title": shorten(facts["title"], max(room, 2))}))

    @staticmethod
    def _fiscal_years(plan: Plan) -> tuple[str, ...]:
        """The plan's fiscal-year columns (R4 baseline … R7), read from the content itself."""
        keys: set[str] = set()
        for ini in plan.initiatives:
            for row in ini.schedule:
                keys.update(row.by_year)
            for ind in ini.indicators:
                keys.update(ind.values)
        return tuple(sorted(keys, key=lambda k: int(k[1:]))) or DEFAULT_YEARS

    @staticmethod
    def _examples(replies: Replies) -> tuple[str, ...]:
        keys = [k for k in replies.texts if re.fullmatch(r"example\.\d+", k)]
        return tuple(replies.text(k) for k in sorted(keys, key=lambda k: int(k.split(".")[1])))

    def year_label(self, key: str, *, short: bool = False) -> str:
        """令和N年度, with the baseline year marked (2月末時点 / 基準)."""
        year = fiscal_short(key)
        if key != self.years[0]:
            return year
        return self.t("year.baseline.short" if short else "year.baseline", year=year)

    def join(self, items: Iterable[str]) -> str:
        return self.t("list.separator").join(items)

    def contact_facts(self) -> dict[str, str]:
        c = self.plan.contact
        keys = ("department", "phone", "email", "address")
        return {k: c.get(k, "") for k in keys}

    def policy_color(self, number: int) -> str:
        return POLICY_COLORS.get(number, DEFAULT_COLOR)

    # ------------------------------------------------------------------ actions

    def _postback(self, data: PostbackData, text: str, display: str | None = None) -> Action:
        """A PostbackAction whose label fits and whose tap shows `display` in the chat."""
        shown = shorten(display if display is not None else text, DISPLAY_TEXT_MAX)
        return PostbackAction(label=label(text), data=data.pack(), displayText=shown)

    def act_list(self) -> Action:
        return self._postback(BrowsePolicies(), self.t("label.list"))

    def act_menu(self, name: str) -> Action:
        return self._postback(Menu(name), self.t(f"label.{name}"))

    def act_initiative(self, ini: Initiative, key: str = "label.initiative") -> Action:
        text = self.fit(key, id=ini.id, title=ini.title)
        display = self.t("display.initiative", id=ini.id, title=ini.title)
        return self._postback(ShowInitiative(ini.id), text, display)

    def act_term(self, term: Term) -> Action:
        display = self.t("display.term", headword=term.headword)
        return self._postback(ShowTerm(term.headword), term.headword, display)

    def act_policy(self, number: int) -> Action:
        text = self.t("label.policy", number=number)
        return self._postback(BrowsePolicy(number), text, self.t("display.policy", number=number))

    def act_example(self, example: str) -> Action:
        return MessageAction(label=label(example), text=shorten(example, DISPLAY_TEXT_MAX))

    def quick(self, actions: Sequence[Action]) -> QuickReply | None:
        """Quick-reply buttons: duplicates dropped, at most 13 (LINE's limit)."""
        seen: set[str] = set()
        items = []
        for a in actions:
            key = a.to_json()
            if key not in seen:
                seen.add(key)
                items.append(QuickReplyItem(action=a))
        return QuickReply(items=items[:QUICK_REPLY_MAX]) if items else None

    def examples_quick(self, count: int = 3) -> list[Action]:
        return [self.act_example(e) for e in self.examples[:count]]

    # ------------------------------------------------------------------ messages

    def text(self, body: str, actions: Sequence[Action] = ()) -> list[Message]:
        """One text message (shortened to 5,000 characters) with optional quick replies."""
        return [TextMessage(text=shorten(body, TEXT_MAX), quickReply=self.quick(actions))]

    def flex(
        self, alt: str, contents: FlexBubble | FlexCarousel, actions: Sequence[Action] = ()
    ) -> list[Message]:
        alt_text = shorten(alt, ALT_TEXT_MAX)
        return [FlexMessage(altText=alt_text, contents=contents, quickReply=self.quick(actions))]

    # ------------------------------------------------------------------ initiative

    def marks(self, ini: Initiative, *, long: bool = False) -> list[str]:
        suffix = ".long" if long else ""
        flags = (("mark.dx", ini.dx_priority), ("mark.new", ini.new))
        return [self.t(key + suffix) for key, on in flags if on]

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
                shown = value if value is not None else self.t("cell.unknown")
                lines.append("　" + self.t("cell", year=self.year_label(key), value=shown))
        return lines

    def _indicator_lines(self, indicators: Iterable[Indicator]) -> list[str]:
        lines = []
        for ind in indicators:
            lines.append(self.t("bullet", text=ind.name))
            for key in self.years:
                cell = self.t("cell", year=self.year_label(key), value=ind.display(key))
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

    @staticmethod
    def _badge(text: str, color: str) -> FlexBox:
        return FlexBox(
            layout="vertical",
            flex=0,
            backgroundColor=WHITE,
            cornerRadius="12px",
            paddingStart="8px",
            paddingEnd="8px",
            paddingTop="2px",
            paddingBottom="2px",
            contents=[FlexText(text=text, size="xxs", weight="bold", color=color)],
        )

    def _heading(self, key: str, color: str) -> FlexText:
        return FlexText(text=self.t(key), size="sm", weight="bold", color=color, margin="lg")

    @staticmethod
    def _para(text: str, size: str = "sm", color: str = TEXT) -> FlexText:
        return FlexText(text=text, size=size, color=color, wrap=True)

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
                            text=ind.display(key),
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
        known = [(k, v) for k, v in self.schedule_cells(row) if v is not None]
        cells = [self.t("cell.compact", year=fiscal_short(k), value=v) for k, v in known]
        compact = self.t("cell.compact.separator").join(cells) or self.t("cell.unknown")
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

    # ------------------------------------------------------------------ glossary

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

    # ------------------------------------------------------------------ engine results

    @memo
    def candidates(self, matches: Sequence[MatchLike]) -> list[Message]:
        """「もしかして」: up to three likely answers to tap."""
        lines, actions = [self.t("candidates.intro")], []
        for found in self._resolve(matches)[:CANDIDATES_MAX]:
            if isinstance(found, Initiative):
                lines.append(self.t("bullet", text=f"{found.id} {found.title}"))
                actions.append(self.act_initiative(found))
            else:
                lines.append(
                    self.t("bullet", text=self.t("candidates.term", headword=found.headword))
                )
                actions.append(self.act_term(found))
        if not actions:
            return self.fallback()
        lines.append(self.t("candidates.outro"))
        return self.text("\n".join(lines), [*actions, self.act_list()])

    def _resolve(self, matches: Sequence[MatchLike]) -> list[Initiative | Term]:
        """Plan objects for engine matches (kind 'initiative' by id; 'term' by headword)."""
        out: list[Initiative | Term] = []
        for m in matches:
            kind = str(getattr(m, "kind", ""))
            if kind.startswith("ini"):
                found: Initiative | Term | None = self.plan.initiative_by_id.get(m.id)
            else:
                terms = self.plan.term_by_headword
                found = terms.get(m.id) or terms.get(getattr(m, "title", ""))
            if found is not None and found not in out:
                out.append(found)
        return out

    @memo
    def fallback(self) -> list[Message]:
        """Honest "I don't know", what the bot can answer, and whom to ask instead."""
        lines = [
            self.t("fallback.intro"),
            self.t(
                "fallback.scope",
                plan=self.plan.title,
                initiatives=len(self.plan.initiatives),
                terms=len(self.plan.terms),
            ),
            self.t("fallback.examples"),
            *[self.t("bullet", text=e) for e in self.examples[:3]],
            self.t("fallback.contact", **self.contact_facts()),
        ]
        actions = [self.act_list(), *self.examples_quick(), self.act_menu("contact")]
        return self.text("\n".join(lines), actions)

    @memo
    def offtopic(self, topic: str | None = None) -> list[Message]:
        """A polite decline for matters outside the plan; no invented phone numbers."""
        lines = [self.t("offtopic")]
        if topic and self.has(f"offtopic.topic.{topic}"):
            lines.append(self.t(f"offtopic.topic.{topic}"))
        lines += [self.t("offtopic.other"), self.t("offtopic.contact", **self.contact_facts())]
        return self.text("\n".join(lines), [self.act_list(), *self.examples_quick(2)])

    # ------------------------------------------------------------------ small talk, menu

    @memo
    def greeting(self) -> list[Message]:
        return self.text(self.t("greeting"), [self.act_list(), *self.examples_quick()])

    @memo
    def thanks(self) -> list[Message]:
        return self.text(self.t("thanks"), [self.act_list(), *self.examples_quick(2)])

    @memo
    def empty(self) -> list[Message]:
        example = self.examples[0] if self.examples else ""
        return self.text(
            self.t("empty", example=example), [self.act_list(), *self.examples_quick()]
        )

    def welcome(self, display_name: str | None = None) -> list[Message]:
        """For a new friend: thanks, what the bot does, and where to start."""
        name = " ".join((display_name or "").split())
        hello = self.t("welcome.named", name=name) if name else self.t("welcome.anonymous")
        body = f"{hello}\n{self.t('welcome.body', plan=self.plan.title)}"
        actions = [
            self.act_menu("ask"),
            self.act_list(),
            self.act_menu("settings"),
            self.act_menu("contact"),
            self.act_menu("help"),
        ]
        return self.text(body, actions)

    @memo
    def ask(self) -> list[Message]:
        """「質問する」: how to ask, with example questions to tap."""
        lines = [self.t("ask"), *[self.t("bullet", text=e) for e in self.examples]]
        return self.text(
            "\n".join(lines), [*self.examples_quick(len(self.examples)), self.act_list()]
        )

    @memo
    def contact(self) -> list[Message]:
        """The plan's contact (from plan.yaml) and where other matters go."""
        facts = self.contact_facts()
        lines = [self.t("contact.heading"), facts["department"]]
        for key in ("phone", "email", "address"):
            if facts[key]:
                lines.append(self.t(f"contact.{key}", **facts))
        lines += ["", self.t("contact.other")]
        return self.text("\n".join(lines), [self.act_list(), self.act_menu("help")])

    @memo
    def help(self) -> list[Message]:
        example = self.examples[0] if self.examples else ""
        lines = [
            self.t("help.heading"),
            self.t("bullet", text=self.t("help.ask", example=example)),
            self.t("bullet", text=self.t("help.list")),
            self.t("bullet", text=self.t("help.card")),
            self.t("bullet", text=self.t("help.scope")),
        ]
        actions = [self.act_menu("ask"), self.act_list(), self.act_menu("contact")]
        return self.text("\n".join(lines), actions)

    @memo
    def not_available_yet(self, feature: str) -> list[Message]:
        """For 配信設定/予約 before they exist: say honestly that they are being prepared."""
        key = f"feature.{feature}"
        name = self.t(key if self.has(key) else "feature.other")
        body = f"{self.t('not_available', feature=name)}\n{self.t('not_available.plan')}"
        extra = [self.act_initiative(i) for i in self._optional_initiative("1-5")]
        return self.text(body, [*extra, self.act_list(), self.act_menu("contact")])

    def _optional_initiative(self, id_: str) -> list[Initiative]:
        ini = self.plan.initiative_by_id.get(id_)
        return [ini] if ini else []

    @memo
    def media(self) -> list[Message]:
        """Stickers, images, video, audio, files: ask for words instead."""
        return self.text(self.t("media"), [*self.examples_quick(), self.act_list()])

    @memo
    def location(self) -> list[Message]:
        """A location message: not used yet; point to the plan's open GIS initiative."""
        lines = [self.t("location")]
        gis = self._optional_initiative(self.t("location.initiative"))
        if gis:
            lines.append(self.t("location.hint", id=gis[0].id))
        actions = [*(self.act_initiative(i) for i in gis), self.act_list()]
        return self.text("\n".join(lines), [*actions, *self.examples_quick(2)])

    @memo
    def not_found(self) -> list[Message]:
        return self.text(self.t("not_found"), [self.act_list()])

    @memo
    def error(self) -> list[Message]:
        """Generic apology; safe to send from an exception handler (no plan lookups)."""
        return [TextMessage(text=self.t("error"))]

    # ------------------------------------------------------------------ browsing

    @memo
    def browse_policies(self) -> list[Message]:
        """「一覧」: the basic policies as a carousel, one bubble each."""
        policies = self.plan.policies
        bubbles = [self._policy_bubble(p.number) for p in policies]
        lines = [self.t("browse.policies.intro", count=len(policies))]
        lines += [self.t("initiative.policy", number=p.number, title=p.title) for p in policies]
        actions = [self.act_policy(p.number) for p in policies]
        return self.flex("\n".join(lines), FlexCarousel(contents=bubbles), actions)

    def _policy_bubble(self, number: int) -> FlexBubble:
        policy = self.plan.policy(number)
        color = self.policy_color(number)
        count = len(self.plan.initiatives_of(number))
        header = FlexBox(
            layout="vertical",
            backgroundColor=color,
            contents=[
                FlexText(
                    text=self.t("label.policy", number=number),
                    color=WHITE,
                    weight="bold",
                    size="md",
                )
            ],
        )
        body = FlexBox(
            layout="vertical",
            spacing="md",
            contents=[
                FlexText(text=policy.title, weight="bold", size="md", color=TEXT, wrap=True),
                FlexText(text=self.t("browse.policy.count", count=count), size="sm", color=MUTED),
            ],
        )
        button = FlexButton(
            action=self._postback(
                BrowsePolicy(number),
                self.t("label.open_policy"),
                self.t("display.policy", number=number),
            ),
            style="primary",
            color=color,
            height="sm",
        )
        footer = FlexBox(layout="vertical", contents=[button])
        return FlexBubble(size="kilo", header=header, body=body, footer=footer)

    @memo
    def browse_policy(self, number: int) -> list[Message]:
        """The initiatives of one basic policy; each row opens that initiative."""
        if number not in {p.number for p in self.plan.policies}:
            return self.browse_policies()
        policy = self.plan.policy(number)
        color = self.policy_color(number)
        inis = self.plan.initiatives_of(number)
        rows: list[FlexComponent] = [self._policy_row(i, color) for i in inis]
        header = FlexBox(
            layout="vertical",
            spacing="sm",
            backgroundColor=color,
            contents=[
                FlexText(text=self.t("label.policy", number=number), size="sm", color=WHITE),
                FlexText(text=policy.title, size="md", weight="bold", color=WHITE, wrap=True),
            ],
        )
        body = FlexBox(
            layout="vertical",
            spacing="sm",
            contents=[self._para(self.t("browse.policy.intro"), "xs", MUTED), *rows],
        )
        bubble = FlexBubble(size="mega", header=header, body=body)
        items = self.join(f"{i.id} {i.title}" for i in inis)
        alt = self.t("browse.policy.alt", number=number, title=policy.title, items=items)
        others = [self.act_policy(p.number) for p in self.plan.policies if p.number != number]
        return self.flex(alt, bubble, [*others, self.act_list()])

    def _policy_row(self, ini: Initiative, color: str) -> FlexBox:
        title = " ".join([ini.title, *self.marks(ini)])
        return FlexBox(
            layout="horizontal",
            spacing="md",
            paddingTop="8px",
            paddingBottom="8px",
            action=self.act_initiative(ini),
            contents=[
                FlexText(text=ini.id, size="sm", weight="bold", color=color, flex=0),
                FlexText(text=title, size="sm", color=TEXT, wrap=True, flex=1),
                FlexText(text="›", size="sm", color=MUTED, flex=0, gravity="center"),
            ],
        )

    # ------------------------------------------------------------------ postbacks
