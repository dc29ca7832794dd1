"""进一次门 on the business page (docs/site.md, ``/entities/<code>/``): every 一业一查 task in which
two or more departments published a current result for the business is shown as one joint
visit — the day (or, honestly, the different days), each department's finding — and counted
once, as the yearly count says. Checked against ``data/results.csv`` of the example site."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict
from pathlib import Path


def _text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def test_each_joint_task_is_one_visit_with_every_departments_finding(example_site: Path) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO((example_site / "data" / "results.csv").read_text(encoding="utf-8-sig"))
        )
    )
    by_entity: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        by_entity[r["统一社会信用代码/注册号"]][r["任务编号"]][r["检查实施机关"]] = r["检查日期"]
    joint = {
        (entity, task): depts
        for entity, tasks in by_entity.items()
        for task, depts in tasks.items()
        if len(depts) >= 2
    }
    assert len(joint) >= 20, len(joint)  # the example's 一业一查 tasks
    same_day = 0
    for (entity, task), depts in sorted(joint.items()):
        (page,) = example_site.glob(f"entities/**/{entity}/index.html")
        text = _text(page)
        assert "一业一查联合检查（进一次门、查多项事）" in text, entity
        days = sorted(set(depts.values()))
        if len(days) == 1:
            same_day += 1
            assert f"{days[0]}，{len(depts)} 个部门同日入户检查，计 1 次入户检查。" in text, (
                entity,
                task,
            )
        else:
            assert f"各部门分别于 {'、'.join(days)} 入户检查（未同日联合入户）" in text, entity
    assert same_day >= len(joint) // 2  # the example's joint visits are mostly on one day
    single = next(e for e, tasks in by_entity.items() if all(len(d) == 1 for d in tasks.values()))
    (page,) = example_site.glob(f"entities/**/{single}/index.html")
    assert "进一次门" not in _text(page)
