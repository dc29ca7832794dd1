"""The pool rules of docs/workflow.md §6, recomputed by the verifier from the ledger alone.

``gongkai draw announce`` shapes a task's entity snapshot with gongkai's own records (last visit,
抽查频次) and refuses a draw whose size breaks the ratio limits of its items (docs/content.md
§10). An operator who skipped those steps would leave a snapshot or a draw that still re-runs
byte for byte; this module catches it. :class:`PoolAudit` is fed, in log order, by
:class:`ledger.draw.audit.LedgerAudit` after the task state machine has applied the entry:

* ``plan.publish`` — the plan document (a blob): each task's items by department and, when the
  plan recorded them, each item's rules (``item_rules``: class, ratio cap, minimum ratio,
  frequency; checked for shape and for the 重点/一般 rules of docs/content.md §10.1);
* ``draw.announce`` — rule 1 (no snapshot ``last_inspected`` earlier than a result recorded
  before), rule 2 (no business of the snapshot at an item's 抽查频次), rule 3 (no other task of
  the year sharing a frequency-limited item announced but not drawn), and the announced
  ratios against the items' cap and minimum (docs/content.md §10.2);
* ``draw.result`` (after the re-run matched) — the number drawn against ``⌈cap × N⌉`` and
  ``⌈min_ratio × N⌉`` with ``N`` and ``k`` the result's own ``eligible`` and ``k`` (§10.3).

Rules that need ``item_rules`` are skipped, with a warning, for a plan that did not record them.
Standard library only (shipped in ``gongkai-verify.pyz``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger import canonical
from ledger.draw.library import parse_pool_filter
from ledger.draw.rules import parse_ratio
from ledger.draw.snapshot import parse_entity_table
from ledger.entries import Entry
from ledger.errors import MalformedError, VerificationError
from ledger.payloads import DrawAnnounce, PlanPublish
from ledger.tasks import TaskLedger, TaskRecord

BlobReader = Callable[[str], bytes]
Ratio = tuple[int, int]

_RULE_KEYS = frozenset({"class", "ratio_cap", "min_ratio", "frequency"})


@dataclass(frozen=True)
class ItemRule:
    """One item's rules as a plan document records them (docs/workflow.md §6.1)."""

    general: bool
    ratio_cap: Ratio | None
    min_ratio: Ratio | None
    frequency: int | None


def _ratio(value: object, what: str) -> Ratio | None:
    if value is None:
        return None
    try:
        return parse_ratio(value)
    except MalformedError as exc:
        raise VerificationError(f"{what}：{exc}") from exc


def _less(a: Ratio, b: Ratio) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def parse_item_rule(item: str, value: object) -> ItemRule:
    """Parse and check one ``item_rules`` value.

    Raises:
        VerificationError: if its shape is wrong, a 一般 item has no cap, a 重点 item has one,
            or a minimum ratio exceeds the cap.
    """
    what = f"计划文件 item_rules.{item}"
    if not isinstance(value, dict) or set(value) != _RULE_KEYS:
        raise VerificationError(f"{what} 应恰有 class、ratio_cap、min_ratio、frequency 四项")
    kind = value["class"]
    if kind not in ("一般", "重点"):
        raise VerificationError(f"{what}.class 应为“一般”或“重点”")
    frequency = value["frequency"]
    if frequency is not None and (type(frequency) is not int or frequency < 1):
        raise VerificationError(f"{what}.frequency 应为 ≥ 1 的整数或 null")
    rule = ItemRule(
        kind == "一般",
        _ratio(value["ratio_cap"], f"{what}.ratio_cap"),
        _ratio(value["min_ratio"], f"{what}.min_ratio"),
        frequency,
    )
    if rule.general and rule.ratio_cap is None:
        raise VerificationError(f"{what}：一般检查事项须设抽查比例上限")
    if not rule.general and rule.ratio_cap is not None:
        raise VerificationError(f"{what}：重点检查事项不设抽查比例上限")
    if rule.ratio_cap and rule.min_ratio and _less(rule.ratio_cap, rule.min_ratio):
        raise VerificationError(f"{what}：抽查比例下限高于比例上限")
    return rule


def _parts(task: object) -> tuple[str, dict[str, tuple[str, ...]]] | None:
    """``(task id, {dept: items})`` of a plan document's task, or None if it has another shape."""
    if not isinstance(task, dict) or not isinstance(task.get("id"), str):
        return None
    parts: dict[str, tuple[str, ...]] = {}
    for part in task.get("parts") or ():
        if isinstance(part, dict) and isinstance(part.get("dept"), str):
            items = part.get("items")
            if isinstance(items, list):
                parts[part["dept"]] = tuple(i for i in items if isinstance(i, str))
    return task["id"], parts


