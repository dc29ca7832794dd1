"""Working days (工作日) under the State Council's yearly holiday notices.

A working day is Monday–Friday minus the statutory days off, plus the weekend days named as
make-up working days (调休上班). The data comes from the ``chinese-calendar`` package, which
encodes each year's notice. A year the package does not cover yet may be supplied by the county
from the notice itself (``content/holidays/<year>.yaml``, :mod:`generator.content.holidays`,
installed with :func:`use_local_years` when the content is loaded); a date covered by neither is
an error, never a guess (docs/domain.md §4.2, docs/content.md §7).

Periods do not count their first day (期间开始的当日不计入): the deadline for publishing a result
is the 20th working day *after* the inspection was completed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import chinese_calendar

from generator.content.holidays import LocalYear

#: Working days allowed between the end of an inspection and publication of its result
#: (企业信息公示暂行条例 art.6; 食品生产经营监督检查管理办法 art.39).
PUBLICATION_WORKING_DAYS = 20


class CalendarUnavailableError(ValueError):
    """The holiday arrangement for the year has not been published (or is not packaged yet)."""

    def __init__(self, day: dt.date) -> None:
        super().__init__(
            f"{day.year}年的节假日安排尚未公布或未收录（chinese-calendar 无此年份数据，"
            f"也没有 content/holidays/{day.year}.yaml），无法计算工作日：{day.isoformat()}；"
            f"国务院公布该年安排后，可按通知编写 content/holidays/{day.year}.yaml"
            "（格式见 docs/content.md §7）"
        )
        self.day = day


#: The county's own arrangements for years the package does not cover (use_local_years).
_local: dict[int, LocalYear] = {}


def use_local_years(years: Mapping[int, LocalYear]) -> None:
    """Use ``years`` (read from ``content/holidays/``) for the years the package lacks.

    Replaces what an earlier call installed; the content loader calls it on every load.
    """
    if dict(years) != _local:
        _local.clear()
        _local.update(years)
        _deadline.cache_clear()


def local_years() -> tuple[LocalYear, ...]:
    """The arrangements in use for years the package lacks (part of the site's calendar key)."""
    return tuple(_local[y] for y in sorted(_local))


@functools.cache
def packaged(year: int) -> bool:
    """Whether the ``chinese-calendar`` package has the arrangement of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    """Return whether ``day`` is a working day.

    Raises:
        CalendarUnavailableError: if the year is neither in the package's data nor supplied
            in ``content/holidays/<year>.yaml``.
    """
    if packaged(day.year):
        return bool(chinese_calendar.is_workday(day))
    local = _local.get(day.year)
    if local is None:
        raise CalendarUnavailableError(day)
    return local.is_workday(day)


def add_workdays(start: dt.date, n: int) -> dt.date:
    """Return the ``n``-th working day after ``start`` (the start day itself is not counted).

    Args:
        start: the day the period starts (e.g. the day an inspection was completed).
        n: number of working days, at least 1.

    Raises:
        ValueError: if ``n`` < 1.
        CalendarUnavailableError: if any day up to the result lies in a year without data.
    """
    if n < 1:
        raise ValueError("工作日数应至少为1")
    day = start
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def publication_deadline(completed_on: dt.date) -> dt.date:
    """Return the last day to publish a result for an inspection completed on ``completed_on``.

    Memoized per completion day (many results share one) until :func:`use_local_years`
    changes the local arrangements.

    Raises:
        CalendarUnavailableError: as :func:`add_workdays`.
    """
    found = _deadline(completed_on)
    if isinstance(found, CalendarUnavailableError):
        raise CalendarUnavailableError(found.day)
    return found


@functools.lru_cache(maxsize=8192)
def _deadline(completed_on: dt.date) -> dt.date | CalendarUnavailableError:
    try:
        return add_workdays(completed_on, PUBLICATION_WORKING_DAYS)
    except CalendarUnavailableError as exc:
        return exc
