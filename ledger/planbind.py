"""The draw must follow the published plan and checklist (docs/workflow.md §8).

:class:`PlanBinding` is a replay hook of the auditor (docs/ledger.md §13.5 step 4). It reads the
plan document of every ``plan.publish`` (the blob the entry hashes: the whole plan, ratios,
items and departments included) and the items of every ``checklist.publish``; at each
``draw.announce`` it requires the announcement's rules to be those of the task in the plan
version in force (strata ratios, ``min_count``, ``exclude_inspected_within_days``, lead, and
per department the inspectors per business and the required tags), and every item the task
gives a participating department to be in that department's latest published checklist, if it
has published one. A plan edited after publication therefore either is a new signed version
(and the draw follows it) or makes the audit fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.entries import Entry
from ledger.errors import VerificationError
from ledger.payloads import ChecklistPublish, DrawAnnounce, PlanPublish

__all__ = ["PlanBinding"]


def _where(entry: Entry) -> str:
    return f"第 {entry.index} 条条目（{entry.type} {entry.id}）"


def _ratio(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


class PlanBinding:
    """Replay hook: plan versions and checklists in force, checked at every announcement."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.items: dict[str, set[str]] = {}
        self.checked = 0

    def __call__(self, entry: Entry, read_blob: Callable[[str], bytes]) -> None:
        """Record a plan version or checklist, or check an announcement against them.

        Raises:
            VerificationError: the plan document is not the plan the entry lists, or the
                announcement differs from the plan in force (naming the field).
        """
        payload = entry.payload
        if isinstance(payload, PlanPublish):
            self._plan(entry, payload, read_blob)
        elif isinstance(payload, ChecklistPublish):
            self.items[payload.dept] = {item.item_id for item in payload.items}
        elif isinstance(payload, DrawAnnounce):
            self._announce(entry, payload)

    def _plan(self, entry: Entry, body: PlanPublish, read_blob: Callable[[str], bytes]) -> None:
        try:
            document = json.loads(read_blob(body.document.sha256))
            tasks = {t["id"]: t for t in document["tasks"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise VerificationError(f"{_where(entry)}：计划文件不是有效的年度计划：{exc}") from exc
        if sorted(tasks) != sorted(t.task_id for t in body.tasks):
            raise VerificationError(f"{_where(entry)}：计划文件中的任务与条目列出的任务不符")
        for task_id in [k for k, v in self.tasks.items() if v.get("_plan") == body.plan_id]:
            del self.tasks[task_id]  # a new version replaces the old one's tasks
        for task_id, task in tasks.items():
            self.tasks[task_id] = {**task, "_plan": body.plan_id}

    def _announce(self, entry: Entry, body: DrawAnnounce) -> None:
        task = self.tasks.get(body.task_id)
        if task is None:
            return  # ledger.tasks refuses a task no plan lists
        rules = body.rules
        where = f"{_where(entry)}：抽取规则与已发布的年度计划（任务 {body.task_id}）不符"
        ratios = {str(r): _ratio(x) for r, x in task.get("ratios", [])}
        for stratum in rules.strata:
            want = ratios.get(stratum.stratum, Decimal(0))
            if _ratio(stratum.ratio) != want:
                raise VerificationError(
                    f"{where}：信用风险 {stratum.stratum} 类的抽查比例为 {stratum.ratio}，"
                    f"计划为 {want}"
                )
        for field in ("min_count", "exclude_inspected_within_days", "lead"):
            if getattr(rules, field) != task.get(field):
                raise VerificationError(
                    f"{where}：{field} 为 {getattr(rules, field)!r}，计划为 {task.get(field)!r}"
                )
        parts = {p["dept"]: p for p in task.get("parts", [])}
        for rule in rules.departments:
            part = parts.get(rule.dept)
            if part is None:
                raise VerificationError(f"{where}：部门 {rule.dept} 不在该任务中")
            if rule.per_entity != part.get("inspectors_per_entity") or sorted(
                rule.required_tags
            ) != sorted(set(part.get("required_tags", []))):
                raise VerificationError(f"{where}：部门 {rule.dept} 的检查人员要求与计划不符")
            published = self.items.get(rule.dept)
            missing = [
                i for i in part.get("items", []) if published is not None and i not in published
            ]
            if missing:
                raise VerificationError(
                    f"{_where(entry)}：部门 {rule.dept} 的抽查事项 {'、'.join(missing)} "
                    "不在其最新发布的抽查事项清单（checklist.publish）中"
                )
        self.checked += 1
