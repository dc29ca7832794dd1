"""年度抽查工作计划 files → :class:`AnnualPlan`, with every rule a task must meet.

Rules checked here (each failure is located at the offending key):

* references: the lead and every department exist; each item exists and belongs to the
  department that lists it; a department appears once per task;
* kind: an 一业一查 task has at least two departments, a 单部门 task exactly one;
* inspectors: at least 1 per department and at least 2 per entity in total (执法人员不得少于两人);
  each department has enough 在岗 inspectors holding the required tags;
* ratios: exact decimals in [0, 1] per credit-risk class; no ratio above the cap of any
  一般检查事项 of the task (国市监信〔2019〕38号: 一般事项 strictly limited, 重点事项 no ceiling)
  and none below the ``min_ratio`` of any item (an absent class counts as 0); an error when the
  draw on the current pool would take more than the cap or fewer than the minimum allows
  (generator.content.drawsize, docs/content.md §10; ``gongkai draw announce`` applies the same
  rule to the pool as the draw counts it);
* the invitation window (joint tasks only) is 1–3 months long;
* dates in order: plan published ≤ invitation opens < invitation closes ≤ period start
  ≤ period end, and the period lies in the plan's year;
* the pool filter matches at least one drawable entity (存续/在业);
* the task id and each department id fit in every ledger entry id built from them
  (:data:`generator.entryids.TASK_DEPT_BUDGET`, docs/ledger.md §14.6).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from generator.content.drawsize import draw_figures, percent
from generator.content.errors import Location, Problems
from generator.content.model import (
    AnnualPlan,
    CreditRisk,
    DeptPart,
    EntityType,
    InspectionItem,
    Inspector,
    InspectorStatus,
    ItemClass,
    MarketEntity,
    PoolFilter,
    SamplingMode,
    SpotCheckTask,
    TaskKind,
)
from generator.content.source import Fields, LocDict, LocList, items_of
from generator.entryids import MAX_ENTRY_ID, TASK_DEPT_BUDGET, over_budget


@dataclass(frozen=True)
class PlanContext:
    """What a plan refers to."""

    departments: frozenset[str]
    items: dict[str, InspectionItem]
    entities: Sequence[MarketEntity]
    inspectors: Sequence[Inspector]
    #: task id → "file:line" of its first definition, shared by every plan file of one load.
    task_ids: dict[str, str] = field(default_factory=dict)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def load_plan(data: LocDict, shown: str, problems: Problems, ctx: PlanContext) -> AnnualPlan | None:
    """Build one plan from its YAML mapping; None (with located problems) when invalid."""
    f = Fields(data, shown, "", problems)
    ident = f.ident("id")
    year = f.integer("year", lo=2000, hi=2100)
    title = f.text("title", max_len=200)
    organiser = f.ident("organiser")
    if organiser is not None and organiser not in ctx.departments:
        f.error("organiser", f"未知部门“{organiser}”", refers_to="departments")
    published = f.date("published_on")
    note = f.text("note", required=False, max_len=2000) or ""
    seq = f.sequence("tasks")
    f.finish()
    if published is not None and year is not None and published.year not in (year - 1, year):
        f.error("published_on", f"计划应在 {year - 1} 年或 {year} 年发布")
    tasks: list[SpotCheckTask] = []
    for _, tf in items_of(seq if seq is not None else LocList(), shown, "tasks", problems):
        task = _task(tf, ctx, year, published)
        if task is not None:
            tasks.append(task)
    if None in (ident, year, title, organiser, published):
        return None
    assert ident and year and title and organiser and published
    return AnnualPlan(ident, year, title, published, organiser, tuple(tasks), note)


def _task(
    f: Fields, ctx: PlanContext, year: int | None, published: dt.date | None
) -> SpotCheckTask | None:
    ident = f.ident("id")
    if ident is not None:
        first = ctx.task_ids.setdefault(ident, f"{f.shown}:{f.loc('id').line}")
        if first != f"{f.shown}:{f.loc('id').line}":
            f.error("id", f"任务编号“{ident}”重复（首次出现在 {first}）")
            ident = None
    name = f.text("name", max_len=200)
    kind = f.choice("kind", TaskKind.parse, "任务类型（一业一查/单部门）")
    mode = f.choice("mode", SamplingMode.parse, "抽查类型（定向抽查/不定向抽查）")
    industry = f.text("industry", max_len=50)
    lead = f.ident("lead")
    if lead is not None and lead not in ctx.departments:
        f.error("lead", f"未知部门“{lead}”", refers_to="departments")
        lead = None
    parts = _parts(f, ctx)
    if ident is not None and parts is not None:
        _check_id_lengths(f, ident, [p.dept for p in parts])
    pool = _pool(f)
    ratios = _ratios(f)
    min_count = f.integer("min_count", lo=0, hi=1_000_000)
    period = f.mapping("period")
    start = end = opens = closes = None
    if period is not None:
        pf = Fields(period, f.shown, f.loc("period").field, f.problems)
        start, end = pf.date("start"), pf.date("end")
        pf.finish()
        if start and end and start > end:
            pf.error("end", f"实施结束日期 {end} 早于开始日期 {start}")
        for key, day in (("start", start), ("end", end)):
            if day and year and day.year != year:
                pf.error(key, f"实施期间应在计划年度 {year} 年内（{day}）")
    invitation = f.mapping("invitation", required=False)
    if invitation is not None:
        inv = Fields(invitation, f.shown, f.loc("invitation").field, f.problems)
        opens, closes = inv.date("opens"), inv.date("closes")
        inv.finish()
        _check_invitation(inv, opens, closes, start, published)
    exclude_days = f.integer("exclude_inspected_within_days", required=False, lo=0, hi=3650)
    f.finish()
    if kind is TaskKind.JOINT and invitation is None:
        f.error("invitation", "一业一查联合任务须设置邀约期限（invitation）")
    if kind is TaskKind.SINGLE and invitation is not None:
        f.error("invitation", "单部门任务不发出邀约，不应设置 invitation")
    if parts is not None and lead is not None:
        _check_parts(f, kind, lead, parts, ctx, ratios)
    if pool is not None and not any(pool.matches(e) for e in ctx.entities):
        f.error(
            "pool",
            "抽查对象范围在监管对象库中没有匹配的可抽取主体（存续/在业）",
            refers_to="entities",
        )
    values = (ident, name, kind, mode, industry, lead, parts, pool, ratios, min_count, start, end)
    if any(v is None for v in values):
        return None
    assert (
        ident
        and name
        and kind
        and mode
        and industry
        and lead
        and parts
        and pool
        and ratios is not None
    )
    assert min_count is not None and start and end
    task = SpotCheckTask(
        ident, name, kind, mode, industry, lead, tuple(parts), pool, ratios, min_count,
        start, end, opens, closes, exclude_days,
    )  # fmt: skip
    _check_draw_limits(f, task, ctx)
    return task


def _check_draw_limits(f: Fields, task: SpotCheckTask, ctx: PlanContext) -> None:
    """Refuse a task whose draw, on today's pool, breaks an item's cap or minimum (the same
    rule ``gongkai draw announce`` applies on the frozen pool; docs/content.md §10.3)."""
    counts = Counter(e.risk for e in ctx.entities if task.pool.matches(e))
    for message in draw_figures(task, ctx.items, counts).breaches():
        f.problems.error(f.loc("min_count"), f"按当前检查对象名录库计算，{message}")


def _check_invitation(
    inv: Fields,
    opens: dt.date | None,
    closes: dt.date | None,
    start: dt.date | None,
    published: dt.date | None,
) -> None:
    if opens is None or closes is None:
        return
    if closes <= opens:
        inv.error("closes", f"邀约截止日期 {closes} 应晚于邀约开始日期 {opens}")
        return
    if closes < add_months(opens, 1) or closes > add_months(opens, 3):
        inv.error("closes", f"邀约期限应为1至3个月（{opens} 至 {closes} 不符合）")
    if start is not None and closes > start:
        inv.error("closes", f"邀约截止日期 {closes} 晚于实施开始日期 {start}")
    if published is not None and opens < published:
        inv.error("opens", f"邀约开始日期 {opens} 早于计划发布日期 {published}")


def _parts(f: Fields, ctx: PlanContext) -> list[DeptPart] | None:
    seq = f.sequence("departments", max_items=20)
    if seq is None:
        return None
    parts: list[DeptPart] = []
    seen: set[str] = set()
    ok = True
    for _, pf in items_of(seq, f.shown, f.loc("departments").field, f.problems):
        dept = pf.ident("dept")
        if dept is not None and dept not in ctx.departments:
            pf.error("dept", f"未知部门“{dept}”", refers_to="departments")
            dept = None
        if dept is not None and dept in seen:
            pf.error("dept", f"部门“{dept}”在同一任务中重复")
            dept = None
        items = pf.texts("items", max_len=64)
        for item_id in items or ():
            item = ctx.items.get(item_id)
            if item is None:
                pf.error("items", f"抽查事项清单中没有事项“{item_id}”", refers_to="items")
                ok = False
            elif dept is not None and item.dept != dept:
                pf.error("items", f"事项“{item_id}”属于部门“{item.dept}”，不属于“{dept}”")
                ok = False
        per_entity = pf.integer("inspectors_per_entity", lo=1, hi=10)
        tags = pf.texts("required_tags", required=False, max_len=50) or ()
        pf.finish()
        if dept is None or not items or per_entity is None:
            ok = False
            continue
        seen.add(dept)
        parts.append(DeptPart(dept, items, per_entity, tags))
    return parts if ok and parts else None


def _check_id_lengths(f: Fields, ident: str, depts: list[str]) -> None:
    """A task id and each of its departments' ids fit in every entry id (docs/ledger.md §14.6)."""
    for dept in depts:
        if over_budget(ident, dept):
            f.error(
                "id",
                f"任务编号“{ident}”（{len(ident)} 个字符）与部门编号“{dept}”（{len(dept)} 个字符）"
                f"合计 {len(ident) + len(dept)} 个字符，超过 {TASK_DEPT_BUDGET} 个字符的上限："
                f"账本条目编号（如 followup.record/任务编号/部门编号/主体/时间）最长 {MAX_ENTRY_ID} "
                "个字符；请缩短任务编号或部门编号",
            )


