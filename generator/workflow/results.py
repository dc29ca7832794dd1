"""After the draw: 名单确认下发 with one result form per department, result import, follow-up.

谁检查、谁录入、谁公开: each department imports its own filled form; every row becomes a
``result.publish`` entry signed by that department. Importing a changed row again appends a
``result.correct`` that refers to the latest version (the old one stays in the log and on the
site); unchanged rows are skipped, so re-importing a form is harmless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import entryids
from generator.content.errors import Problems
from generator.content.results import (
    FollowUpMeasure,
    categories_of,
    findings_in_force,
    measure_mismatch,
)
from generator.errors import WorkflowError
from generator.workflow.actions import find_task
from generator.workflow.form_reader import read_form
from generator.workflow.forms import form_rows, write_form
from generator.workflow.records import result_payload
from generator.workflow.site import SiteRepo
from ledger.case_payloads import Refers
from ledger.checkpoint import Checkpoint
from ledger.entries import add_signatures
from ledger.payloads import (
    DrawnList,
    FollowupClose,
    FollowupRecord,
    Form,
    Result,
    ResultCorrect,
    ResultPublish,
    TaskConfirm,
    drawn_sha256,
    sign,
)
from ledger.tasks import TaskRecord, TaskState, china_date


def _record(repo: SiteRepo, task_id: str, state: TaskState) -> tuple[TaskRecord, Any]:
    ledger_state = repo.state()
    record = ledger_state.tasks.tasks.get(task_id)
    if record is None or record.state is not state:
        now = record.state.value if record else "未列入已发布的计划"
        raise WorkflowError(f"任务“{task_id}”当前状态为“{now}”，不能执行此操作")
    return record, ledger_state


def _drawn_in_order(record: TaskRecord) -> list[str]:
    assert record.result is not None
    return sorted(record.drawn)


@dataclass(frozen=True)
class ConfirmReport:
    """The forms written by ``task confirm``."""

    checkpoint: Checkpoint
    forms: tuple[Path, ...]


def _write_forms(
    repo: SiteRepo,
    record: TaskRecord,
    task_id: str,
    depts: tuple[str, ...],
    out_dir: Path,
    before: int | None = None,
) -> tuple[list[Form], list[Path]]:
    """Write the result forms of ``depts`` under ``out_dir/<task>/`` from the ledger and content.

    The bytes depend only on the drawn list, the teams, the draw date and each department's own
    result words in force (ledger, docs/workflow.md §10) and on the names in the content, so the
    same inputs give the same files (``write_form``). ``before``: the log index of the
    ``task.confirm`` when reissuing (the words in force then), None when confirming.
    """
    _, task = find_task(repo, task_id)
    assert record.result is not None
    draw_date = china_date(record.result.ts)
    items = {i.id: i for i in repo.content.items}
    vocabularies = repo.state().tasks.vocabularies
    forms: list[Form] = []
    written: list[Path] = []
    for dept in depts:
        rows = form_rows(repo.content, task, dept, _drawn_in_order(record), record.teams)
        xlsx, csv = out_dir / task_id / f"{dept}.xlsx", out_dir / task_id / f"{dept}.csv"
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        own = findings_in_force(vocabularies, dept, before)
        write_form(
            xlsx, csv, site_name=repo.content.site.name, task_id=task_id, task_name=task.name,
            dept_id=dept, dept_name=repo.content.department(dept).name, rows=rows, items=items,
            draw_date=draw_date, own_words=tuple(f.value for f in own),
        )  # fmt: skip
        forms.append(
            Form(
                dept=dept,
                xlsx_sha256=hashlib.sha256(xlsx.read_bytes()).hexdigest(),
                csv_sha256=hashlib.sha256(csv.read_bytes()).hexdigest(),
            )
        )
        written += [xlsx, csv]
    return forms, written


def confirm_body(
    repo: SiteRepo, task_id: str, at: str, out_dir: Path
) -> tuple[TaskConfirm, tuple[Path, ...]]:
    """Write each participating department's result form and return the ``task.confirm`` body
    that records their hashes (nothing is signed or appended).

    Raises:
        WorkflowError: if the task is not drawn yet or already confirmed.
    """
    record, _ = _record(repo, task_id, TaskState.DRAWN)
    forms, written = _write_forms(repo, record, task_id, record.participants, out_dir)
    body = TaskConfirm(
        id=entryids.task_confirm(task_id),
        ts=at,
        dept=record.lead,
        task_id=task_id,
        departments=record.participants,
        drawn=DrawnList(count=len(record.drawn), ids_sha256=drawn_sha256(record.drawn)),
        forms=tuple(forms),
    )
    return body, tuple(written)


def confirm(
    repo: SiteRepo,
    task_id: str,
    at: str,
    keys: Mapping[str, Path | None],
    log_key: Path | None,
    out_dir: Path,
) -> ConfirmReport:
    """名单确认下发 signed in this process: write each department's form and record
    ``task.confirm``.

    Honest only where one process may hold every signer: a single-department task or an example
    site. A joint task on a real site is confirmed through a signing request
    (:mod:`generator.signing`, ``gongkai request confirm``).

    Raises:
        WorkflowError: if the task is not drawn yet or already confirmed, or it is a joint task
            on a real site.
    """
    record, _ = _record(repo, task_id, TaskState.DRAWN)
    if len(record.participants) > 1 and not repo.content.site.example:
        raise WorkflowError(
            f"任务“{task_id}”由 {'、'.join(record.participants)} 共同参与：名单确认须经签署申请由"
            "各部门用本部门密钥分别签署（gongkai request confirm，见 docs/signing.md）"
        )
    body, written = confirm_body(repo, task_id, at, out_dir)
    signers = [repo.signer(d, keys.get(d)) for d in record.participants]
    line = sign(repo.trust.origin, body, signers[:1])
    if signers[1:]:
        line = add_signatures(repo.trust.origin, line, signers[1:])
    return ConfirmReport(repo.append([line], repo.log_signer(log_key)), tuple(written))


def reissue(repo: SiteRepo, task_id: str, dept: str | None, out_dir: Path) -> tuple[Path, ...]:
    """补发: write again the result forms of a confirmed task, byte-identical to the originals.

    The forms are regenerated into a temporary folder inside ``out_dir`` and compared with the
    SHA-256 hashes that ``task.confirm`` recorded; only forms that match are moved into place
    (``out_dir/<task>/<dept>.xlsx`` and ``.csv``). Nothing is appended to the ledger.

    Args:
        repo: the site.
        task_id: a task whose 名单 was confirmed.
        dept: only this department's form (``None``: every participating department's).
        out_dir: where to write, as ``task confirm --out``.

    Raises:
        WorkflowError: if the task is not confirmed, ``dept`` does not take part in it, or a
            regenerated form differs from the recorded hash (the names in the libraries, the
            checklist or the site name changed since the confirmation); nothing is written then.
    """
    record, _ = _record(repo, task_id, TaskState.CONFIRMED)
    assert record.confirm is not None
    recorded = {f.dept: f for f in record.confirm.payload.forms}
    if dept is not None and dept not in recorded:
        raise WorkflowError(f"部门“{dept}”不是任务“{task_id}”的检查部门，没有它的录入表")
    depts = (dept,) if dept is not None else tuple(recorded)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".reissue-") as tmp:
        before = record.confirm.index
        forms, written = _write_forms(repo, record, task_id, depts, Path(tmp), before)
        changed = [f.dept for f in forms if f != recorded[f.dept]]
        if changed:
            raise WorkflowError(
                f"按现在的内容重新生成的录入表（部门 {'、'.join(changed)}）与名单确认下发时账本"
                "记录的哈希不同：确认之后名录库中的名称、住所或人员姓名，抽查事项清单或站点名称"
                "有改动。请把这些内容恢复为确认时的版本（例如从备份或版本库）后再补发；"
                "未写入任何文件"
            )
        final = out_dir / task_id
        final.mkdir(parents=True, exist_ok=True)
        out = []
        for path in written:
            os.replace(path, final / path.name)
            out.append(final / path.name)
    return tuple(out)


@dataclass(frozen=True)
class ImportReport:
    """What a result import recorded."""

    checkpoint: Checkpoint | None
    published: int
    corrected: int
    unchanged: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ImportPlan:
    """The entries a result import would append, in order (nothing signed yet), and what the
    form said besides: the rows left unchanged and the reader's warnings."""

    bodies: tuple[ResultPublish | ResultCorrect, ...]
    published: int
    corrected: int
    unchanged: int
    warnings: tuple[str, ...]


