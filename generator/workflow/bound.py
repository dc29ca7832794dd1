"""Plans and checklists bound into the ledger (docs/workflow.md §8).

``gongkai checklist publish`` records a department's 随机抽查事项清单 as a signed
``checklist.publish`` version (:func:`publish_checklist`); before a draw is announced,
:func:`require_published` refuses when the plan in ``content/`` is not the version the ledger
published last, or when an item the task uses differs from the department's latest published
checklist. A change after publication is therefore a new signed version, never a silent edit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator import entryids
from generator.content.model import AnnualPlan, SpotCheckTask
from generator.errors import WorkflowError
from generator.workflow.actions import published_plans
from generator.workflow.checklists import checklist_document, checklist_items
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.payloads import BlobRef, ChecklistPublish, sign

__all__ = ["publish_checklist", "require_published"]


def publish_checklist(
    repo: SiteRepo, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, int]:
    """Record the next version of ``dept``'s checklist; return the checkpoint and the version.

    Raises:
        WorkflowError: the department has no items, or its checklist is unchanged since the
            last published version.
    """
    items = [i for i in repo.content.items if i.dept == dept]
    if not items:
        raise WorkflowError(f"抽查事项清单中没有部门“{dept}”的事项")
    document = checklist_document(items)
    digest = hashlib.sha256(document).hexdigest()
    versions = repo.state().tasks.checklists.get(dept, [])
    if versions and versions[-1].payload.document.sha256 == digest:
        raise WorkflowError(f"部门“{dept}”的抽查事项清单自第 {len(versions)} 版发布以来没有变化")
    version = len(versions) + 1
    signer = repo.signer(dept, key)
    body = ChecklistPublish(
        id=entryids.checklist_publish(dept, version),
        ts=at,
        dept=dept,
        version=version,
        items=checklist_items(items),
        document=BlobRef(sha256=digest, size=len(document), media="application/json"),
    )
    line = sign(repo.trust.origin, body, [signer])
    return repo.append([line], repo.log_signer(log_key), blobs=[document]), version


def require_published(repo: SiteRepo, plan: AnnualPlan, task: SpotCheckTask) -> None:
    """Refuse a draw of ``task`` unless it follows what the ledger published (§8).

    Raises:
        ContentError: the plan differs from its latest ``plan.publish`` version (exit code 10).
        WorkflowError: the plan is not published, or an item of a department that published a
            checklist is missing from or differs from its latest version.
    """
    state = repo.state().tasks
    latest = state.plans.get(plan.id)
    if latest is None:
        raise WorkflowError(f"年度计划“{plan.id}”尚未发布（gongkai plan publish）")
    items = {i.id: i for i in repo.content.items}
    # The plan in content/ must be the latest published version (with or without the items'
    # rules of §6.1): ContentError, exit code 10, naming the fix (publish a new version).
    published_plans([plan], {plan.id: latest.payload.document.sha256}, items)
    by_id = items
    for part in task.parts:
        published = state.checklists.get(part.dept)
        if not published:
            continue
        recorded = {i.item_id: i for i in published[-1].payload.items}
        for item_id in part.items:
            current = checklist_items([by_id[item_id]])[0] if item_id in by_id else None
            if recorded.get(item_id) != current:
                raise WorkflowError(
                    f"抽查事项“{item_id}”与部门“{part.dept}”最新发布的抽查事项清单"
                    f"（第 {len(published)} 版）不符：请先运行 gongkai checklist publish "
                    f"--dept {part.dept} 发布新版本"
                )
