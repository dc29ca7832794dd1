"""The follow-up (后续处置) of each result as the ledger leaves it (docs/workflow.md §5, §7).

A result's form carries a follow-up measure and 未完结 / 已完结. Later ``followup.record``
(a measure taken) and ``followup.close`` (完结) entries of the same task, department and entity
change it, in log order, whatever the form said: the form's state is where the story starts,
the ledger entries are the rest of it. A case opened on the result (``case.open`` with that
task, ``source_dept`` and entity) makes the follow-up the case — 移送办案机构, 未完结 — and its
``case.close`` completes it (已完结 on the 结案 date), as the ledger replay does (§7 rule 5). The entity pages, ``data/results.csv``, ``gongkai
status`` and ``gongkai metrics`` all read the follow-up through :func:`apply`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from generator.content.results import FollowUp, FollowUpMeasure, FollowUpState, InspectionResult
from ledger.case_payloads import CaseClose, CaseOpen
from ledger.payloads import FollowupClose, FollowupRecord

if TYPE_CHECKING:
    from ledger.entries import Entry

FOLLOWUP_TYPES = ("followup.record", "followup.close")
CASE_TYPES = ("case.open", "case.close")


def fold(start: FollowUp, entries: Iterable[Entry]) -> FollowUp:
    """``start`` (the form's follow-up) after the ``followup.*`` and ``case.open`` /
    ``case.close`` entries of its result, in log order.

    ``followup.record`` sets the measure, note and 整改期限 and reopens; ``followup.close`` keeps
    the measure and 整改期限, sets the note, the 完结 date and the 复查结果; ``case.open`` sets the
    measure 移送办案机构 and reopens with the case number and 案由; ``case.close`` completes it on
    the 结案 date with the 结案情况. The entries were checked by the ledger replay.
    """
    fu = start
    case_no = ""
    for entry in entries:
        body = entry.payload  # the typed body: the measure is one of the closed list
        if isinstance(body, FollowupRecord):
            measure = FollowUpMeasure(body.measure)
            fu = FollowUp(measure, FollowUpState.OPEN, body.note, None, body.deadline)
        elif isinstance(body, FollowupClose):
            note = body.note or fu.note
            fu = FollowUp(
                fu.measure,
                FollowUpState.CLOSED,
                note,
                body.closed_on,
                fu.deadline,
                body.recheck or "",
            )
        elif isinstance(body, CaseOpen):
            case_no = body.case_no
            note = f"已立案（{body.case_no}），案由：{body.summary}"
            fu = FollowUp(FollowUpMeasure.REFER_CASE, FollowUpState.OPEN, note, None, None)
        elif isinstance(body, CaseClose):
            note = f"已结案（{case_no}）：{body.outcome}"
            fu = FollowUp(FollowUpMeasure.REFER_CASE, FollowUpState.CLOSED, note, body.closed_on)
    return fu


def apply(results: Sequence[InspectionResult], entries: Iterable[Entry]) -> list[InspectionResult]:
    """``results`` with the follow-up of every current version (``superseded_by`` None) replaced
    by the ledger's (:func:`fold`); superseded versions keep their form's follow-up."""
    by_key: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    case_keys: dict[int, tuple[str, str, str]] = {}  # case.open index → its result's key
    for entry in entries:
        b = entry.payload
        if entry.type in FOLLOWUP_TYPES:
            by_key[(b.task_id, b.dept, b.entity)].append(entry)
        elif entry.type == "case.open":
            case_keys[entry.index] = (b.task_id, b.source_dept, b.entity)
            by_key[case_keys[entry.index]].append(entry)
        elif entry.type == "case.close" and b.case.index in case_keys:
            by_key[case_keys[b.case.index]].append(entry)
    out = []
    for r in results:
        found = by_key.get((r.task_id, r.dept, r.entity))
        if found and r.superseded_by is None:
            r = dataclasses.replace(r, followup=fold(r.followup, found))
        out.append(r)
    return out
