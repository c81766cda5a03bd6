"""Every reply the Renderer builds is valid for LINE and shows what a citizen needs.

Each rendered message list is wrapped as a reply request and checked against LINE's OpenAPI
spec and documented limits (simulator.validation), for every initiative and every term of
the real content, plus a synthetic "stress" plan with the longest titles and tables.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from linebot.v3.messaging import Message

from bot.content import ContentError, Plan, load_plan, load_replies
from bot.postback import (
    BrowsePolicies,
    BrowsePolicy,
    ShowInitiative,
    ShowInitiativeFull,
    ShowTerm,
    unpack,
)
from bot.replies import Renderer, label, shorten, summarize, utf16_len

try:
    from simulator.validation import validate_request
except ImportError:  # pragma: no cover - the simulator ships with the repo
    validate_request = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[2]
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
PHONE = re.compile(r"\d{2,5}-\d{2,4}-\d{3,4}")


def _load_real() -> tuple[Renderer | None, str]:
    try:
        return Renderer(load_plan(), load_replies()), ""
    except ContentError as e:
        return None, f"content is not complete yet: {e}"


REAL, WHY_NOT = _load_real()
REAL_INITIATIVES = [i.id for i in REAL.plan.initiatives] if REAL else []
REAL_TERMS = [t.headword for t in REAL.plan.terms] if REAL else []


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    if REAL is None:
        pytest.skip(WHY_NOT)
    return REAL


@pytest.fixture(scope="module")
def stress() -> Renderer:
    """A plan with the worst cases: 12 long-titled initiatives in one policy, 5 indicators
    with unknown values, many schedule rows, 15 long glossary terms."""
    return Renderer(Plan.model_validate(_stress_plan()), load_replies())


def _stress_plan() -> dict[str, Any]:
    long_title = "とても長い取組名の例として市民サービスの利便性向上を図るための取組"
    terms = [
        {
            "headword": f"用語{n:02d}非常に長い見出し語で二十文字を超えるもの:記号%",
            "aliases": ["別名A", "別名B"],
            "definition": "説明。" * 50,
            "pages": [2, 5, 6],
            "initiatives": [f"1-{k}" for k in range(1, 13)],
        }
        for n in range(15)
    ]
    initiatives = []
    for k in range(1, 13):
        initiatives.append(
            {
                "id": f"1-{k}",
                "policy": 1,
                "title": f"{long_title}{k}",
                "dx_priority": True,
                "new": k % 2 == 0,
                "content": "取組内容の文です。" * 60,
                "effect": "期待効果の文です。" * 30,
                "departments": ["情報政策課", "広報戦略課", "人権・広聴相談課", "市民課"],
                "schedule": [
                    {"item": f"スケジュール項目{r}の説明文", "by_year": {"R5": "実施", "R6": None}}
                    for r in range(12)
                ],
                "indicators": [
                    {
                        "name": f"とても長い指標名の例{x}（累計・年度末時点）",
                        "unit": "件",
                        "values": {"R4": 17178, "R5": None, "R6": "-", "R7": 22000},
                    }
                    for x in range(5)
                ],
                "terms": [t["headword"] for t in terms],
            }
        )
    initiatives.append(_minimal("2-1", 2))
    return {
        "title": "伊勢原市 ICT 推進計画【改定版】アクションプラン",
        "period": "令和5年度～令和7年度",
        "contact": {"department": "伊勢原市 情報政策課", "phone": "0463-94-4550", "email": "x@y"},
        "policies": [{"number": 1, "title": "方針一"}, {"number": 2, "title": "方針二"}],
        "initiatives": initiatives,
        "terms": terms,
    }


def _minimal(id_: str, policy: int) -> dict[str, Any]:
    return {
        "id": id_,
        "policy": policy,
        "title": "最小の取組",
        "content": "内容。",
        "effect": "効果。",
        "departments": ["情報政策課"],
    }


# ----------------------------------------------------------------------------- helpers


def check(messages: list[Message]) -> list[dict[str, Any]]:
    """Assert the messages are a valid LINE reply within every limit; return them as dicts."""
    assert 1 <= len(messages) <= 5
    dicts = [m.to_dict() for m in messages]
    if validate_request is None:
        pytest.skip("simulator.validation is not available")
    problems = validate_request(
        "POST", "/v2/bot/message/reply", {"replyToken": "x", "messages": dicts}
    )
    assert problems == [], json.dumps(dicts, ensure_ascii=False)[:2000]
    for m in dicts:
        if m["type"] == "text":
            assert utf16_len(m["text"]) <= 5000
        if m["type"] == "flex":
            assert utf16_len(m["altText"]) <= 1500
            bubbles = m["contents"].get("contents", [m["contents"]])
            assert len(bubbles) <= 12
            for b in bubbles:
                size = len(json.dumps(b, ensure_ascii=False, separators=(",", ":")).encode())
                assert size <= 30 * 1024
        items = (m.get("quickReply") or {}).get("items", [])
        assert len(items) <= 13
        for item in items:
            assert 1 <= len(item["action"]["label"]) <= 20
    for action in actions(dicts):
        if action["type"] == "postback":
            assert len(action["data"]) <= 300
            unpack(action["data"])  # every button carries data the bot understands
            assert len(action.get("displayText", "")) <= 300
    return dicts


def actions(value: Any) -> list[dict[str, Any]]:
    """Every action object anywhere in the JSON (buttons, tappable rows, quick replies)."""
    found = []
    if isinstance(value, dict):
        kind = value.get("type")
        if (kind == "postback" and "data" in value) or (kind == "message" and "text" in value):
            found.append(value)
        for v in value.values():
            found += actions(v)
    elif isinstance(value, list):
        for v in value:
            found += actions(v)
    return found


def quick_labels(dicts: list[dict[str, Any]]) -> list[str]:
    return [i["action"]["label"] for i in dicts[-1].get("quickReply", {}).get("items", [])]


def quick_data(dicts: list[dict[str, Any]]) -> list[str]:
    items = dicts[-1].get("quickReply", {}).get("items", [])
    return [i["action"].get("data", "") for i in items]


def texts(value: Any) -> str:
    """All visible text in a message JSON (Flex text components, text messages, altText)."""
    if isinstance(value, dict):
        own = [str(value[k]) for k in ("text", "altText") if isinstance(value.get(k), str)]
        return "\n".join(own + [texts(v) for v in value.values()])
    if isinstance(value, list):
        return "\n".join(texts(v) for v in value)
    return ""


def flex_texts(dicts: list[dict[str, Any]]) -> str:
    """Text shown inside Flex bubbles only (not the altText)."""
    return "\n".join(texts(m["contents"]) for m in dicts if m["type"] == "flex")


@dataclass(frozen=True)
class FakeMatch:
    kind: str
    id: str
    title: str
    score: float = 1.0


@dataclass(frozen=True)
class FakeResult:
    intent: str
    matches: tuple[FakeMatch, ...] = ()
    topic: str | None = None
    question: str = "q"


# ----------------------------------------------------------------------------- helpers' rules


def test_label_fits_twenty_characters() -> None:
    assert label("計画の一覧") == "計画の一覧"
    long = label("市LINE公式アカウントの活用の推進についての長い説明")
    assert len(long) == 20 and long.endswith("…")
    assert label("  改行\nを  含む ") == "改行 を 含む"
    assert utf16_len(label("🍎" * 30)) <= 20  # emoji count twice in UTF-16


def test_shorten_and_summarize() -> None:
    assert shorten("abc", 3) == "abc"
    assert shorten("abcdef", 4) == "abc…"
    text = "最初の文です。" * 3 + "二番目の長い文が続きます" * 10
    assert summarize(text, 40).endswith("。…")
    assert len(summarize("あ" * 200, 50)) == 50


@pytest.mark.parametrize(
    "path", sorted((REPO / "bot" / "replies").glob("*.py")), ids=lambda p: p.name
)
def test_python_holds_no_japanese_prose(path: Path) -> None:
    """Wording lives in content/replies*.yaml; the bot/replies modules only arrange it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    literals = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]
    assert [s for s in literals if JAPANESE.search(s)] == []


