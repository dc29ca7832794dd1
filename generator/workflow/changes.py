"""What changed from one published version to the next, in words (docs/site.md §8.1).

The site lists every version of a department's 抽查事项清单 (``checklist.publish``), of an
annual plan (``plan.publish``), of the 检查对象名录库 (``library.publish``) and of a department's own
检查结果 (``vocabulary.publish``) with the changes against the version before it. The changes are
computed here from what the ledger recorded (the entry's items, the plan blobs, what the ledger
audit read of each library blob, the vocabulary entries' words), never from ``content/``: each
line names the item or task and the old and new values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ledger.dept_vocabulary import Finding
from ledger.draw.libraryaudit import NAMED, LibraryVersion, RecordChanges
from ledger.payloads import ChecklistItem

__all__ = [
    "checklist_changes",
    "library_changes",
    "plan_changes",
    "ratio_words",
    "vocabulary_changes",
]

T = TypeVar("T")


def ratio_words(value: Any) -> str:
    """A recorded ratio string as a percentage (``"0.05"`` → ``5%``); None → ``无``."""
    if value is None:
        return "无"
    try:
        pct = (Decimal(str(value)) * 100).normalize()
    except InvalidOperation:
        return str(value)
    return f"{pct:f}%"


def _short_class(item_class: str) -> str:
    return item_class.removesuffix("检查事项")


def _item_changes(old: ChecklistItem, new: ChecklistItem) -> list[str]:
    """The changed fields of one item (same id) as ``field：old → new`` parts."""
    parts: list[str] = []
    if old.name != new.name:
        parts.append(f"名称“{old.name}”改为“{new.name}”")
    if old.item_class != new.item_class:
        parts.append(f"由{_short_class(old.item_class)}改为{_short_class(new.item_class)}")
    if old.ratio_cap != new.ratio_cap:
        parts.append(f"抽查比例上限 {ratio_words(old.ratio_cap)} → {ratio_words(new.ratio_cap)}")
    if old.min_ratio != new.min_ratio:
        parts.append(f"抽查比例下限 {ratio_words(old.min_ratio)} → {ratio_words(new.min_ratio)}")
    if old.frequency != new.frequency:
        parts.append(f"抽查频次 {old.frequency or '不限'} → {new.frequency or '不限'}")
    if old.legal_basis != new.legal_basis:
        added = [b for b in new.legal_basis if b not in old.legal_basis]
        removed = [b for b in old.legal_basis if b not in new.legal_basis]
        words = "检查依据改动"
        if added:
            words += f"，增加{'、'.join(added)}"
        if removed:
            words += f"，删除{'、'.join(removed)}"
        parts.append(words)
    return parts


def _diff(
    before: Mapping[str, T],
    after: Mapping[str, T],
    added: Callable[[str, T], str],
    removed: Callable[[str, T], str],
    changed: Callable[[str, T, T], str],
) -> list[str]:
    """One line per key added, removed or changed from ``before`` to ``after``, by key."""
    lines: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was is None and now is not None:
            lines.append(added(key, now))
        elif now is None and was is not None:
            lines.append(removed(key, was))
        elif was is not None and now is not None and was != now:
            lines.append(changed(key, was, now))
    return lines


def checklist_changes(
    old: Sequence[ChecklistItem] | None, new: Sequence[ChecklistItem]
) -> tuple[str, ...]:
    """The changes from checklist version ``old`` to ``new`` (``old`` None: the first version).

    One line per added, removed or changed item, in item id order; a version whose items are
    unchanged (only other fields of the blob changed) gets one line saying so.
    """
    if old is None:
        return (f"首次发布，共 {len(new)} 项",)
    lines = _diff(
        {i.item_id: i for i in old},
        {i.item_id: i for i in new},
        lambda k, now: f"新增 {k}“{now.name}”（{_short_class(now.item_class)}）",
        lambda k, was: f"删除 {k}“{was.name}”",
        lambda k, was, now: f"{k}：{'；'.join(_item_changes(was, now))}",
    )
    return tuple(lines) or ("事项及其类别、比例、依据未变，仅清单的其他内容（如检查方式）有改动",)


#: Task fields of the plan document compared field by field, with their names on the site.
_TASK_FIELDS = (
    ("name", "任务名称"),
    ("industry", "行业"),
    ("kind", "类型"),
    ("mode", "抽查方式"),
    ("lead", "牵头部门"),
    ("partners", "联查部门"),
    ("min_count", "最少抽查户数"),
    ("exclude_inspected_within_days", "近期已检查排除天数"),
    ("period_start", "开始日期"),
    ("period_end", "结束日期"),
    ("invitation_opens", "邀约开始"),
    ("invitation_closes", "邀约截止"),
)


def _words(value: Any) -> str:
    if value is None or value == []:
        return "无"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _ratios(task: Mapping[str, Any]) -> dict[str, Any]:
    return {str(r): x for r, x in task.get("ratios", [])}


def _task_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The changed fields of one task (same id)."""
    parts: list[str] = []
    for key, label in _TASK_FIELDS:
        if old.get(key) != new.get(key):
            parts.append(f"{label} {_words(old.get(key))} → {_words(new.get(key))}")
    was, now = _ratios(old), _ratios(new)
    for risk in sorted(was.keys() | now.keys()):
        if was.get(risk) != now.get(risk):
            parts.append(
                f"{risk} 类抽查比例 {ratio_words(was.get(risk))} → {ratio_words(now.get(risk))}"
            )
    before = {p.get("dept"): p for p in old.get("parts", [])}
    after = {p.get("dept"): p for p in new.get("parts", [])}
    for dept in sorted(before.keys() | after.keys(), key=str):
        if before.get(dept) == after.get(dept):
            continue
        was_items = (before.get(dept) or {}).get("items", [])
        now_items = (after.get(dept) or {}).get("items", [])
        if was_items != now_items:
            parts.append(f"部门 {dept} 的抽查事项 {_words(was_items)} → {_words(now_items)}")
        else:
            parts.append(f"部门 {dept} 的检查人员要求改动")
    if not parts and old != new:
        parts.append("其他内容（如检查对象范围）改动")
    return parts


