"""The follow-up (后续处置) of each result as the ledger leaves it (docs/workflow.md §5).

A result's form carries a follow-up measure and 未完结 / 已完结. Later ``followup.record``
(a measure taken) and ``followup.close`` (完结) entries of the same task, department and entity
change it, in log order, whatever the form said: the form's state is where the story starts,
the ledger entries are the rest of it. The entity pages, ``data/results.csv``, ``gongkai
status`` and ``gongkai metrics`` all read the follow-up through :func:`apply`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from generator.content.results import FollowUp, FollowUpMeasure, FollowUpState, InspectionResult
from ledger.payloads import FollowupClose, FollowupRecord

if TYPE_CHECKING:
    from ledger.entries import Entry

FOLLOWUP_TYPES = ("followup.record", "followup.close")


def fold(start: FollowUp, entries: Iterable[Entry]) -> FollowUp:
    """``start`` (the form's follow-up) after the ``followup.*`` entries, in log order.

    ``followup.record`` sets the measure, note and 整改期限 and reopens; ``followup.close`` keeps
    the measure and 整改期限, sets the note, the 完结 date and the 复查结果. The entries were
    checked by the ledger replay.
    """
    fu = start
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
    return fu


def apply(results: Sequence[InspectionResult], entries: Iterable[Entry]) -> list[InspectionResult]:
    """``results`` with the follow-up of every current version (``superseded_by`` None) replaced
    by the ledger's (:func:`fold`); superseded versions keep their form's follow-up."""
    by_key: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.type in FOLLOWUP_TYPES:
            b = entry.payload
            by_key[(b.task_id, b.dept, b.entity)].append(entry)
    out = []
    for r in results:
        found = by_key.get((r.task_id, r.dept, r.entity))
        if found and r.superseded_by is None:
            r = dataclasses.replace(r, followup=fold(r.followup, found))
        out.append(r)
    return out