# ----------------------------------------------------------------------------- real content


@pytest.mark.parametrize("ini_id", REAL_INITIATIVES)
def test_every_initiative_card_is_valid_and_complete(renderer: Renderer, ini_id: str) -> None:
    ini = renderer.plan.initiative_by_id[ini_id]
    dicts = check(renderer.initiative(ini))
    card = flex_texts(dicts)
    assert ini.title in card
    assert f"取組 {ini.id}" in card
    assert f"基本方針{ini.policy}" in card
    for dept in ini.departments:
        assert dept in card
    for ind in ini.indicators:
        assert ind.name in card
        for key in renderer.years:
            assert ind.display(key) in card
    for row in ini.schedule:
        assert row.item in card
    if ini.dx_priority:
        assert "☆" in card
    if ini.new:
        assert "【新】" in card
    # the full text is reachable: in the altText (shortened) and by the footer button
    alt = dicts[0]["altText"]
    full = renderer.initiative_text(ini)
    assert alt == full or (alt.endswith("…") and full.startswith(alt[:-1].rstrip()))
    assert ShowInitiativeFull(ini.id).pack() in [a.get("data") for a in actions(dicts[0])]
    data = quick_data(dicts)
    assert BrowsePolicies().pack() in data
    for headword in ini.terms[:8]:
        assert ShowTerm(headword).pack() in data


