"""Holiday arrangements for years chinese-calendar does not cover: ``content/holidays/<year>.yaml``
(docs/content.md §7). Vectors count by hand from 2026-12-15 (Tue): with 2027-01-01 off the 20th
working day is 2027-01-13; with Saturday 2027-01-09 a make-up working day it is 2027-01-12.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.content.errors import ContentError
from generator.content.loader import load_content
from generator.content.workdays import (
    CalendarUnavailableError,
    is_workday,
    packaged,
    publication_deadline,
    use_local_years,
)
from generator.workflow.metrics import deadline_or_none

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
COMPLETED = dt.date(2026, 12, 15)
GOOD = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
days_off:
  - {name: 元旦, start: 2027-01-01, end: 2027-01-03}
  - name: 春节
    start: 2027-02-05
    end: 2027-02-13
workdays: [2027-01-09]
"""


@pytest.fixture(autouse=True)
def _no_local_years() -> Iterator[None]:
    use_local_years({})
    yield
    use_local_years({})


def _content(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "content"
    shutil.copytree(MINI, root)
    (root / "holidays").mkdir()
    for name, text in files.items():
        (root / "holidays" / name).write_text(text, "utf-8")
    return root


def test_2027_is_not_packaged_so_the_local_file_is_needed() -> None:
    assert packaged(2026)
    assert not packaged(2027)


def test_a_year_covered_by_neither_is_a_chinese_error_naming_the_file() -> None:
    with pytest.raises(CalendarUnavailableError) as info:
        publication_deadline(COMPLETED)
    message = str(info.value)
    assert "content/holidays/2027.yaml" in message
    assert "docs/content.md §7" in message
    assert deadline_or_none(COMPLETED) is None


def test_the_local_arrangement_gives_the_deadline(tmp_path: Path) -> None:
    load_content(_content(tmp_path, {"2027.yaml": GOOD}))
    assert not is_workday(dt.date(2027, 1, 1))
    assert is_workday(dt.date(2027, 1, 9))  # Saturday, 调休上班
    assert not is_workday(dt.date(2027, 2, 8))  # Monday in 春节
    assert not is_workday(dt.date(2027, 1, 16))  # an ordinary Saturday
    assert publication_deadline(COMPLETED) == dt.date(2027, 1, 12)
    assert deadline_or_none(COMPLETED) == dt.date(2027, 1, 12)


def test_without_the_make_up_day_the_deadline_moves(tmp_path: Path) -> None:
    load_content(_content(tmp_path, {"2027.yaml": GOOD.replace("workdays: [2027-01-09]\n", "")}))
    assert publication_deadline(COMPLETED) == dt.date(2027, 1, 13)


def test_loading_other_content_drops_the_arrangement(tmp_path: Path) -> None:
    load_content(_content(tmp_path / "a", {"2027.yaml": GOOD}))
    assert publication_deadline(COMPLETED) == dt.date(2027, 1, 12)
    load_content(_content(tmp_path / "b", {}))
    with pytest.raises(CalendarUnavailableError):
        publication_deadline(COMPLETED)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD.replace("year: 2027", "year: 2028"), "2027.yaml:1: year", "与文件名"),
        (GOOD.replace("[2027-01-09]", "[2027-01-08]"), "2027.yaml:8: workdays[0]", "周六或周日"),
        (GOOD.replace("[2027-01-09]", "[2027-01-02]"), "2027.yaml:8: workdays[0]", "同时列在"),
        (
            GOOD.replace("end: 2027-02-13", "end: 2027-02-01"),
            "2027.yaml:7: days_off[1].end",
            "早于",
        ),
        (
            GOOD.replace("start: 2027-01-01", "start: 2026-12-31"),
            "2027.yaml:4: days_off[0].start",
            "不在 2027 年内",
        ),
        (GOOD.replace("source:", "sauce:"), "2027.yaml:2: sauce", ""),
        (GOOD.replace("end: 2027-02-13", "end: 2027-02-30"), "2027.yaml:7: days_off[1].end", ""),
        ("year: 2027\n\tsource: x\n", "2027.yaml", "Tab"),
    ],
    ids=["year", "weekday", "both", "order", "other-year", "unknown-key", "no-such-day", "tab"],
)
def test_a_bad_file_is_a_located_error(tmp_path: Path, text: str, where: str, message: str) -> None:
    with pytest.raises(ContentError) as info:
        load_content(_content(tmp_path, {"2027.yaml": text}))
    joined = info.value.report()
    assert f"holidays/{where}" in joined, joined
    assert message in joined
    with pytest.raises(CalendarUnavailableError):
        publication_deadline(COMPLETED)


def test_a_packaged_year_is_never_overridden(tmp_path: Path) -> None:
    text = GOOD.replace("2027", "2026").replace("2026-01-09", "2026-01-10")
    _, problems = load_content(_content(tmp_path, {"2026.yaml": text}))
    assert any("已收录 2026 年" in str(p) for p in problems.warnings)
    assert not is_workday(dt.date(2026, 1, 10))  # the package's Saturday, not the file's


def test_status_and_metrics_say_how_to_supply_a_year(capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import _calendar_notes

    _calendar_notes(["1 条已公示结果的检查完成日期在 2026 年，节假日安排尚未收录"])
    out = capsys.readouterr().out
    assert out.startswith("注意：1 条")
    assert "content/holidays/<年份>.yaml" in out
    _calendar_notes([])
    assert capsys.readouterr().out == ""


def test_a_cached_content_load_installs_the_arrangement_too(tmp_path: Path) -> None:
    from generator.site.cache import load_content_cached

    root = _content(tmp_path, {"2027.yaml": GOOD})
    load_content_cached(root, tmp_path / "cache")  # a miss: load_content
    use_local_years({})  # a new process
    load_content_cached(root, tmp_path / "cache")  # a hit
    assert publication_deadline(COMPLETED) == dt.date(2027, 1, 12)
