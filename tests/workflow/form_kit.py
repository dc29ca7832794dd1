"""Shared builders for the result-form tests: a form from the mini fixture, filled like staff do.

The form is for task ``2024-YYYC-CY`` and department ``scjg`` of
``tests/generator/fixtures/mini``: four drawn restaurants, two alternating two-person teams.
:data:`FILLED` is a valid filling of rows 2–4 (row 5 is left empty: not yet inspected).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from generator.content.loader import load_content
from generator.content.model import Content
from generator.workflow import form_reader, forms
from generator.workflow.forms import FormRow

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
TASK_ID = "2024-YYYC-CY"
DEPT_ID = "scjg"
DRAW_DATE = dt.date(2024, 4, 8)
TODAY = dt.date(2024, 6, 30)
ITEMS = ("SJ-SP-01", "SJ-DJ-01")
TEAM_A = (("62082300101", "张示例"), ("62082300102", "李示例"))
TEAM_B = (("62082300103", "王示例"), ("62082300104", "赵示例"))
DATE_COLUMNS = frozenset({forms.COL_INSPECTED, forms.COL_COMPLETED, forms.COL_CLOSED})

NONE_NEEDED = "未发现问题或相关问题已规范、已改正，无需后续处置"
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"

#: A valid filling: spreadsheet row → column → value (dates as dt.date).
FILLED: dict[int, dict[str, Any]] = {
    2: {
        "检查日期": dt.date(2024, 5, 6),
        "完成日期": dt.date(2024, 5, 6),
        "检查方式1": "现场检查",
        "检查结果1": "未发现问题",
        "后续处置措施": NONE_NEEDED,
        "后续处置是否完结": "已完结",
        "完结日期": dt.date(2024, 5, 6),
    },
    3: {
        "检查日期": dt.date(2024, 5, 7),
        "完成日期": dt.date(2024, 5, 8),
        "检查方式1": "现场检查",
        "检查方式2": "书面检查",
        "检查结果1": "违反食品药品管理相关规定",
        "检查结果2": "发现问题经责令已改正",
        "具体情况": "后厨生熟食品未分开存放，已当场责令改正。",
        "后续处置措施": RECTIFY,
        "后续处置是否完结": "未完结",
    },
    4: {
        "检查日期": dt.date(2024, 5, 9),
        "完成日期": dt.date(2024, 5, 9),
        "检查方式1": "书面检查",
        "检查结果1": "未按规定公示应当公示的信息",
        "具体情况": "未按规定公示2023年度报告。",
        "后续处置措施": "其他",
        "处置说明": "责令十日内补报公示，已补报。",
        "后续处置是否完结": "已完结",
        "完结日期": dt.date(2024, 6, 1),
    },
}


@functools.cache
def content() -> Content:
    """The mini fixture's content (read only)."""
    loaded, _ = load_content(MINI)
    return loaded


def rows() -> list[FormRow]:
    """Four drawn businesses of the task's pool, teams A and B alternating."""
    task = next(t for p in content().plans for t in p.tasks if t.id == TASK_ID)
    pool = content().pool(task)[:4]
    assert len(pool) == 4
    return [
        FormRow(e.id, e.name, e.address, ITEMS, TEAM_A if i % 2 == 0 else TEAM_B)
        for i, e in enumerate(pool)
    ]


def expected() -> dict[str, FormRow]:
    """The drawn list by entity id."""
    return {r.entity_id: r for r in rows()}


def inspector_depts() -> dict[str, str]:
    """执法证号 → department id of every inspector of the fixture."""
    return {i.id: i.dept for i in content().inspectors}


def write(directory: Path, name: str = "form") -> tuple[Path, Path]:
    """Write the blank form and its CSV twin into ``directory``."""
    xlsx, csv_path = directory / f"{name}.xlsx", directory / f"{name}.csv"
    forms.write_form(
        xlsx,
        csv_path,
        site_name="崇信县双随机一公开（测试）",
        task_id=TASK_ID,
        task_name="餐饮服务单位“一业一查”部门联合抽查",
        dept_id=DEPT_ID,
        dept_name="崇信县市场监督管理局",
        rows=rows(),
        items={i.id: i for i in content().items},
        draw_date=DRAW_DATE,
    )
    return xlsx, csv_path


def read(path: Path, **kwargs: Any) -> list[forms.ParsedResult]:
    """``read_form`` with the fixture's task, department, list and dates."""
    args: dict[str, Any] = {
        "task_id": TASK_ID,
        "dept_id": DEPT_ID,
        "expected": expected(),
        "draw_date": DRAW_DATE,
        "today": TODAY,
        "inspector_depts": inspector_depts(),
    }
    args.update(kwargs)
    return form_reader.read_form(path, **args)


def merged(edits: Mapping[int, Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """:data:`FILLED` with ``edits`` (row → column → value; None clears a cell) applied."""
    out = {row: dict(values) for row, values in FILLED.items()}
    for row, values in edits.items():
        out.setdefault(row, {}).update(values)
    return out


def fill_xlsx(
    path: Path,
    cells: Mapping[int, Mapping[str, Any]],
    *,
    rename: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    meta: Mapping[str, str] | None = None,
    remove_sheets: Sequence[str] = (),
    copy: Mapping[int, int] | None = None,
) -> None:
    """Fill a written workbook in place, as a user with Excel would.

    ``copy`` maps a target row to the source row whose prefilled cells it receives.
    """
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[forms.RESULT_SHEET]
    header = [c.value for c in sheet[1]]
    for target, source in (copy or {}).items():
        for column in range(1, len(header) + 1):
            sheet.cell(row=target, column=column).value = sheet.cell(
                row=source, column=column
            ).value
    for row, values in cells.items():
        for column, value in values.items():
            cell = sheet.cell(row=row, column=header.index(column) + 1)
            cell.value = value
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str):
                cell.data_type = "s"  # the form's text cells (format “@”) never evaluate “=…”
    for old, new in (rename or {}).items():
        sheet.cell(row=1, column=header.index(old) + 1).value = new
    for column in sorted((header.index(c) + 1 for c in drop), reverse=True):
        sheet.delete_cols(column)
    info = workbook[forms.META_SHEET]
    for key, value in (meta or {}).items():
        for row in info.iter_rows(min_col=1, max_col=2):
            if row[0].value == key:
                row[1].value = value
                break
        else:
            raise AssertionError(f"no meta key {key}")
    for name in remove_sheets:
        del workbook[name]
    workbook.save(path)


def fill_csv(
    path: Path,
    cells: Mapping[int, Mapping[str, Any]],
    *,
    rename: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    encoding: str = "utf-8-sig",
    copy: Mapping[int, int] | None = None,
) -> None:
    """Fill a written CSV twin in place (line numbers = spreadsheet rows for one-line cells)."""
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    header = table[0]
    for target, source in (copy or {}).items():
        while len(table) < target:
            table.append([""] * len(header))
        table[target - 1] = list(table[source - 1])
    for row, values in cells.items():
        while len(table) < row:
            table.append([""] * len(header))
        for column, value in values.items():
            text = (
                "" if value is None else value.isoformat() if isinstance(value, dt.date) else value
            )
            table[row - 1][header.index(column)] = str(text)
    for old, new in (rename or {}).items():
        header[header.index(old)] = new
    keep = [i for i, name in enumerate(header) if name not in drop]
    table = [[line[i] for i in keep] for line in table]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    path.write_bytes(buffer.getvalue().encode(encoding))


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes (to assert that nothing was written)."""
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }
