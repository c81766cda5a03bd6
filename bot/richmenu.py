"""The rich menu: spec from content/richmenu.yaml, its image, its API request and deployment.

The spec is validated up front (areas inside the image, no overlaps, postback data that
bot.postback understands) so a mistake fails on the maintainer's machine, not on LINE.
Drawing needs Pillow and a Japanese font; it is a maintainer step and the PNG is committed,
so the running bot needs neither. Framework-free: the Flask CLI wires these functions.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from linebot.v3.messaging import (
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.loader import CONTENT_DIR, load_file
from bot.postback import PostbackError, unpack

SPEC_FILE = "richmenu.yaml"
IMAGE_MAX_BYTES = 1024 * 1024  # LINE: rich menu image at most 1 MB
FONT_ENV = "ISEHARA_CJK_FONT"
# Debian/Ubuntu fonts-noto-cjk, fonts-ipafont, macOS, Windows — bold first, for legibility.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/meiryob.ttc",
    "C:/Windows/Fonts/YuGothB.ttc",
)
SUPERSAMPLE = 2
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class FontNotFoundError(RuntimeError):
    """No Japanese font to draw the rich menu with; the message says how to get one."""


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bounds(Spec):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)

    def overlaps(self, other: Bounds) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


class Size(Spec):
    width: int = Field(ge=800, le=2500)
    height: int = Field(ge=250)

    @model_validator(mode="after")
    def _ratio(self) -> Size:
        if self.width / self.height < 1.45:
            raise ValueError("width/height must be at least 1.45 (LINE rich menu rule)")
        return self


class Area(Spec):
    """One tappable area: where it is, how it looks, and the postback it sends."""

    label: str = Field(min_length=1, max_length=20)
    caption: str = ""
    icon: str = ""
    color: str
    bounds: Bounds
    data: str = Field(min_length=1, max_length=300)
    display_text: str = Field(min_length=1, max_length=300)

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        if not COLOR.match(v):
            raise ValueError(f"colour must look like #1F6FB2, got {v!r}")
        return v

    @field_validator("data")
    @classmethod
    def _data(cls, v: str) -> str:
        try:
            unpack(v)
        except PostbackError as e:
            raise ValueError(f"postback data {v!r} does not unpack: {e}") from e
        return v


class RichMenuSpec(Spec):
    """content/richmenu.yaml, validated against LINE's rich menu rules."""

    name: str = Field(min_length=1, max_length=300)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: Size
    selected: bool = True
    image: str = "richmenu.png"
    background: str = "#FFFFFF"
    areas: tuple[Area, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _layout(self) -> RichMenuSpec:
        for i, area in enumerate(self.areas):
            b = area.bounds
            if b.x + b.width > self.size.width or b.y + b.height > self.size.height:
                raise ValueError(f"area {i} ({area.label}) reaches outside the image")
            for j, other in enumerate(self.areas[:i]):
                if b.overlaps(other.bounds):
                    raise ValueError(f"area {i} ({area.label}) overlaps area {j} ({other.label})")
        return self


def load_spec(content_dir: Path = CONTENT_DIR) -> RichMenuSpec:
    """Read and validate content/richmenu.yaml; errors name the file and the field."""
    return load_file(SPEC_FILE, RichMenuSpec, content_dir)


def image_path(spec: RichMenuSpec, content_dir: Path = CONTENT_DIR) -> Path:
    return content_dir / spec.image


# ---------------------------------------------------------------------- API request


def to_request(spec: RichMenuSpec) -> RichMenuRequest:
    """The body of POST /v2/bot/richmenu for this spec."""
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(**a.bounds.model_dump()),
            action=PostbackAction(label=a.label, data=a.data, displayText=a.display_text),
        )
        for a in spec.areas
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=spec.size.width, height=spec.size.height),
        selected=spec.selected,
        name=spec.name,
        chatBarText=spec.chat_bar_text,
        areas=areas,
    )