def _ceil(ratio: Ratio, n: int) -> int:
    return -(-ratio[0] * n // ratio[1])


def _pct(ratio: Ratio) -> str:
    num, den = ratio[0] * 100, ratio[1]
    whole, rest = divmod(num, den)
    if not rest:
        return f"{whole}%"
    return f"{num / den:.6g}%"


@dataclass(frozen=True)
class Announced:
    """What :meth:`PoolAudit.announce` computed for the announcement it checked last, kept for
    the library check of the same announcement (:class:`~ledger.draw.audit.LedgerAudit`)."""

    task_id: str
    #: Latest ``inspected_on`` per business among the results recorded before it (rule 1).
    visits: dict[str, dt.date]
    #: The businesses rule 2 keeps out of its snapshot (an item at its 抽查频次 this year).
    excluded: frozenset[str]


@dataclass
class PoolAudit:
    """The pool rules' state over one ledger (fed by :class:`~ledger.draw.audit.LedgerAudit`)."""

    #: task id → {dept: items} from its plan document.
    parts: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    #: task id → its pool filter from its plan document (None: not of the documented shape).
    filters: dict[str, dict[str, tuple[str, ...]] | None] = field(default_factory=dict)
    #: plan id → its items' rules, or None when the plan did not record them.
    rules: dict[str, dict[str, ItemRule] | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: draw announcements whose snapshot was checked (rule 1 at least).
    announcements_checked: int = 0
    #: The visits and exclusions of the announcement checked last (None before the first).
    announced: Announced | None = None

    def plan(self, body: PlanPublish, read_blob: BlobReader) -> None:
        """Read a published plan's document.

        Raises:
            VerificationError: if ``item_rules`` is malformed, breaks a rule of docs/content.md
                §10.1, or lacks an item a task lists.
        """
        document = canonical.loads(read_blob(body.document.sha256))
        tasks = document.get("tasks") if isinstance(document, dict) else None
        for task in tasks if isinstance(tasks, list) else ():
            found = _parts(task)
            if found is not None:
                self.parts[found[0]] = found[1]
                self.filters[found[0]] = parse_pool_filter(task)
        raw = document.get("item_rules") if isinstance(document, dict) else None
        if raw is None:
            self.rules[body.plan_id] = None
            self.warnings.append(
                f"年度计划 {body.plan_id} 的计划文件未记录检查事项的抽查比例和抽查频次（item_rules），"
                "其任务的比例上限、比例下限和抽查频次未核对（docs/workflow.md §6.1）"
            )
            return
        if not isinstance(raw, dict):
            raise VerificationError("计划文件的 item_rules 应为对象")
        rules = {str(k): parse_item_rule(str(k), v) for k, v in raw.items()}
        for t in body.tasks:
            for dept, items in self.parts.get(t.task_id, {}).items():
                missing = sorted(set(items) - set(rules))
                if missing:
                    raise VerificationError(
                        f"计划文件 item_rules 缺少任务 {t.task_id} 中 {dept} 的检查事项 "
                        f"{'、'.join(missing)}"
                    )
        self.rules[body.plan_id] = rules

    def announce(self, tasks: TaskLedger, entry: Entry, read_blob: BlobReader) -> None:
        """Check an announcement's snapshot and ratios against the entries before it, and keep
        the visits and 抽查频次 exclusions it computed (:attr:`announced`).

        ``tasks`` has applied the announcement itself (and everything before it).

        Raises:
            VerificationError: naming the business, item and figures of the broken rule.
            MalformedError: if the entity snapshot does not parse.
        """
        body: DrawAnnounce = entry.payload
        record = tasks.tasks[body.task_id]
        table = parse_entity_table(read_blob(body.pools.entities.sha256))
        last = tasks.last_visits()
        for entity, snapshot_day in zip(table.ids, table.last_inspected, strict=True):
            recorded = last.get(entity)
            if recorded is not None and snapshot_day < recorded.isoformat():
                raise VerificationError(
                    f"检查对象快照中主体 {entity} 的上次检查日期为 {snapshot_day or '空'}，"
                    f"早于账本此前已记录的检查日期 {recorded}（docs/workflow.md §6 规则 1：上次检查日期"
                    "取名录库与账本记录中较晚者）"
                )
        self.announcements_checked += 1
        self.announced = Announced(record.task_id, last, frozenset())
        rules = self.rules.get(record.plan_id)
        if rules is None:
            return
        self._ratios(record, body, rules)
        counts = self._frequency_counts(tasks, record, rules)
        self.announced = Announced(record.task_id, last, _excluded(counts, rules))
        for entity in table.ids:
            for item, n in sorted(counts.get(entity, {}).items()):
                limit = rules[item].frequency
                assert limit is not None
                if n >= limit:
                    raise VerificationError(
                        f"主体 {entity} 的检查事项 {item} 本年度已被其他任务抽中 {n} 次，达到抽查频次"
                        f"上限 {limit} 次，却仍在任务 {record.task_id} 的检查对象快照中"
                        "（docs/workflow.md §6 规则 2）"
                    )

    def _items(self, record: TaskRecord, departments: tuple[str, ...] | None) -> set[str]:
        parts = self.parts.get(record.task_id, {})
        chosen = parts if departments is None else {d: parts.get(d, ()) for d in departments}
        return {i for items in chosen.values() for i in items}

    def _frequency_counts(
        self, tasks: TaskLedger, record: TaskRecord, rules: Mapping[str, ItemRule]
    ) -> dict[str, dict[str, int]]:
        """entity → item → other drawn tasks of the year (rule 2); enforces rule 3."""
        limited = {
            i
            for i in self._items(record, record.participants)
            if i in rules and rules[i].frequency is not None
        }
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        if not limited:
            return counts
        year = _year(tasks, record)
        for other in sorted(tasks.tasks.values(), key=lambda r: r.task_id):
            if other is record or other.announce is None or _year(tasks, other) != year:
                continue
            shared = sorted(self._items(other, other.participants) & limited)
            if not shared:
                continue
            if other.result is None:
                raise VerificationError(
                    f"任务 {other.task_id} 已公告抽取但尚未抽取，与任务 {record.task_id} 同属 {year} "
                    f"年度，都检查有抽查频次限制的事项 {'、'.join(shared)}：须在其抽取完成后才能公告"
                    "（docs/workflow.md §6 规则 3）"
                )
            for entity in other.drawn:
                for item in shared:
                    counts[entity][item] += 1
        return counts

    def _limits(
        self, record: TaskRecord, rules: Mapping[str, ItemRule]
    ) -> tuple[tuple[str, Ratio] | None, tuple[str, Ratio] | None]:
        """``(item, cap)`` with the smallest cap of the task's 一般 items, ``(item, minimum)``
        with the largest minimum ratio of its items (docs/content.md §10.3; ties: smallest id)."""
        cap: tuple[str, Ratio] | None = None
        floor: tuple[str, Ratio] | None = None
        for item in sorted(self._items(record, None)):
            rule = rules[item]
            general_cap = rule.ratio_cap if rule.general else None
            if general_cap is not None and (cap is None or _less(general_cap, cap[1])):
                cap = (item, general_cap)
            if rule.min_ratio is not None and (floor is None or _less(floor[1], rule.min_ratio)):
                floor = (item, rule.min_ratio)
        return cap, floor

    def _ratios(
        self, record: TaskRecord, body: DrawAnnounce, rules: Mapping[str, ItemRule]
    ) -> None:
        cap, floor = self._limits(record, rules)
        for stratum in body.rules.strata:
            ratio = parse_ratio(stratum.ratio)
            if cap is not None and _less(cap[1], ratio):
                raise VerificationError(
                    f"信用风险分类 {stratum.stratum} 的抽查比例 {_pct(ratio)} 高于一般检查事项 "
                    f"{cap[0]} 的比例上限 {_pct(cap[1])}（docs/content.md §10.2）"
                )
            if floor is not None and _less(ratio, floor[1]):
                raise VerificationError(
                    f"信用风险分类 {stratum.stratum} 的抽查比例 {_pct(ratio)} 低于检查事项 "
                    f"{floor[0]} 的比例下限 {_pct(floor[1])}（docs/content.md §10.2）"
                )

    def result(self, record: TaskRecord, result: Mapping[str, Any]) -> None:
        """Check the number a verified draw took against the items' cap and minimum.

        Raises:
            VerificationError: with the figures, if ``k > ⌈cap × N⌉`` or ``k < ⌈min × N⌉``.
        """
        rules = self.rules.get(record.plan_id)
        if rules is None:
            return
        strata = [s for s in result.get("strata", ()) if isinstance(s, dict)]
        eligible = sum(int(s.get("eligible", 0)) for s in strata)
        drawn = sum(int(s.get("k", 0)) for s in strata)
        cap, floor = self._limits(record, rules)
        if cap is not None and drawn > _ceil(cap[1], eligible):
            raise VerificationError(
                f"可抽取 {eligible} 户，按一般检查事项 {cap[0]} 的比例上限 {_pct(cap[1])} 最多抽取 "
                f"{_ceil(cap[1], eligible)} 户，实际抽取 {drawn} 户（docs/content.md §10.3）"
            )
        if floor is not None and drawn < _ceil(floor[1], eligible):
            raise VerificationError(
                f"可抽取 {eligible} 户，按检查事项 {floor[0]} 的比例下限 {_pct(floor[1])} 至少须抽取 "
                f"{_ceil(floor[1], eligible)} 户，实际只抽取 {drawn} 户（docs/content.md §10.3）"
            )


def _excluded(
    counts: Mapping[str, Mapping[str, int]], rules: Mapping[str, ItemRule]
) -> frozenset[str]:
    """The businesses an item of the task has reached its 抽查频次 for this year (rule 2)."""
    return frozenset(
        entity
        for entity, items in counts.items()
        if any(n >= (rules[item].frequency or 0) for item, n in items.items())
    )


def _year(tasks: TaskLedger, record: TaskRecord) -> int:
    plan: PlanPublish = tasks.plans[record.plan_id].payload
    return plan.year
