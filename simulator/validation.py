"""Check Messaging API requests the way LINE does, from the vendored OpenAPI specs.

Why this exists: LINE's specs describe polymorphic objects (messages, actions, Flex
components, recipients...) with ``discriminator`` + ``allOf`` and no ``oneOf``, so a generic
JSON-Schema validator checks only the base object and lets a Flex text without ``text`` pass.
The specs also leave out many limits LINE enforces (5,000-character texts, 20-character
labels...). A fake that accepts what LINE rejects hides bugs until production, so this module
walks the schemas itself, dispatches on every discriminator, and adds LINE's documented limits
(``LINE_RULES``, each with its source). Unknown properties are ignored, as the specs never say
``additionalProperties: false``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

SPEC_DIR = Path(__file__).parent / "openapi"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster than pure Python
SPEC_FILES = ("messaging-api.yml", "insight.yml")
REF = "https://developers.line.biz/en/reference/messaging-api/"


class Problem(NamedTuple):
    """One reason LINE would reject a request; ``property`` is LINE's path ("messages[0].text")."""

    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.property}: {self.message}" if self.property else self.message


@dataclass(frozen=True)
class Operation:
    """One spec operation, found by method and path template."""

    method: str
    template: str
    operation_id: str
    spec: Mapping[str, Any]
    params: tuple[Mapping[str, Any], ...]


Check = Callable[[Any, str], list[Problem]]


def _utf16_max(limit: int) -> Check:
    """LINE counts text length in UTF-16 code units (docs/messaging-api/text-character-count)."""

    def check(value: Any, where: str) -> list[Problem]:
        if isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > limit:
            return [Problem(where, f"Length must be between 0 and {limit}")]
        return []

    return check


def _json_size_max(limit_kb: int) -> Check:
    """Flex size limits apply to the container's JSON; measured compact, UTF-8, 1 KB = 1024 B."""

    def check(value: Any, where: str) -> list[Problem]:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > limit_kb * 1024:
            return [Problem(where, f"JSON size {size} bytes exceeds {limit_kb} KB")]
        return []

    return check


def _flex_text_content(value: Any, where: str) -> list[Problem]:
    """A Flex text needs ``text`` or ``contents`` (spans) — REF#f-text."""
    if isinstance(value, dict) and value.get("text") is None and not value.get("contents"):
        return [Problem(f"{where}.text", "must be specified")]
    return []


def _rich_menu_size(value: Any, where: str) -> list[Problem]:
    """Rich menu image: width 800-2500 px, height >= 250 px, width/height >= 1.45
    (REF#upload-rich-menu-image-requirements; 2500x1686 and 2500x843 are the usual sizes)."""
    if not isinstance(value, dict):
        return []
    width, height = value.get("width"), value.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or height <= 0:
        return []
    if not 800 <= width <= 2500 or height < 250 or width / height < 1.45:
        return [Problem(where, "must be 800-2500 px wide, >= 250 px high, width/height >= 1.45")]
    return []


def _label(max_len: int, required: bool = True) -> dict[str, Any]:
    """An action whose ``label`` limit depends on where the action sits (REF#action-objects)."""
    schema: dict[str, Any] = {"properties": {"label": {"maxLength": max_len, "minLength": 1}}}
    if required:
        schema["required"] = ["label"]
    return schema