def plan_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[str, ...]:
    """The changes from plan document ``old`` to ``new`` (the ``plan.publish`` blobs, decoded;
    ``old`` None: the first version). One line per added, removed or changed task, then the
    plan's title and note and the items' rules (docs/workflow.md §6.1)."""
    tasks = new.get("tasks", [])
    if old is None:
        return (f"首次发布，共 {len(tasks)} 项抽查任务",)
    lines = _diff(
        {str(t.get("id")): t for t in old.get("tasks", [])},
        {str(t.get("id")): t for t in tasks},
        lambda k, now: f"新增任务 {k}“{now.get('name', '')}”",
        lambda k, was: f"删除任务 {k}“{was.get('name', '')}”",
        lambda k, was, now: f"任务 {k}：{'；'.join(_task_changes(was, now))}",
    )
    if old.get("title") != new.get("title"):
        lines.append(f"标题“{old.get('title')}”改为“{new.get('title')}”")
    if old.get("note") != new.get("note"):
        lines.append("说明改动")
    if old.get("item_rules") != new.get("item_rules"):
        lines.append("所列检查事项的类别、抽查比例上下限或抽查频次改动")
    return tuple(lines) or ("其他内容改动",)


#: How many businesses a library change line names before “等 n 户” (the audit keeps as many).
LIBRARY_NAMES_SHOWN = NAMED


def _names(change: RecordChanges, unit: str) -> str:
    shown = "、".join(f"{r.name}（{r.id}）" for r in change.first[:LIBRARY_NAMES_SHOWN])
    more = change.total - LIBRARY_NAMES_SHOWN
    return shown + (f" 等，共 {change.total} {unit}" if more > 0 else "")


def library_changes(version: LibraryVersion, unit: str) -> tuple[str, ...]:
    """What a library version changed against the one before, by record (``unit``: 户 or 人):
    those removed (first: a removed business can no longer be drawn, a removed inspector no
    longer sent), added and with changed fields. ``version`` is what the ledger audit read of it
    (:class:`ledger.draw.libraryaudit.LibraryVersion`)."""
    if version.first:
        return (f"第一版，共 {version.count} {unit}",)
    lines = []
    for word, change in (
        ("移出", version.removed),
        ("新增", version.added),
        ("信息变更", version.changed),
    ):
        if change.total:
            lines.append(f"{word} {change.total} {unit}：{_names(change, unit)}")
    return (*lines, f"共 {version.count} {unit}")


def _meaning(problem: bool) -> str:
    return "发现问题" if problem else "未发现问题"


def vocabulary_changes(old: Sequence[Finding] | None, new: Sequence[Finding]) -> tuple[str, ...]:
    """What a department's vocabulary version (``vocabulary.publish``, docs/workflow.md §10)
    changed against the one before (``old`` None: the first version): the words removed (no
    longer accepted in new results), those added, each with its meaning, and a reordering."""
    if old is None:
        return (f"首次发布，共 {len(new)} 个用语",)
    before = {f.word for f in old}
    after = {f.word for f in new}
    lines = [f"删去“{f.word}”" for f in old if f.word not in after]
    lines += [f"新增“{f.word}”（{_meaning(f.problem)}）" for f in new if f.word not in before]
    if not lines:
        lines.append("用语未变，仅调整了排列顺序")
    return (*lines, f"共 {len(new)} 个用语")
