"""LINE's documented limits and the text helpers that keep every reply inside them.

Counted in UTF-16 code units, as LINE counts (developers.line.biz/en/reference/messaging-api/).
"""

from __future__ import annotations

LABEL_MAX = 20  # quick-reply / template action label
TEXT_MAX = 5000  # text message
ALT_TEXT_MAX = 1500  # Flex altText
DISPLAY_TEXT_MAX = 300  # postback displayText, message action text
QUICK_REPLY_MAX = 13
MESSAGES_MAX = 5
ELLIPSIS = "…"

SUMMARY_MAX = 110  # card summary of 取組内容 / 期待効果: about four lines on a phone


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
