"""content/*.yaml against the plan: counts, figures, departments, schedules, marks, glossary,
term <-> initiative links, and error messages that name the file and the entry.

Checks that read the plan text itself skip when shared/plan is not beside the clone.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.content import CONTENT_DIR, ContentError, Indicator, Initiative, Plan, load_plan

REPO = Path(__file__).resolve().parents[2]
PLAN_NAME = "000_ea242bac5a20fb20.txt"
PLAN_CANDIDATES = (
    REPO.parent / "shared" / "plan" / PLAN_NAME,
    Path("/work/shared/plan") / PLAN_NAME,
)
IDS = (
    [f"1-{n}" for n in range(1, 13)]
    + [f"2-{n}" for n in range(1, 7)]
    + [f"3-{n}" for n in range(1, 12)]
    + [f"4-{n}" for n in range(1, 6)]
)
YEARS = ("R4", "R5", "R6", "R7")
# ※ marks in the initiatives' text whose word has no entry in 7 用語解説.
UNGLOSSED_MARKS = {"eMAFF"}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def plan_text() -> str:
    for path in PLAN_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("shared/plan text not available")


def squeeze(text: str) -> str:
    """Drop all whitespace: the PDF extraction scatters spaces, tabs and newlines."""
    return re.sub(r"\s+", "", text)


def blocks(plan_text: str) -> dict[str, str]:
    """Initiative id -> its text in the plan (from its 取組 line to the next one)."""
    body = plan_text[plan_text.rindex("3 基本方針1") :]  # the heading, not the contents
    body = body[: body.rindex("7 用語解説")]
    out: dict[str, str] = {}
    for chunk in re.split(r"\n(?=取組\t)", body)[1:]:
        first = chunk.split("\n", 1)[0]
        (iid,) = re.findall(r"\t(\d-\d+)\b", first)
        out[iid] = chunk
    return out


def prose(block: str) -> str:
    """Title, 取組内容 and 期待効果 of a block (everything before the schedule table)."""
    return block[: block.index("年度毎の取組")]


def glossary_rows(plan_text: str) -> list[dict[str, object]]:
    """The 用語解説 table parsed independently of the YAML: headword, definition, pages."""
    table = plan_text[plan_text.index("\t用語\t解説\t頁") :].split("\n")[1:]
    rows: list[dict[str, object]] = []
    for line in table:
        cells = line.split("\t")
        filled = [c.strip() for c in cells if c.strip()]
        if not filled:
            continue
        if filled[0].startswith("伊勢原市 ICT 推進計画【改定版】"):
            break
        if len(filled) == 1:  # definition continued after a page break
            rows[-1]["definition"] += filled[0]
            continue
        if re.fullmatch(r".\s行|A \(\)|", cells[0]):
            cells = cells[1:]
        head = re.sub(r"\s*\(.*\)\s*$", "", cells[0])
        rows.append(
            {
                "headword": squeeze(head),
                "definition": cells[1].strip(),
                "pages": [int(p) for p in cells[2].split()],
            }
        )
    return rows


def printed(value: object, unit: str) -> str:
    """An indicator value as the plan prints it: 17178 + 件 -> '17,178件'."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return f"{number}{unit}"


# --- structure ------------------------------------------------------------------------------


def test_counts_and_ids(plan: Plan) -> None:
    assert [i.id for i in sorted(plan.initiatives, key=lambda i: i.sort_key)] == IDS
    assert [i.id for i in plan.initiatives] == IDS  # file order is plan order
    assert len(plan.terms) == 40
    assert len(plan.policies) == 4
    assert [len(plan.initiatives_of(n)) for n in (1, 2, 3, 4)] == [12, 6, 11, 5]


def test_every_initiative_is_complete(plan: Plan) -> None:
    for ini in plan.initiatives:
        assert ini.departments, ini.id
        assert ini.schedule, ini.id
        assert ini.indicators, ini.id
        assert 3 <= len(ini.keywords) <= 10, ini.id
        for row in ini.schedule:
            assert set(row.by_year) == set(YEARS), (ini.id, row.item)
        for ind in ini.indicators:
            assert set(ind.values) == set(YEARS), (ini.id, ind.name)
        for text in (ini.title, ini.content, ini.effect):
            assert "※" not in text and "<p>" not in text and "<li>" not in text, ini.id
            assert "[" not in text, ini.id  # department lists live in `departments`


def test_keywords_are_distinct_across_initiatives(plan: Plan) -> None:
    counts = Counter(k for ini in plan.initiatives for k in ini.keywords)
    assert [k for k, n in counts.items() if n > 1] == []


# --- explicit expected values ---------------------------------------------------------------

