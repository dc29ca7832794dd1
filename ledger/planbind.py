"""The draw must follow the published plan and checklist (docs/workflow.md §8).

:class:`PlanBinding` is a replay hook of the auditor (docs/ledger.md §13.5 step 4). It reads the
plan document of every ``plan.publish`` (the blob the entry hashes: the whole plan, ratios,
items and departments included) and the items of every ``checklist.publish``; at each
``draw.announce`` it requires the announcement's rules to be those of the task in the plan
version in force (strata ratios, ``min_count``, ``exclude_inspected_within_days``, lead, and
per department the inspectors per business and the required tags), and every item the task
gives a participating department to be in that department's checklist version in force (its
latest ``checklist.publish`` before the announcement) with the class (重点/一般), ratio cap and
minimum and 抽查频次 that the plan version recorded for it in ``item_rules`` (docs/workflow.md
§8.1). A plan edited after publication therefore either is a new signed version (and the draw
follows it) or makes the audit fail; so does a checklist changed after the plan without a new
plan version. (That a participating department has published a checklist at all is a rule of
``ledger.tasks``, checked at append too.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.entries import Entry
from ledger.errors import VerificationError
from ledger.payloads import ChecklistItem, ChecklistPublish, DrawAnnounce, PlanPublish

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
        #: Per department, the checklist version in force and its items by id.
        self.items: dict[str, tuple[int, dict[str, ChecklistItem]]] = {}
        #: Per plan, the ``item_rules`` of the version in force (None: not recorded, §6.1).
        self.rules: dict[str, dict[str, Any] | None] = {}
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
            self.items[payload.dept] = (payload.version, {i.item_id: i for i in payload.items})
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
        rules = document.get("item_rules")
        self.rules[body.plan_id] = rules if isinstance(rules, dict) else None

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
            self._items(entry, rule.dept, part.get("items", []), self.rules.get(task["_plan"]))
        self.checked += 1

    def _items(
        self, entry: Entry, dept: str, item_ids: list[str], rules: dict[str, Any] | None
    ) -> None:
        """Each item of ``dept`` in the task must be in the department's checklist version in
        force, with the class, ratio cap and minimum and 抽查频次 the plan recorded for it
        (``item_rules``, docs/workflow.md §8.1). A department without a checklist is refused by
        ``ledger.tasks`` before this hook runs."""
        if dept not in self.items:
            return
        version, published = self.items[dept]
        where = f"{_where(entry)}：部门 {dept} 的抽查事项"
        in_force = f"公告时生效的抽查事项清单（checklist.publish 第 {version} 版）"
        missing = [i for i in item_ids if i not in published]
        if missing:
            raise VerificationError(f"{where} {'、'.join(missing)} 不在{in_force}中")
        for item_id in item_ids:
            recorded = rules.get(item_id) if rules is not None else None
            if not isinstance(recorded, dict):
                continue  # a plan without item_rules: warned by ledger.draw.poolrules
            differences = _differences(recorded, published[item_id])
            if differences:
                raise VerificationError(
                    f"{where} {item_id} 与{in_force}不符：{'；'.join(differences)}"
                    "（计划记录的事项规则须与清单相同，清单修改后须发布计划的新版本）"
                )


def _differences(recorded: dict[str, Any], item: ChecklistItem) -> list[str]:
    """How the plan's ``item_rules`` entry differs from the checklist's item, in words."""
    out: list[str] = []
    kind = "一般" if item.item_class == "一般检查事项" else "重点"
    if recorded.get("class") != kind:
        out.append(f"事项类别计划为 {recorded.get('class')!r}，清单为 {item.item_class}")
    for field, label in (("ratio_cap", "抽查比例上限"), ("min_ratio", "抽查比例下限")):
        mine, theirs = recorded.get(field), getattr(item, field)
        if (mine is None) != (theirs is None) or (
            mine is not None and _ratio(mine) != _ratio(theirs)
        ):
            out.append(f"{label}计划为 {mine}，清单为 {theirs}")
    if recorded.get("frequency") != item.frequency:
        out.append(f"抽查频次计划为 {recorded.get('frequency')}，清单为 {item.frequency}")
    return out
