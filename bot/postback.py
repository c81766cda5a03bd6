"""Typed postback data: what a tapped button means, packed into LINE's 300-character `data`.

Each kind is a small frozen dataclass with a class-level `prefix`; `pack()` turns it into
"prefix:field:field" and `unpack()` turns such a string back into the right class. Keeping
the format in one place means a button and its handler can never disagree, and a new kind
(settings, reservations) is one small class. Inspired by aiogram's CallbackData.

Format: the prefix alone for a kind without fields ("pols"), otherwise the prefix and each
field separated by ":". In field values "%" and ":" are percent-escaped, so any text (a
glossary headword with a colon, say) round-trips unambiguously while Japanese stays short.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.content import INITIATIVE_ID

MAX_DATA = 300  # LINE: postback action `data` is at most 300 characters
SEPARATOR = ":"
_PREFIX = re.compile(r"^[a-z][a-z0-9_.-]*$")
_MENU_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_UNESCAPES = {"25": "%", "3A": SEPARATOR}
_REGISTRY: dict[str, type[PostbackData]] = {}


class PostbackError(ValueError):
    """Raised for data that does not unpack (unknown prefix, bad fields) or packs too long."""


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace(SEPARATOR, "%3A")


def _unescape(value: str) -> str:
    if re.search(r"%(?!25|3A)", value):
        raise PostbackError(f"bad escape in postback field {value!r}")
    return re.sub(r"%(25|3A)", lambda m: _UNESCAPES[m[1]], value)


@dataclass(frozen=True)
class PostbackData:
    """Base of every postback kind; subclasses set `prefix` and declare str/int fields."""

    prefix: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix = cls.__dict__.get("prefix", "")
        if not _PREFIX.match(prefix):
            raise TypeError(f"{cls.__name__}: prefix must match {_PREFIX.pattern}, got {prefix!r}")
        if prefix in _REGISTRY:
            used = _REGISTRY[prefix].__name__
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} already used by {used}")
        _REGISTRY[prefix] = cls

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and not value:
                raise PostbackError(f"{type(self).__name__}.{f.name} must not be empty")
        self.check()

    def check(self) -> None:
        """Raise PostbackError if the field values are not acceptable; override per kind."""

    def pack(self) -> str:
        """The `data` string for a PostbackAction; fails loudly beyond LINE's 300 characters."""
        values = [_escape(str(getattr(self, f.name))) for f in dataclasses.fields(self)]
        data = SEPARATOR.join([self.prefix, *values])
        if len(data) > MAX_DATA:
            raise PostbackError(f"postback data is {len(data)} characters (> {MAX_DATA})")
        return data


def unpack(data: str) -> PostbackData:
    """Turn a postback `data` string back into its kind, or raise PostbackError."""
    if not isinstance(data, str) or not data:
        raise PostbackError("empty postback data")
    if len(data) > MAX_DATA:
        raise PostbackError(f"postback data longer than {MAX_DATA} characters")
    prefix, *raw = data.split(SEPARATOR)
    cls = _REGISTRY.get(prefix)
    if cls is None:
        raise PostbackError(f"unknown postback prefix {prefix!r}")
    fields = dataclasses.fields(cls)
    if len(raw) != len(fields):
        raise PostbackError(f"{prefix!r} expects {len(fields)} field(s), got {len(raw)}")
    hints = typing.get_type_hints(cls)
    pairs = zip(fields, raw, strict=True)
    kwargs = {f.name: _convert(hints[f.name], _unescape(v)) for f, v in pairs}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise PostbackError(f"bad fields for {prefix!r}: {e}") from e


def _convert(kind: Any, value: str) -> Any:
    if kind is int:
        if not re.fullmatch(r"-?[0-9]+", value):
            raise PostbackError(f"expected a number, got {value!r}")
        return int(value)
    return value


def kinds() -> dict[str, type[PostbackData]]:
    """All registered kinds by prefix (for tests and dispatch tables)."""
    return dict(_REGISTRY)


@dataclass(frozen=True)
class ShowInitiative(PostbackData):
    """Show one initiative (取組) as a card."""

    prefix: ClassVar[str] = "ini"
    id: str

    def check(self) -> None:
        if not INITIATIVE_ID.match(self.id):
            raise PostbackError(f"not an initiative id: {self.id!r}")


@dataclass(frozen=True)
class ShowInitiativeFull(PostbackData):
    """Show an initiative's complete plain text (the card shortens some parts)."""

    prefix: ClassVar[str] = "inifull"
    id: str

    def check(self) -> None:
        if not INITIATIVE_ID.match(self.id):
            raise PostbackError(f"not an initiative id: {self.id!r}")


@dataclass(frozen=True)
class ShowTerm(PostbackData):
    """Show one glossary term (用語解説); the headword may contain any characters."""

    prefix: ClassVar[str] = "term"
    headword: str


@dataclass(frozen=True)
class BrowsePolicies(PostbackData):
    """Show the four basic policies (基本方針): the 「一覧」 entry point."""

    prefix: ClassVar[str] = "pols"


@dataclass(frozen=True)
class BrowsePolicy(PostbackData):
    """Show the initiatives of one basic policy."""

    prefix: ClassVar[str] = "pol"
    number: int

    def check(self) -> None:
        if not 1 <= self.number <= 9:
            raise PostbackError(f"policy number out of range: {self.number}")


@dataclass(frozen=True)
class Menu(PostbackData):
    """A rich-menu or greeting item: ask, list, settings, reservation, contact, help."""

    prefix: ClassVar[str] = "menu"
    name: str

    def check(self) -> None:
        if not _MENU_NAME.match(self.name):
            raise PostbackError(f"bad menu name {self.name!r}")