def deploy(messaging_api: Any, blob_api: Any, spec: RichMenuSpec, image: bytes) -> str:
    """Create the rich menu, upload its image, make it the default; return its richMenuId.

    If the upload or set-default fails, the half-made menu is deleted so no orphan is left.
    """
    check_image(spec, image)
    request = to_request(spec)
    messaging_api.validate_rich_menu_object(request)
    rich_menu_id: str = messaging_api.create_rich_menu(request).rich_menu_id
    try:
        blob_api.set_rich_menu_image(
            rich_menu_id, image, _headers={"Content-Type": image_type(image)}
        )
        messaging_api.set_default_rich_menu(rich_menu_id)
    except Exception:
        messaging_api.delete_rich_menu(rich_menu_id)
        raise
    return rich_menu_id


def image_type(image: bytes) -> str:
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if image.startswith(b"\xff\xd8"):
        return "image/jpeg"
    raise ValueError("rich menu image must be PNG or JPEG")


def check_image(spec: RichMenuSpec, image: bytes) -> None:
    """Raise ValueError unless `image` is a PNG/JPEG of the spec's size and at most 1 MB."""
    from PIL import Image

    image_type(image)
    if len(image) > IMAGE_MAX_BYTES:
        raise ValueError(f"rich menu image is {len(image):,} bytes (> 1 MB)")
    with Image.open(io.BytesIO(image)) as im:
        if im.size != (spec.size.width, spec.size.height):
            raise ValueError(f"image is {im.size}, spec says {spec.size.width}x{spec.size.height}")


# ---------------------------------------------------------------------- drawing


def find_font(candidates: tuple[str, ...] = FONT_CANDIDATES) -> Path:
    """A font with Japanese glyphs: $ISEHARA_CJK_FONT, else a known system path."""
    override = os.environ.get(FONT_ENV)
    if override:
        if not Path(override).is_file():
            raise FontNotFoundError(f"{FONT_ENV}={override} is not a file")
        return Path(override)
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontNotFoundError(
        "No Japanese (CJK) font found to draw the rich menu. Install one "
        "(Debian/Ubuntu: apt-get install -y fonts-noto-cjk) or set "
        f"{FONT_ENV}=/path/to/font.ttc. The committed content/richmenu.png needs no font."
    )


def _font(path: Path, size: int) -> Any:
    """The font at `size`; in a .ttc collection (Noto: JP, KR, SC, TC, HK) the Japanese face,
    whose glyph shapes Japanese readers expect."""
    from PIL import ImageFont

    if path.suffix.lower() == ".ttc":
        for index in range(10):
            try:
                font = ImageFont.truetype(str(path), size, index=index)
            except OSError:
                break
            if "JP" in " ".join(font.getname()):
                return font
    return ImageFont.truetype(str(path), size)


def _mix(color: str, other: str, amount: float) -> tuple[int, int, int]:
    """`color` blended towards `other` by `amount` (0..1)."""
    a = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, bl = (round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))
    return r, g, bl