# LINE's documented limits that the specs do not carry, keyed by schema name and checked
# alongside that schema. Sources are pages under REF unless noted.
LINE_RULES: dict[str, dict[str, Any]] = {
    # Reply token: REF#send-reply-message ("replyToken ... Required").
    "ReplyMessageRequest": {"properties": {"replyToken": {"minLength": 1}}},
    # Text: "Max character limit: 5000" (REF#text-message), counted in UTF-16 units.
    "TextMessage": {"properties": {"text": {"minLength": 1, "x-check": _utf16_max(5000)}}},
    "TextMessageV2": {"properties": {"text": {"minLength": 1, "x-check": _utf16_max(5000)}}},
    # Quick reply: up to 13 items, each an action with a label of max 20 (REF#quick-reply).
    "QuickReply": {"required": ["items"], "properties": {"items": {"minItems": 1}}},
    "QuickReplyItem": {
        "required": ["type", "action"],
        "properties": {"type": {"enum": ["action"]}, "action": _label(20)},
    },
    # Actions (REF#postback-action, #message-action, #uri-action, #datetime-picker-action).
    "PostbackAction": {
        "required": ["data"],
        "properties": {"displayText": {"maxLength": 300}, "text": {"maxLength": 300}},
    },
    "MessageAction": {"required": ["text"], "properties": {"text": {"maxLength": 300}}},
    "URIAction": {"required": ["uri"], "properties": {"uri": {"maxLength": 1000}}},
    "DatetimePickerAction": {"required": ["data", "mode"]},
    # Flex: altText max 1,500 (REF#flex-message); carousel max 12 bubbles, JSON max 30 KB per
    # bubble and 50 KB per carousel (REF#f-bubble, REF#f-carousel).
    "FlexMessage": {"properties": {"altText": {"minLength": 1, "maxLength": 1500}}},
    "FlexBubble": {"x-check": _json_size_max(30)},
    "FlexCarousel": {
        "properties": {"contents": {"minItems": 1, "maxItems": 12}},
        "x-check": _json_size_max(50),
    },
    "FlexText": {"x-check": _flex_text_content},
    "FlexSpan": {"required": ["text"]},
    # Flex button: label required, max 40 characters (REF#f-button, action label table).
    "FlexButton": {"properties": {"action": _label(40)}},
    # Templates: altText max 400; buttons max 4 actions, confirm exactly 2, carousel max 10
    # columns; template action labels required, max 20; image carousel labels max 12.
    "TemplateMessage": {"properties": {"altText": {"minLength": 1, "maxLength": 400}}},
    "ButtonsTemplate": {
        "properties": {"actions": {"minItems": 1, "maxItems": 4, "items": _label(20)}}
    },
    "ConfirmTemplate": {
        "properties": {
            "text": {"maxLength": 240},
            "actions": {"minItems": 2, "maxItems": 2, "items": _label(20)},
        }
    },
    "CarouselTemplate": {"properties": {"columns": {"minItems": 1, "maxItems": 10}}},
    "CarouselColumn": {"properties": {"actions": {"minItems": 1, "maxItems": 3}}},
    "ImageCarouselColumn": {"properties": {"action": _label(12, required=False)}},
    # Rich menu: every property required, max 20 areas, label optional max 20
    # (REF#rich-menu-object, REF#area-object); image size rules in _rich_menu_size.
    "RichMenuRequest": {
        "required": ["size", "selected", "name", "chatBarText", "areas"],
        "properties": {"areas": {"maxItems": 20}, "size": {"x-check": _rich_menu_size}},
    },
    "RichMenuSize": {"required": ["width", "height"]},
    "RichMenuArea": {
        "required": ["bounds", "action"],
        "properties": {"action": _label(20, required=False)},
    },
    "RichMenuBounds": {"required": ["x", "y", "width", "height"]},
    # Loading indicator: "a multiple of 5" (REF#display-a-loading-indicator).
    "ShowLoadingAnimationRequest": {"properties": {"loadingSeconds": {"multipleOf": 5}}},
}

