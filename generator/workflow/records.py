"""Published results as the site and the metrics see them, read back from ledger entries.

Both directions go through the typed payload of ``ledger.payloads`` (:class:`Result`): the
writer builds one from a checked form row, the readers take the one the verifier parsed. The
closed vocabularies were checked when the ledger was verified, so every word maps to its enum
member or to a word of the department's own vocabulary (docs/workflow.md §10): nothing is
dropped or replaced by a default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.content.model import InspectionMethod
from generator.content.results import (
    Category,
    CompromisedSignature,
    FollowUp,
    FollowUpMeasure,
    FollowUpState,
    InspectionResult,
    categories_of,
)
from ledger.dept_vocabulary import DeptVocabularies
from ledger.entries import Entry
from ledger.inspectors import InspectorKeys
from ledger.payloads import FollowupState, Result, ResultCorrect, ResultPublish
from ledger.schema import encode
from ledger.tasks import CHINA, china_date
from ledger.timestamp import Timestamp


def result_payload(
    *,
    entity: str,
    items: list[str],
    methods: list[InspectionMethod],
    categories: list[Category],
    detail: str,
    inspectors: list[str],
    inspected_on: dt.date,
    completed_on: dt.date,
    followup: FollowUp,
) -> Result:
    """The ``result`` of a ``result.publish`` / ``result.correct`` entry, from a form row."""
    return Result(
        entity=entity,
        items=tuple(items),
        methods=tuple(m.value for m in methods),
        categories=tuple(c.value for c in categories),
        detail=detail,
        inspectors=tuple(inspectors),
        inspected_on=inspected_on,
        completed_on=completed_on,
        followup=FollowupState(
            measure=followup.measure.value,
            state=followup.state.value,
            note=followup.note or None,
            closed_on=followup.closed_on,
        ),
    )


def result_body(**row: Any) -> dict[str, Any]:
    """The JSON object of :func:`result_payload` (same keyword arguments)."""
    return encode(result_payload(**row))


def result_from_entry(
    entry: Entry,
    index: int,
    superseded_by: int | None = None,
    proven: Timestamp | None = None,
    inspector_keys: InspectorKeys | None = None,
    vocabularies: DeptVocabularies | None = None,
) -> InspectionResult:
    """Turn a verified ``result.publish`` / ``result.correct`` entry into an InspectionResult.

    ``proven`` is the token that bounds when the entry was public (docs/ledger.md §15.4): then
    ``published_on`` is the China date of that bound, what the TSA proves, not the signer's
    ``ts`` (docs/workflow.md §4.2). Without one, ``published_on`` is the date of ``ts``.

    The publication deadline is not part of it: it is computed where it is used, by the one
    definition of docs/workflow.md §4 (:mod:`generator.workflow.metrics`). ``inspector_keys``
    (the replayed registry's): to name the inspectors whose phone keys signed a ``result.publish``
    (``signed_by``, docs/mobile.md §4) and those whose key was later declared compromised from
    ``index`` or earlier (``compromised``, §3). ``vocabularies`` (the replayed ledger's): to read
    a department's own words (docs/workflow.md §10); without it only base words are known.

    Raises:
        VerificationError: if the body does not match its schema (only possible for an entry
            that was never verified).
        TypeError: if the entry is not a ``result.publish`` / ``result.correct``.
        VerificationError: a category is unknown (only for an entry that was never verified).
    """
    body = entry.payload
    if not isinstance(body, ResultPublish | ResultCorrect):
        raise TypeError(f"条目 {entry.id} 不是检查结果")
    r = body.result
    signed_by: tuple[str, ...] = ()
    compromised: tuple[CompromisedSignature, ...] = ()
    if inspector_keys is not None and isinstance(body, ResultPublish):
        signers = inspector_keys.signers_of(body)
        signed_by = tuple(k.inspector for k in signers)
        compromised = tuple(
            CompromisedSignature(k.inspector, k.compromised_from, k.revoked_at)
            for k in signers
            if k.compromised_from is not None and k.revoked_at is not None and k.flags(index)
        )
    followup = FollowUp(
        measure=FollowUpMeasure(r.followup.measure),
        state=FollowUpState(r.followup.state),
        note=r.followup.note or "",
        closed_on=r.followup.closed_on,
    )
    return InspectionResult(
        task_id=body.task_id,
        dept=body.dept,
        entity=r.entity,
        items=r.items,
        methods=tuple(InspectionMethod(m) for m in r.methods),
        categories=categories_of(r.categories, body.dept, vocabularies),
        detail=r.detail,
        inspectors=r.inspectors,
        inspected_on=r.inspected_on,
        completed_on=r.completed_on,
        published_on=(
            proven.latest.astimezone(CHINA).date() if proven is not None else china_date(entry.ts)
        ),
        followup=followup,
        ledger_index=index,
        superseded_by=superseded_by,
        proven_public=proven.latest if proven is not None else None,
        proven_tsa=proven.tsa if proven is not None else "",
        signed_by=signed_by,
        compromised=compromised,
    )
