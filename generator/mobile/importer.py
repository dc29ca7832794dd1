"""The department's side of mobile inspection: enrol and revoke inspector keys, import bundles.

docs/mobile.md §6. ``gongkai inspector enroll FILE --dept D`` appends ``inspector.enrol``;
``gongkai inspector revoke KEY --dept D`` appends ``inspector.revoke``; ``gongkai results
import BUNDLE --dept D`` checks every result of a signed bundle and appends one
``result.publish`` per result, carrying the inspector's signature in ``inspection`` and signed
by the department. A file comes from disk or from the QR codes the phone showed (``--qr-text``,
:mod:`generator.mobile.qrparts`); either way it is a :class:`~generator.mobile.formats.Source`.
Everything is checked before anything is written: a refused file appends nothing (exit code 15,
:class:`~generator.errors.BundleError`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator import entryids
from generator.content.results import (
    NO_PROBLEM,
    Category,
    DeptFinding,
    FollowUpMeasure,
    ResultCategory,
    findings_in_force,
    measure_mismatch,
)
from generator.content.text import unsafe_text_message
from generator.errors import BundleError, WorkflowError
from generator.keyrequests import compromised_from_problem
from generator.mobile.example import example_public_key
from generator.mobile.formats import Bundle, BundleResult, Enrolment, Source
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.errors import MalformedError
from ledger.inspector_payloads import Inspection, InspectorEnrol, InspectorRevoke
from ledger.inspectors import InspectorKey
from ledger.note import parse_vkey
from ledger.payloads import (
    ResultPublish,
    sign,
)
from ledger.tasks import TaskRecord, TaskState, china_date

__all__ = [
    "BundlePlan",
    "BundleReport",
    "Revocation",
    "enrol",
    "import_bundles",
    "plan_bundles",
    "revoke",
]


def _append_one(
    repo: SiteRepo, body: InspectorEnrol | InspectorRevoke, key: Path | None, log_key: Path | None
) -> Checkpoint:
    signer = repo.scoped_signer(body.dept, key, body.type, "docs/mobile.md §6")
    return repo.append([sign(repo.trust.origin, body, [signer])], repo.log_signer(log_key))


def enrol(
    repo: SiteRepo, source: Source, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, str]:
    """Record the enrolment file ``source`` (read from a file or scanned from QR codes) of an
    inspector of ``dept``; returns the key ref.

    Raises:
        BundleError: the file is not an enrolment of this log and department, the inspector is
            not an active inspector of ``dept`` in the inspector library, the key is a public
            example key on a real site, or the proof does not verify (nothing is appended).
    """
    where = source.where
    e = Enrolment.loads(source.data, where)
    if e.origin != repo.trust.origin:
        raise BundleError(f"{where}：登记文件属于账本 {e.origin}，不是本站点的 {repo.trust.origin}")
    if e.dept != dept:
        raise BundleError(f"{where}：登记文件属于部门“{e.dept}”，不是 --dept 指定的“{dept}”")
    person = next((i for i in repo.content.inspectors if i.id == e.inspector), None)
    if person is None or person.dept != dept:
        raise BundleError(
            f"{where}：执法证号 {e.inspector} 不是部门“{dept}”执法检查人员名录中的人员"
        )
    try:
        verifier = parse_vkey(e.vkey)
    except MalformedError as exc:
        raise BundleError(f"{where}：字段 vkey 无效（{exc}）") from None
    if not repo.content.site.example and verifier.public_key == example_public_key(
        dept, e.inspector
    ):
        raise BundleError(f"{where}：这是公开的示例检查人员密钥，不能用于真实站点")
    if not verifier.verify(e.message(), base64.b64decode(e.proof)):
        raise BundleError(f"{where}：proof 不是该密钥对登记声明的有效签名（文件被改动过）")
    if verifier.key_ref in repo.state().registry.inspectors.keys:
        raise BundleError(f"{where}：检查人员密钥 {verifier.key_ref} 已登记过")
    body = InspectorEnrol(
        id=entryids.inspector_enrol(dept, verifier.key_id), ts=at, dept=dept,
        inspector=e.inspector, vkey=e.vkey, scopes=("result.publish",), proof=e.proof,
    )  # fmt: skip
    return _append_one(repo, body, key, log_key), verifier.key_ref


@dataclass(frozen=True)
class Revocation:
    """What ``inspector.revoke`` recorded: the checkpoint and the results it flags."""

    checkpoint: Checkpoint
    flagged: tuple[int, ...]


def revoke(
    repo: SiteRepo,
    key_ref: str,
    dept: str,
    reason: str,
    compromised_from: int | None,
    at: str,
    key: Path | None,
    log_key: Path | None,
) -> Revocation:
    """Record ``inspector.revoke`` of the inspector key ``key_ref`` of ``dept``; with
    ``compromised_from`` (reason ``compromised``), the results the key signed at that index or
    later are flagged (docs/mobile.md §3).

    Raises:
        WorkflowError: the key is not an enrolled, unrevoked inspector key of ``dept``, or
            ``compromised_from`` is given with another reason or outside ``added_at < c ≤
            size`` (nothing is appended).
    """
    registry = repo.state().registry
    rec = registry.inspectors.keys.get(key_ref)
    if rec is None or rec.dept != dept or rec.revoked_at is not None:
        raise WorkflowError(f"{key_ref} 不是部门“{dept}”登记且尚未撤销的检查人员密钥")
    if compromised_from is not None:
        problem = compromised_from_problem(reason, compromised_from, rec.added_at, registry.size)
        if problem is not None:
            raise WorkflowError(problem)
    body = InspectorRevoke(
        id=entryids.inspector_revoke(dept, rec.verifier.key_id), ts=at, dept=dept, key=key_ref,
        reason=reason, compromised_from_index=compromised_from,
    )  # fmt: skip
    checkpoint = _append_one(repo, body, key, log_key)
    signed = registry.inspectors.signed.get(key_ref, ())
    flagged = tuple(i for i in signed if compromised_from is not None and i >= compromised_from)
    return Revocation(checkpoint, flagged)


@dataclass(frozen=True)
class BundlePlan:
    """The ``result.publish`` bodies a bundle import would append, in order (the department's
    signature not yet made; ``cosigned`` of them carry several inspectors' signatures), the
    results already published unchanged, and the signatures on those that the published entry
    lacks (``not_added``: an entry is never changed, docs/mobile.md §6.3 step 6)."""

    bodies: tuple[ResultPublish, ...]
    unchanged: int
    inspectors: tuple[str, ...]
    cosigned: int = 0
    not_added: int = 0


@dataclass(frozen=True)
class BundleReport:
    """What a bundle import recorded: its plan and the checkpoint (None: nothing appended)."""

    checkpoint: Checkpoint | None
    plan: BundlePlan

    @property
    def published(self) -> int:
        """How many results were published."""
        return len(self.plan.bodies) if self.checkpoint is not None else 0


def _inspector_key(repo: SiteRepo, ref: str, dept: str, where: str) -> InspectorKey:
    """The enrolled, unrevoked inspector key ``ref`` of ``dept`` (docs/mobile.md §6.3 step 3)."""
    rec = repo.state().registry.inspectors.keys.get(ref)
    if rec is None:
        raise BundleError(f"{where}：签名密钥 {ref} 不是账本中登记的检查人员密钥")
    if rec.dept != dept:
        raise BundleError(f"{where}：检查人员密钥 {ref} 属于部门“{rec.dept}”")
    if rec.revoked_at is not None:
        raise BundleError(
            f"{where}：检查人员 {rec.inspector} 的密钥 {ref} 已于账本第 {rec.revoked_at} "
            "条撤销，用它签名的结果不能导入"
        )
    return rec


def _check_result(
    item: BundleResult,
    signers: list[InspectorKey],
    team: set[str],
    where: str,
    own: Mapping[str, DeptFinding],
    version: int | None,
) -> None:
    """The rules of docs/mobile.md §6.3 step 4 for one signed result (besides its signatures);
    ``own``: the department's own 检查结果 in force (docs/workflow.md §10), of its
    ``vocabulary.publish`` version ``version`` (None: it has published none)."""
    r = item.result
    for rec in signers:
        if rec.inspector not in team:
            raise BundleError(
                f"{where}：签名的检查人员 {rec.inspector} 不在主体 {r.entity} 的本部门检查组中"
                f"（检查组：{'、'.join(sorted(team)) or '无'}）"
            )
        if rec.inspector not in r.inspectors or not set(r.inspectors) <= team:
            raise BundleError(f"{where}：检查人员应为该主体检查组中本部门的成员，且包括签名人")
    for field, text in (("detail", r.detail), ("followup.note", r.followup.note or "")):
        bad = unsafe_text_message(text, multiline=True)
        if bad is not None:
            raise BundleError(f"{where}：字段 result.{field} {bad}")
    categories: list[Category] = []
    for word in r.categories:
        found = ResultCategory.parse(word) or own.get(word)
        if found is None:
            in_force = "本部门也未发布本部门检查结果用语（vocabulary.publish）"
            if version is not None:
                in_force = (
                    f"也不在本部门现行的本部门检查结果用语（vocabulary.publish 第 {version} 版）中："
                    "请按现行版本重新生成移动检查应用，重新录入该结果"
                )
            raise BundleError(f"{where}：检查结果“{word}”不是省级检查结果录入表的用语，{in_force}")
        categories.append(found)
    measure = FollowUpMeasure(r.followup.measure)
    if NO_PROBLEM in categories and len(categories) > 1:
        raise BundleError(f"{where}：“未发现问题”不能与其他检查结果同时选择")
    if NO_PROBLEM in categories and measure is not FollowUpMeasure.NONE_NEEDED:
        raise BundleError(f"{where}：检查结果为“未发现问题”，后续处置措施不能为“{measure.value}”")
    why = measure_mismatch(measure, categories)
    if why is not None:
        raise BundleError(f"{where}：{why}")
    if (r.followup.state == "已完结") != (r.followup.closed_on is not None):
        raise BundleError(f"{where}：后续处置已完结的须有完结日期，未完结的不应有")


def _load(repo: SiteRepo, source: Source, dept: str) -> Bundle:
    """The bundle of ``source``, of this site's log and ``dept`` (§6.3 steps 1–2).

    Raises:
        BundleError: naming the file.
    """
    where = source.where
    bundle = Bundle.loads(source.data, where)
    if bundle.origin != repo.trust.origin:
        raise BundleError(
            f"{where}：结果包属于账本 {bundle.origin}，不是本站点的 {repo.trust.origin}"
        )
    if bundle.dept != dept:
        raise BundleError(f"{where}：结果包属于部门“{bundle.dept}”，不是 --dept 指定的“{dept}”")
    return bundle


def _task(repo: SiteRepo, bundles: list[tuple[str, Bundle]], dept: str) -> TaskRecord:
    """The confirmed task every bundle is of, in which ``dept`` takes part (§6.3 step 2).

    Raises:
        BundleError: the bundles are of different tasks.
        WorkflowError: the task is not confirmed or ``dept`` does not take part.
    """
    task_id = bundles[0][1].task_id
    for where, bundle in bundles[1:]:
        if bundle.task_id != task_id:
            raise BundleError(
                f"{where}：结果包属于任务“{bundle.task_id}”，与 {bundles[0][0]} 的“{task_id}”不同；"
                "一次只能导入同一任务的结果包"
            )
    record = repo.state().tasks.tasks.get(task_id)
    if record is None or record.state is not TaskState.CONFIRMED:
        raise WorkflowError(f"任务“{task_id}”尚未名单确认下发，不能导入检查结果")
    if dept not in record.participants:
        raise WorkflowError(f"部门“{dept}”不是任务“{task_id}”的检查部门")
    return record


def plan_bundles(repo: SiteRepo, sources: Sequence[Source], dept: str, at: str) -> BundlePlan:
    """Check the signed bundles ``sources`` (files, or scanned QR codes: §5.2; v1 or v2, of one
    task; results of the same business in several bundles merged when identical, docs/mobile.md
    §6.3) and work out their entries, each carrying the inspectors' signatures, without the
    department's signature.

    Raises:
        BundleError: a bundle is not in the documented format, belongs to another log,
            department or task, a key is not an enrolled and unrevoked inspector key of
            ``dept``, a signature does not verify (the bundle was altered after signing), a
            signer is not on the business's team, a result breaks a rule, or two bundles hold
            different results for one business.
        WorkflowError: the task is not confirmed or ``dept`` does not take part in it.
    """
    bundles = [(source.where, _load(repo, source, dept)) for source in sources]
    record = _task(repo, bundles, dept)
    keys = {
        ref: _inspector_key(repo, ref, dept, where)
        for where, bundle in bundles
        for ref in bundle.keys
    }
    assert record.result is not None
    drawn_on, today = china_date(record.result.ts), china_date(at)
    book = repo.state().tasks.vocabularies
    own = {f.value: f for f in findings_in_force(book, dept)}
    current = book.in_force(dept)
    version = current.version if current is not None else None
    merged: dict[str, tuple[str, BundleResult]] = {}
    for where, bundle in bundles:
        for i, item in enumerate(bundle.results):
            at_item = f"{where}：第 {i + 1} 条结果（主体 {item.result.entity}）"
            msg = bundle.message(item)
            for s in item.sigs:
                if not keys[s.key].verifier.verify(msg, base64.b64decode(s.sig)):
                    raise BundleError(
                        f"{at_item}：检查人员 {keys[s.key].inspector} 的签名无效，"
                        "结果包在签名后被改动过"
                    )
            if item.result.entity not in record.drawn:
                raise BundleError(f"{at_item}：该主体不在任务“{bundle.task_id}”的抽取名单中")
            team = record.teams.get(item.result.entity, {}).get(dept, set())
            signers = [keys[s.key] for s in item.sigs]
            _check_result(item, signers, team, at_item, own, version)
            if not drawn_on <= item.result.inspected_on <= item.result.completed_on <= today:
                raise BundleError(f"{at_item}：日期应满足 抽取日 ≤ 检查日期 ≤ 完成日期 ≤ 导入日")
            merged[item.result.entity] = _merge(merged.get(item.result.entity), at_item, item)
    inspectors = tuple(sorted({k.inspector for k in keys.values()}))
    return _plan(repo, bundles[0][1], record, merged, at, inspectors)


def import_bundles(
    repo: SiteRepo, sources: Sequence[Source], dept: str, at: str, key: Path | None,
    log_key: Path | None,
) -> BundleReport:  # fmt: skip
    """Check the signed bundles ``sources`` and publish their results (:func:`plan_bundles`),
    signed here with ``dept``'s key: one transaction, every entry or none.

    Raises:
        BundleError / WorkflowError: as :func:`plan_bundles` (nothing is appended);
            WorkflowError also if the key is not ``dept``'s.
    """
    plan = plan_bundles(repo, sources, dept, at)
    if not plan.bodies:
        return BundleReport(None, plan)
    signer = repo.signer(dept, key)
    lines = [sign(repo.trust.origin, body, [signer]) for body in plan.bodies]
    return BundleReport(repo.append(lines, repo.log_signer(log_key)), plan)


def _merge(
    seen: tuple[str, BundleResult] | None, where: str, item: BundleResult
) -> tuple[str, BundleResult]:
    """``item`` joined to the same business's result of an earlier bundle: the same statement
    (result and attachments), the signatures of both (docs/mobile.md §6.3 step 5).

    Raises:
        BundleError: the statements differ.
    """
    if seen is None:
        return where, item
    first, earlier = seen
    if not earlier.same_statement(item):
        raise BundleError(
            f"{where}：与 {first} 不是同一份结果（检查结果、日期、人员或照片文件的 SHA-256 不同）；"
            "共同签名的检查人员须对完全相同的结果签名"
        )
    sigs = {s.key: s for s in (*earlier.sigs, *item.sigs)}
    joined = tuple(sigs[k] for k in sorted(sigs))
    return first, BundleResult(earlier.result, earlier.attachments, joined)


def _plan(
    repo: SiteRepo, bundle: Bundle, record: TaskRecord, merged: dict[str, tuple[str, BundleResult]],
    at: str, inspectors: tuple[str, ...],
) -> BundlePlan:  # fmt: skip
    """One ``result.publish`` body per new result of ``merged`` (§6.3 step 6 and after)."""
    state = repo.state()
    bodies: list[ResultPublish] = []
    unchanged = not_added = 0
    for entity in sorted(merged, key=lambda e: e.encode("utf-8")):
        where, item = merged[entity]
        previous = record.results.get((bundle.dept, entity))
        if previous is not None:
            old = state.entries[previous].payload
            if isinstance(old, ResultPublish) and old.inspection is not None and _same(old, item):
                unchanged += 1
                not_added += len({s.key for s in item.sigs} - {s.key for s in old.inspection.sigs})
                continue
            raise BundleError(f"{where}：本部门已公示该主体的检查结果，更正请用检查结果录入表")
        bodies.append(_body(bundle, item, at))
    cosigned = sum(1 for b in bodies if b.inspection is not None and len(b.inspection.sigs) > 1)
    return BundlePlan(tuple(bodies), unchanged, inspectors, cosigned, not_added)


def _same(old: ResultPublish, item: BundleResult) -> bool:
    assert old.inspection is not None
    return old.result == item.result and old.inspection.attachments == item.attachments


def _body(bundle: Bundle, item: BundleResult, at: str) -> ResultPublish:
    return ResultPublish(
        id=entryids.result_publish(bundle.task_id, bundle.dept, item.result.entity),
        ts=at,
        dept=bundle.dept,
        task_id=bundle.task_id,
        result=item.result,
        inspection=Inspection(attachments=item.attachments, sigs=item.sigs),
    )
