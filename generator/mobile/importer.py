"""The department's side of mobile inspection: enrol and revoke inspector keys, import bundles.

docs/mobile.md §6. ``gongkai inspector enroll FILE --dept D`` appends ``inspector.enrol``;
``gongkai inspector revoke KEY --dept D`` appends ``inspector.revoke``; ``gongkai results
import BUNDLE --dept D`` checks every result of a signed bundle and appends one
``result.publish`` per result, carrying the inspector's signature in ``inspection`` and signed
by the department. Everything is checked before anything is written: a refused file appends
nothing (exit code 15, :class:`~generator.errors.BundleError`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
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
from generator.mobile.formats import Bundle, BundleResult, Enrolment, read_file
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.errors import MalformedError
from ledger.inspector_payloads import Inspection, InspectorEnrol, InspectorRevoke, InspectorSig
from ledger.inspectors import InspectorKey
from ledger.note import parse_vkey
from ledger.payloads import (
    ResultPublish,
    sign,
)
from ledger.tasks import TaskState, china_date

__all__ = [
    "BundlePlan",
    "BundleReport",
    "Revocation",
    "enrol",
    "import_bundle",
    "plan_bundle",
    "revoke",
]


def _append_one(
    repo: SiteRepo, body: InspectorEnrol | InspectorRevoke, key: Path | None, log_key: Path | None
) -> Checkpoint:
    signer = repo.scoped_signer(body.dept, key, body.type, "docs/mobile.md §6")
    return repo.append([sign(repo.trust.origin, body, [signer])], repo.log_signer(log_key))


def enrol(
    repo: SiteRepo, path: Path, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, str]:
    """Record the enrolment file ``path`` of an inspector of ``dept``; returns the key ref.

    Raises:
        BundleError: the file is not an enrolment of this log and department, the inspector is
            not an active inspector of ``dept`` in the inspector library, the key is a public
            example key on a real site, or the proof does not verify (nothing is appended).
    """
    where = str(path)
    e = Enrolment.loads(read_file(path, "登记文件"), where)
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
class BundleReport:
    """What a bundle import recorded."""

    checkpoint: Checkpoint | None
    published: int
    unchanged: int
    inspector: str


def _bundle_key(repo: SiteRepo, bundle: Bundle, where: str) -> InspectorKey:
    state = repo.state()
    rec = state.registry.inspectors.keys.get(bundle.key)
    if rec is None:
        raise BundleError(f"{where}：签名密钥 {bundle.key} 不是账本中登记的检查人员密钥")
    if rec.dept != bundle.dept:
        raise BundleError(f"{where}：检查人员密钥 {bundle.key} 属于部门“{rec.dept}”")
    if rec.revoked_at is not None:
        raise BundleError(
            f"{where}：检查人员 {rec.inspector} 的密钥 {bundle.key} 已于账本第 {rec.revoked_at} "
            "条撤销，用它签名的结果不能导入"
        )
    return rec


def _check_result(
    item: BundleResult,
    rec: InspectorKey,
    team: set[str],
    where: str,
    own: Mapping[str, DeptFinding],
) -> None:
    """The rules of docs/mobile.md §6.3 for one signed result (besides its signature); ``own``:
    the department's own 检查结果 in force (docs/workflow.md §9)."""
    r = item.result
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
            raise BundleError(
                f"{where}：检查结果“{word}”不是省级检查结果录入表的用语，也不在本部门生效的"
                "本部门检查结果用语（vocabulary.publish）中"
            )
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


@dataclass(frozen=True)
class BundlePlan:
    """The ``result.publish`` bodies a bundle import would append, in order (the department's
    signature not yet made), and what it skipped."""

    bodies: tuple[ResultPublish, ...]
    unchanged: int
    inspector: str


