"""How many entities a task's draw takes, and the ratio limits of its items (docs/content.md §10).

The draw (docs/draw-v1.md §8) takes ``R = Σ_s min(N_s, ⌈N_s · ρ_s⌉)`` per credit-risk class,
then tops up to ``min(min_count, N)``: ``k = max(R, min(min_count, N))`` (N = eligible
entities). 国市监信〔2019〕38号 limits 一般检查事项 (重点检查事项 have no ceiling): with
``cap`` the smallest ``ratio_cap`` of the task's 一般检查事项, the number actually drawn may not
exceed ``⌈cap × N⌉`` — the cap's count is rounded up like a ratio's, so a single class drawn at
exactly the cap always passes, and what is refused is the extra from rounding each class up
separately and from the ``min_count`` top-up (the cap wins over both). With ``floor`` the largest
``min_ratio`` of the task's items, at least ``⌈floor × N⌉`` must be drawn. ``gongkai check``
refuses a plan whose draw on the current pool breaks either limit and prints the figures;
``gongkai draw announce`` refuses it on the pool as the draw will count it. The site's planned
count uses the same :func:`draw_size`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from generator.content.model import (
    Content,
    CreditRisk,
    InspectionItem,
    ItemClass,
    SpotCheckTask,
)


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


def percent(ratio: Decimal) -> str:
    """``Decimal("0.05")`` → ``"5%"`` (exact, no trailing zeros)."""
    text = format((ratio * 100).normalize(), "f")
    return f"{text}%"


@dataclass(frozen=True)
class DrawFigures:
    """A draw's size beside the ratio limits of the task's items (docs/content.md §10.3).

    ``cap_item`` is the 一般检查事项 with the smallest ``ratio_cap`` (ties: smallest id);
    ``floor_item`` the item with the largest ``min_ratio`` (ties: smallest id); either is None
    when no item of the task sets one.
    """

    task_id: str
    size: DrawSize
    cap_item: InspectionItem | None
    floor_item: InspectionItem | None
    #: The task's items with a 抽查频次 (docs/content.md §10.4), by id.
    limited: tuple[InspectionItem, ...] = ()

    @property
    def cap_limit(self) -> int | None:
        """``⌈cap × N⌉``: the most the cap allows, or None without a cap."""
        if self.cap_item is None or self.cap_item.ratio_cap is None:
            return None
        return math.ceil(self.cap_item.ratio_cap * self.size.eligible)

    @property
    def floor_limit(self) -> int | None:
        """``⌈min_ratio × N⌉``: the least the minimum ratio allows, or None without one."""
        if self.floor_item is None or self.floor_item.min_ratio is None:
            return None
        return math.ceil(self.floor_item.min_ratio * self.size.eligible)

    def summary(self) -> str:
        """One line of figures: drawn / pool / limits, e.g. for ``gongkai check``."""
        s = self.size
        text = f"任务“{self.task_id}”：可抽取 {s.eligible} 户，抽取 {s.drawn} 户（按比例向上取整 {s.by_ratio} 户"
        text += f"，按最少户数补足 {s.drawn - s.by_ratio} 户）" if s.drawn > s.by_ratio else "）"
        if self.cap_item is None:
            text += "；无比例上限（不含一般检查事项）"
        if self.cap_limit is not None and self.cap_item and self.cap_item.ratio_cap is not None:
            text += (
                f"；比例上限 {percent(self.cap_item.ratio_cap)}（{self.cap_item.id}）"
                f"最多 {self.cap_limit} 户"
            )
        if (
            self.floor_limit is not None
            and self.floor_item
            and self.floor_item.min_ratio is not None
        ):
            text += (
                f"；比例下限 {percent(self.floor_item.min_ratio)}（{self.floor_item.id}）"
                f"至少 {self.floor_limit} 户"
            )
        for item in self.limited:
            text += f"；抽查频次（{item.id}）同一检查对象每年最多抽中 {item.frequency} 次"
        return text

    def breaches(self) -> list[str]:
        """The refusals, in Chinese with the numbers (empty when the draw keeps every limit)."""
        out: list[str] = []
        s = self.size
        cap, item = self.cap_limit, self.cap_item
        if cap is not None and item is not None and item.ratio_cap is not None and s.drawn > cap:
            pct = percent(item.ratio_cap)
            reasons = []
            if s.by_ratio > cap:
                reasons.append(f"按各信用风险分类比例向上取整须抽取 {s.by_ratio} 户")
            if s.drawn > s.by_ratio:
                reasons.append(f"按最少户数须抽取 {s.drawn} 户")
            out.append(
                f"任务“{self.task_id}”含一般检查事项“{item.id} {item.name}”，抽查比例上限 {pct}："
                f"可抽取的检查对象 {s.eligible} 户，按比例上限 {pct} 最多抽取 {cap} 户，"
                f"{'，'.join(reasons)}；请在年度计划中调整抽查比例或最少抽查户数（min_count）"
            )
        floor, low = self.floor_limit, self.floor_item
        if floor is not None and low is not None and low.min_ratio is not None and s.drawn < floor:
            pct = percent(low.min_ratio)
            out.append(
                f"任务“{self.task_id}”含事项“{low.id} {low.name}”，抽查比例下限 {pct}："
                f"可抽取的检查对象 {s.eligible} 户，至少须抽取 {floor} 户，实际只抽取 {s.drawn} 户；"
                "请在年度计划中提高抽查比例或最少抽查户数（min_count）"
            )
        return out


def draw_figures(
    task: SpotCheckTask, items: Mapping[str, InspectionItem], counts: Mapping[CreditRisk, int]
) -> DrawFigures:
    """The size of ``task``'s draw over ``counts`` and the limits of its items."""
    own = list(_items(task, items))
    capped = [i for i in own if i.item_class is ItemClass.GENERAL and i.ratio_cap is not None]
    floored = [i for i in own if i.min_ratio is not None]
    cap_item = min(capped, key=lambda i: (i.ratio_cap, i.id)) if capped else None
    floor_item = min(floored, key=lambda i: (-(i.min_ratio or 0), i.id)) if floored else None
    limited = tuple(
        sorted({i.id: i for i in own if i.frequency is not None}.values(), key=lambda i: i.id)
    )
    return DrawFigures(task.id, draw_size(task, counts), cap_item, floor_item, limited)


def _items(task: SpotCheckTask, items: Mapping[str, InspectionItem]) -> Iterable[InspectionItem]:
    for part in task.parts:
        for item_id in part.items:
            if item_id in items:
                yield items[item_id]


def content_figures(content: Content) -> list[DrawFigures]:
    """The figures of every task of ``content`` on its current pool (``gongkai check``)."""
    items = {i.id: i for i in content.items}
    out = []
    for plan in content.plans:
        for task in plan.tasks:
            counts = Counter(e.risk for e in content.pool(task))
            out.append(draw_figures(task, items, counts))
    return out
