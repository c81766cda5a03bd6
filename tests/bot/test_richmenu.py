"""The rich menu: a valid spec, a valid API request, the committed image, and deployment."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob
from PIL import Image

from bot import richmenu
from bot.content import CONTENT_DIR, ContentError
from bot.postback import BrowsePolicies, Menu, unpack
from bot.richmenu import (
    FontNotFoundError,
    check_image,
    deploy,
    draw_image,
    find_font,
    load_spec,
    to_request,
)
from simulator.validation import validate_request

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def spec() -> richmenu.RichMenuSpec:
    return load_spec(CONTENT_DIR)


@pytest.fixture(scope="module")
def committed_png(spec: richmenu.RichMenuSpec) -> bytes:
    return richmenu.image_path(spec).read_bytes()


def test_spec_has_the_six_items(spec: richmenu.RichMenuSpec) -> None:
    assert (spec.size.width, spec.size.height) in {(2500, 1686), (2500, 843)}
    assert 1 <= len(spec.chat_bar_text) <= 14
    by_label = {a.label: unpack(a.data) for a in spec.areas}
    assert by_label == {
        "質問する": Menu("ask"),
        "計画の一覧": BrowsePolicies(),
        "配信設定": Menu("settings"),
        "予約": Menu("reservation"),
        "お問い合わせ": Menu("contact"),
        "使い方": Menu("help"),
    }


def test_areas_cover_the_image_without_overlap(spec: richmenu.RichMenuSpec) -> None:
    covered = sum(a.bounds.width * a.bounds.height for a in spec.areas)
    assert covered == spec.size.width * spec.size.height


def test_request_is_valid_for_line(spec: richmenu.RichMenuSpec) -> None:
    body = to_request(spec).to_dict()
    assert validate_request("POST", "/v2/bot/richmenu", body) == []
    assert validate_request("POST", "/v2/bot/richmenu/validate", body) == []
    assert body["chatBarText"] == spec.chat_bar_text
    assert [a["action"]["data"] for a in body["areas"]] == [a.data for a in spec.areas]
    assert all(a["action"]["displayText"] for a in body["areas"])


def test_committed_image_is_a_png_of_the_declared_size(
    spec: richmenu.RichMenuSpec, committed_png: bytes
) -> None:
    assert committed_png.startswith(PNG_MAGIC)
    assert len(committed_png) <= 1024 * 1024
    with Image.open(io.BytesIO(committed_png)) as im:
        assert im.format == "PNG"
        assert im.size == (spec.size.width, spec.size.height)
    check_image(spec, committed_png)
    path = "/v2/bot/richmenu/richmenu-x/content"
    assert validate_request("POST", path, committed_png, content_type="image/png") == []


def test_draw_image_makes_a_png_of_the_declared_size(spec: richmenu.RichMenuSpec) -> None:
    try:
        find_font()
    except FontNotFoundError as e:
        pytest.skip(f"no Japanese font on this machine: {e}")
    png = draw_image(spec)
    check_image(spec, png)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (spec.size.width, spec.size.height)
        # the tiles use the colours from the spec
        for area in spec.areas:
            b = area.bounds
            pixel = im.convert("RGB").getpixel((b.x + b.width // 10, b.y + b.height // 2))
            assert "#{:02X}{:02X}{:02X}".format(*pixel) == area.color.upper()


def test_missing_font_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(richmenu.FONT_ENV, raising=False)
    with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
        find_font(candidates=())
    monkeypatch.setenv(richmenu.FONT_ENV, "/nonexistent/font.ttc")
    with pytest.raises(FontNotFoundError, match="not a file"):
        find_font()


def test_check_image_rejects_wrong_size_and_type(spec: richmenu.RichMenuSpec) -> None:
    small = io.BytesIO()
    Image.new("RGB", (800, 540)).save(small, format="PNG")
    with pytest.raises(ValueError, match="spec says"):
        check_image(spec, small.getvalue())
    with pytest.raises(ValueError, match="PNG or JPEG"):
        check_image(spec, b"GIF89a...")


def _write(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = yaml.safe_load((CONTENT_DIR / "richmenu.yaml").read_text(encoding="utf-8"))
    data.update(change)
    (tmp_path / "richmenu.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return tmp_path


def _area(**change: Any) -> dict[str, Any]:
    area = {
        "label": "x",
        "color": "#112233",
        "bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
        "data": "menu:help",
        "display_text": "x",
    }
    return {**area, **change}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chat_bar_text": "十五文字を超えるチャットバーのテキスト"}, "chat_bar_text"),
        ({"size": {"width": 2500, "height": 2500}}, "1.45"),
        (
            {"areas": [_area(), _area(bounds={"x": 50, "y": 50, "width": 10, "height": 10})]},
            "overlaps",
        ),
        ({"areas": [_area(bounds={"x": 2400, "y": 0, "width": 200, "height": 10})]}, "outside"),
        ({"areas": [_area(data="nope:1")]}, "does not unpack"),
        ({"areas": [_area(color="blue")]}, "colour"),
        ({"areas": [_area(label="二十文字を超える長いラベルの例です、はい、そうです")]}, "label"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_invalid_specs_fail_with_a_clear_message(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ContentError, match=message):
        load_spec(_write(tmp_path, change))


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="not found"):
        load_spec(tmp_path)


class _Fake:
    """Records calls made to the Messaging API and blob API."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_on = fail_on

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            if name == self.fail_on:
                raise RuntimeError(f"{name} failed")
            if name == "create_rich_menu":
                return type("R", (), {"rich_menu_id": "richmenu-123"})()
            return None

        return call


def test_deploy_creates_uploads_and_sets_default(
    spec: richmenu.RichMenuSpec, committed_png: bytes
) -> None:
    api, blob = _Fake(), _Fake()
    assert deploy(api, blob, spec, committed_png) == "richmenu-123"
    assert [c[0] for c in api.calls] == [
        "validate_rich_menu_object",
        "create_rich_menu",
        "set_default_rich_menu",
    ]
    assert blob.calls == [("set_rich_menu_image", ("richmenu-123", committed_png))]


def test_deploy_removes_a_half_made_menu(
    spec: richmenu.RichMenuSpec, committed_png: bytes
) -> None:
    api, blob = _Fake(), _Fake(fail_on="set_rich_menu_image")
    with pytest.raises(RuntimeError):
        deploy(api, blob, spec, committed_png)
    assert ("delete_rich_menu", ("richmenu-123",)) in api.calls


def test_deploy_through_the_sdk_to_the_line_stand_in(
    spec: richmenu.RichMenuSpec, committed_png: bytes, line_api: Any, line_server: Any
) -> None:
    """The real SDK against the LINE API stand-in (which validates every request)."""
    config = Configuration(host=line_server.url, access_token=line_api.channel_access_token)
    with ApiClient(config) as client:
        menu_id = deploy(MessagingApi(client), MessagingApiBlob(client), spec, committed_png)
    assert line_api.default_rich_menu_id == menu_id
    content_type, body = line_api.rich_menu_image(menu_id)
    assert content_type == "image/png" and body == committed_png