FIGURES = [
    # id, indicator, year, value, as printed in the plan
    ("1-1", "オンライン手続き数", "R4", 104, "104手続き"),
    ("1-1", "オンライン申請数", "R4", 17178, "17,178件"),
    ("1-1", "オンライン申請数", "R7", 22000, "22,000件"),
    ("1-2", "マイナンバーカードの交付率", "R4", 64.8, "64.8%"),
    ("1-2", "マイナンバーカードの交付率", "R7", 100, "100%"),
    ("1-5", "公式LINE友達登録数（累計）", "R4", 9005, "9,005人"),
    ("1-5", "公式LINE友達登録数（累計）", "R7", 20000, "20,000人"),
    ("1-8", "公開GISのアクセス数（年間）", "R4", 16064, "16,064件"),
    ("1-9", "地方税統一QRコード対応の税目数（累計）", "R5", 2, "2税目"),
    ("2-1", "AI活用による業務削減時間 (年間)", "R7", 500, "500時間"),
    ("2-2", "RPA活用による業務削減時間 (年間)", "R4", 1179, "1,179時間"),
    ("2-4", "活用業務数 (累計)", "R7", 40, "40業務"),
    ("3-3", "オープンデータ公開件数 (累計)", "R7", 100, "100件"),
    ("3-9", "クラウド型カメラの設置箇所数", "R6", "8箇所 (17箇所中)", "8箇所 (17箇所中)"),
    ("3-10", "MCA無線機数", "R7", 115, "115台"),
    ("4-1", "ICT講座の参加者数", "R7", 400, "400人"),
    ("4-2", "システム監査実施率", "R4", 70, "70%"),
    ("4-3", "デジタル化研修対象者の受講率", "R7", 100, "100%"),
]


def indicator(ini: Initiative, name: str) -> Indicator:
    return next(i for i in ini.indicators if i.name == name)


@pytest.mark.parametrize(("iid", "name", "year", "value", "shown"), FIGURES)
def test_figures(plan: Plan, iid: str, name: str, year: str, value: object, shown: str) -> None:
    ind = indicator(plan.initiative_by_id[iid], name)
    assert ind.values[year] == value
    assert ind.display(year) == shown


def test_figures_are_printed_in_their_initiative(plan_text: str) -> None:
    bl = blocks(plan_text)
    for iid, _name, _year, _value, shown in FIGURES:
        assert shown in bl[iid], (iid, shown)


def test_unknown_cells_stay_unknown(plan: Plan) -> None:
    by = plan.initiative_by_id
    grades = indicator(by["3-2"], "デジタル技術を活用した授業割合")
    assert grades.values == {"R4": 60, "R5": 65, "R6": 70, "R7": None}
    assert grades.display("R7") == "不明"
    assert indicator(by["1-1"], "オンライン手続き数").values["R7"] is None
    assert indicator(by["2-2"], "RPA活用業務数").values["R7"] is None
    assert indicator(by["1-3"], "一元的相談窓口の設置").values == {
        "R4": None,
        "R5": "完了",
        "R6": None,
        "R7": None,
    }
    assert indicator(by["1-9"], "地方税統一QRコード対応の税目数（累計）").values["R4"] == "-"


def test_every_indicator_value_is_printed_in_its_initiative(plan: Plan, plan_text: str) -> None:
    bl = blocks(plan_text)
    for ini in plan.initiatives:
        table = squeeze(bl[ini.id])
        for ind in ini.indicators:
            for year, value in ind.values.items():
                if value is None:
                    continue
                assert squeeze(printed(value, ind.unit)) in table, (ini.id, ind.name, year)


SCHEDULES = [
    ("1-3", "多言語対応の相談窓口を設置", {"R4": "検討", "R5": "実施", "R6": "継続", "R7": None}),
    ("1-9", "地方税統一QRコードの導入", {"R4": "検討", "R5": "導入", "R6": "拡大", "R7": "継続"}),
    (
        "1-10",
        "施設使用料のキャッシュレス化",
        {"R4": "調査・研究", "R5": None, "R6": "方針決定", "R7": "実証実験"},
    ),
    ("1-12", "電子契約の実現", {"R4": None, "R5": "検討", "R6": "試行", "R7": "導入"}),
    ("3-8", "デジタルミュージアムの整備", {"R4": "-", "R5": None, "R6": None, "R7": "開設"}),
]


@pytest.mark.parametrize(("iid", "item", "expected"), SCHEDULES)
def test_schedules(plan: Plan, iid: str, item: str, expected: dict[str, str | None]) -> None:
    row = next(r for r in plan.initiative_by_id[iid].schedule if r.item == item)
    assert row.by_year == expected


