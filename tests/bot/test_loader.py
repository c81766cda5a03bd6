"""One content loader for every YAML file: errors name the file, the entry and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from linebot.v3.messaging import TextMessage

from bot.answers import load_rules
from bot.content import load_plan, load_replies
from bot.loader import CONTENT_DIR, ContentError, ContentFile, load_file
from bot.replies import Renderer, ReplyKit, memo
from bot.richmenu import load_spec


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_answering_rules_error_names_the_topic_entry(tmp_path: Path) -> None:
    content = _copy(tmp_path)

    def edit(data: dict) -> None:
        data["offtopic"][1]["patterns"] = ["(unclosed"]

    _edit(content / "answering.yaml", edit)
    with pytest.raises(ContentError) as exc:
        load_rules(content)
    message = str(exc.value)
    assert "answering.yaml" in message
    assert "topic=ごみ収集" in message
    assert "(unclosed" in message


def test_rich_menu_error_names_the_area(tmp_path: Path) -> None:
    content = _copy(tmp_path)

    def edit(data: dict) -> None:
        data["areas"][0]["label"] = ""

    _edit(content / "richmenu.yaml", edit)
    with pytest.raises(ContentError) as exc:
        load_spec(content)
    assert "richmenu.yaml" in str(exc.value)
    assert "areas.0.label" in str(exc.value)


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    content = _copy(tmp_path)
    (content / "answering.yaml").write_text("thresholds: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"answering\.yaml: not valid YAML"):
        load_rules(content)


def test_feature_wording_file_is_merged_and_duplicates_are_named(tmp_path: Path) -> None:
    content = _copy(tmp_path)
    (content / "replies" / "zz_feature.yaml").write_text(
        "feature.hello: 新しい機能です。\n", encoding="utf-8"
    )
    replies = load_replies(content)
    assert replies.text("feature.hello") == "新しい機能です。"
    assert replies.sources["feature.hello"] == "replies/zz_feature.yaml"

    (content / "replies" / "zz_feature.yaml").write_text("greeting: 二重\n", encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_replies(content)
    assert "replies/zz_feature.yaml" in str(exc.value)
    assert "'greeting'" in str(exc.value) and "replies.yaml" in str(exc.value)


class _Entry(ContentFile):
    id: str
    size: int


class _FeatureFile(ContentFile):
    entries: tuple[_Entry, ...]


def test_a_feature_file_gets_the_same_errors(tmp_path: Path) -> None:
    (tmp_path / "feature.yaml").write_text(
        "entries:\n  - {id: a, size: 1}\n  - {id: b, size: many}\n", encoding="utf-8"
    )
    with pytest.raises(ContentError) as exc:
        load_file("feature.yaml", _FeatureFile, tmp_path)
    assert "feature.yaml" in str(exc.value)
    assert "entries.1.size (id=b)" in str(exc.value)
    (tmp_path / "feature.yaml").write_text("entries: []\nextra: 1\n", encoding="utf-8")
    with pytest.raises(ContentError, match="extra"):
        load_file("feature.yaml", _FeatureFile, tmp_path)


class _FeatureReplies(ReplyKit):
    @memo
    def hello(self) -> list[TextMessage]:
        return self.text(self.t("greeting"), [self.act_list()])


def test_a_feature_replies_module_plugs_in_through_part() -> None:
    renderer = Renderer(load_plan(), load_replies())
    part = renderer.part(_FeatureReplies)
    assert part is renderer.part(_FeatureReplies)  # built once
    reply = part.hello()
    assert reply is part.hello()  # memoised
    assert reply[0].text == renderer.t("greeting")


def test_departments_error_names_the_department(tmp_path: Path) -> None:
    from bot.departments import load_directory

    content = _copy(tmp_path)

    def edit(data: dict) -> None:
        data["departments"][1]["phone"] = "0120-xx"

    _edit(content / "departments.yaml", edit)
    with pytest.raises(ContentError) as exc:
        load_directory(content)
    assert "departments.yaml" in str(exc.value)
    assert "name=戸籍住民課" in str(exc.value)


def test_departments_give_a_phone_only_where_one_was_supplied() -> None:
    from bot.departments import load_directory

    plan = load_plan()
    directory = load_directory()
    phones = {d.name: d.phone for d in directory.departments if d.phone}
    assert phones == {"情報政策課": plan.contact["phone"]}  # the plan's one number
    named = {d.name for d in directory.departments}
    for ini in plan.initiatives:  # every desk the plan names can be found
        for name in ini.departments:
            assert directory.get(name).name in named | {name}
