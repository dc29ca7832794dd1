"""Published results as the site and the metrics see them, read back from ledger entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from generator.content.model import InspectionMethod
from generator.content.results import (
    FollowUp,
    FollowUpMeasure,
    FollowUpState,
    InspectionResult,
    ResultCategory,
)
from generator.content.workdays import CalendarUnavailableError, publication_deadline
from ledger.entries import Entry
from ledger.tasks import china_date


def result_body(
    *,
    entity: str,
    items: list[str],
    methods: list[InspectionMethod],
    categories: list[ResultCategory],
    detail: str,
    inspectors: list[str],
    inspected_on: dt.date,
    completed_on: dt.date,
    followup: FollowUp,
) -> dict[str, Any]:
    """The ``result`` object of a ``result.publish`` / ``result.correct`` entry."""
    fu: dict[str, Any] = {"measure": followup.measure.value, "state": followup.state.value}
    if followup.note:
        fu["note"] = followup.note
    if followup.closed_on is not None:
        fu["closed_on"] = followup.closed_on.isoformat()
    return {
        "entity": entity,
        "items": items,
        "methods": [m.value for m in methods],
        "categories": [c.value for c in categories],
        "detail": detail,
        "inspectors": inspectors,
        "inspected_on": inspected_on.isoformat(),
        "completed_on": completed_on.isoformat(),
        "followup": fu,
    }


def _enum_list(values: Iterable[Any], parse: Any) -> tuple[Any, ...]:
    out = []
    for v in values:
        parsed = parse(v) if isinstance(v, str) else None
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def result_from_entry(
    entry: Entry, index: int, superseded_by: int | None = None
) -> InspectionResult:
    """Turn a checked ``result.publish`` / ``result.correct`` entry into an InspectionResult.

    The deadline is 20 working days after completion; when the holiday calendar of that period
    is not published, the deadline is unknown and the result is treated as on time only if it
    was published no later than the completion date (never a guess).
    """
    body: Mapping[str, Any] = entry.body
    r: Mapping[str, Any] = body["result"]
    completed = dt.date.fromisoformat(r["completed_on"])
    try:
        deadline = publication_deadline(completed)
    except CalendarUnavailableError:
        deadline = completed
    fu = r.get("followup", {})
    followup = FollowUp(
        measure=FollowUpMeasure.parse(fu.get("measure", "")) or FollowUpMeasure.OTHER,
        state=FollowUpState.CLOSED
        if fu.get("state") == FollowUpState.CLOSED.value
        else FollowUpState.OPEN,
        note=str(fu.get("note", "")),
        closed_on=dt.date.fromisoformat(fu["closed_on"]) if fu.get("closed_on") else None,
    )
    return InspectionResult(
        task_id=str(body["task_id"]),
        dept=str(body["dept"]),
        entity=str(r["entity"]),
        items=tuple(str(i) for i in r.get("items", [])),
        methods=_enum_list(r.get("methods", []), InspectionMethod.parse),
        categories=_enum_list(r.get("categories", []), ResultCategory.parse),
        detail=str(r.get("detail", "")),
        inspectors=tuple(str(i) for i in r.get("inspectors", [])),
        inspected_on=dt.date.fromisoformat(r["inspected_on"]),
        completed_on=completed,
        published_on=china_date(entry.ts),
        deadline=deadline,
        followup=followup,
        ledger_index=index,
        superseded_by=superseded_by,
    )