@pytest.mark.parametrize("ini_id", REAL_INITIATIVES)
def test_every_initiative_full_text(renderer: Renderer, ini_id: str) -> None:
    ini = renderer.plan.initiative_by_id[ini_id]
    dicts = check(renderer.initiative_full(ini))
    text = renderer.initiative_text(ini)
    assert dicts[0]["text"] == text  # never shortened: every initiative fits 5,000
    for part in (ini.title, ini.content.strip(), ini.effect.strip(), renderer.plan.title):
        assert part in text
    for dept in ini.departments:
        assert dept in text
    for ind in ini.indicators:
        assert ind.name in text
        assert "令和4年度（2月末時点）" in text
        for key in renderer.years:
            assert f"{renderer.year_label(key)}：{ind.display(key)}" in text
    for row in ini.schedule:
        assert row.item in text
        for value in row.by_year.values():
            if value is not None:
                assert value in text


@pytest.mark.parametrize("headword", REAL_TERMS)
def test_every_term_is_valid_and_complete(renderer: Renderer, headword: str) -> None:
    term = renderer.plan.term_by_headword[headword]
    dicts = check(renderer.term(term))
    text = dicts[0]["text"]
    assert text == renderer.term_text(term)
    assert headword in text and term.definition.strip() in text
    for alias in term.aliases:
        assert alias in text
    if term.pages:
        assert "計画書 p." + ", ".join(map(str, term.pages)) in text
    data = quick_data(dicts)
    for ini_id in term.initiatives[:12]:
        assert ShowInitiative(ini_id).pack() in data
        assert ini_id in text
    assert data[-1] == BrowsePolicies().pack()


def test_initiative_1_1_shows_its_figures(renderer: Renderer) -> None:
    ini = renderer.plan.initiative_by_id.get("1-1")
    if ini is None:
        pytest.skip("1-1 not transcribed yet")
    card = flex_texts(check(renderer.initiative(ini)))
    text = renderer.initiative_text(ini)
    for figure in ("17,178件", "22,000件"):
        assert figure in card and figure in text