def plan_bundle(repo: SiteRepo, path: Path, dept: str, at: str) -> BundlePlan:
    """Check the signed bundle ``path`` (docs/mobile.md §6.3) and work out its entries, each
    carrying the inspector's signature, without the department's signature.

    Raises:
        BundleError: the bundle is not in the documented format, belongs to another log or
            department, its key is not an enrolled and unrevoked inspector key of ``dept``, a
            signature does not verify (the bundle was altered after signing), the inspector is
            not on the business's team, or a result breaks a rule.
        WorkflowError: the task is not confirmed or ``dept`` does not take part in it.
    """
    where = str(path)
    bundle = Bundle.loads(read_file(path, "检查结果包"), where)
    if bundle.origin != repo.trust.origin:
        raise BundleError(
            f"{where}：结果包属于账本 {bundle.origin}，不是本站点的 {repo.trust.origin}"
        )
    if bundle.dept != dept:
        raise BundleError(f"{where}：结果包属于部门“{bundle.dept}”，不是 --dept 指定的“{dept}”")
    state = repo.state()
    record = state.tasks.tasks.get(bundle.task_id)
    if record is None or record.state is not TaskState.CONFIRMED:
        raise WorkflowError(f"任务“{bundle.task_id}”尚未名单确认下发，不能导入检查结果")
    if dept not in record.participants:
        raise WorkflowError(f"部门“{dept}”不是任务“{bundle.task_id}”的检查部门")
    rec = _bundle_key(repo, bundle, where)
    assert record.result is not None
    drawn_on, today = china_date(record.result.ts), china_date(at)
    own = {f.value: f for f in findings_in_force(state.tasks.vocabularies, dept)}
    bodies: list[ResultPublish] = []
    unchanged = 0
    for i, item in enumerate(bundle.results):
        at_item = f"{where}：第 {i + 1} 条结果（主体 {item.result.entity}）"
        if not rec.verifier.verify(bundle.message(item), base64.b64decode(item.sig)):
            raise BundleError(f"{at_item}：检查人员签名无效，结果包在签名后被改动过")
        if item.result.entity not in record.drawn:
            raise BundleError(f"{at_item}：该主体不在任务“{bundle.task_id}”的抽取名单中")
        team = record.teams.get(item.result.entity, {}).get(dept, set())
        _check_result(item, rec, team, at_item, own)
        if not drawn_on <= item.result.inspected_on <= item.result.completed_on <= today:
            raise BundleError(f"{at_item}：日期应满足 抽取日 ≤ 检查日期 ≤ 完成日期 ≤ 导入日")
        previous = record.results.get((dept, item.result.entity))
        if previous is not None:
            old = state.entries[previous].payload
            if isinstance(old, ResultPublish) and old.inspection is not None and _same(old, item):
                unchanged += 1
                continue
            raise BundleError(f"{at_item}：本部门已公示该主体的检查结果，更正请用检查结果录入表")
        bodies.append(_body(bundle, item, at))
    return BundlePlan(tuple(bodies), unchanged, rec.inspector)


def import_bundle(
    repo: SiteRepo, path: Path, dept: str, at: str, key: Path | None, log_key: Path | None
) -> BundleReport:
    """Check the signed bundle ``path`` and publish its results (:func:`plan_bundle`), signed
    here with ``dept``'s key: one transaction, every entry or none.

    Raises:
        BundleError / WorkflowError: as :func:`plan_bundle` (nothing is appended);
            WorkflowError also if the key is not ``dept``'s.
    """
    plan = plan_bundle(repo, path, dept, at)
    if not plan.bodies:
        return BundleReport(None, 0, plan.unchanged, plan.inspector)
    signer = repo.signer(dept, key)
    lines = [sign(repo.trust.origin, body, [signer]) for body in plan.bodies]
    checkpoint = repo.append(lines, repo.log_signer(log_key))
    return BundleReport(checkpoint, len(lines), plan.unchanged, plan.inspector)


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
        inspection=Inspection(
            attachments=item.attachments, sigs=(InspectorSig(key=bundle.key, sig=item.sig),)
        ),
    )