def draw_image(spec: RichMenuSpec, font_path: Path | None = None) -> bytes:
    """Draw the rich menu PNG: one rounded tile per area with icon, label and caption."""
    from PIL import Image, ImageDraw

    font_path = font_path or find_font()
    size = (spec.size.width, spec.size.height)
    # Drawn at twice the size and scaled down: Pillow's discs and curves are not antialiased.
    image = Image.new("RGB", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), spec.background)
    draw = ImageDraw.Draw(image)
    for area in spec.areas:
        _draw_tile(draw, area, font_path)
    image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_tile(draw: Any, area: Area, font_path: Path) -> None:
    b = Bounds(**{k: v * SUPERSAMPLE for k, v in area.bounds.model_dump().items()})
    gap = max(12, min(b.width, b.height) // 36)
    box = (b.x + gap, b.y + gap, b.x + b.width - gap, b.y + b.height - gap)
    draw.rounded_rectangle(box, radius=gap * 3, fill=area.color)
    cx = (box[0] + box[2]) // 2
    inner_h = box[3] - box[1]
    # Icon: a white disc with the glyph in the tile colour.
    r = inner_h // 5
    cy = box[1] + inner_h * 30 // 100
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#FFFFFF")
    if area.icon in ICONS:
        ICONS[area.icon](draw, (cx, cy), r, area.color)
    elif area.icon:
        icon_font = _font(font_path, int(r * 1.3))
        draw.text((cx, cy), area.icon, font=icon_font, fill=area.color, anchor="mm")
    _fit_text(
        draw,
        area.label,
        font_path,
        (cx, box[1] + inner_h * 64 // 100),
        max_width=box[2] - box[0] - 2 * gap,
        size=inner_h // 7,
        fill="#FFFFFF",
    )
    if area.caption:
        _fit_text(
            draw,
            area.caption,
            font_path,
            (cx, box[1] + inner_h * 83 // 100),
            max_width=box[2] - box[0] - 2 * gap,
            size=inner_h // 13,
            fill=_mix(area.color, "#FFFFFF", 0.8),
        )


def _fit_text(
    draw: Any,
    text: str,
    font_path: Path,
    at: tuple[int, int],
    *,
    max_width: int,
    size: int,
    fill: Any,
) -> None:
    """Draw `text` centred at `at`, shrinking the font until it fits `max_width`."""
    while True:
        font = _font(font_path, size)
        if draw.textlength(text, font=font) <= max_width or size <= 24:
            break
        size -= 4
    draw.text(at, text, font=font, fill=fill, anchor="mm")


def _calendar(draw: Any, centre: tuple[int, int], r: int, color: str) -> None:
    """A calendar page: frame, header band, binder rings and a 3x2 grid of days."""
    cx, cy = centre
    w, h = int(r * 1.1), int(r * 1.0)
    left, top = cx - w // 2, cy - h // 2 + r // 12
    right, bottom = left + w, top + h
    line = max(4, r // 12)
    draw.rounded_rectangle((left, top, right, bottom), radius=r // 8, outline=color, width=line)
    draw.rectangle((left, top, right, top + h // 4), fill=color)
    for x in (left + w // 4, right - w // 4):
        ring = (x - line, top - r // 6, x + line, top + r // 10)
        draw.rounded_rectangle(ring, radius=line, fill=color)
    half = w // 15
    for row in range(2):
        for col in range(3):
            x = left + w // 5 + col * (w * 3 // 10)
            y = top + h // 4 + h // 6 + row * (h // 4)
            draw.rectangle((x - half, y - half, x + half, y + half), fill=color)


def _bell(draw: Any, centre: tuple[int, int], r: int, color: str) -> None:
    """A notification bell: dome, flared rim and clapper."""
    cx, cy = centre
    w = int(r * 0.9)
    top, rim = cy - int(r * 0.55), cy + int(r * 0.35)
    draw.pieslice((cx - w // 2, top, cx + w // 2, top + w), 180, 360, fill=color)
    body = [
        (cx - w // 2, top + w // 2),
        (cx + w // 2, top + w // 2),
        (cx + int(w * 0.62), rim),
        (cx - int(w * 0.62), rim),
    ]
    draw.polygon(body, fill=color)
    lip = (cx - int(w * 0.7), rim - r // 12, cx + int(w * 0.7), rim + r // 10)
    draw.rounded_rectangle(lip, radius=r // 20, fill=color)
    k = r // 7
    draw.ellipse((cx - k, rim + r // 10 - k // 2, cx + k, rim + r // 10 + k * 3 // 2), fill=color)
    draw.ellipse((cx - k // 2, top - k, cx + k // 2, top + k // 2), fill=color)


# Icons drawn as shapes (name in richmenu.yaml `icon`); any other value is drawn as a glyph.
ICONS = {"calendar": _calendar, "bell": _bell}


def write_image(spec: RichMenuSpec, content_dir: Path = CONTENT_DIR) -> Path:
    """Draw the image and save it next to the spec (content/richmenu.png); return the path."""
    png = draw_image(spec)
    check_image(spec, png)
    path = image_path(spec, content_dir)
    path.write_bytes(png)
    return path
