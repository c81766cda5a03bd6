"""The plan's friend-count targets as data: read from the plan, fiscal-year arithmetic, and
revisable (a later plan's targets are picked up; a broken file is refused, naming the entry)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR, ContentError, load_plan
from bot.friendcount.targets import fiscal_end, fiscal_key_of, load_targets

REPO = Path(__file__).resolve().parents[2]
PLAN_NAME = "000_ea242bac5a20fb20.txt"
PLAN_TEXT = next(
    (
        p
        for p in (
            REPO.parent / "shared" / "plan" / PLAN_NAME,
            Path("/work/shared/plan") / PLAN_NAME,
        )
        if p.is_file()
    ),
    None,
)


def test_targets_are_the_plans_figures_for_initiative_1_5():
    targets = load_targets()
    assert [(t.fiscal_year, t.followers, t.deadline) for t in targets.targets] == [
        ("R5", 12_000, date(2024, 3, 31)),
        ("R6", 16_000, date(2025, 3, 31)),
        ("R7", 20_000, date(2026, 3, 31)),
    ]
    assert (targets.baseline.date, targets.baseline.followers) == (date(2023, 2, 28), 9_005)
    indicator = next(
        i for i in load_plan().initiative_by_id["1-5"].indicators if i.name == targets.indicator
    )
    assert indicator.values == {"R4": 9005, "R5": 12000, "R6": 16000, "R7": 20000}


@pytest.mark.skipif(PLAN_TEXT is None, reason="the plan text is not beside the repository")
def test_targets_match_the_plan_text():
    assert PLAN_TEXT is not None
    line = next(
        ln
        for ln in PLAN_TEXT.read_text(encoding="utf-8").splitlines()
        if "公式LINE友達登録数" in ln
    )
    figures = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+)人", line)]
    targets = load_targets()
    assert figures == [targets.baseline.followers] + [t.followers for t in targets.targets]


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2024, 3, 31), "R5"),
        (date(2024, 4, 1), "R6"),
        (date(2025, 3, 31), "R6"),
        (date(2026, 3, 31), "R7"),
        (date(2026, 4, 1), "R8"),
        (date(2026, 12, 2), "R8"),
        (date(2027, 1, 1), "R8"),
    ],
)
def test_fiscal_year_boundaries(day, key):
    assert fiscal_key_of(day) == key
    assert fiscal_end(key) >= day


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 12, 1), 12_000),
        (date(2024, 3, 31), 12_000),  # the deadline day itself is still 令和5年度
        (date(2024, 4, 1), 16_000),
        (date(2026, 3, 31), 20_000),
        (date(2026, 4, 1), 20_000),  # every deadline past: the plan's last target
        (date(2026, 12, 2), 20_000),
    ],
)
def test_current_target_follows_the_fiscal_year(today, expected):
    targets = load_targets()
    assert targets.current(today).followers == expected
    assert targets.all_past(today) == (today > date(2026, 3, 31))


def _copy_content(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    with (folder / "targets.yaml").open("a", encoding="utf-8") as f:
        f.write(extra)
    return folder


def test_a_later_plans_targets_are_picked_up(tmp_path):
    folder = _copy_content(
        tmp_path,
        "  - fiscal_year: R8\n    followers: 23000\n  - fiscal_year: R9\n    followers: 26000\n",
    )
    targets = load_targets(folder)
    assert targets.current(date(2026, 12, 2)).followers == 23_000
    assert targets.current(date(2027, 4, 1)).followers == 26_000
    assert not targets.all_past(date(2026, 12, 2))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  - fiscal_year: R7\n    followers: 21000\n", "duplicate fiscal years"),
        ("  - fiscal_year: R4\n    followers: 10000\n", "fiscal-year order"),
        ("  - fiscal_year: FY2027\n    followers: 10000\n", "must look like 'R7'"),
        ("  - fiscal_year: R8\n    followers: -5\n", "greater than 0"),
    ],
)
def test_a_broken_targets_file_is_refused_with_the_reason(tmp_path, extra, message):
    with pytest.raises(ContentError) as err:
        load_targets(_copy_content(tmp_path, extra))
    assert "targets.yaml" in str(err.value)
    assert message in str(err.value)