def _check_parts(
    f: Fields,
    kind: TaskKind | None,
    lead: str,
    parts: list[DeptPart],
    ctx: PlanContext,
    ratios: tuple[tuple[CreditRisk, Decimal], ...] | None,
) -> None:
    depts = [p.dept for p in parts]
    if lead not in depts:
        f.error("lead", f"牵头部门“{lead}”应列在 departments 中")
    if kind is TaskKind.JOINT and len(parts) < 2:
        f.error("departments", "一业一查联合任务至少需要两个部门（牵头部门和配合部门）")
    if kind is TaskKind.SINGLE and len(parts) != 1:
        f.error("departments", "单部门任务只能有一个部门")
    if sum(p.inspectors_per_entity for p in parts) < 2:
        f.error("departments", "每户检查对象至少需要2名执法检查人员（执法人员不得少于两人）")
    for i, part in enumerate(parts):
        eligible = [
            x for x in ctx.inspectors
            if x.dept == part.dept and x.status is InspectorStatus.ACTIVE and set(part.required_tags) <= set(x.tags)
        ]  # fmt: skip
        if len(eligible) < part.inspectors_per_entity:
            tags = "、".join(part.required_tags) or "无"
            part_map = f.data["departments"][i]
            f.problems.error(
                Location(
                    f.shown,
                    part_map.line_of("required_tags"),
                    f"{f.loc('departments').field}[{i}].required_tags",
                ),
                f"部门“{part.dept}”在岗且具备专长（{tags}）的执法检查人员只有 {len(eligible)} 名，少于每户所需的 {part.inspectors_per_entity} 名",
                refers_to="inspectors",
            )
    if ratios is not None:
        _check_ratio_limits(f, parts, ctx, dict(ratios))