def plan_import(repo: SiteRepo, task_id: str, dept: str, form: Path, at: str) -> ImportPlan:
    """Check a filled form and work out its entries (new: publish; changed: correct;
    unchanged: skipped), without signing or appending them.

    Raises:
        ContentError: with every located problem of the form.
        WorkflowError: if the task is not confirmed or ``dept`` does not take part.
    """
    record, state = _record(repo, task_id, TaskState.CONFIRMED)
    _, task = find_task(repo, task_id)
    if dept not in record.participants:
        raise WorkflowError(f"部门“{dept}”不是任务“{task_id}”的检查部门")
    assert record.result is not None
    expected = {
        r.entity_id: r
        for r in form_rows(repo.content, task, dept, _drawn_in_order(record), record.teams)
    }
    problems = Problems()
    parsed = read_form(
        form, task_id=task_id, dept_id=dept, expected=expected, draw_date=china_date(record.result.ts),
        today=china_date(at), inspector_depts={i.id: i.dept for i in repo.content.inspectors}, problems=problems,
        own_findings=findings_in_force(state.tasks.vocabularies, dept),
    )  # fmt: skip
    bodies: list[ResultPublish | ResultCorrect] = []
    unchanged = 0
    for row in parsed:
        result = result_payload(**row.body_kwargs())
        previous = record.results.get((dept, row.entity))
        if previous is None:
            ident = entryids.result_publish(task_id, dept, row.entity)
            bodies.append(ResultPublish(id=ident, ts=at, dept=dept, task_id=task_id, result=result))
            continue
        old = state.entries[previous]
        if old.payload.result == result:
            unchanged += 1
            continue
        correct = ResultCorrect(
            id=entryids.result_correct(task_id, dept, row.entity, previous), ts=at, dept=dept,
            task_id=task_id, refers=Refers(index=previous, leaf_hash=old.leaf_hash.hex()),
            result=result, reason="重新导入检查结果录入表时更正",
        )  # fmt: skip
        bodies.append(correct)
    published = sum(isinstance(b, ResultPublish) for b in bodies)
    warnings = tuple(str(p) for p in problems.warnings)
    return ImportPlan(tuple(bodies), published, len(bodies) - published, unchanged, warnings)


