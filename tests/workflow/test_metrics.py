"""The worked example of docs/workflow.md §4.2, computed by the one definition of the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from generator.content.results import FollowUp, FollowUpMeasure, FollowUpState, InspectionResult
from generator.workflow.metrics import compute_figures

D = dt.date
NONE = FollowUp(FollowUpMeasure.NONE_NEEDED, FollowUpState.CLOSED)


@dataclass
class Facts:
    confirmed: bool
    participants: tuple[str, ...]
    drawn_ids: tuple[str, ...]


def _result(
    dept: str, entity: str, completed: D, published: D, index: int, **kw: Any
) -> InspectionResult:
    return InspectionResult(
        task_id="T", dept=dept, entity=entity, items=(), methods=(), categories=(), detail="",
        inspectors=(), inspected_on=completed, completed_on=completed, published_on=published,
        followup=kw.pop("followup", NONE), ledger_index=index, **kw,
    )  # fmt: skip


CONTENT: Any = SimpleNamespace(
    plans=[
        SimpleNamespace(
            tasks=[SimpleNamespace(id="T", period_start=D(2024, 3, 1), period_end=D(2024, 6, 28))]
        )
    ]
)
FACTS = {"T": Facts(True, ("scjg", "wsjk"), ("E1", "E2", "E3"))}
CLOSED = FollowUp(FollowUpMeasure.RECTIFY, FollowUpState.CLOSED, "复查", D(2024, 5, 10))
RESULTS = [
    _result("scjg", "E1", D(2024, 4, 2), D(2024, 4, 20), 10, followup=CLOSED),
    _result("wsjk", "E1", D(2024, 4, 2), D(2024, 4, 28), 11),
    _result("scjg", "E2", D(2024, 4, 10), D(2024, 5, 20), 12),
    _result("wsjk", "E2", D(2024, 5, 6), D(2024, 5, 8), 13, superseded_by=14),
    _result("wsjk", "E2", D(2024, 5, 6), D(2024, 5, 15), 14),
]


def test_the_worked_example() -> None:
    before = compute_figures(CONTENT, FACTS, RESULTS, D(2024, 7, 20))
    assert (
        before.completion.percent,
        before.completion.numerator,
        before.completion.denominator,
    ) == ("66.7%", 4, 6)
    assert (before.publication.percent, before.due) == ("75.0%", 4)
    assert [(p.dept, p.entity, p.deadline) for p in before.pending] == [
        ("scjg", "E3", D(2024, 7, 26)),
        ("wsjk", "E3", D(2024, 7, 26)),
    ]
    after = compute_figures(CONTENT, FACTS, RESULTS, D(2024, 7, 31))
    assert (after.publication.percent, after.on_time, after.due) == ("50.0%", 3, 6)
    assert len(after.unpublished_overdue) == 2
    assert [r.ledger_index for r in after.published_late] == [12]
    assert after.closure.percent == "100.0%"
    assert dict(after.inspections) == {("E1", 2024): 1, ("E2", 2024): 1}


def test_unconfirmed_tasks_expect_nothing() -> None:
    facts = {"T": Facts(False, ("scjg", "wsjk"), ("E1", "E2", "E3"))}
    figures = compute_figures(CONTENT, facts, [], D(2024, 12, 31))
    assert (figures.expected, figures.due, figures.completion.percent) == (0, 0, "暂无数据")
