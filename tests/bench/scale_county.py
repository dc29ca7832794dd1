"""A whole county site at benchmark scale, made by the staff's own commands (issue #20).

The new county of ``tests/workflow/county_kit`` (陕西省延安市宜川县, test data) with ``n``
synthetic businesses in the 监管对象库 and one single-department task that draws 10 % of them
(the real drand quicknet round 1,000,000); the drawn businesses' results are entered on the
department's form and imported, so the ledger holds about ``n / 10`` signed ``result``
entries. ``gongkai build`` of this site is what the benchmarks time: verification of the
ledger, publishing it, every page and the search index, exactly as staff run it.

Built once per ``n`` under ``GONGKAI_BENCH_CACHE`` (default ``/tmp/gongkai-bench``) and copied
for each benchmark, because building it takes minutes at 100,000 businesses.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # pragma: no cover - script use
    sys.path.insert(0, str(ROOT))

from generator.content.uscc import make_uscc  # noqa: E402
from tests.workflow import county_kit as kit  # noqa: E402
from tests.workflow.form_kit import fill_xlsx  # noqa: E402

TASK = "2023-SJ-BENCH"
INDUSTRIES = ("餐饮", "食品销售", "住宿", "批发零售", "公共场所", "建材", "道路运输", "广告")
CACHE = Path(os.environ.get("GONGKAI_BENCH_CACHE", "/tmp/gongkai-bench"))
NO_PROBLEM = "未发现问题或相关问题已规范、已改正，无需后续处置"

PLAN = f"""\
id: "2023"
year: 2023
title: 宜川县2023年度“双随机、一公开”抽查工作计划（基准测试）
organiser: scjg
published_on: 2023-03-01
tasks:
  - id: {TASK}
    name: 企业公示信息抽查
    kind: 单部门
    mode: 不定向抽查
    industry: 全部行业
    lead: scjg
    departments:
      - dept: scjg
        items: [YC-GS-01]
        inspectors_per_entity: 2
    pool:
      divisions: ["{kit.REGION}"]
    ratios: {{A: "10%", B: "10%", C: "10%", D: "10%"}}
    min_count: 3
    period: {{start: 2023-10-09, end: 2023-12-15}}
"""


def _entities(content: Path, n: int) -> None:
    with open(content / "entities.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "名称", "主体类型", "行政区划", "行业", "登记状态",
                    "信用风险分类", "上次检查日期", "注册号", "住所"])  # fmt: skip
        for i in range(n):
            code = make_uscc("9", "1", kit.REGION, f"B{i:07d}")
            w.writerow([code, f"宜川县合成{i}号商贸有限公司", "企业", kit.REGION,
                        INDUSTRIES[i % len(INDUSTRIES)], "存续", "ABCD"[i % 4], "", "",
                        f"宜川县合成路{i}号（测试数据）"])  # fmt: skip
    with open(content / "inspectors.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["执法证号", "姓名", "部门", "专长", "状态"])
        for i in range(200):
            w.writerow([f"61063009{i:04d}", f"检查员{i}", "scjg", "", "在岗"])


def _result(day: dt.date) -> dict[str, Any]:
    return {
        "检查日期": day,
        "完成日期": day,
        "检查方式1": "现场检查",
        "检查结果1": "未发现问题",
        "后续处置措施": NO_PROBLEM,
        "后续处置是否完结": "已完结",
        "完结日期": day,
    }


def build(root: Path, n: int) -> kit.County:
    """Make the county in ``root`` (empty or absent) with ``n`` businesses and its results.

    Raises:
        AssertionError: if any staff command fails.
    """
    from tests.workflow.test_new_county_year import _draw

    c = kit.new_county(root)
    content = c.site / "content"
    _entities(content, n)
    (content / "plans" / "2023.yaml").write_text(PLAN, encoding="utf-8")
    # The libraries, now of n businesses, are published as version 2 (docs/workflow.md §9).
    for kind in ("entities", "inspectors"):
        c.dept("scjg", "library", "publish", kind, "--dept", "scjg", "--at", "2023-01-06")
    c.run("check", "--content", str(content))
    c.dept("scjg", "plan", "publish", "2023", "--at", "2023-03-01")
    drawn = _draw(c, {TASK: ("scjg",)})[TASK]
    form = c.forms / TASK / "scjg.xlsx"
    days = [dt.date(2023, 10, 16) + dt.timedelta(days=i % 20) for i in range(drawn)]
    fill_xlsx(form, {i + 2: _result(days[i]) for i in range(drawn - 1)})  # the last: later
    c.dept("scjg", "results", "import", TASK, str(form), "--dept", "scjg", "--at", "2023-11-20")
    return c


def county(n: int) -> Path:
    """The cached county root for ``n`` businesses (built on first use)."""
    root = CACHE / f"county-{n}"
    if not (root / "done").exists():
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        build(root, n)
        (root / "done").write_text("", encoding="ascii")
    return root


def code_versions() -> list[tuple[str, Path]]:
    """The gongkai code versions a benchmark compares in one run: ``GONGKAI_BENCH_CODE`` as
    ``name=path,name=path`` (each path a checkout with the C accelerators copied in), by
    default this checkout alone. A version runs with ``PYTHONPATH`` set to its path."""
    spec = os.environ.get("GONGKAI_BENCH_CODE", "")
    if not spec:
        return [("this", ROOT)]
    out = []
    for part in spec.split(","):
        name, _, path = part.partition("=")
        out.append((name, Path(path).resolve()))
    return out


def code_env(code: Path) -> dict[str, str]:
    """This process's environment with ``PYTHONPATH`` naming the checkout ``code``."""
    return {**os.environ, "PYTHONPATH": str(code)}


def one_more_result(root: Path) -> Path:
    """Fill the last drawn business's row of the form (left empty by :func:`build`) and return
    the form, ready for ``gongkai results import``: one new result."""
    form = root / "forms" / TASK / "scjg.xlsx"
    import openpyxl

    last = openpyxl.load_workbook(form, read_only=True)["结果录入"].max_row
    fill_xlsx(form, {last: _result(dt.date(2023, 11, 6))})
    return form


def correct_last(form: Path, k: int) -> None:
    """Change the 具体情况 of the form's last row (filled by :func:`one_more_result`), so that
    the next import records the ``k``-th correction of that one result."""
    import openpyxl

    last = openpyxl.load_workbook(form, read_only=True)["结果录入"].max_row
    fill_xlsx(form, {last: {"具体情况": f"第{k}次更正：核实经营场所。"}})


if __name__ == "__main__":  # pragma: no cover - manual use
    print(county(int(sys.argv[1])))
