"""Working days under the State Council's holiday notices (docs/domain.md §4.2 vectors)."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.content.workdays import (
    PUBLICATION_WORKING_DAYS,
    CalendarUnavailableError,
    add_workdays,
    is_workday,
    publication_deadline,
)


@pytest.mark.parametrize(
    ("completed", "deadline"),
    [
        # counts make-up Sun 9/20 and Sat 10/10, skips 中秋 9/25 and 国庆 10/1–10/7
        (dt.date(2026, 9, 18), dt.date(2026, 10, 22)),
        # crosses the 9-day Spring Festival and the make-up Saturdays 2/14 and 2/28
        (dt.date(2026, 1, 30), dt.date(2026, 3, 5)),
        # make-up Sun 9/28 and Sat 10/11; 8-day 国庆
        (dt.date(2025, 9, 26), dt.date(2025, 10, 30)),
        # make-up Sun 9/29 and Sat 10/12
        (dt.date(2024, 9, 27), dt.date(2024, 10, 30)),
    ],
    ids=["2026-mid-autumn-national", "2026-spring-festival", "2025-national", "2024-national"],
)
def test_publication_deadline_vectors(completed: dt.date, deadline: dt.date) -> None:
    assert publication_deadline(completed) == deadline
    assert add_workdays(completed, 20) == deadline


def test_twenty_working_days() -> None:
    assert PUBLICATION_WORKING_DAYS == 20


def test_unpublished_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarUnavailableError, match="2027") as info:
        publication_deadline(dt.date(2026, 12, 15))
    assert info.value.day.year == 2027
    assert "节假日安排尚未公布" in str(info.value)


def test_is_workday_outside_the_data_raises() -> None:
    with pytest.raises(CalendarUnavailableError, match="2027-01-04"):
        is_workday(dt.date(2027, 1, 4))


@pytest.mark.parametrize("n", [0, -1])
def test_n_below_one_is_rejected(n: int) -> None:
    with pytest.raises(ValueError, match="至少为1"):
        add_workdays(dt.date(2024, 3, 4), n)


def test_start_day_is_not_counted() -> None:
    monday = dt.date(2024, 3, 4)
    assert is_workday(monday)
    assert add_workdays(monday, 1) == dt.date(2024, 3, 5)


def test_from_friday_skips_the_weekend() -> None:
    assert add_workdays(dt.date(2024, 3, 8), 1) == dt.date(2024, 3, 11)


def test_make_up_sunday_counts() -> None:
    sunday = dt.date(2026, 9, 20)  # 调休上班 before 中秋
    assert sunday.weekday() == 6
    assert is_workday(sunday)
    # Friday 2026-09-18 → the next working day is the make-up Sunday, not Monday.
    assert add_workdays(dt.date(2026, 9, 18), 1) == sunday


def test_make_up_saturday_counts() -> None:
    saturday = dt.date(2024, 10, 12)
    assert saturday.weekday() == 5
    assert add_workdays(dt.date(2024, 10, 11), 1) == saturday


@pytest.mark.parametrize(
    "holiday",
    [dt.date(2024, 10, 1), dt.date(2025, 5, 2), dt.date(2026, 2, 16), dt.date(2026, 9, 25)],
)
def test_weekday_holidays_are_not_workdays(holiday: dt.date) -> None:
    assert holiday.weekday() < 5
    assert not is_workday(holiday)


def test_holiday_run_is_skipped() -> None:
    # 2024-09-30 (Mon) is a working day; 10/1–10/7 are off; 10/8 is the next working day.
    assert add_workdays(dt.date(2024, 9, 30), 1) == dt.date(2024, 10, 8)
