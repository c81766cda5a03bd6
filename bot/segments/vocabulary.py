"""The segment vocabulary (content/segments.yaml): attributes, options, stable ids."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, cached_property
from pathlib import Path

from pydantic import Field, model_validator

from bot.loader import CONTENT_DIR, ContentFile, load_file

ID = r"^[a-z0-9][a-z0-9_]*$"
LABEL_MAX = 20  # LINE quick-reply label
OPTIONS_MAX = 10  # 13 quick replies minus スキップ, やめる, 完了


def fold(text: str) -> str:
    """How typed text is compared with labels: NFKC, no spaces, wave dashes unified."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return text.replace("~", "〜").replace("～", "〜")


class Option(ContentFile):
    id: str = Field(pattern=ID, max_length=32)
    label: str = Field(min_length=1, max_length=LABEL_MAX)


class Attribute(ContentFile):
    id: str = Field(pattern=ID, max_length=32)
    label: str = Field(min_length=1)
    multiple: bool = False
    options: tuple[Option, ...] = Field(min_length=1, max_length=OPTIONS_MAX)

    @model_validator(mode="after")
    def _unique(self) -> Attribute:
        for what in ("id", "label"):
            values = [getattr(o, what) for o in self.options]
            if len(values) != len(set(values)):
                raise ValueError(f"attribute {self.id}: duplicate option {what}s")
        return self

    @cached_property
    def option_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options)

    def label_of(self, option_id: str) -> str:
        return next((o.label for o in self.options if o.id == option_id), option_id)

    def by_text(self, text: str) -> Option | None:
        """The option whose label the citizen typed or tapped."""
        folded = fold(text)
        return next((o for o in self.options if fold(o.label) == folded), None)


class Vocabulary(ContentFile):
    attributes: tuple[Attribute, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Vocabulary:
        ids = [a.id for a in self.attributes]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate attribute ids")
        return self

    @cached_property
    def by_id(self) -> dict[str, Attribute]:
        return {a.id: a for a in self.attributes}

    def as_json(self) -> dict[str, object]:
        """The body of GET /api/segments."""
        return {
            "attributes": [
                {
                    "id": a.id,
                    "label": a.label,
                    "multiple": a.multiple,
                    "options": [{"id": o.id, "label": o.label} for o in a.options],
                }
                for a in self.attributes
            ]
        }


def load_vocabulary(content_dir: Path = CONTENT_DIR) -> Vocabulary:
    return load_file("segments.yaml", Vocabulary, content_dir)


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary, loaded once per process (content does not change while it runs)."""
    return load_vocabulary()
