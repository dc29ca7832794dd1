"""``gongkai status`` and ``gongkai metrics``: what is pending, what is late, the two 100% rates.

Definitions (docs/domain.md §5, docs/workflow.md §4), all computed from the verified ledger and the
content:

* **expected results** of a confirmed task = drawn entities × participating departments
  (谁检查、谁录入、谁公开: each department publishes its own result);
* **计划完成率** = published results / expected results;
* **按时公示率** = results published by their deadline / results due (published ones, plus
  unpublished ones whose deadline — 20 working days after the end of the task period — passed);
* **完结率** = closed follow-ups / results whose follow-up measure needs handling;
* **inspections per business per year** = distinct tasks that published a result for it; a
  business drawn by two separate tasks with overlapping periods is a warning (一业一查 exists to
  avoid exactly that).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from generator.content.model import Content, SpotCheckTask
from generator.content.results import FollowUpMeasure, FollowUpState, InspectionResult
from generator.content.workdays import CalendarUnavailableError, publication_deadline
from generator.ledgerops import LedgerState
from generator.workflow.records import result_from_entry
from ledger.tasks import TaskState


def current_results(state: LedgerState) -> list[InspectionResult]:
    """The latest version of every published result (corrections replace, both stay in the log)."""
    latest: dict[tuple[str, str, str], int] = {}
    for task in state.tasks.tasks.values():
        for (dept, entity), index in task.results.items():
            latest[(task.task_id, dept, entity)] = index
    return [result_from_entry(state.entries[i], i) for i in sorted(latest.values())]


@dataclass
class Status:
    """Everything ``gongkai status`` lists."""

    inviting: list[tuple[str, dt.date | None, list[str]]] = field(default_factory=list)
    awaiting_beacon: list[tuple[str, int]] = field(default_factory=list)
    results_due: list[tuple[str, str, str, dt.date | None]] = field(default_factory=list)
    overdue: list[tuple[str, str, str, dt.date]] = field(default_factory=list)
    open_followups: list[tuple[str, str, str]] = field(default_factory=list)
    calendar_notes: list[str] = field(default_factory=list)


def _task_deadline(task: SpotCheckTask, status: Status) -> dt.date | None:
    try:
        return publication_deadline(task.period_end)
    except CalendarUnavailableError as exc:
        status.calendar_notes.append(f"任务 {task.id}：{exc}")
        return None


def compute_status(content: Content, state: LedgerState, today: dt.date) -> Status:
    """Pending and late work as of ``today`` (China date)."""
    status = Status()
    tasks = {t.id: t for p in content.plans for t in p.tasks}
    for record in state.tasks.tasks.values():
        if record.state is TaskState.INVITING:
            missing = [d for d in record.partners if d not in record.replies]
            status.inviting.append((record.task_id, record.closes, missing))
        if record.state is TaskState.ANNOUNCED:
            status.awaiting_beacon.append((record.task_id, record.round))
        if record.state is not TaskState.CONFIRMED or record.task_id not in tasks:
            continue
        deadline = _task_deadline(tasks[record.task_id], status)
        for entity in sorted(record.drawn):
            for dept in record.participants:
                if (dept, entity) in record.results:
                    continue
                if deadline is not None and today > deadline:
                    status.overdue.append((record.task_id, dept, entity, deadline))
                else:
                    status.results_due.append((record.task_id, dept, entity, deadline))
        for (dept, entity), fu in sorted(record.followups.items()):
            if fu == "open":
                status.open_followups.append((record.task_id, dept, entity))
    for r in current_results(state):
        needs = r.followup.measure is not FollowUpMeasure.NONE_NEEDED
        key = (r.task_id, r.dept, r.entity)
        if needs and r.followup.state is FollowUpState.OPEN and key not in status.open_followups:
            recorded = state.tasks.tasks[r.task_id].followups.get((r.dept, r.entity))
            if recorded != "closed":
                status.open_followups.append(key)
    return status


@dataclass
class Metrics:
    """The rates of “两个100%” and inspection counts."""

    expected: int
    published: int
    due: int
    on_time: int
    needing_followup: int
    closed_followups: int
    per_entity_year: dict[tuple[str, int], int]
    repeat_warnings: list[tuple[str, str, str]]

    @staticmethod
    def rate(num: int, den: int) -> Fraction | None:
        """``num / den`` exactly, or None when nothing is due."""
        return Fraction(num, den) if den else None


def compute_metrics(content: Content, state: LedgerState, today: dt.date) -> Metrics:
    """The metrics as of ``today``."""
    results = current_results(state)
    tasks = {t.id: t for p in content.plans for t in p.tasks}
    expected = sum(
        len(r.drawn) * len(r.participants)
        for r in state.tasks.tasks.values()
        if r.state is TaskState.CONFIRMED
    )
    status = compute_status(content, state, today)
    due = len(results) + len(status.overdue)
    on_time = sum(1 for r in results if r.on_time)
    needing = [r for r in results if r.followup.measure is not FollowUpMeasure.NONE_NEEDED]
    closed = 0
    for r in needing:
        recorded = state.tasks.tasks[r.task_id].followups.get((r.dept, r.entity))
        if recorded == "closed" or (recorded is None and r.followup.state is FollowUpState.CLOSED):
            closed += 1
    visits: dict[tuple[str, int], set[str]] = defaultdict(set)
    for r in results:
        visits[(r.entity, r.completed_on.year)].add(r.task_id)
    per_entity_year = {k: len(v) for k, v in sorted(visits.items())}
    warnings: list[tuple[str, str, str]] = []
    drawn_by: dict[str, list[str]] = defaultdict(list)
    for record in state.tasks.tasks.values():
        for entity in record.drawn:
            drawn_by[entity].append(record.task_id)
    for entity, task_ids in sorted(drawn_by.items()):
        ids = sorted(task_ids)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                ta, tb = tasks.get(a), tasks.get(b)
                if (
                    ta
                    and tb
                    and ta.period_start <= tb.period_end
                    and tb.period_start <= ta.period_end
                ):
                    warnings.append((entity, a, b))
    return Metrics(
        expected, len(results), due, on_time, len(needing), closed, per_entity_year, warnings
    )


def percent(value: Fraction | None) -> str:
    """A rate as a Chinese-style percentage with one decimal, or “暂无数据”."""
    if value is None:
        return "暂无数据"
    tenths = (value * 1000).__round__()
    return f"{tenths // 10}.{tenths % 10}%"


def per_year_histogram(metrics: Metrics) -> dict[int, Counter[int]]:
    """For each year, how many businesses were inspected n times."""
    out: dict[int, Counter[int]] = defaultdict(Counter)
    for (_, year), n in metrics.per_entity_year.items():
        out[year][n] += 1
    return dict(out)
