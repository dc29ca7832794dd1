"""Local holiday arrangements: ``content/holidays/<year>.yaml`` (docs/content.md §7).

The State Council publishes each year's 节假日安排 late in the year before; the packaged
``chinese-calendar`` data may lag behind it. A county then writes the notice down itself::

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知
    days_off:                      # 放假的日期（连同其中的周末）
      - {name: 元旦, start: 2027-01-01, end: 2027-01-03}
    workdays: [2027-02-06]         # 调休上班的周六、周日

A file is read with ``yaml.safe_load`` semantics (:func:`generator.content.source.load_yaml`) and
checked field by field; every problem is located (file, line, field). A year the package
already covers is never overridden: its file only draws a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator.content.errors import Location, Problems, display_path
from generator.content.source import Fields, LocDict, LocList, items_of, load_yaml

#: Folder of the local arrangements, inside ``content/``.
FOLDER = "holidays"


@dataclass(frozen=True)
class LocalYear:
    """One year's arrangement as a county wrote it from the State Council's notice.

    Attributes:
        year: the calendar year.
        source: the notice it was copied from.
        days_off: every day off (weekdays and the weekend days inside a holiday).
        workdays: the weekend days that are working days (调休上班).
    """

    year: int
    source: str
    days_off: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` (a date of :attr:`year`) is a working day under this arrangement."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off


def load_local_years(content_root: Path, problems: Problems) -> dict[int, LocalYear]:
    """Read every ``holidays/<year>.yaml`` under ``content_root``; problems go to ``problems``.

    Returns:
        The valid files by year (a file with an error is left out; the error is recorded).
    """
    folder = content_root / FOLDER
    out: dict[int, LocalYear] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        shown = display_path(path, content_root)
        if path.suffix not in (".yaml", ".yml"):
            problems.error(Location(shown), "节假日安排文件应为 <年份>.yaml")
            continue
        loaded = _load_year(path, shown, problems)
        if loaded is not None:
            out[loaded.year] = loaded
    return out


def _load_year(path: Path, shown: str, problems: Problems) -> LocalYear | None:
    data = load_yaml(path, shown, problems)
    if data is None:
        return None
    if not isinstance(data, LocDict):
        problems.error(Location(shown, 1), "文件顶层应为映射（键: 值）")
        return None
    before = len(problems.errors)
    top = Fields(data, shown, "", problems)
    year = top.integer("year", lo=2000, hi=2099)
    source = top.text("source", max_len=200)
    spans = top.sequence("days_off")
    work_seq = top.sequence("workdays", required=False)
    top.finish()
    if year is not None and path.stem != str(year):
        top.error("year", f"年份 {year} 与文件名“{path.name}”不一致（应为 {year}.yaml）")
    days_off: set[dt.date] = set()
    for _, f in items_of(spans if spans is not None else LocList(), shown, "days_off", problems):
        f.text("name", max_len=20)
        start, end = f.date("start"), f.date("end")
        f.finish()
        if start is None or end is None:
            continue
        if end < start:
            f.error("end", f"结束日期 {end} 早于开始日期 {start}")
            continue
        for day in _days(start, end):
            if year is not None and day.year != year:
                f.error(
                    "end" if day.year > year else "start",
                    f"{day} 不在 {year} 年内；跨年的假期请在两年的文件中各写一段",
                )
                break
            days_off.add(day)
    workdays = _workdays(work_seq, year, days_off, shown, problems)
    if year is None or source is None or len(problems.errors) > before:
        return None
    return LocalYear(year, source, frozenset(days_off), frozenset(workdays))


def _workdays(
    seq: LocList | None, year: int | None, days_off: set[dt.date], shown: str, problems: Problems
) -> set[dt.date]:
    out: set[dt.date] = set()
    for i, value in enumerate(seq if seq is not None else LocList()):
        where = Location(shown, seq.item_lines[i] if seq is not None else 0, f"workdays[{i}]")
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            problems.error(where, f"应为日期 YYYY-MM-DD，实际为“{str(value)[:40]}”")
        elif year is not None and value.year != year:
            problems.error(where, f"{value} 不在 {year} 年内")
        elif value.weekday() < 5:
            problems.error(
                where, f"{value} 是星期{'一二三四五'[value.weekday()]}，调休上班日应为周六或周日"
            )
        elif value in days_off:
            problems.error(where, f"{value} 同时列在 days_off 中")
        else:
            out.add(value)
    return out


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