def test_schedule_cells_are_printed_in_their_initiative(plan: Plan, plan_text: str) -> None:
    bl = blocks(plan_text)
    for ini in plan.initiatives:
        table = squeeze(bl[ini.id][bl[ini.id].index("年度毎の取組") :])
        for row in ini.schedule:
            assert squeeze(row.item) in table, (ini.id, row.item)
            for value in row.by_year.values():
                for part in (value or "").split("／"):
                    assert squeeze(part) in table, (ini.id, row.item, part)


# --- titles, marks, prose, departments ------------------------------------------------------


def test_marks(plan: Plan) -> None:
    by = plan.initiative_by_id
    assert by["1-1"].dx_priority and not by["1-1"].new
    assert not by["1-5"].dx_priority and not by["1-5"].new
    assert by["1-9"].new and not by["1-9"].dx_priority
    assert by["1-12"].new and by["1-12"].dx_priority
    assert by["4-4"].new and not by["4-4"].dx_priority
    assert by["3-9"].title == "防犯カメラのクラウド化"
    assert sum(i.dx_priority for i in plan.initiatives) == 23
    assert sum(i.new for i in plan.initiatives) == 16


def test_titles_and_marks_match_the_list(plan: Plan, plan_text: str) -> None:
    listing = dict(re.findall(r"^(\d-\d+)\t(.+)$", plan_text, flags=re.M))
    assert sorted(listing, key=lambda k: tuple(map(int, k.split("-")))) == IDS
    for ini in plan.initiatives:
        raw = listing[ini.id]
        assert ini.dx_priority == ("☆" in raw), ini.id
        assert ini.new == raw.startswith("【新】"), ini.id
        title = re.sub(r"☆|【新】|※|\*", "", raw).strip()
        assert ini.title == title, ini.id


def test_prose_is_the_plans_text(plan: Plan, plan_text: str) -> None:
    bl = blocks(plan_text)
    fixed = {"即時": "即时"}  # 1-6: the extraction's simplified-Chinese glyph, corrected
    for ini in plan.initiatives:
        source = squeeze(prose(bl[ini.id]).replace("※", "").replace("[]", ""))
        source = re.sub(r"\[※\]", "", source)
        for line in (ini.content + "\n" + ini.effect).split("\n"):
            # list items carry their departments as （…）; the plan prints them as [ … ]
            line = re.sub(r"（([^）]*課[^）]*|選挙管理委員会|教育センター)）$", r"[\1]", line)
            for a, b in fixed.items():
                line = line.replace(a, b)
            assert squeeze(line) in source, (ini.id, line)


def test_departments_are_the_bracketed_lists(plan: Plan, plan_text: str) -> None:
    bl = blocks(plan_text)
    for ini in plan.initiatives:
        named: list[str] = []
        for group in re.findall(r"\[([^\]※]+)\]", prose(bl[ini.id])):
            for dep in group.split("、"):
                if dep.strip() not in named:
                    named.append(dep.strip())
        assert list(ini.departments) == named, ini.id
    by = plan.initiative_by_id
    assert by["1-12"].departments == ("管財契約検査課 契約検査担当",)
    assert by["1-1"].departments[:2] == ("子育て支援課", "子ども育成課")
    assert "・子育て関連手続き（子育て支援課、子ども育成課）" in by["1-1"].content.split("\n")


# --- glossary -------------------------------------------------------------------------------


def test_glossary_matches_the_plan(plan: Plan, plan_text: str) -> None:
    rows = glossary_rows(plan_text)
    assert len(rows) == 40
    assert [t.headword for t in plan.terms] == [r["headword"] for r in rows]
    for term, row in zip(plan.terms, rows, strict=True):
        assert squeeze(term.definition) == squeeze(str(row["definition"])), term.headword
        assert list(term.pages) == row["pages"], term.headword


def test_glossary_samples(plan: Plan) -> None:
    terms = plan.term_by_headword
    assert terms["マイナンバーカード"].aliases[0] == "個人番号カード"
    assert terms["マイナンバーカード"].reading == "まいなんばーかーど"
    assert terms["マイナンバーカード"].pages == (2, 5, 6)
    assert terms["新しい生活様式"].pages == (1, 8, 10, 11)
    assert terms["DX"].pages == (1, 3, 18, 24, 25)
    assert "デジタルトランスフォーメーション" in terms["DX"].aliases
    assert "e-KANAGAWA" in terms["神奈川県市町村電子自治体共同運営サービス"].aliases
    assert "市町村官民データ活用推進基本計画" in terms["市町村官民データ活用推進計画"].aliases
    assert terms["官民データ活用推進基本法"].definition.endswith(
        "快適な生活環境の実現に寄与することを目的に策定されました。"
    )
    assert terms["官民データ活用推進基本法"].initiatives == ()
    assert terms["AI-OCR"].definition.endswith("にAIを活用することです。")
    for term in plan.terms:
        assert term.reading and re.fullmatch(r"[ぁ-んー]+", term.reading), term.headword
        assert " " not in term.headword


