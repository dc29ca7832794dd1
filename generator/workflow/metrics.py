"""The figures of “两个100%”, 后续处置完结率 and the inspection counts, defined once.

``gongkai status``, ``gongkai metrics``, the site (home, statistics, overdue list, business
pages) and the open data (``data/figures``) all call :func:`compute_figures`; the definitions
are written in docs/workflow.md §4.2 with a worked example. In short, for an as-of date ``D``:

* **expected results** (应公示结果): for every task whose list was confirmed (``task.confirm``,
  名单确认下发), one result per drawn entity and participating department (谁检查、谁录入、谁公开);
* **抽查完成率** = expected results with a current (not superseded) published result ÷ expected
  results;
* the **deadline** of a published result is the 20th working day after its ``completed_on``; of
  an expected result not yet published, the 20th working day after the end of the task period
  (the latest the inspection may be completed). A deadline in a year whose holiday arrangement
  is not published is unknown: never guessed, such results are listed apart and not counted;
* **due** (到期): published results with a known deadline, plus unpublished expected results
  whose deadline is before ``D``; **on time** (按时): published on or before the deadline;
  **按时公示率** = on time ÷ due;
* **后续处置完结率** = current results whose follow-up (as the ledger's ``followup.*`` entries
  leave it, :mod:`generator.workflow.followups`) is 已完结 ÷ current results whose measure is not
  “无需后续处置”;
* **inspections** (入户检查): one per task and business with at least one current result — a
  joint visit of three departments is one inspection; it counts in the year of its earliest
  ``inspected_on``.

This module reads no ledger files and imports no ledger code: callers pass what the ledger
proves (task facts, results); the site's republish path stays light.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from generator.content.model import Content, SpotCheckTask
from generator.content.results import FollowUpMeasure, FollowUpState, InspectionResult
from generator.content.workdays import CalendarUnavailableError, publication_deadline

Key = tuple[str, str, str]
"""(task id, department id, entity id): one expected or published result."""


class TaskProgress(Protocol):
    """What the ledger proves about one task (``generator.workflow.timeline.TaskFacts``)."""

    @property
    def confirmed(self) -> bool:
        """Whether ``task.confirm`` (名单确认下发) is recorded."""

    @property
    def participants(self) -> tuple[str, ...]:
        """The lead and the partners that accepted (empty before ``draw.announce``)."""

    @property
    def drawn_ids(self) -> tuple[str, ...]:
        """The drawn entities after replacements, sorted."""


@dataclass(frozen=True)
class Rate:
    """A ratio that may be undefined (denominator 0): shown as “暂无数据”."""

    numerator: int
    denominator: int

    @property
    def defined(self) -> bool:
        """Whether the denominator is positive."""
        return self.denominator > 0

    @property
    def value(self) -> Fraction | None:
        """The exact ratio, or None when undefined."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def percent(self) -> str:
        """The rate as a percentage with one decimal (round half up), or “暂无数据”."""
        if not self.defined:
            return "暂无数据"
        tenths = Fraction(self.numerator * 1000, self.denominator)
        value = math.floor(tenths + Fraction(1, 2))
        return f"{value // 10}.{value % 10}%"

    def text(self) -> str:
        """``93.8%（180 / 192）`` — the form used by the CLI and the open data."""
        if not self.defined:
            return "暂无数据（0 / 0）"
        return f"{self.percent}（{self.numerator} / {self.denominator}）"


@dataclass(frozen=True)
class Pending:
    """An expected result not yet published, with its deadline (None: calendar unknown)."""

    task_id: str
    dept: str
    entity: str
    deadline: dt.date | None