# Rich menu images: JPEG or PNG, max 1 MB (REF#upload-rich-menu-image-requirements).
RICH_MENU_IMAGE_TYPES = ("image/jpeg", "image/png")
RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024
URI_SCHEMES = ("http://", "https://", "line://", "tel:")

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer"}


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Spec:
    """The vendored specs: operations to look up and a schema walker with discriminators."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self.operations: list[tuple[re.Pattern[str], Operation]] = []
        for name in SPEC_FILES:
            text = (SPEC_DIR / name).read_text(encoding="utf-8")
            doc = yaml.load(text, Loader=_LOADER)
            self.schemas.update(doc["components"]["schemas"])
            for template, item in doc["paths"].items():
                shared = tuple(item.get("parameters", ()))
                for method, op in item.items():
                    if method == "parameters":
                        continue
                    params = shared + tuple(op.get("parameters", ()))
                    operation = Operation(
                        method.upper(), template, op.get("operationId", ""), op, params
                    )
                    regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
                    self.operations.append((re.compile(regex + "$"), operation))
        # Literal paths win over templates (/v2/bot/richmenu/list vs /v2/bot/richmenu/{id}).
        self.operations.sort(key=lambda pair: pair[1].template.count("{"))
        # Subtype name -> (discriminator property, value), to check direct subtype references.
        self.tags: dict[str, tuple[str, str]] = {}
        for schema in self.schemas.values():
            disc = schema.get("discriminator")
            for tag, ref in (disc or {}).get("mapping", {}).items():
                self.tags[ref.rsplit("/", 1)[-1]] = (disc["propertyName"], tag)

    def find(self, method: str, path: str) -> Operation | None:
        for regex, operation in self.operations:
            if operation.method == method.upper() and regex.match(path):
                return operation
        return None

    def check(
        self, value: Any, schema: Mapping[str, Any], where: str, out: list[Problem], dispatch: bool
    ) -> None:
        """Validate ``value``; ``dispatch`` is False for allOf parents, which breaks the
        subtype -> allOf -> base -> discriminator -> subtype loop."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            target = self.schemas[name]
            self.check(value, target, where, out, dispatch)
            tag = self.tags.get(name)
            if tag and isinstance(value, dict) and value.get(tag[0], tag[1]) != tag[1]:
                out.append(Problem(_join(where, tag[0]), f"must be '{tag[1]}'"))
            rules = LINE_RULES.get(name)
            if rules and isinstance(value, dict) and not (dispatch and "discriminator" in target):
                self.check(value, rules, where, out, True)
            return
        if value is None and schema.get("nullable"):
            return
        disc = schema.get("discriminator")
        if dispatch and disc and isinstance(value, dict):
            self._dispatch(value, schema, disc, where, out)
            return
        expected = schema.get("type")
        if expected and not _is_type(value, expected):
            out.append(Problem(where, f"must be {_ARTICLE.get(expected, 'a ' + expected)}"))
            return
        for parent in schema.get("allOf", ()):
            self.check(value, parent, where, out, False)
        if "enum" in schema and value not in schema["enum"]:
            values = ", ".join(str(v) for v in schema["enum"])
            out.append(Problem(where, f"must be one of the following values: [{values}]"))
        if "x-check" in schema:
            out.extend(schema["x-check"](value, where))
        if isinstance(value, str):
            out.extend(_check_string(value, schema, where))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.extend(_check_number(value, schema, where))
        elif isinstance(value, list):
            self._check_array(value, schema, where, out)
        elif isinstance(value, dict):
            self._check_object(value, schema, where, out)

    def _dispatch(
        self,
        value: dict[str, Any],
        schema: Mapping[str, Any],
        disc: Mapping[str, Any],
        where: str,
        out: list[Problem],
    ) -> None:
        key, mapping = disc["propertyName"], disc.get("mapping", {})
        tag = value.get(key)
        if tag is None:
            self.check(value, schema, where, out, False)
            if key not in schema.get("required", ()):
                out.append(Problem(_join(where, key), "must be specified"))
        elif tag not in mapping:
            values = ", ".join(mapping)
            out.append(
                Problem(_join(where, key), f"must be one of the following values: [{values}]")
            )
        else:
            self.check(value, {"$ref": mapping[tag]}, where, out, True)

    def _check_array(
        self, value: list[Any], schema: Mapping[str, Any], where: str, out: list[Problem]
    ) -> None:
        low, high = schema.get("minItems"), schema.get("maxItems")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            bounds = f"between {low or 0} and {high}" if high is not None else f"at least {low}"
            out.append(Problem(where, f"Size must be {bounds}"))
        if "items" not in schema:
            return
        items = schema["items"]
        plain = items.get("type") == "string" and _PLAIN_STRING.issuperset(items)
        for index, item in enumerate(value):
            if plain and isinstance(item, str):
                # What check() does for a plain string schema, without building the item's
                # path unless it has a problem (a multicast carries 500 ids).
                if _check_string(item, items, ""):
                    out.extend(_check_string(item, items, f"{where}[{index}]"))
            else:
                self.check(item, items, f"{where}[{index}]", out, True)

    def _check_object(
        self, value: dict[str, Any], schema: Mapping[str, Any], where: str, out: list[Problem]
    ) -> None:
        for key in schema.get("required", ()):
            if value.get(key) is None:
                out.append(Problem(_join(where, key), "must be specified"))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                if item is not None:
                    self.check(item, properties[key], _join(where, key), out, True)
            elif isinstance(extra, dict):
                self.check(item, extra, _join(where, key), out, True)