def test_aliases_map_to_one_headword(plan: Plan) -> None:
    """The answer engine treats aliases as synonyms of their headword; one target each."""
    target: dict[str, str] = {}
    for group in plan.synonyms:
        for v in group.variants:
            assert target.setdefault(v, group.canonical) == group.canonical, v
    for term in plan.terms:
        for alias in term.aliases:
            assert target.setdefault(alias, term.headword) in (term.headword, alias), alias
    canonicals = {g.canonical for g in plan.synonyms}
    assert not canonicals & set(target) - {a for t in plan.terms for a in t.aliases}


# --- term <-> initiative links --------------------------------------------------------------


def test_links_are_consistent_both_ways(plan: Plan) -> None:
    from_inis = {(t, i.id) for i in plan.initiatives for t in i.terms}
    from_terms = {(t.headword, i) for t in plan.terms for i in t.initiatives}
    assert from_inis == from_terms
    assert plan.term_by_headword["住民情報システム"].initiatives == ("2-1", "2-3")
    assert plan.initiative_by_id["2-3"].terms == ("住民情報システム", "福祉総合システム", "BPR")
    assert plan.initiative_by_id["1-2"].terms == ("マイナンバーカード",)


def test_every_mark_maps_to_a_term(plan: Plan, plan_text: str) -> None:
    bl = blocks(plan_text)
    for ini in plan.initiatives:
        text = prose(bl[ini.id]).replace(" [※]", "※")
        names = {name: t for t in ini.terms for name in (t, *plan.term_by_headword[t].aliases)}
        used: set[str] = set()
        for m in re.finditer("※", text):
            before = text[: m.start()]
            hits = [t for name, t in names.items() if before.endswith(name)]
            if not hits:
                assert any(before.endswith(w) for w in UNGLOSSED_MARKS), (ini.id, before[-12:])
                continue
            used.update(hits)
        assert used == set(ini.terms), ini.id


# --- synonyms -------------------------------------------------------------------------------


def test_synonyms(plan: Plan, plan_text: str) -> None:
    assert 40 <= len(plan.synonyms) <= 100
    variants = Counter(v for g in plan.synonyms for v in g.variants)
    assert [v for v, n in variants.items() if n > 1] == []
    canonicals = [g.canonical for g in plan.synonyms]
    assert len(set(canonicals)) == len(canonicals)
    assert not set(canonicals) & set(variants)
    groups = {g.canonical: set(g.variants) for g in plan.synonyms}
    assert {"マイナカード", "個人番号カード"} <= groups["マイナンバーカード"]
    assert {"スマホ", "すまほ"} <= groups["スマートフォン"]
    assert "ライン" in groups["LINE"]
    squeezed = squeeze(plan_text)
    for canonical in canonicals:
        assert squeeze(canonical) in squeezed, canonical


# --- error messages -------------------------------------------------------------------------


def broken_copy(tmp_path: Path, name: str, edit: Callable[[dict], None]) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    path = target / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def test_error_names_file_and_bad_id(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["initiatives"][3]["id"] = "1-99x"

    with pytest.raises(ContentError) as exc:
        load_plan(broken_copy(tmp_path, "initiatives.yaml", edit))
    assert "initiatives.yaml" in str(exc.value)
    assert "1-99x" in str(exc.value)


def test_error_names_file_and_entry_without_title(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        entry = next(i for i in data["initiatives"] if i["id"] == "2-3")
        del entry["title"]

    with pytest.raises(ContentError) as exc:
        load_plan(broken_copy(tmp_path, "initiatives.yaml", edit))
    assert "initiatives.yaml" in str(exc.value)
    assert "id=2-3" in str(exc.value)
    assert "title" in str(exc.value)


def test_error_names_file_and_term(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["terms"][5]["definition"] = ""

    with pytest.raises(ContentError) as exc:
        load_plan(broken_copy(tmp_path, "glossary.yaml", edit))
    assert "glossary.yaml" in str(exc.value)
    assert "headword=オンライン相談" in str(exc.value)


def test_cross_check_error_names_file_and_entry(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        entry = next(i for i in data["initiatives"] if i["id"] == "1-2")
        entry["terms"] = ["存在しない用語"]

    with pytest.raises(ContentError) as exc:
        load_plan(broken_copy(tmp_path, "initiatives.yaml", edit))
    assert "initiatives.yaml" in str(exc.value)
    assert "1-2" in str(exc.value) and "存在しない用語" in str(exc.value)