@dataclass(frozen=True)
class Figures:
    """Every figure as of one date; see the module docstring for the definitions."""

    as_of: dt.date
    expected: int
    published: int
    on_time: int
    due: int
    #: Current published results after their deadline (newest ledger index last).
    published_late: tuple[InspectionResult, ...]
    #: Expected results not published, deadline passed before ``as_of``.
    unpublished_overdue: tuple[Pending, ...]
    #: Expected results not published whose deadline is not passed (or unknown).
    pending: tuple[Pending, ...]
    #: Current published results whose deadline is unknown (not counted in ``due``).
    no_deadline: tuple[InspectionResult, ...]
    needing_followup: int
    closed_followups: int
    open_followups: tuple[Key, ...]
    #: (entity, year) → inspections (one per task), for entities with any.
    inspections: Mapping[tuple[str, int], int]
    #: (entity, task a, task b): drawn by two tasks whose periods overlap.
    repeat_warnings: tuple[tuple[str, str, str], ...]
    #: Years whose holiday arrangement is missing, with what it affects.
    calendar_notes: tuple[str, ...]

    @property
    def completion(self) -> Rate:
        """抽查完成率."""
        return Rate(self.published, self.expected)

    @property
    def publication(self) -> Rate:
        """按时公示率."""
        return Rate(self.on_time, self.due)

    @property
    def closure(self) -> Rate:
        """后续处置完结率."""
        return Rate(self.closed_followups, self.needing_followup)

    def rows(self) -> list[tuple[str, str, Rate, str, str]]:
        """(key, name, rate, numerator meaning, denominator meaning) of each rate, in order;
        the CLI, the site and ``data/figures`` all print these."""
        return [
            ("completion", "抽查完成率", self.completion, "已公示", "应公示"),
            ("publication", "按时公示率", self.publication, "按时公示", "到期"),
            ("closure", "后续处置完结率", self.closure, "已完结", "需后续处置"),
        ]

    def rate_records(self, as_of: dt.date | None) -> list[dict[str, str | int | None]]:
        """The rates as open-data records (``data/figures`` and ``gongkai metrics --json``):
        figure, name, numerator, denominator, rate (“暂无数据” when undefined), the meanings of
        numerator and denominator, and ``as_of`` (ISO date or None)."""
        return [
            {
                "figure": key,
                "name": name,
                "numerator": rate.numerator,
                "denominator": rate.denominator,
                "rate": rate.percent,
                "numerator_means": num,
                "denominator_means": den,
                "as_of": as_of.isoformat() if as_of else None,
            }
            for key, name, rate, num, den in self.rows()
        ]

    def summary_lines(self) -> list[str]:
        """One line per rate: ``抽查完成率：93.8%（已公示 180 / 应公示 192）`` …"""
        lines = [
            f"{name}：{rate.percent}（{num} {rate.numerator} / {den} {rate.denominator}）"
            for _, name, rate, num, den in self.rows()
        ]
        lines[1] += (
            f"；逾期公示 {len(self.published_late)} 条，"
            f"逾期未公示 {len(self.unpublished_overdue)} 条"
        )
        return lines

    def histogram(self) -> dict[int, dict[int, int]]:
        """For each year, how many businesses had n inspections (n → businesses)."""
        out: dict[int, dict[int, int]] = defaultdict(dict)
        for (_, year), n in sorted(self.inspections.items()):
            out[year][n] = out[year].get(n, 0) + 1
        return {y: dict(sorted(h.items())) for y, h in sorted(out.items())}


def deadline_or_none(completed_on: dt.date) -> dt.date | None:
    """The publication deadline of a completion day, or None when the calendar is unknown."""
    try:
        return publication_deadline(completed_on)
    except CalendarUnavailableError:
        return None


def inspections_by_year(results: Iterable[InspectionResult]) -> dict[int, int]:
    """Inspections of one business per year: one per task with a current result, in the year
    of the task's earliest ``inspected_on`` for it (superseded versions are ignored)."""
    first: dict[str, dt.date] = {}
    for r in results:
        if r.superseded_by is None:
            day = first.get(r.task_id)
            if day is None or r.inspected_on < day:
                first[r.task_id] = r.inspected_on
    out: dict[int, int] = defaultdict(int)
    for day in first.values():
        out[day.year] += 1
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class JointVisit:
    """The departments of one 一业一查 task at one business (进一次门、查多项事): each department's
    current result, and the distinct days they inspected on (one day: a single joint visit)."""

    task_id: str
    days: tuple[dt.date, ...]
    #: (department, inspected_on, the result categories), in department order.
    parts: tuple[tuple[str, dt.date, str], ...]

    @property
    def same_day(self) -> bool:
        """Whether every department inspected on the same day (one door opened)."""
        return len(self.days) == 1


def joint_visits(results: Iterable[InspectionResult]) -> list[JointVisit]:
    """The tasks in which two or more departments published a current result for the same
    business (``results`` are that business's), latest first; counted once a year by
    :func:`inspections_by_year` (docs/workflow.md §4.2)."""
    by_task: dict[str, list[InspectionResult]] = defaultdict(list)
    for r in results:
        if r.superseded_by is None:
            by_task[r.task_id].append(r)
    visits = []
    for task_id, rs in by_task.items():
        if len({r.dept for r in rs}) < 2:
            continue
        parts = tuple(
            (r.dept, r.inspected_on, "、".join(c.value for c in r.categories))
            for r in sorted(rs, key=lambda r: r.dept)
        )
        visits.append(JointVisit(task_id, tuple(sorted({r.inspected_on for r in rs})), parts))
    return sorted(visits, key=lambda v: (v.days[0], v.task_id), reverse=True)


