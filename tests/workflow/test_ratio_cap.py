"""Ratio caps and minimums hold on the number actually drawn (docs/content.md §10.3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content.drawsize import DrawFigures, draw_figures, draw_size
from generator.content.loader import load_content
from generator.content.model import CreditRisk, ItemClass
from generator.errors import WorkflowError
from generator.workflow.drawing import check_ratio_cap

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
A, B, C, D = CreditRisk
POOL_33 = {A: 11, B: 17, C: 4, D: 1}


def _setup(
    cap: str, ratios: dict[CreditRisk, str], min_count: int, min_ratio: str | None = None
) -> tuple[Any, Any]:
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
            min_ratio=Decimal(min_ratio) if min_ratio and i.id == first else None,
        )
        for i in content.items
    }
    return task, items


def _figures(task: Any, items: Any, counts: dict[CreditRisk, int]) -> DrawFigures:
    return draw_figures(task, items, counts)


def test_min_count_top_up_beyond_the_cap_is_refused() -> None:
    """5 of 33 under a 10% cap: the cap allows ⌈3.3⌉ = 4; the top-up loses to the cap."""
    task, items = _setup("0.1", {A: "0.02", B: "0.05", C: "0.1", D: "0.1"}, 5)
    figures = _figures(task, items, POOL_33)
    assert (figures.size.eligible, figures.size.by_ratio, figures.size.drawn) == (33, 4, 5)
    assert figures.cap_limit == 4
    (message,) = figures.breaches()
    assert "按比例上限 10% 最多抽取 4 户" in message
    assert "按最少户数须抽取 5 户" in message
    assert "向上取整" not in message  # the rounding alone (4) stays within the cap


def test_rounding_up_per_class_beyond_the_cap_is_refused() -> None:
    """Every class rounds up: 7 of 18 under a 30% cap (at most ⌈5.4⌉ = 6), without min_count."""
    task, items = _setup("0.3", {A: "0.3", B: "0.3", C: "0.3", D: "0.3"}, 0)
    figures = _figures(task, items, {A: 5, B: 5, C: 5, D: 3})
    assert (figures.size.eligible, figures.size.drawn) == (18, 7)
    (message,) = figures.breaches()
    assert "最多抽取 6 户，按各信用风险分类比例向上取整须抽取 7 户" in message


def test_one_class_drawn_at_exactly_the_cap_passes() -> None:
    """The cap's count rounds up like the ratio's: 10% of 33 in one class is 4, and allowed."""
    task, items = _setup("0.1", {A: "0.1"}, 0)
    figures = _figures(task, items, {A: 33})
    assert (figures.size.drawn, figures.cap_limit) == (4, 4)
    assert figures.breaches() == []


def test_min_count_up_to_the_cap_passes_and_one_more_is_refused() -> None:
    task, items = _setup("0.1", {A: "0.02", B: "0.05", C: "0.1", D: "0.1"}, 4)
    assert _figures(task, items, POOL_33).breaches() == []
    task = dataclasses.replace(task, min_count=5)
    assert len(_figures(task, items, POOL_33).breaches()) == 1


def test_a_min_count_larger_than_the_pool_draws_the_pool_and_is_judged_so() -> None:
    """min(min_count, N): 3 eligible, min_count 10 → 3 drawn; a 100% cap allows it, 60% not."""
    task, items = _setup("1", {A: "0.1"}, 10)
    assert _figures(task, items, {A: 3}).size.drawn == 3
    assert _figures(task, items, {A: 3}).breaches() == []
    task, items = _setup("0.6", {A: "0.1"}, 10)
    (message,) = _figures(task, items, {A: 3}).breaches()
    assert "最多抽取 2 户" in message


def test_a_draw_below_the_minimum_ratio_is_refused_and_min_count_can_fill_it() -> None:
    """min_ratio 10% of 33 needs ⌈3.3⌉ = 4; ratios that draw 2 are refused, min_count 4 fills."""
    task, items = _setup("0.5", {A: "0.02", B: "0.05"}, 0, min_ratio="0.1")
    figures = _figures(task, items, POOL_33)
    assert (figures.size.drawn, figures.floor_limit) == (2, 4)
    (message,) = figures.breaches()
    assert "抽查比例下限 10%" in message
    assert "至少须抽取 4 户，实际只抽取 2 户" in message
    task = dataclasses.replace(task, min_count=4)
    assert _figures(task, items, POOL_33).breaches() == []


def test_a_draw_within_the_cap_passes() -> None:
    task, items = _setup("0.25", {A: "0.1", B: "0.15", C: "0.25", D: "0.25"}, 3)
    assert _figures(task, items, POOL_33).breaches() == []  # 7 ≤ ⌈8.25⌉
    assert draw_size(task, POOL_33).drawn == 7


def test_announce_refuses_with_the_numbers_and_counts_like_the_draw() -> None:
    """The recently inspected are not eligible (docs/draw-v1.md §8), as in the draw itself."""
    task, items = _setup("0.1", {A: "0.02", B: "0.05", C: "0.1", D: "0.1"}, 5)
    task = dataclasses.replace(task, exclude_inspected_within_days=180)
    recent = dt.date(2024, 1, 2)
    pool = [
        SimpleNamespace(id=f"{r.value}{i}", risk=r, last_inspected=None)
        for r, n in POOL_33.items()
        for i in range(n)
    ]
    pool += [SimpleNamespace(id=f"R{i}", risk=A, last_inspected=recent) for i in range(20)]
    repo: Any = SimpleNamespace(
        content=SimpleNamespace(pool=lambda t: pool, items=tuple(items.values()))
    )
    when = dt.datetime(2024, 2, 22, 2, tzinfo=dt.UTC)
    with pytest.raises(WorkflowError, match="可抽取的检查对象 33 户，按比例上限 10% 最多抽取 4 户"):
        check_ratio_cap(repo, task, when)


def test_check_prints_the_figures_of_every_task(tmp_path: Path) -> None:
    """``gongkai check`` reports drawn / pool / cap for each task (docs/content.md §10.3)."""
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    result = CliRunner().invoke(main, ["check", "--content", str(content)])
    assert result.exit_code == 0, result.output
    assert (
        "任务“2024-YYYC-CY”：可抽取 10 户，抽取 5 户（按比例向上取整 4 户，按最少户数补足 1 户）；"
        "比例上限 60%（WJ-01）最多 6 户"
    ) in result.output


def test_check_refuses_a_draw_beyond_the_cap_on_the_current_pool(tmp_path: Path) -> None:
    """Refused (exit 10) at check time, no longer only a warning."""
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    checklist = content / "checklist.yaml"
    checklist.write_text(
        checklist.read_text("utf-8").replace('ratio_cap: "0.60"', 'ratio_cap: "0.10"'), "utf-8"
    )
    result = CliRunner().invoke(main, ["check", "--content", str(content)])
    assert result.exit_code == 10
    assert "plans/2024.yaml:27: tasks[0].min_count: 错误" in result.output
    assert "按比例上限 10% 最多抽取 1 户" in result.output
