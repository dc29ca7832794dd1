"""Staff actions before and after the draw: plans, invitations, replies, confirmation, follow-up.

Each function builds one entry, signs it with the acting department's key, and appends it after
the whole ledger (keys and task states) has been replayed: an action the state machine forbids is
refused with the verifier's own reason and nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator import entryids
from generator.content.errors import Location, Problems
from generator.content.model import AnnualPlan, InspectionItem, ItemClass, SpotCheckTask, TaskKind
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.checkpoint import Checkpoint
from ledger.payloads import BlobRef, PlanPublish, PlanTask, TaskInvite, TaskReply, sign


def plan_document(
    plan: AnnualPlan, items: Mapping[str, InspectionItem] | None = None
) -> dict[str, Any]:
    """The plan as canonical-JSON-ready data (dates ISO, ratios exact decimal strings).

    With ``items`` (the 抽查事项清单 by id), the document also records ``item_rules``: the class,
    ratio cap, minimum ratio and 抽查频次 of every item the plan's tasks list, so that the
    verifier can recompute the pool rules from the ledger alone (docs/workflow.md §6.1).
    Without it, the document has the shape recorded before ``item_rules`` existed.
    """
    document: dict[str, Any] = jsonable(dataclasses.asdict(plan))
    if items is not None:
        used = sorted({i for t in plan.tasks for p in t.parts for i in p.items if i in items})
        document["item_rules"] = {i: item_rule(items[i]) for i in used}
    return document


def item_rule(item: InspectionItem) -> dict[str, Any]:
    """One item's pool rules as the plan document records them (docs/workflow.md §6.1)."""
    return {
        "class": "一般" if item.item_class is ItemClass.GENERAL else "重点",
        "ratio_cap": None if item.ratio_cap is None else format(item.ratio_cap, "f"),
        "min_ratio": None if item.min_ratio is None else format(item.min_ratio, "f"),
        "frequency": item.frequency,
    }


def plan_sha256(plan: AnnualPlan, items: Mapping[str, InspectionItem] | None = None) -> str:
    """SHA-256 (hex) of the plan document as ``plan.publish`` records it (its blob's name)."""
    return hashlib.sha256(canonical.dumps(plan_document(plan, items))).hexdigest()


def published_plans(
    plans: Iterable[AnnualPlan],
    recorded: Mapping[str, str],
    items: Mapping[str, InspectionItem] | None = None,
) -> frozenset[str]:
    """The ids of ``plans`` that the ledger's ``plan.publish`` entries record, unchanged.

    ``recorded`` maps a published plan id to the SHA-256 of its recorded document. A plan not
    in it is unpublished (the public site leaves it out; docs/site.md §8). A plan recorded with
    the items' rules (``items``) must still have them; one recorded before ``item_rules``
    existed is compared without them.

    Raises:
        ContentError: if a published plan's content differs from what the ledger recorded (the
            site shows exactly what the ledger proves, so the build stops).
    """
    problems = Problems()
    out = set()
    for plan in plans:
        digest = recorded.get(plan.id)
        if digest is None:
            continue
        accepted = {plan_sha256(plan)} | (
            {plan_sha256(plan, items)} if items is not None else set()
        )
        if digest not in accepted:
            problems.error(
                Location("content/plans/", 0, plan.id),
                f"年度计划“{plan.id}”或其所列检查事项的抽查比例、抽查频次在记入账本（plan.publish）"
                f"后被修改，与账本记录的内容（SHA-256 {digest[:16]}…）不符；网站只能公开账本记录的"
                f"版本：请恢复发布时的内容，或运行 gongkai plan publish {plan.id} 把修改发布为新版本",
            )
        out.add(plan.id)
    problems.raise_if_errors()
    return frozenset(out)


def jsonable(value: Any) -> Any:
    """``value`` with dates ISO, decimals exact strings and enums their values (JSON-ready)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    return value


def find_task(repo: SiteRepo, task_id: str) -> tuple[AnnualPlan, SpotCheckTask]:
    """The plan and task with ``task_id``.

    Raises:
        WorkflowError: if no plan has that task.
    """
    for plan in repo.content.plans:
        for task in plan.tasks:
            if task.id == task_id:
                return plan, task
    raise WorkflowError(f"年度计划中没有任务“{task_id}”")


def publish_plan(
    repo: SiteRepo, plan_id: str, at: str, key: Path | None, log_key: Path | None
) -> Checkpoint:
    """Record ``plan.publish``: the plan document as a blob, its tasks in the entry.

    A plan already published is recorded again as version n + 1 if its content changed
    (docs/workflow.md §8).

    Raises:
        WorkflowError: if the plan is unknown, or published and unchanged.
    """
    plan = next((p for p in repo.content.plans if p.id == plan_id), None)
    if plan is None:
        raise WorkflowError(f"没有编号为“{plan_id}”的年度计划")
    document = canonical.dumps(plan_document(plan, {i.id: i for i in repo.content.items}))
    digest = hashlib.sha256(document).hexdigest()
    versions = repo.state().tasks.plan_versions.get(plan.id, [])
    if versions and versions[-1].payload.document.sha256 == digest:
        raise WorkflowError(f"年度计划“{plan_id}”已发布（第 {len(versions)} 版），内容没有变化")
    version = len(versions) + 1  # a change after publication is a new version (§8)
    signer = repo.signer(plan.organiser, key)
    log = repo.log_signer(log_key)
    body = PlanPublish(
        id=entryids.plan_publish(plan.id, version),
        version=version if version > 1 else None,
        ts=at,
        dept=plan.organiser,
        plan_id=plan.id,
        year=plan.year,
        title=plan.title,
        tasks=tuple(
            PlanTask(
                task_id=t.id,
                kind="joint" if t.kind is TaskKind.JOINT else "single",
                lead=t.lead,
                departments=tuple(t.departments),
            )
            for t in plan.tasks
        ),
        document=BlobRef(sha256=digest, size=len(document), media="application/json"),
    )
    return repo.append([sign(repo.trust.origin, body, [signer])], log, blobs=[document])


def invite(
    repo: SiteRepo, task_id: str, at: str, key: Path | None, log_key: Path | None
) -> Checkpoint:
    """Record ``task.invite`` by the lead department, with the plan's invitation window."""
    _, task = find_task(repo, task_id)
    if (
        task.kind is not TaskKind.JOINT
        or task.invitation_opens is None
        or task.invitation_closes is None
    ):
        raise WorkflowError(f"任务“{task_id}”不是一业一查联合任务，不需要邀约")
    body = TaskInvite(
        id=entryids.task_invite(task.id),
        ts=at,
        dept=task.lead,
        task_id=task.id,
        partners=tuple(task.partners),
        items={p.dept: tuple(p.items) for p in task.parts},
        opens=task.invitation_opens,
        closes=task.invitation_closes,
    )
    signer = repo.signer(task.lead, key)
    return repo.append([sign(repo.trust.origin, body, [signer])], repo.log_signer(log_key))


def reply(
    repo: SiteRepo,
    task_id: str,
    dept: str,
    accept: bool,
    reason: str | None,
    at: str,
    key: Path | None,
    log_key: Path | None,
) -> Checkpoint:
    """Record ``task.reply`` (应约) by a partner department.

    Raises:
        WorkflowError: if a decline has no reason, or the state machine refuses the reply.
    """
    find_task(repo, task_id)
    if not accept and (not reason or not reason.strip()):
        raise WorkflowError("拒绝邀约须用 --reason 说明理由")
    body = TaskReply(
        id=entryids.task_reply(task_id, dept),
        ts=at,
        dept=dept,
        task_id=task_id,
        decision="accept" if accept else "decline",
        reason=None if accept or reason is None else reason.strip(),
    )
    signer = repo.signer(dept, key)
    return repo.append([sign(repo.trust.origin, body, [signer])], repo.log_signer(log_key))