# Keys of a string schema that check() handles with _check_string alone.
_PLAIN_STRING = frozenset(
    {"type", "minLength", "maxLength", "pattern", "format", "description", "example"}
)


def _is_type(value: Any, expected: str) -> bool:
    if isinstance(value, bool) and expected != "boolean":
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))


def _check_string(value: str, schema: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        if not value and low:
            problems.append(Problem(where, "May not be empty"))
        else:
            problems.append(Problem(where, f"Length must be between {low or 0} and {high}"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(Problem(where, f"must match {schema['pattern']}"))
    if schema.get("format") == "uri" and value and not value.startswith(URI_SCHEMES):
        problems.append(Problem(where, "must be a URL with scheme http, https, line or tel"))
    return problems


def _check_number(value: float, schema: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(Problem(where, f"must be greater than or equal to {schema['minimum']}"))
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(Problem(where, f"must be less than or equal to {schema['maximum']}"))
    if "multipleOf" in schema and value % schema["multipleOf"]:
        problems.append(Problem(where, f"must be a multiple of {schema['multipleOf']}"))
    return problems


@functools.cache
def spec() -> _Spec:
    """The parsed specs, loaded once per process (about 0.15 s with libyaml)."""
    return _Spec()


def find_operation(method: str, path: str) -> Operation | None:
    """The spec operation for ``method`` and a concrete ``path`` such as /v2/bot/profile/U1."""
    return spec().find(method, path)


def find_problems(
    method: str,
    path: str,
    body: Any,
    *,
    query: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> list[Problem]:
    """Everything LINE would reject in this request, with LINE-style property paths."""
    operation = find_operation(method, path)
    if operation is None:
        return [Problem("", f"No operation {method.upper()} {path} in the LINE OpenAPI specs")]
    problems = _check_query(operation, query or {})
    request_body = operation.spec.get("requestBody")
    if request_body is None:
        return problems
    content = request_body.get("content", {})
    if "application/json" not in content:
        return problems + _check_binary(operation, body, content_type)
    if body is None:
        if request_body.get("required"):
            problems.append(Problem("", "The request body is required"))
        return problems
    spec().check(body, content["application/json"]["schema"], "", problems, True)
    return problems


def validate_request(
    method: str,
    path: str,
    body: Any,
    *,
    query: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> list[str]:
    """Human-readable reasons LINE would reject the request; an empty list means valid."""
    problems = find_problems(method, path, body, query=query, content_type=content_type)
    return [str(problem) for problem in problems]


def _check_query(operation: Operation, query: Mapping[str, str]) -> list[Problem]:
    problems = []
    for param in operation.params:
        if param.get("in") != "query":
            continue
        name, schema = param["name"], param.get("schema", {})
        if name not in query:
            if param.get("required"):
                problems.append(Problem(name, "must be specified"))
        elif schema.get("type", "string") == "string":
            problems.extend(_check_string(query[name], schema, name))
    return problems


def _check_binary(operation: Operation, body: Any, content_type: str | None) -> list[Problem]:
    if operation.operation_id != "setRichMenuImage":
        return []
    problems = []
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in RICH_MENU_IMAGE_TYPES:
        problems.append(Problem("Content-Type", "must be image/jpeg or image/png"))
    if not body:
        problems.append(Problem("", "The request body is required"))
    elif len(body) > RICH_MENU_IMAGE_MAX_BYTES:
        problems.append(Problem("", "The image must not be larger than 1 MB"))
    return problems