def import_results(
    repo: SiteRepo,
    task_id: str,
    dept: str,
    form: Path,
    at: str,
    key: Path | None,
    log_key: Path | None,
) -> ImportReport:
    """Check a filled form and record its results (:func:`plan_import`), signed here with
    ``dept``'s key: one transaction, every entry or none.

    Raises:
        ContentError: with every located problem of the form (nothing is appended).
        WorkflowError: if the task is not confirmed or ``dept`` does not take part, or the key
            is not ``dept``'s.
    """
    plan = plan_import(repo, task_id, dept, form, at)
    signer = repo.signer(dept, key)
    lines = [sign(repo.trust.origin, body, [signer]) for body in plan.bodies]
    checkpoint = repo.append(lines, repo.log_signer(log_key)) if lines else None
    return ImportReport(checkpoint, plan.published, plan.corrected, plan.unchanged, plan.warnings)


def followup(
    repo: SiteRepo,
    task_id: str,
    dept: str,
    entity: str,
    *,
    close: bool,
    note: str,
    measure: str | None,
    at: str,
    key: Path | None,
    log_key: Path | None,
    deadline: dt.date | None = None,
    recheck: str | None = None,
) -> Checkpoint:
    """Record ``followup.record`` (a measure taken, with its 整改期限 ``deadline`` if any) or
    ``followup.close`` (完结, with its 复查结果 ``recheck`` if any).

    Raises:
        WorkflowError: if the measure is not one of the form's options, or the state machine
            refuses (no published result of this department, nothing open to close).
    """
    record, _ = _record(repo, task_id, TaskState.CONFIRMED)
    if (dept, entity) not in record.results:
        # Checked here, before an entry id is built from the typed ``entity`` (docs/workflow.md
        # §3 rule 8): any text may be typed, only a published result may be followed up.
        raise WorkflowError(f"部门“{dept}”在任务“{task_id}”中没有主体“{entity}”的已公示检查结果")
    ident = entryids.followup(task_id, dept, entity, at, close=close)
    body: FollowupClose | FollowupRecord
    if close:
        body = FollowupClose(
            id=ident, ts=at, dept=dept, task_id=task_id, entity=entity, note=note,
            closed_on=china_date(at), recheck=recheck or None,
        )  # fmt: skip
    else:
        parsed = FollowUpMeasure.parse(measure or "")
        if parsed is None:
            options = "；".join(m.value for m in FollowUpMeasure)
            raise WorkflowError(f"后续处置措施应为以下之一：{options}")
        _check_measure(repo, task_id, dept, entity, parsed)
        body = FollowupRecord(
            id=ident, ts=at, dept=dept, task_id=task_id, entity=entity, measure=parsed.value,
            note=note, deadline=deadline,
        )  # fmt: skip
    return repo.append(
        [sign(repo.trust.origin, body, [repo.signer(dept, key)])], repo.log_signer(log_key)
    )


def _check_measure(
    repo: SiteRepo, task_id: str, dept: str, entity: str, measure: FollowUpMeasure
) -> None:
    """Refuse a measure that contradicts the current result's categories (docs/domain.md §3.4).

    Raises:
        WorkflowError: with the reason, when they contradict each other.
    """
    state = repo.state()
    index = state.tasks.tasks[task_id].results.get((dept, entity))
    if index is None:
        return  # the state machine refuses it with its own reason
    result: Result = state.tasks.results[index].payload.result
    categories = categories_of(result.categories, dept, state.tasks.vocabularies)
    why = measure_mismatch(measure, categories)
    if why is not None:
        raise WorkflowError(
            f"{entity} 的检查结果为“{'、'.join(c.value for c in categories)}”：{why}"
        )