def test_initiative_1_5_line_friends(renderer: Renderer) -> None:
    ini = renderer.plan.initiative_by_id["1-5"]
    text = renderer.initiative_text(ini)
    for figure in ("9,005人", "12,000人", "16,000人", "20,000人"):
        assert figure in text
    assert "令和4年度（2月末時点）：9,005人" in text
    assert "令和7年度：20,000人" in text


def test_unknown_values_show_as_unknown(renderer: Renderer) -> None:
    with_null = [
        (i, ind)
        for i in renderer.plan.initiatives
        for ind in i.indicators
        for k in renderer.years
        if ind.values.get(k) is None  # type: ignore[call-overload]
    ]
    if not with_null:
        pytest.skip("no unknown indicator value in the content")
    ini = with_null[0][0]
    assert "不明" in flex_texts(check(renderer.initiative(ini)))
    assert "不明" in renderer.initiative_text(ini)


def test_neighbours_in_quick_replies(renderer: Renderer) -> None:
    for policy in renderer.plan.policies:
        inis = renderer.plan.initiatives_of(policy.number)
        for a, b in itertools.pairwise(inis):
            assert ShowInitiative(b.id).pack() in quick_data(check(renderer.initiative(a)))
            assert ShowInitiative(a.id).pack() in quick_data(check(renderer.initiative(b)))
            labels = quick_labels(check(renderer.initiative(b)))
            assert any(lb.startswith(f"← {a.id} ") for lb in labels)


def test_browse_policies_and_each_policy(renderer: Renderer) -> None:
    dicts = check(renderer.browse_policies())
    carousel = dicts[0]["contents"]
    assert carousel["type"] == "carousel"
    assert len(carousel["contents"]) == len(renderer.plan.policies)
    for p in renderer.plan.policies:
        assert p.title in flex_texts(dicts)
        assert BrowsePolicy(p.number).pack() in quick_data(dicts)
        one = check(renderer.browse_policy(p.number))
        data = [a.get("data") for a in actions(one[0]["contents"])]
        for ini in renderer.plan.initiatives_of(p.number):
            assert ShowInitiative(ini.id).pack() in data
            assert ini.title in flex_texts(one)
            assert ini.id in one[0]["altText"]


def test_candidates(renderer: Renderer) -> None:
    ini = renderer.plan.initiatives[0]
    term = renderer.plan.terms[0]
    matches = [
        FakeMatch("initiative", ini.id, ini.title),
        FakeMatch("term", term.headword, term.headword),
        FakeMatch("initiative", "9-9", "no such"),
    ]
    dicts = check(renderer.candidates(matches))
    text = dicts[0]["text"]
    assert text.startswith("もしかして、次のどれかですか？")
    assert ini.title in text and term.headword in text
    data = quick_data(dicts)
    assert data == [ShowInitiative(ini.id).pack(), ShowTerm(term.headword).pack(), "pols"]
    many = [FakeMatch("initiative", i.id, i.title) for i in renderer.plan.initiatives[:6]]
    assert len(quick_data(check(renderer.candidates(many)))) == 4  # 3 candidates + 一覧
    assert check(renderer.candidates([])) == check(renderer.fallback())


def test_fallback_is_honest_and_gives_the_contact(renderer: Renderer) -> None:
    dicts = check(renderer.fallback())
    text = dicts[0]["text"]
    assert "見つかりませんでした" in text
    assert f"{len(renderer.plan.initiatives)}の取組" in text
    assert f"{len(renderer.plan.terms)}の用語" in text
    for key in ("department", "phone", "email"):
        assert renderer.plan.contact[key] in text
    assert "pols" in quick_data(dicts)
    kinds = {i["action"]["type"] for i in dicts[0]["quickReply"]["items"]}
    assert "message" in kinds  # example questions to tap


def test_offtopic_declines_without_invented_numbers(renderer: Renderer) -> None:
    for topic in (None, "weather", "garbage"):
        text = check(renderer.offtopic(topic))[0]["text"]
        assert "市のホームページ" in text and "担当課" in text
        assert renderer.plan.contact["phone"] in text
        assert set(PHONE.findall(text)) == {renderer.plan.contact["phone"]}