def compute_figures(
    content: Content,
    facts: Mapping[str, TaskProgress],
    results: Iterable[InspectionResult],
    as_of: dt.date,
    deadline_of: Callable[[dt.date], dt.date | None] = deadline_or_none,
) -> Figures:
    """Every figure as of ``as_of`` (China date).

    Args:
        content: the validated content (task periods).
        facts: what the ledger proves, by task id (tasks absent from the ledger count nothing).
        results: published results; versions with ``superseded_by`` set are skipped. Their
            follow-ups must already be the ledger's (:func:`generator.workflow.followups.apply`).
        as_of: the date unpublished results are judged against.
        deadline_of: the deadline of a completion day (the site passes its cached lookup).
    """
    tasks = {t.id: t for p in content.plans for t in p.tasks}
    current = [r for r in results if r.superseded_by is None]
    by_key = {(r.task_id, r.dept, r.entity): r for r in current}
    notes: list[str] = []
    expected, late_unpublished, pending = _expected(tasks, facts, by_key, as_of, deadline_of, notes)
    published = sum(1 for k in expected if k in by_key)
    on_time = due = 0
    late: list[InspectionResult] = []
    unknown: list[InspectionResult] = []
    for r in sorted(current, key=lambda r: r.ledger_index):
        deadline = deadline_of(r.completed_on)
        if deadline is None:
            unknown.append(r)
            continue
        due += 1
        if r.published_on <= deadline:
            on_time += 1
        else:
            late.append(r)
    if unknown:
        years = sorted({r.completed_on.year for r in unknown})
        notes.append(
            f"{len(unknown)} 条已公示结果的检查完成日期在 {'、'.join(map(str, years))} 年，"
            "节假日安排尚未收录，无法计算公示期限，不计入按时公示率"
        )
    needing = [r for r in current if r.followup.measure is not FollowUpMeasure.NONE_NEEDED]
    closed = sum(1 for r in needing if r.followup.state is FollowUpState.CLOSED)
    open_ = tuple(
        sorted(
            (r.task_id, r.dept, r.entity) for r in needing if r.followup.state is FollowUpState.OPEN
        )
    )
    return Figures(
        as_of=as_of,
        expected=len(expected),
        published=published,
        on_time=on_time,
        due=due + len(late_unpublished),
        published_late=tuple(late),
        unpublished_overdue=tuple(late_unpublished),
        pending=tuple(pending),
        no_deadline=tuple(unknown),
        needing_followup=len(needing),
        closed_followups=closed,
        open_followups=open_,
        inspections=_inspections(current),
        repeat_warnings=tuple(_repeats(tasks, facts)),
        calendar_notes=tuple(notes),
    )


def _expected(
    tasks: Mapping[str, SpotCheckTask],
    facts: Mapping[str, TaskProgress],
    by_key: Mapping[Key, InspectionResult],
    as_of: dt.date,
    deadline_of: Callable[[dt.date], dt.date | None],
    notes: list[str],
) -> tuple[list[Key], list[Pending], list[Pending]]:
    """Expected results of confirmed tasks; the unpublished ones, overdue or pending."""
    expected: list[Key] = []
    overdue: list[Pending] = []
    pending: list[Pending] = []
    for task_id in sorted(facts):
        f = facts[task_id]
        task = tasks.get(task_id)
        if not f.confirmed or task is None:
            continue
        deadline = deadline_of(task.period_end)
        missing = False
        for entity in f.drawn_ids:
            for dept in f.participants:
                key = (task_id, dept, entity)
                expected.append(key)
                if key in by_key:
                    continue
                item = Pending(task_id, dept, entity, deadline)
                if deadline is not None and as_of > deadline:
                    overdue.append(item)
                else:
                    pending.append(item)
                    missing = missing or deadline is None
        if missing:
            notes.append(
                f"任务 {task_id}：实施期限 {task.period_end} 所在年度的节假日安排尚未收录，"
                "未公示结果的公示期限无法计算"
            )
    return expected, overdue, pending


def _inspections(current: Sequence[InspectionResult]) -> dict[tuple[str, int], int]:
    by_entity: dict[str, list[InspectionResult]] = defaultdict(list)
    for r in current:
        by_entity[r.entity].append(r)
    out: dict[tuple[str, int], int] = {}
    for entity in sorted(by_entity):
        for year, n in inspections_by_year(by_entity[entity]).items():
            out[(entity, year)] = n
    return out


def _repeats(
    tasks: Mapping[str, SpotCheckTask], facts: Mapping[str, TaskProgress]
) -> list[tuple[str, str, str]]:
    """Businesses drawn by two tasks with overlapping periods (一业一查 should have merged them)."""
    drawn_by: dict[str, list[str]] = defaultdict(list)
    for task_id in sorted(facts):
        for entity in facts[task_id].drawn_ids:
            drawn_by[entity].append(task_id)
    out: list[tuple[str, str, str]] = []
    for entity, ids in sorted(drawn_by.items()):
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                ta, tb = tasks.get(a), tasks.get(b)
                if (
                    ta
                    and tb
                    and ta.period_start <= tb.period_end
                    and tb.period_start <= ta.period_end
                ):
                    out.append((entity, a, b))
    return out
