"""Typed postback data: exact formats, round trips, and loud failures for bad or long data."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import pytest

from bot import postback
from bot.postback import (
    MAX_DATA,
    BrowsePolicies,
    BrowsePolicy,
    Menu,
    PostbackData,
    PostbackError,
    ShowInitiative,
    ShowInitiativeFull,
    ShowTerm,
    kinds,
    unpack,
)


@pytest.mark.parametrize(
    ("data", "packed"),
    [
        (ShowInitiative("1-5"), "ini:1-5"),
        (ShowInitiative("3-11"), "ini:3-11"),
        (ShowInitiativeFull("4-2"), "inifull:4-2"),
        (ShowTerm("マイナンバーカード"), "term:マイナンバーカード"),
        (BrowsePolicies(), "pols"),
        (BrowsePolicy(1), "pol:1"),
        (Menu("contact"), "menu:contact"),
    ],
)
def test_formats_are_short_and_readable(data: PostbackData, packed: str) -> None:
    assert data.pack() == packed
    assert unpack(packed) == data
    assert type(unpack(packed)) is type(data)


@pytest.mark.parametrize(
    "headword",
    [
        "AI",
        "GIGAスクール構想",
        "a:b",
        "::",
        "%",
        "%3A",
        "%253A",
        "100%:満足",
        "空白 を 含む",
        "🍎",
    ],
)
def test_any_headword_round_trips(headword: str) -> None:
    packed = ShowTerm(headword).pack()
    assert unpack(packed) == ShowTerm(headword)
    assert packed.count(":") == 1  # the separator inside a headword is escaped


def test_random_text_round_trips() -> None:
    rng = random.Random(20230301)
    alphabet = "ab:%3A25あ用語・（）  🍎-"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        assert unpack(ShowTerm(text).pack()) == ShowTerm(text)


def test_packing_more_than_300_characters_fails_loudly() -> None:
    assert len(ShowTerm("あ" * (MAX_DATA - len("term:"))).pack()) == MAX_DATA
    with pytest.raises(PostbackError, match="300"):
        ShowTerm("あ" * (MAX_DATA - len("term:") + 1)).pack()
    with pytest.raises(PostbackError, match="300"):
        ShowTerm(":" * 100).pack()  # escaping counts: 100 colons become 300 characters
    with pytest.raises(PostbackError):
        unpack("term:" + "a" * MAX_DATA)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "nope",
        "nope:1",
        "ini",
        "ini:",
        "ini:1-5:extra",
        "ini:0-1",
        "ini:1-",
        "ini:abc",
        "inifull:x",
        "pols:",
        "pols:1",
        "pol",
        "pol:a",
        "pol:0",
        "pol:10",
        "pol:1.5",
        "term:",
        "term:a%2",
        "term:%zz",
        "menu:",
        "menu:Contact",
        "menu:a b",
        "INI:1-5",
    ],
)
def test_bad_data_raises_postback_error(data: str) -> None:
    with pytest.raises(PostbackError):
        unpack(data)


def test_constructing_invalid_data_fails_early() -> None:
    with pytest.raises(PostbackError):
        ShowInitiative("x")
    with pytest.raises(PostbackError):
        BrowsePolicy(0)
    with pytest.raises(PostbackError):
        ShowTerm("")
    with pytest.raises(PostbackError):
        Menu("has space")


def test_postback_error_is_a_value_error() -> None:
    assert issubclass(PostbackError, ValueError)


def test_registry_holds_every_kind_once() -> None:
    registered = kinds()
    for cls in (ShowInitiative, ShowInitiativeFull, ShowTerm, BrowsePolicies, BrowsePolicy, Menu):
        assert registered[cls.prefix] is cls


def test_a_new_kind_is_one_small_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postback, "_REGISTRY", dict(postback._REGISTRY))  # register temporarily

    @dataclass(frozen=True)
    class PickTopic(PostbackData):
        prefix: ClassVar[str] = "test.topic"
        topic: str
        on: int

    packed = PickTopic("防災:地震", 1).pack()
    assert packed == "test.topic:防災%3A地震:1"
    assert unpack(packed) == PickTopic("防災:地震", 1)

    with pytest.raises(TypeError, match="already used"):

        @dataclass(frozen=True)
        class Clash(PostbackData):
            prefix: ClassVar[str] = "ini"

    with pytest.raises(TypeError, match="prefix"):

        @dataclass(frozen=True)
        class BadPrefix(PostbackData):
            prefix: ClassVar[str] = "Has:Colon"


def test_data_is_frozen_and_hashable() -> None:
    data = ShowInitiative("1-5")
    with pytest.raises(AttributeError):
        data.id = "1-6"  # type: ignore[misc]
    assert {data, ShowInitiative("1-5")} == {data}