@pytest.mark.parametrize(
    "name",
    [
        "greeting",
        "thanks",
        "empty",
        "fallback",
        "offtopic",
        "ask",
        "contact",
        "help",
        "media",
        "location",
        "error",
        "not_found",
        "browse_policies",
    ],
)
def test_simple_replies_are_valid_and_never_invent_numbers(renderer: Renderer, name: str) -> None:
    dicts = check(getattr(renderer, name)())
    assert set(PHONE.findall(texts(dicts))) <= {renderer.plan.contact["phone"]}
    if name not in {"error"}:
        assert quick_labels(dicts), f"{name} offers something to tap"


def test_welcome(renderer: Renderer) -> None:
    named = check(renderer.welcome("伊勢原 太郎"))
    assert named[0]["text"].startswith("伊勢原 太郎さん、友だち追加ありがとうございます。")
    anonymous = check(renderer.welcome(None))
    assert anonymous[0]["text"].startswith("友だち追加ありがとうございます。")
    assert quick_labels(anonymous) == [
        "質問の例",
        "計画の一覧",
        "配信設定",
        "お問い合わせ",
        "使い方",
    ]
    assert quick_data(anonymous)[:4] == ["menu:ask", "pols", "menu:settings", "menu:contact"]
    check(renderer.welcome("x" * 100 + "\n"))


@pytest.mark.parametrize("feature", ["settings", "reservation", "something-else"])
def test_not_available_yet_says_so(renderer: Renderer, feature: str) -> None:
    text = check(renderer.not_available_yet(feature))[0]["text"]
    assert "準備中" in text


def test_contact_lists_the_plan_contact(renderer: Renderer) -> None:
    text = check(renderer.contact())[0]["text"]
    for value in renderer.plan.contact.values():
        assert value in text


def test_every_example_question_is_short(renderer: Renderer) -> None:
    assert renderer.examples
    for example in renderer.examples:
        assert len(example) <= 20


# ----------------------------------------------------------------------------- worst cases


def test_stress_initiatives_stay_within_limits(stress: Renderer) -> None:
    for ini in stress.plan.initiatives:
        dicts = check(stress.initiative(ini))
        check(stress.initiative_full(ini))
        assert len(quick_labels(dicts)) <= 13
        card = flex_texts(dicts)
        unknown = stress.t("cell.unknown")
        assert unknown in card or not ini.indicators
        assert unknown in stress.initiative_text(ini) or not ini.schedule


def test_a_lost_cell_reads_the_same_on_the_card_and_in_the_full_text(renderer: Renderer) -> None:
    """One wording for a lost cell, and every schedule shows every planned year."""
    unknown = renderer.t("cell.unknown")
    ini = renderer.plan.initiative_by_id["1-1"]  # schedule: R4 拡大, R5-R7 lost
    card = flex_texts(check(renderer.initiative(ini)))
    full = renderer.initiative_text(ini)
    for year in ("令和5年度", "令和6年度", "令和7年度"):
        assert f"{year} {unknown}" in card
        assert f"{year}：{unknown}" in full
    for other in ("記載なし", "（記載なし）"):
        assert other not in card and other not in full


def test_stress_terms_and_browsing(stress: Renderer) -> None:
    for term in stress.plan.terms:
        dicts = check(stress.term(term))
        assert len(quick_labels(dicts)) == 13
    dicts = check(stress.browse_policy(1))
    rows = [a for a in actions(dicts[0]["contents"]) if a.get("data", "").startswith("ini:")]
    assert len(rows) == 12
    check(stress.browse_policies())
    check(stress.browse_policy(99))  # unknown policy: the list of policies instead


