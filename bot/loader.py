"""The one content loader: every YAML file in content/ is read and validated here.

A feature that brings its own file (say content/segments.yaml) writes a pydantic model for
it and calls `load_file("segments.yaml", SegmentsFile)`; it gets the same error messages as
the plan: the file, the entry (id=…, headword=…, key=…) and the field, so staff who edit a
file can find the mistake without reading Python.

    from bot.loader import ContentFile, load_file

    class SegmentsFile(ContentFile):
        segments: tuple[Segment, ...]

    spec = load_file("segments.yaml", SegmentsFile)

`ContentFile` is a frozen pydantic model that forbids unknown keys (a misspelt key is an
error, not silently ignored). `read_yaml` is the raw reader for files that need assembling
before validation (the plan spans four files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Keys that name an entry in a list, in the order they are tried.
ENTRY_KEYS = ("id", "headword", "canonical", "name", "key", "topic", "number", "label")


class ContentError(Exception):
    """Raised when a content file is missing or invalid; the message names file and entry."""


class ContentFile(BaseModel):
    """Base for the model of one content file: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """The parsed YAML of `path`; a missing file or a YAML syntax error names the file."""
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except FileNotFoundError as e:
        raise ContentError(f"{path.name}: file not found ({path})") from e
    except yaml.YAMLError as e:
        raise ContentError(f"{path.name}: not valid YAML: {e}") from e


def entry_name(data: Any, loc: Sequence[Any]) -> str:
    """'id=1-5' / 'headword=AI' / 'key=…' for the list entry an error location points into."""
    node = data
    named = ""
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            for k in ENTRY_KEYS:
                if k in node and isinstance(node[k], str | int):
                    named = f"{k}={node[k]}"
                    break
    return named


def describe(err: ValidationError, name: str, data: Any) -> str:
    """A pydantic error as lines naming the file, the entry and the field."""
    lines = [f"{name}: {err.error_count()} error(s)"]
    for e in err.errors():
        loc = list(e["loc"])
        where = ".".join(str(x) for x in loc) or "(file)"
        entry = entry_name(data, loc)
        msg = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"  - {where}{f' ({entry})' if entry else ''}: {msg}")
    return "\n".join(lines)


def validate(model: type[M], data: Any, name: str) -> M:
    """`model` validated from `data`; errors become a ContentError naming `name` and entry."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ContentError(describe(err, name, data)) from err


def load_file(name: str, model: type[M], content_dir: Path = CONTENT_DIR) -> M:
    """Read content/<name> and validate it as `model` (errors name the file and the entry)."""
    path = content_dir / name
    data = read_yaml(path)
    if data is None:
        data = {}
    return validate(model, data, name)
