"""Fixture inspection results for the mini site (results come from the ledger in production).

They cover: several departments of one joint task, a problem with an open follow-up, a result
published late (overdue), a corrected result (superseded), an entity identified by its 注册号,
and a result whose deadline falls in a year without holiday data (2027).
"""

from __future__ import annotations

import datetime as dt

from generator.content.model import InspectionMethod
from generator.content.results import (
    FollowUp,
    FollowUpMeasure,
    FollowUpState,
    InspectionResult,
    ResultCategory,
)

D = dt.date
NONE = FollowUp(FollowUpMeasure.NONE_NEEDED, FollowUpState.CLOSED, closed_on=None)


def _r(
    task: str,
    dept: str,
    entity: str,
    cats: tuple[ResultCategory, ...],
    inspected: dt.date,
    completed: dt.date,
    published: dt.date,
    index: int,
    *,
    detail: str = "",
    followup: FollowUp = NONE,
    superseded_by: int | None = None,
    items: tuple[str, ...] = ("SJ-SP-01",),
) -> InspectionResult:
    return InspectionResult(
        task_id=task,
        dept=dept,
        entity=entity,
        items=items,
        methods=(InspectionMethod.ON_SITE,),
        categories=cats,
        detail=detail,
        inspectors=("62082300101", "62082300104"),
        inspected_on=inspected,
        completed_on=completed,
        published_on=published,
        followup=followup,
        ledger_index=index,
        superseded_by=superseded_by,
    )


def mini_results() -> list[InspectionResult]:
    """The fixture results (deterministic)."""
    cy = "2024-YYYC-CY"
    ok = (ResultCategory.NO_PROBLEM,)
    return [
        _r(
            cy, "scjg", "91620823GK0000018E", ok, D(2024, 4, 10), D(2024, 4, 10), D(2024, 4, 20), 11
        ),
        _r(
            cy,
            "wsjk",
            "91620823GK0000018E",
            ok,
            D(2024, 4, 10),
            D(2024, 4, 11),
            D(2024, 4, 22),
            12,
            items=("WJ-01",),
        ),
        _r(
            cy,
            "scjg",
            "92620823GK0000069K",
            (ResultCategory.VIOLATION_FOOD_DRUG,),
            D(2024, 5, 6),
            D(2024, 5, 6),
            D(2024, 5, 15),
            13,
            detail="后厨未按规定留样。",
            followup=FollowUp(FollowUpMeasure.RECTIFY, FollowUpState.OPEN, note="责令七日内改正。"),
        ),
        # Published late: completed 2024-09-27, deadline 2024-10-30 (docs/domain.md §4.2), published
        # 11-05.
        _r(
            cy,
            "scjg",
            "91620823GK00000344",
            (ResultCategory.CORRECTED_ON_ORDER,),
            D(2024, 9, 26),
            D(2024, 9, 27),
            D(2024, 11, 5),
            14,
            followup=FollowUp(
                FollowUpMeasure.RECTIFY, FollowUpState.CLOSED, closed_on=D(2024, 11, 20)
            ),
        ),
        # A correction: entry 15 is superseded by entry 16.
        _r(
            cy,
            "scjg",
            "620823600000015",
            (ResultCategory.UNREACHABLE_AT_ADDRESS,),
            D(2024, 6, 3),
            D(2024, 6, 3),
            D(2024, 6, 12),
            15,
            superseded_by=16,
        ),
        _r(cy, "scjg", "620823600000015", ok, D(2024, 6, 3), D(2024, 6, 3), D(2024, 6, 20), 16),
        _r(
            "2024-SJ-GG",
            "scjg",
            "91620823GK0000077H",
            (ResultCategory.NOT_PUBLISHED_REQUIRED_INFO,),
            D(2024, 7, 1),
            D(2024, 7, 2),
            D(2024, 7, 10),
            17,
            items=("SJ-GG-01",),
        ),
        # The deadline of a check completed on 2026-12-20 lies in 2027: no calendar data.
        _r(
            "2024-SJ-GG",
            "scjg",
            "91620822GK00003093",
            ok,
            D(2026, 12, 18),
            D(2026, 12, 20),
            D(2026, 12, 28),
            18,
            items=("SJ-GG-01",),
        ),
    ]