def test_neighbour_labels_are_shortened(stress: Renderer) -> None:
    ini = stress.plan.initiative_by_id["1-5"]
    labels = quick_labels(check(stress.initiative(ini)))
    assert labels[0].startswith("← 1-4 ") and labels[0].endswith("…")
    assert labels[1].startswith("1-6 ") and labels[1].endswith("→")
    assert all(len(lb) <= 20 for lb in labels)


# ----------------------------------------------------------------------------- answer first


def _result(ini_id: str, facet: str, **extra: Any) -> Any:
    from bot.answers import Match, Result
    from bot.answers.facets import Facets

    facets = Facets(
        facet=facet,
        year=extra.pop("year", None),
        nearmiss=extra.pop("nearmiss", None),
        safety=extra.pop("safety", False),
        english=extra.pop("english", False),
    )
    intent = extra.pop("intent", "answer")
    return Result("q", intent, (Match("initiative", ini_id, ini_id, 1.0),), facets=facets, **extra)


@pytest.mark.parametrize("ini_id", REAL_INITIATIVES)
def test_every_answer_first_reply_is_valid(renderer: Renderer, ini_id: str) -> None:
    """Every initiative × every facet × each indicator/row and a year outside the plan."""
    ini = renderer.plan.initiative_by_id[ini_id]
    cases = [dict(facet=f) for f in ("figure", "when", "department", "yesno")]
    cases += [dict(facet="figure", indicator=i, year="R6") for i in range(len(ini.indicators))]
    cases += [dict(facet="when", row=i, year="R5") for i in range(len(ini.schedule))]
    cases += [dict(facet="figure", year="R9", english=True), dict(facet="figure", year="baseline")]
    for case in cases:
        reply = check(renderer.answer(_result(ini_id, **case)))
        assert reply[0]["type"] == "text" and reply[-1]["type"] == "flex"
        assert len(reply[0]["text"]) <= 1000  # one or a few sentences, not the card again
        text = renderer.answer_text(_result(ini_id, **case))
        assert text.startswith(reply[0]["text"])  # `ask` opens with the same sentence


def test_figure_sentence_reads_the_plan_and_never_guesses(renderer: Renderer) -> None:
    # 1-1 オンライン手続き数: R5 110, R6 120, R7 lost
    lead = renderer.lead(_result("1-1", "figure", indicator=0, year="R5"))
    assert lead.startswith(
        "令和5年度の「オンライン手続き数」の目標は110手続きです（令和4年度2月末時点 104手続き）。"
    )
    lost = renderer.lead(_result("1-1", "figure", indicator=0))
    assert "令和7年度" in lost and renderer.t("cell.unknown") in lost
    assert "令和6年度の目標は120手続き" in lost
    # 3-4: "-" printed for R5 means no target that year
    assert "「-」" in renderer.lead(_result("3-4", "figure", indicator=0, year="R5"))
    # the baseline asked for: the value at planning time
    assert "64.8%" in renderer.lead(_result("1-2", "figure", indicator=0, year="baseline"))
    # a year after the plan: said, then the final target
    beyond = renderer.lead(_result("1-5", "figure", indicator=0, year="R9"))
    assert "令和9年度の目標は計画書にありません" in beyond and "20,000人" in beyond


@pytest.mark.parametrize(
    "kind", ["how", "bring", "where", "cost", "lost", "hours", "status", "procedure", "x"]
)
@pytest.mark.parametrize("safety", [False, True])
def test_every_near_miss_reply_is_valid_and_invents_no_number(
    renderer: Renderer, kind: str, safety: bool
) -> None:
    for ini_id in ("1-2", "1-7", "3-1", "4-2"):
        result = _result(ini_id, None, intent="nearmiss", nearmiss=kind, safety=safety)
        dicts = check(renderer.answer(result))
        text = dicts[0]["text"]
        assert "載っていません" in text and "担当は" in text
        assert set(PHONE.findall(text)) <= {renderer.plan.contact["phone"]}
        assert ShowInitiative(ini_id).pack() in quick_data(dicts)
