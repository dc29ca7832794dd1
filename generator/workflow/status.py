"""``gongkai status`` and ``gongkai metrics``: what is pending, what is late, the rates.

Every figure comes from :func:`generator.workflow.metrics.compute_figures` (defined once, in
docs/workflow.md §4.2; sources in docs/domain.md §5); this module only replays the verified ledger into its inputs and adds
the workflow's own to-do lists (invitations awaiting replies, draws awaiting the beacon).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from generator.content.model import Content
from generator.content.results import InspectionResult
from generator.ledgerops import LedgerState
from generator.workflow import followups
from generator.workflow.cases import Case, Notice, read_cases, read_notices
from generator.workflow.metrics import Figures, Key, Pending, compute_figures
from generator.workflow.records import result_from_entry
from generator.workflow.timeline import task_facts
from ledger.tasks import TaskState, china_date


def current_results(state: LedgerState) -> list[InspectionResult]:
    """The latest version of every published result (corrections replace, both stay in the
    log), with the follow-up the ledger's ``followup.*`` entries leave it in."""
    latest: dict[tuple[str, str, str], int] = {}
    for task in state.tasks.tasks.values():
        for (dept, entity), index in task.results.items():
            latest[(task.task_id, dept, entity)] = index
    bounds = state.bounds()
    results = [
        result_from_entry(
            state.entries[i],
            i,
            proven=bounds.public_by(i),
            inspector_keys=state.registry.inspectors,
            vocabularies=state.tasks.vocabularies,
        )
        for i in sorted(latest.values())
    ]
    return followups.apply(results, state.entries)


def ledger_as_of(state: LedgerState) -> dt.date | None:
    """The China date of the last entry: what the ledger speaks for (the site's as-of date)."""
    return china_date(state.entries[-1].ts) if state.entries else None


def figures(content: Content, state: LedgerState, as_of: dt.date) -> Figures:
    """The figures of docs/workflow.md §4.2 for the replayed ledger, as of ``as_of``."""
    return compute_figures(content, task_facts(state), current_results(state), as_of)


@dataclass
class Status:
    """Everything ``gongkai status`` lists."""

    inviting: list[tuple[str, dt.date | None, list[str]]] = field(default_factory=list)
    awaiting_beacon: list[tuple[str, int]] = field(default_factory=list)
    results_due: list[Pending] = field(default_factory=list)
    overdue: list[Pending] = field(default_factory=list)
    open_followups: list[Key] = field(default_factory=list)
    calendar_notes: list[str] = field(default_factory=list)
    #: 抄告 not yet acknowledged (签收) by their addressee (docs/workflow.md §7).
    unacked_notices: list[Notice] = field(default_factory=list)
    #: Cases opened and not closed (查处中).
    open_cases: list[Case] = field(default_factory=list)


def compute_status(
    content: Content, state: LedgerState, today: dt.date, dept: str | None = None
) -> Status:
    """Pending and late work as of ``today`` (China date).

    An open follow-up is one whose current state (the form's, then the ledger's ``followup.*``
    and case entries) is 未完结, without a case under way on its result (those are listed as
    open cases); ``gongkai followup close`` accepts every one of them. 抄告 are listed
    until their addressee acknowledges them, only those addressed to ``dept`` when it is given;
    open cases are those of ``dept`` as handling department when it is given.
    """
    status = Status()
    status.unacked_notices = [
        n for n in read_notices(state.entries) if n.ack_index is None and dept in (None, n.to)
    ]
    cases = [c for c in read_cases(state.entries) if c.closed_on is None]
    status.open_cases = [c for c in cases if dept in (None, c.dept)]
    in_case = {(c.task_id, c.source_dept, c.entity) for c in cases}
    for record in state.tasks.tasks.values():
        # Replay moves a task on only at its next entry; as of ``today`` an invitation is over
        # once every partner replied or its window closed (docs/workflow.md §3).
        if record.state is TaskState.INVITING and not record.invitation_concluded(today):
            missing = [d for d in record.partners if d not in record.replies]
            status.inviting.append((record.task_id, record.closes, missing))
        if record.state is TaskState.ANNOUNCED:
            status.awaiting_beacon.append((record.task_id, record.round))
    fig = figures(content, state, today)
    status.results_due = list(fig.pending)
    status.overdue = list(fig.unpublished_overdue)
    # A result with a case under way is listed with the case: it completes at 结案 (§7 rule 5).
    status.open_followups = [k for k in fig.open_followups if k not in in_case]
    status.calendar_notes = list(fig.calendar_notes)
    return status


def _pending(p: Pending) -> dict[str, str | None]:
    deadline = p.deadline.isoformat() if p.deadline else None
    return {"task_id": p.task_id, "dept": p.dept, "entity": p.entity, "deadline": deadline}


def status_record(s: Status, today: dt.date) -> dict[str, object]:
    """``gongkai status --json``: the lists of :class:`Status` with ISO dates (None: unknown)."""
    return {
        "as_of": today.isoformat(),
        "inviting": [
            {"task_id": t, "closes": c.isoformat() if c else None, "missing": list(m)}
            for t, c, m in s.inviting
        ],
        "awaiting_beacon": [{"task_id": t, "round": r} for t, r in s.awaiting_beacon],
        "results_due": [_pending(p) for p in s.results_due],
        "overdue": [_pending(p) for p in s.overdue],
        "open_followups": [{"task_id": t, "dept": d, "entity": e} for t, d, e in s.open_followups],
        "calendar_notes": list(s.calendar_notes),
        "unacked_notices": [
            {
                "index": n.index,
                "task_id": n.task_id,
                "entity": n.entity,
                "from": n.dept,
                "to": n.to,
                "subject": n.subject,
                "sent_on": n.sent_on.isoformat(),
            }
            for n in s.unacked_notices
        ],
        "open_cases": [
            {
                "case_no": c.case_no,
                "dept": c.dept,
                "task_id": c.task_id,
                "entity": c.entity,
                "opened_on": c.opened_on.isoformat(),
            }
            for c in s.open_cases
        ],
    }


def figures_record(m: Figures) -> dict[str, object]:
    """``gongkai metrics --json``: the rates as in ``data/figures``, the late and overdue
    counts, inspections per business per year and the repeat warnings."""
    return {
        "as_of": m.as_of.isoformat(),
        "figures": m.rate_records(m.as_of),
        "published_late": len(m.published_late),
        "unpublished_overdue": len(m.unpublished_overdue),
        "inspections_per_business": {
            str(year): {str(n): count for n, count in hist.items()}
            for year, hist in m.histogram().items()
        },
        "repeat_warnings": [
            {"entity": e, "task_a": a, "task_b": b} for e, a, b in m.repeat_warnings
        ],
        "calendar_notes": list(m.calendar_notes),
    }
