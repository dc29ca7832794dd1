"""Working days (工作日) under the State Council's yearly holiday notices.

A working day is Monday–Friday minus the statutory days off, plus the weekend days named as
make-up working days (调休上班). The data comes from the ``chinese-calendar`` package, which
encodes each year's notice; a date outside its data is an error, never a guess (docs/domain.md
§4.2).

Periods do not count their first day (期间开始的当日不计入): the deadline for publishing a result
is the 20th working day *after* the inspection was completed.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

#: Working days allowed between the end of an inspection and publication of its result
#: (企业信息公示暂行条例 art.6; 食品生产经营监督检查管理办法 art.39).
PUBLICATION_WORKING_DAYS = 20


class CalendarUnavailableError(ValueError):
    """The holiday arrangement for the year has not been published (or is not packaged yet)."""

    def __init__(self, day: dt.date) -> None:
        super().__init__(
            f"{day.year}年的节假日安排尚未公布或未收录（chinese-calendar 无此年份数据），"
            f"无法计算工作日：{day.isoformat()}"
        )
        self.day = day


def is_workday(day: dt.date) -> bool:
    """Return whether ``day`` is a working day.

    Raises:
        CalendarUnavailableError: if the year's holiday notice is not in the package's data.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarUnavailableError(day) from exc


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

    Raises:
        CalendarUnavailableError: as :func:`add_workdays`.
    """
    return add_workdays(completed_on, PUBLICATION_WORKING_DAYS)
