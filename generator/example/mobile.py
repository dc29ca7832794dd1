"""The example year's phone-entered team (docs/mobile.md): one inspector signs at the door,
and his teammate co-signs on his own phone.

In task 2024-SC-DJGS the scjg inspector with the most assigned businesses (ties: the smaller
执法证号) uses the phone app: the department enrols the inspector's key the day after 名单确认下发,
and the results of every business on that inspector's teams are signed on the phone and imported
from a bundle the day after the inspection was completed, instead of from the XLSX form. His
teammate on the most of those businesses (ties: the smaller 执法证号; his key enrolled the same
day) co-signs the results of their shared businesses on his own phone (docs/mobile.md §5.1):
the two phones' bundles of a day are imported together, and those results carry both
signatures. The outcomes (categories, dates, follow-ups) are the ones the year script planned
for those rows, so the figures of the example do not depend on how a result was entered.

The keys are the public EXAMPLE inspector keys of :mod:`generator.mobile.example` (fixed seeds,
NOT SECRET; Ed25519 signatures are deterministic), so the bundles and the ledger are
reproducible byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from generator.content.loader import load_content
from generator.ledgerops import LedgerState
from generator.mobile.example import example_inspector_seed
from generator.mobile.formats import enrolment_from_signer, inspector_signer, sign_bundle
from generator.workflow import forms
from ledger.payloads import FollowupState, Result

TASK = "2024-SC-DJGS"
DEPT = "scjg"
ENROL_AT = "2024-02-28T10:00:00+08:00"

#: (row, publish date, cells, entity) of one form row, as the year script plans it.
PlannedRow = tuple[int, dt.date, dict[str, object], str]
#: (time, gongkai arguments) of one command of the year.
Event = tuple[str, list[str]]
#: (publication day, task, department, entity, measure) of a result with an open follow-up.
OpenResult = tuple[dt.date, str, str, str, str]


def phone_inspector(state: LedgerState) -> str:
    """The 执法证号 of the example's phone user: most businesses in :data:`TASK`, then smallest."""
    counts: dict[str, int] = defaultdict(int)
    for team in state.tasks.tasks[TASK].teams.values():
        for inspector in team.get(DEPT, ()):
            counts[inspector] += 1
    return min(counts, key=lambda i: (-counts[i], i))


def co_signer(state: LedgerState, inspector: str) -> str:
    """The teammate of ``inspector`` on the most businesses of :data:`TASK` (ties: the smaller
    执法证号): he co-signs their shared results on his own phone."""
    counts: dict[str, int] = defaultdict(int)
    for team in state.tasks.tasks[TASK].teams.values():
        members = team.get(DEPT, set())
        if inspector in members:
            for other in members - {inspector}:
                counts[other] += 1
    return min(counts, key=lambda i: (-counts[i], i))


def _result(
    entity: str, cells: dict[str, object], items: tuple[str, ...], team: set[str]
) -> Result:
    """The result the planned ``cells`` of a form row describe."""
    closed = cells.get(forms.COL_CLOSED)
    inspected, completed = cells[forms.COL_INSPECTED], cells[forms.COL_COMPLETED]
    assert isinstance(inspected, dt.date) and isinstance(completed, dt.date)
    assert closed is None or isinstance(closed, dt.date)
    return Result(
        entity=entity,
        items=items,
        methods=(str(cells[forms.COL_METHODS[0]]),),
        categories=(str(cells[forms.COL_CATEGORIES[0]]),),
        detail=str(cells.get(forms.COL_DETAIL, "")),
        inspectors=tuple(sorted(team)),
        inspected_on=inspected,
        completed_on=completed,
        followup=FollowupState(
            measure=str(cells[forms.COL_MEASURE]),
            state=str(cells[forms.COL_STATE]),
            closed_on=closed,
        ),
    )


def phone_team(
    site: Path,
    work: Path,
    state: LedgerState,
    plans: dict[tuple[str, str], list[PlannedRow]],
) -> tuple[list[Event], list[OpenResult]]:
    """Take the phone user's rows out of ``plans`` (they are not imported from the form) and
    return the commands that enrol the key and import the signed bundles, with the results
    whose follow-up stays open. The enrolment file and bundles are written under ``work``.
    """
    inspector = phone_inspector(state)
    teams = state.tasks.tasks[TASK].teams
    origin = state.registry.origin
    content, _ = load_content(site / "content")
    task = next(t for p in content.plans for t in p.tasks if t.id == TASK)
    items = next(p.items for p in task.parts if p.dept == DEPT)
    partner = co_signer(state, inspector)
    out = work / "mobile"
    out.mkdir(parents=True, exist_ok=True)
    events: list[Event] = []
    signers = {}
    for who in (inspector, partner):
        signers[who] = inspector_signer(origin, DEPT, who, example_inspector_seed(DEPT, who))
        enrolment = out / f"{who}.enrol.json"
        enrolment.write_bytes(enrolment_from_signer(origin, DEPT, who, signers[who]).dumps())
        events.append((ENROL_AT, ["inspector", "enroll", str(enrolment), "--dept", DEPT]))
    by_day: dict[dt.date, list[Result]] = defaultdict(list)
    kept: list[PlannedRow] = []
    open_results: list[OpenResult] = []
    for row in plans[(TASK, DEPT)]:
        _, _, cells, entity = row
        team = set(teams.get(entity, {}).get(DEPT, ()))
        if inspector not in team:
            kept.append(row)
            continue
        result = _result(entity, cells, items, team)
        day = result.completed_on + dt.timedelta(days=1)
        by_day[day].append(result)
        if result.followup.state == "未完结":
            open_results.append((day, TASK, DEPT, entity, result.followup.measure))
    plans[(TASK, DEPT)] = kept
    for day, results in sorted(by_day.items()):
        paths = []
        for who in (inspector, partner):
            mine = [(r, ()) for r in results if who in r.inspectors]
            if mine:
                bundle = sign_bundle(origin, TASK, DEPT, signers[who], mine)
                paths.append(out / f"{TASK}.{who}.{day.isoformat()}.bundle.json")
                paths[-1].write_bytes(bundle.dumps())
        command = ["results", "import", *map(str, paths), "--dept", DEPT]
        events.append((f"{day.isoformat()}T17:00:00+08:00", command))
    return events, open_results
