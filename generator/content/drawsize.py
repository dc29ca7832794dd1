"""How many entities a task's draw takes, and the ratio cap of its 一般检查事项 (docs/workflow.md §3).

The draw (docs/draw-v1.md §8) takes ``k_ratio_s = min(N_s, ⌈N_s · ρ_s⌉)`` per credit-risk
class, then tops up to ``min(min_count, N)``; both round up, so the number drawn can exceed the
plan's ratio. 国市监信〔2019〕38号 strictly limits 一般检查事项: the number actually drawn may not
exceed ``⌊cap × N⌋`` (N = eligible entities of the pool), where ``cap`` is the smallest
``ratio_cap`` of the task's 一般检查事项. ``gongkai draw announce`` refuses a draw that would
break it, saying both numbers; the site's planned count uses the same :func:`draw_size`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from generator.content.model import CreditRisk, InspectionItem, ItemClass, SpotCheckTask


@dataclass(frozen=True)
class DrawSize:
    """The size of a draw over ``eligible`` entities (before any replacement)."""

    eligible: int
    #: Σ over the risk classes of min(N_s, ⌈N_s · ρ_s⌉).
    by_ratio: int
    #: What the draw takes: max(by_ratio, min(min_count, eligible)).
    drawn: int


def draw_size(task: SpotCheckTask, counts: Mapping[CreditRisk, int]) -> DrawSize:
    """The draw's size for ``counts`` eligible entities per risk class (exact decimals)."""
    eligible = sum(counts.values())
    by_ratio = sum(
        min(n, math.ceil(n * task.ratio_for(risk))) for risk, n in counts.items() if n > 0
    )
    return DrawSize(eligible, by_ratio, max(by_ratio, min(task.min_count, eligible)))


@dataclass(frozen=True)
class CapBreach:
    """A draw that would take more entities than a 一般检查事项's ratio cap allows."""

    item: InspectionItem
    cap: Decimal
    limit: int
    size: DrawSize

    def message(self, task_id: str) -> str:
        """The refusal, in Chinese, with the numbers."""
        pct = format((self.cap * 100).normalize(), "f")
        reasons = []
        if self.size.by_ratio > self.limit:
            reasons.append(f"按各信用风险分类比例向上取整须抽取 {self.size.by_ratio} 户")
        if self.size.drawn > self.size.by_ratio:
            reasons.append(f"按最少户数须抽取 {self.size.drawn} 户")
        return (
            f"任务“{task_id}”含一般检查事项“{self.item.id} {self.item.name}”，抽查比例上限 {pct}%："
            f"可抽取的检查对象 {self.size.eligible} 户，按比例上限 {pct}% 最多抽取 {self.limit} 户，"
            f"{'，'.join(reasons)}；请在年度计划中调整抽查比例或最少抽查户数（min_count）"
        )


def cap_breach(
    task: SpotCheckTask, items: Mapping[str, InspectionItem], size: DrawSize
) -> CapBreach | None:
    """The tightest 一般检查事项 cap of ``task`` that ``size`` breaks, or None."""
    capped = [i for i in _items(task, items) if i.item_class is ItemClass.GENERAL]
    capped = [i for i in capped if i.ratio_cap is not None]
    if not capped:
        return None
    item = min(capped, key=lambda i: (i.ratio_cap, i.id))
    assert item.ratio_cap is not None
    limit = math.floor(item.ratio_cap * size.eligible)
    return CapBreach(item, item.ratio_cap, limit, size) if size.drawn > limit else None


def _items(task: SpotCheckTask, items: Mapping[str, InspectionItem]) -> Iterable[InspectionItem]:
    for part in task.parts:
        for item_id in part.items:
            if item_id in items:
                yield items[item_id]