def _check_ratio_limits(
    f: Fields, parts: list[DeptPart], ctx: PlanContext, ratios: dict[CreditRisk, Decimal]
) -> None:
    """Every class ratio within each item's cap and minimum (docs/content.md §10.2); an absent
    class counts as 0 against a minimum."""
    ratio_map = f.data["ratios"]

    def where(risk: CreditRisk) -> Location:
        if risk in ratios:
            return Location(
                f.shown, ratio_map.line_of(risk.value), f"{f.prefix}.ratios.{risk.value}"
            )
        return f.loc("ratios")

    for part in parts:
        for item in (ctx.items[i] for i in part.items):
            cap = item.ratio_cap if item.item_class is ItemClass.GENERAL else None
            for risk in CreditRisk:
                ratio = ratios.get(risk)
                if cap is not None and ratio is not None and ratio > cap:
                    f.problems.error(
                        where(risk),
                        f"比例 {ratio} 超过一般检查事项“{item.id} {item.name}”的比例上限 {cap}",
                    )
                if item.min_ratio is not None and (ratio or Decimal(0)) < item.min_ratio:
                    shown = percent(ratio) if ratio is not None else "未设置（按 0 计）"
                    f.problems.error(
                        where(risk),
                        f"{risk.value} 类比例 {shown} 低于事项“{item.id} {item.name}”的"
                        f"抽查比例下限 {percent(item.min_ratio)}",
                    )


def _pool(f: Fields) -> PoolFilter | None:
    data = f.mapping("pool")
    if data is None:
        return None
    pf = Fields(data, f.shown, f.loc("pool").field, f.problems)
    industries = pf.texts("industries", required=False, max_len=50) or ()
    divisions = pf.texts("divisions", required=False, max_len=6) or ()
    for d in divisions:
        if not (len(d) == 6 and d.isdigit()):
            pf.error("divisions", f"应为6位行政区划代码，实际为“{d}”")
            return None
    types_raw = pf.texts("entity_types", required=False, max_len=20) or ()
    types: list[EntityType] = []
    for t in types_raw:
        parsed = EntityType.parse(t)
        if parsed is None:
            pf.error("entity_types", f"不是有效的主体类型：“{t}”")
            return None
        types.append(parsed)
    pf.finish()
    return PoolFilter(industries, divisions, tuple(types))


def _ratios(f: Fields) -> tuple[tuple[CreditRisk, Decimal], ...] | None:
    data = f.mapping("ratios")
    if data is None:
        return None
    rf = Fields(data, f.shown, f.loc("ratios").field, f.problems)
    out: list[tuple[CreditRisk, Decimal]] = []
    ok = True
    for risk in CreditRisk:
        ratio = rf.ratio(risk.value, required=False)
        if ratio is not None:
            out.append((risk, ratio))
        elif risk.value in data:
            ok = False
    rf.finish()
    if not out and ok:
        f.error("ratios", "至少为一个信用风险分类设置抽查比例")
        return None
    return tuple(out) if ok else None
