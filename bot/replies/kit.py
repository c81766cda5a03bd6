"""The message kit every feature's replies are built with.

`ReplyKit` holds the plan and the wording (content/replies.yaml + content/replies/*.yaml)
and offers: `t(key, **facts)` for a sentence, actions (postback buttons that fit LINE's
label limit), quick replies (deduplicated, at most 13), one text or Flex message inside
LINE's limits, and small Flex parts (headings, paragraphs, badges). `memo` caches a pure
reply method so each distinct reply is built and serialised once per process.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cached_property
from typing import Any, Protocol

from linebot.v3.messaging import (
    Action,
    FlexBox,
    FlexBubble,
    FlexCarousel,
    FlexMessage,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.content import Indicator, Initiative, Plan, Replies, Term, fiscal_short
from bot.postback import BrowsePolicies, BrowsePolicy, Menu, PostbackData, ShowInitiative, ShowTerm
from bot.replies.limits import (
    ALT_TEXT_MAX,
    DISPLAY_TEXT_MAX,
    LABEL_MAX,
    QUICK_REPLY_MAX,
    TEXT_MAX,
    label,
    shorten,
    utf16_len,
)

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


class Rendered(tuple):  # type: ignore[type-arg]
    """An immutable reply (SDK message models) that serialises itself once.

    Building and serialising a Flex card with the SDK's models costs milliseconds; the plan
    is fixed for the life of the process, so each distinct reply is built once and its JSON
    reused for every citizen who gets it.
    """

    def __new__(cls, messages: Iterable[Message]) -> Rendered:
        self = super().__new__(cls, messages)
        for index, message in enumerate(self):
            # Replies are often a fresh list around a cached card ([lead text, *card]): let
            # payload_of find each cached message's JSON on its own.
            _PARTS[id(message)] = (self, index)
        return self

    @cached_property
    def payload(self) -> list[dict[str, Any]]:
        payload = [m.to_dict() for m in self]
        for message in payload:
            # Its JSON text too, built once: see payload_json.
            _JSON[id(message)] = (message, json.dumps(message))
        return payload


# id(message) -> (the Rendered reply holding it, its index). The Rendered keeps the message
# alive, so an id found here is still that message (checked with `is` all the same).
_PARTS: dict[int, tuple[Rendered, int]] = {}


def payload_of(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The JSON that LINE receives for `messages` (cached for Rendered replies and for every
    message that belongs to one)."""
    if isinstance(messages, Rendered):
        return messages.payload
    return [_payload_of_one(m) for m in messages]


# id(a cached message's dict) -> (that dict, its JSON text); the dict is kept alive here.
_JSON: dict[int, tuple[dict[str, Any], str]] = {}


def payload_json(payload: Sequence[dict[str, Any]]) -> str:
    """The JSON text of a `payload_of` list (as json.dumps gives it): the text of each cached
    message is built once per process, so a Flex card is not serialised again for every
    citizen who gets it (nor again to post it)."""
    parts = []
    for message in payload:
        found = _JSON.get(id(message))
        cached = found is not None and found[0] is message
        parts.append(found[1] if found is not None and cached else json.dumps(message))
    return "[" + ", ".join(parts) + "]"


def _payload_of_one(message: Message) -> dict[str, Any]:
    part = _PARTS.get(id(message))
    if part is not None and part[0][part[1]] is message:
        return part[0].payload[part[1]]
    return message.to_dict()


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
    """Cache a pure reply method per instance: same arguments, same (immutable) reply.

    Only for replies that depend on nothing but their arguments and the content (never on
    a user or the time); the arguments must be hashable or plan objects.
    """

    @functools.wraps(method)
    def wrapper(self: ReplyKit, *args: Any, **kwargs: Any) -> Rendered:
        key = (
            method.__qualname__,
            *(_memo_key(a) for a in args),
            *((k, _memo_key(v)) for k, v in sorted(kwargs.items())),
        )
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = Rendered(method(self, *args, **kwargs))
        return found

    return wrapper


class ReplyKit:
    """Plan, wording, actions and message builders shared by every feature's replies."""

    def __init__(self, plan: Plan, replies: Replies) -> None:
        self.plan = plan
        self.replies = replies
        self._memo: dict[Hashable, Rendered] = {}
        self.years = self._fiscal_years(plan)
        self.examples = self._examples(replies)

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

    def value(self, ind: Indicator, key: str) -> str:
        """An indicator's value for year `key`; a lost cell reads as `cell.unknown`."""
        return ind.display(key, unknown=self.t("cell.unknown"))

    def schedule_value(self, value: str | None) -> str:
        """A schedule cell; a lost cell reads as `cell.unknown` (one wording everywhere)."""
        return value if value is not None else self.t("cell.unknown")

    def join(self, items: Iterable[str]) -> str:
        return self.t("list.separator").join(items)

    def contact_facts(self) -> dict[str, str]:
        c = self.plan.contact
        keys = ("department", "phone", "email", "address")
        return {k: c.get(k, "") for k in keys}

    def policy_color(self, number: int) -> str:
        return POLICY_COLORS.get(number, DEFAULT_COLOR)

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

    def text(self, body: str, actions: Sequence[Action] = ()) -> list[Message]:
        """One text message (shortened to 5,000 characters) with optional quick replies."""
        return [TextMessage(text=shorten(body, TEXT_MAX), quickReply=self.quick(actions))]

    def flex(
        self, alt: str, contents: FlexBubble | FlexCarousel, actions: Sequence[Action] = ()
    ) -> list[Message]:
        alt_text = shorten(alt, ALT_TEXT_MAX)
        return [FlexMessage(altText=alt_text, contents=contents, quickReply=self.quick(actions))]

    def marks(self, ini: Initiative, *, long: bool = False) -> list[str]:
        suffix = ".long" if long else ""
        flags = (("mark.dx", ini.dx_priority), ("mark.new", ini.new))
        return [self.t(key + suffix) for key, on in flags if on]

    def _heading(self, key: str, color: str) -> FlexText:
        return FlexText(text=self.t(key), size="sm", weight="bold", color=color, margin="lg")

    @staticmethod
    def _para(text: str, size: str = "sm", color: str = TEXT) -> FlexText:
        return FlexText(text=text, size=size, color=color, wrap=True)

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

    def optional_initiative(self, id_: str) -> list[Initiative]:
        ini = self.plan.initiative_by_id.get(id_)
        return [ini] if ini else []

    def resolve(self, matches: Sequence[MatchLike]) -> list[Initiative | Term]:
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
