"""一般检查事项 ratio caps hold on the number actually drawn (docs/workflow.md §3, rule 4)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generator.content.drawsize import cap_breach, draw_size
from generator.content.loader import load_content
from generator.content.model import CreditRisk, ItemClass
from generator.workflow.drawing import check_ratio_cap
from generator.workflow.site import WorkflowError

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
A, B, C, D = CreditRisk
POOL_33 = {A: 11, B: 17, C: 4, D: 1}


def _setup(cap: str, ratios: dict[CreditRisk, str], min_count: int) -> tuple[Any, Any]:
    content, _ = load_content(MINI)
    task = next(t for p in content.plans for t in p.tasks if t.id == "2024-YYYC-CY")
    task = dataclasses.replace(
        task, ratios=tuple((r, Decimal(x)) for r, x in ratios.items()), min_count=min_count
    )
    first = task.parts[0].items[0]
    items = {  # one 一般检查事项 with ``cap``; no other cap
        i.id: dataclasses.replace(
            i,
            item_class=ItemClass.GENERAL,
            ratio_cap=Decimal(cap) if i.id == first else None,
        )
        for i in content.items
    }
    return task, items


def test_min_count_top_up_beyond_the_cap_is_refused() -> None:
    """5 of 33 under a 10% cap: the cap allows 3."""
    task, items = _setup("0.1", {A: "0.02", B: "0.05", C: "0.1", D: "0.1"}, 5)
    size = draw_size(task, POOL_33)
    assert (size.eligible, size.by_ratio, size.drawn) == (33, 4, 5)
    breach = cap_breach(task, items, size)
    assert breach is not None
    message = breach.message(task.id)
    assert "按比例上限 10% 最多抽取 3 户" in message
    assert "按最少户数须抽取 5 户" in message


def test_rounding_up_per_class_beyond_the_cap_is_refused() -> None:
    """Every class rounds up: 7 of 18 under a 30% cap (at most 5), without min_count."""
    task, items = _setup("0.3", {A: "0.3", B: "0.3", C: "0.3", D: "0.3"}, 0)
    size = draw_size(task, {A: 5, B: 5, C: 5, D: 3})
    assert (size.eligible, size.drawn) == (18, 7)
    breach = cap_breach(task, items, size)
    assert breach is not None
    assert "最多抽取 5 户，按各信用风险分类比例向上取整须抽取 7 户" in breach.message(task.id)


def test_a_draw_within_the_cap_passes() -> None:
    task, items = _setup("0.25", {A: "0.1", B: "0.15", C: "0.25", D: "0.25"}, 3)
    assert cap_breach(task, items, draw_size(task, POOL_33)) is None  # 7 ≤ ⌊8.25⌋


def test_announce_refuses_with_the_numbers_and_counts_like_the_draw() -> None:
    """The recently inspected are not eligible (docs/draw-v1.md §8), as in the draw itself."""
    task, items = _setup("0.1", {A: "0.02", B: "0.05", C: "0.1", D: "0.1"}, 5)
    task = dataclasses.replace(task, exclude_inspected_within_days=180)
    recent = dt.date(2024, 1, 2)
    pool = [
        SimpleNamespace(risk=r, last_inspected=None) for r, n in POOL_33.items() for _ in range(n)
    ]
    pool += [SimpleNamespace(risk=A, last_inspected=recent) for _ in range(20)]
    repo: Any = SimpleNamespace(
        content=SimpleNamespace(pool=lambda t: pool, items=tuple(items.values()))
    )
    when = dt.datetime(2024, 2, 22, 2, tzinfo=dt.UTC)
    with pytest.raises(WorkflowError, match="可抽取的检查对象 33 户，按比例上限 10% 最多抽取 3 户"):
        check_ratio_cap(repo, task, when)


def test_check_warns_on_the_current_pool(tmp_path: Path) -> None:
    """``gongkai check`` warns early, from today's pool (the refusal comes at announce)."""
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    checklist = content / "checklist.yaml"
    checklist.write_text(
        checklist.read_text("utf-8").replace('ratio_cap: "0.60"', 'ratio_cap: "0.10"'), "utf-8"
    )
    _, problems = load_content(content)
    warnings = [str(w) for w in problems.warnings]
    assert len(warnings) == 1
    assert "tasks[0].min_count" in warnings[0]
    assert (
        "按比例上限 10% 最多抽取 1 户，按各信用风险分类比例向上取整须抽取 4 户，按最少户数须抽取 5 户"
        in warnings[0]
    )
