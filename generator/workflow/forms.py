"""检查结果录入表: the per-department result form, written after 名单确认下发 (its layout and writer).

The filled form is read back by :mod:`generator.workflow.form_reader`.

After the lead department confirms the drawn list, every participating department receives one
form listing its drawn businesses, the items it checks and its inspectors (谁检查、谁录入、谁公开).
Inspectors fill it in, the department imports it, and each filled row becomes the arguments of
:func:`generator.workflow.records.result_body` (a :class:`ParsedResult`).

Layout of the XLSX workbook (the CSV twin has the same columns, UTF-8 with BOM)::

    结果录入   (first, active sheet) header on row 1, one drawn business per row:
               序号 | 统一社会信用代码/注册号 | 名称 | 住所 | 抽查事项 | 检查人员（执法证号） |
               检查日期 | 完成日期 | 检查方式1 | 检查方式2 | 检查结果1 | 检查结果2 | 检查结果3 |
               具体情况 | 后续处置措施 | 处置说明 | 后续处置是否完结 | 完结日期 | 任务编号 | 部门标识
    说明       task id, department id, draw date … (read back to refuse a form imported for the
               wrong task or department), the filling instructions and the department's items
    选项       (hidden) the long option lists that the drop-downs refer to

Multiple choice (检查结果, 检查方式): several columns, each with its own drop-down list
(检查结果1–3, 检查方式1–2), because a spreadsheet list validation admits one value per cell.
On import the filled columns are collected in order; a cell may also hold several values
separated by “、” (for the CSV twin, where there are no drop-downs). 未发现问题 excludes the other
categories. 抽查事项 holds item ids separated by “、”; 检查人员 holds “姓名（执法证号）” entries.

The 任务编号 and 部门标识 columns repeat the form's identity on every row, so the CSV twin (which has
no 说明 sheet) is checked as well, and a row pasted from another task's or department's form is
refused row by row.

Rows whose result columns (检查日期 … 完结日期) are all empty are "not yet inspected" and are
skipped, so a department may import the same form several times as inspections progress.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.content.cells import csv_bytes, set_text
from generator.content.model import Content, InspectionItem, InspectionMethod, SpotCheckTask
from generator.content.results import (
    CORRECTED_ON_ORDER,
    SERIOUS_NON_COOPERATION,
    Category,
    FollowUp,
    FollowUpMeasure,
    ResultCategory,
)
from ledger.durable import write_atomic

#: Identifies the layout; a workbook with another value in 说明 is refused.
FORM_VERSION = "gongkai-result-form/1"

RESULT_SHEET = "结果录入"
META_SHEET = "说明"
OPTIONS_SHEET = "选项"

COL_SEQ = "序号"
COL_CODE = "统一社会信用代码/注册号"
COL_NAME = "名称"
COL_ADDRESS = "住所"
COL_ITEMS = "抽查事项"
COL_INSPECTORS = "检查人员（执法证号）"
COL_INSPECTED = "检查日期"
COL_COMPLETED = "完成日期"
COL_METHODS = ("检查方式1", "检查方式2")
COL_CATEGORIES = ("检查结果1", "检查结果2", "检查结果3")
COL_DETAIL = "具体情况"
COL_MEASURE = "后续处置措施"
COL_NOTE = "处置说明"
COL_STATE = "后续处置是否完结"
COL_CLOSED = "完结日期"
COL_TASK = "任务编号"
COL_DEPT = "部门标识"

#: Every column, in form order.
HEADERS: tuple[str, ...] = (
    COL_SEQ,
    COL_CODE,
    COL_NAME,
    COL_ADDRESS,
    COL_ITEMS,
    COL_INSPECTORS,
    COL_INSPECTED,
    COL_COMPLETED,
    *COL_METHODS,
    *COL_CATEGORIES,
    COL_DETAIL,
    COL_MEASURE,
    COL_NOTE,
    COL_STATE,
    COL_CLOSED,
    COL_TASK,
    COL_DEPT,
)
#: Columns that may be deleted without harm (display only, or extra choices).
OPTIONAL_COLUMNS = frozenset(
    {COL_SEQ, COL_NAME, COL_ADDRESS, COL_NOTE, *COL_METHODS[1:], *COL_CATEGORIES[1:]}
)
#: Columns filled by the inspectors; a row with all of them empty is not yet inspected.
RESULT_COLUMNS: tuple[str, ...] = HEADERS[HEADERS.index(COL_INSPECTED) : HEADERS.index(COL_TASK)]
#: Prefilled columns that staff should not edit (shaded grey).
PREFILLED_COLUMNS = frozenset({COL_SEQ, COL_CODE, COL_NAME, COL_ADDRESS, COL_TASK, COL_DEPT})
#: Accepted alternative headers (alias → canonical).
HEADER_ALIASES: Mapping[str, str] = {
    "检查结果": COL_CATEGORIES[0],
    "检查方式": COL_METHODS[0],
    "核查方式": COL_METHODS[0],
    "统一社会信用代码": COL_CODE,
    "检查人员": COL_INSPECTORS,
    "检查人员(执法证号)": COL_INSPECTORS,
    "后续处置措施是否完结": COL_STATE,
}

#: Longest 具体情况 (characters).
MAX_DETAIL = 1000
#: Longest 处置说明 (characters).
MAX_NOTE = 500
#: Longest other cell (characters).
MAX_CELL = 500
#: Most data rows read from one form.
MAX_ROWS = 100_000

#: Older or county wording of categories (docs/domain.md §3.1), accepted on import.
CATEGORY_ALIASES: Mapping[str, ResultCategory] = {
    "发现问题已责令改正": CORRECTED_ON_ORDER,
    "不予配合情节严重": SERIOUS_NON_COOPERATION,
}
#: Group headers of the provincial form: not categories themselves.
CATEGORY_GROUPS = frozenset({"发现问题待后续处理", "违反工商行政管理相关规定"})
#: Hints for values that look like categories but are group headers of the provincial form.
CATEGORY_GROUPS_HINT: Mapping[str, str] = {
    group: "这是分组名称，请选择其下具体的检查结果" for group in sorted(CATEGORY_GROUPS)
}
#: Measures that contradict 未发现问题.
#: The free-text columns (wrapped in the sheet; length-checked on import).
FREE_TEXT_COLUMNS = frozenset({COL_DETAIL, COL_NOTE})

#: Fixed timestamp inside every ZIP member of a generated workbook.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FormRow:
    """One drawn business on one department's form.

    Attributes:
        entity_id: the 统一社会信用代码 (or 注册号) as drawn.
        entity_name: 名称.
        address: 住所.
        items: ids of the 抽查事项 this department checks in this task.
        inspectors: (执法证号, 姓名) of this department's team for this business.
    """

    entity_id: str
    entity_name: str
    address: str
    items: tuple[str, ...]
    inspectors: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ParsedResult:
    """One filled row: exactly the keyword arguments of ``records.result_body``."""

    entity: str
    items: tuple[str, ...]
    methods: tuple[InspectionMethod, ...]
    categories: tuple[Category, ...]
    detail: str
    inspectors: tuple[str, ...]
    inspected_on: dt.date
    completed_on: dt.date
    followup: FollowUp

    def body_kwargs(self) -> dict[str, Any]:
        """The arguments for ``result_body(**parsed.body_kwargs())`` (lists, as it expects)."""
        return {
            "entity": self.entity,
            "items": list(self.items),
            "methods": list(self.methods),
            "categories": list(self.categories),
            "detail": self.detail,
            "inspectors": list(self.inspectors),
            "inspected_on": self.inspected_on,
            "completed_on": self.completed_on,
            "followup": self.followup,
        }


# --------------------------------------------------------------------------------------------
# Writing


def form_rows(
    content: Content,
    task: SpotCheckTask,
    dept_id: str,
    drawn: Sequence[str],
    teams: Mapping[str, Mapping[str, Collection[str]]],
) -> list[FormRow]:
    """The rows of one department's form: the drawn list with this department's teams.

    Args:
        content: the loaded content (names, addresses and inspector names come from it).
        task: the task (its part for ``dept_id`` gives the items).
        dept_id: the department the form is for.
        drawn: the drawn entity ids, in list order (as confirmed, after any replacement).
        teams: entity id → department id → 执法证号 of the team (``TaskRecord.teams``).

    Returns:
        One row per drawn entity; inspectors sorted by 执法证号. An entity or inspector that is
        no longer in the library keeps its id and gets a placeholder name.

    Raises:
        ValueError: if ``dept_id`` does not take part in ``task``.
    """
    part = next((p for p in task.parts if p.dept == dept_id), None)
    if part is None:
        raise ValueError(f"部门“{dept_id}”不是任务“{task.id}”的检查部门")
    entities = {e.id: e for e in content.entities}
    names = {i.id: i.name for i in content.inspectors}
    rows: list[FormRow] = []
    for entity_id in drawn:
        entity = entities.get(entity_id)
        team = sorted(teams.get(entity_id, {}).get(dept_id, ()))
        rows.append(
            FormRow(
                entity_id=entity_id,
                entity_name=entity.name if entity else "（名录库中已无此主体）",
                address=entity.address if entity else "",
                items=part.items,
                inspectors=tuple((i, names.get(i, "（人员库中已无此人）")) for i in team),
            )
        )
    return rows


def workbook_bytes(workbook: Any) -> bytes:
    """Serialise an openpyxl workbook reproducibly.

    openpyxl stamps the save time into ``docProps/core.xml`` and every ZIP member; here the
    workbook's own ``created``/``modified`` properties are kept and the members get a fixed
    timestamp, so the same workbook always gives the same bytes.

    Args:
        workbook: an ``openpyxl.Workbook`` whose properties the caller has fixed.

    Returns:
        The XLSX file contents.
    """
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def _inspectors_text(inspectors: Sequence[tuple[str, str]]) -> str:
    return "、".join(f"{name}（{ident}）" for ident, name in inspectors)


def _prefilled(row_number: int, row: FormRow, task_id: str, dept_id: str) -> dict[str, str]:
    return {
        COL_SEQ: str(row_number),
        COL_CODE: row.entity_id,
        COL_NAME: row.entity_name,
        COL_ADDRESS: row.address,
        COL_ITEMS: "、".join(row.items),
        COL_INSPECTORS: _inspectors_text(row.inspectors),
        COL_TASK: task_id,
        COL_DEPT: dept_id,
    }


def _instructions(draw_date: dt.date) -> list[str]:
    return [
        "一、本表由 gongkai 根据名单确认下发的抽取结果生成，每行一户被抽取的检查对象。灰色列"
        "（序号、统一社会信用代码/注册号、名称、住所、任务编号、部门标识）请勿修改，也不要增删列。",
        "二、抽查事项：预填本部门在本任务中的全部事项编号，以“、”分隔；只检查了部分事项的，"
        "删去未检查的编号，不得填写其他部门或其他任务的事项。事项名称见本页下方。",
        "三、检查人员：预填本部门为该户抽取的检查组成员，格式为“姓名（执法证号）”，以“、”分隔；"
        "只保留实际参加检查的人员，至少一人（现场检查一般不少于两人），不得填写检查组以外的人员。",
        f"四、检查日期、完成日期、完结日期：格式 YYYY-MM-DD，不早于抽取日期 {draw_date.isoformat()}，"
        "不晚于录入当天；完成日期不早于检查日期，完结日期不早于完成日期。",
        "五、检查方式、检查结果：从下拉列表选择。一户有多项检查结果的，依次填入“检查结果1”"
        "“检查结果2”“检查结果3”（检查方式同理）；“未发现问题”不能与其他检查结果同时选择。",
        f"六、具体情况：记录检查发现的问题和处理情况，发现问题时必填，不超过 {MAX_DETAIL} 字。",
        "七、后续处置措施：从下拉列表选择；选择“其他”的，须在“处置说明”中写明。"
        "后续处置是否完结选“已完结”的，须填写完结日期。",
        "八、尚未检查的行保持空白即可，导入时跳过；同一张表可以分批填写、多次导入。",
        "九、没有 Excel 的，可使用同名 CSV 文件（UTF-8 编码）填写，列与本表相同；"
        "多项检查结果也可在一个单元格内以“、”分隔。",
        "十、按照“谁检查、谁录入、谁公开”，本表只能由本部门导入本任务；导入时核对任务编号和部门标识，"
        "其他任务或其他部门的表将被拒绝。",
    ]


def write_form(
    xlsx_path: Path,
    csv_path: Path,
    *,
    site_name: str,
    task_id: str,
    task_name: str,
    dept_id: str,
    dept_name: str,
    rows: Sequence[FormRow],
    items: Mapping[str, InspectionItem],
    draw_date: dt.date,
    own_words: Sequence[str] = (),
) -> None:
    """Write one department's 检查结果录入表 as XLSX and its CSV twin (both atomically).

    The output depends only on the arguments: the workbook's created/modified properties are
    the draw date and the ZIP members carry a fixed time, so regenerating gives the same bytes.

    Args:
        xlsx_path: where to write the workbook.
        csv_path: where to write the CSV twin (UTF-8 with BOM, same columns).
        site_name: the site's name (shown in 说明).
        task_id: the 任务编号.
        task_name: the task's name.
        dept_id: the department's id (部门标识).
        dept_name: the department's name.
        rows: the drawn businesses, in list order.
        items: the checklist items by id (at least those named in ``rows``).
        draw_date: the date of the draw (earliest valid inspection date).
        own_words: the department's own 检查结果 in force (docs/workflow.md §10), offered in the
            drop-down after the provincial form's; none (the default) leaves the form as before.

    Raises:
        ValueError: if two rows name the same business or a row names an unknown item.
        StoreError: if a file cannot be written.
    """
    ids = [r.entity_id for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("同一主体在表中出现多次")
    item_ids: list[str] = []
    for row in rows:
        for item in row.items:
            if item not in items:
                raise ValueError(f"未知的抽查事项“{item}”")
            if item not in item_ids:
                item_ids.append(item)
    workbook = _form_workbook(
        site_name=site_name,
        task_id=task_id,
        task_name=task_name,
        dept_id=dept_id,
        dept_name=dept_name,
        rows=rows,
        items=[items[i] for i in item_ids],
        draw_date=draw_date,
        own_words=own_words,
    )
    data = workbook_bytes(workbook)
    lines = []
    for number, row in enumerate(rows, start=1):
        values = _prefilled(number, row, task_id, dept_id)
        lines.append([values.get(h, "") for h in HEADERS])
    write_atomic(xlsx_path, data)
    write_atomic(csv_path, csv_bytes(HEADERS, lines))


def _form_workbook(
    *,
    site_name: str,
    task_id: str,
    task_name: str,
    dept_id: str,
    dept_name: str,
    rows: Sequence[FormRow],
    items: Sequence[InspectionItem],
    draw_date: dt.date,
    own_words: Sequence[str],
) -> Any:
    from openpyxl import Workbook

    stamp = dt.datetime(draw_date.year, draw_date.month, draw_date.day)
    workbook = Workbook()
    props = workbook.properties
    props.creator = "gongkai"
    props.lastModifiedBy = "gongkai"
    props.title = f"{task_name} 检查结果录入表（{dept_name}）"
    props.created = stamp
    props.modified = stamp

    sheet = workbook.active
    _result_sheet(sheet, rows, task_id, dept_id)
    refs = _option_lists(workbook, own_words)
    if rows:
        _validations(sheet, len(rows) + 1, refs, draw_date)
    meta = [
        ("网站", site_name),
        (COL_TASK, task_id),
        ("任务名称", task_name),
        (COL_DEPT, dept_id),
        ("部门名称", dept_name),
        ("抽取日期", draw_date.isoformat()),
        ("检查对象户数", str(len(rows))),
        ("表单版本", FORM_VERSION),
    ]
    info = _meta_sheet(workbook, meta, items, draw_date)
    workbook.move_sheet(info, offset=-1)  # 结果录入, 说明, 选项 (hidden)
    return workbook


def _result_sheet(sheet: Any, rows: Sequence[FormRow], task_id: str, dept_id: str) -> None:
    """Fill the 结果录入 sheet: the header, one prefilled row per drawn business, widths."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="E7E6E6")
    head = PatternFill("solid", fgColor="DDEBF7")
    sheet.title = RESULT_SHEET
    for col, name in enumerate(HEADERS, start=1):
        cell = set_text(sheet, 1, col, name)
        cell.font = bold
        cell.fill = head
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for number, row in enumerate(rows, start=1):
        values = _prefilled(number, row, task_id, dept_id)
        for col, name in enumerate(HEADERS, start=1):
            cell = sheet.cell(row=number + 1, column=col)
            if name in values:
                cell = set_text(sheet, number + 1, col, values[name])
            if name in PREFILLED_COLUMNS:
                cell.fill = grey
            if name in (COL_INSPECTED, COL_COMPLETED, COL_CLOSED):
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.number_format = "@"
            if name in FREE_TEXT_COLUMNS:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {COL_SEQ: 6, COL_CODE: 22, COL_NAME: 30, COL_ADDRESS: 30, COL_ITEMS: 22}
    widths |= {COL_INSPECTORS: 34, COL_DETAIL: 40, COL_MEASURE: 36, COL_NOTE: 24}
    for col, name in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = widths.get(name, 14)
    sheet.freeze_panes = "D2"


def _option_lists(workbook: Any, own_words: Sequence[str]) -> dict[str, str]:
    """Add the hidden 选项 sheet; the cell range of each option list by its title (检查结果: the
    provincial form's, then the department's own ``own_words``)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    options = workbook.create_sheet(OPTIONS_SHEET)
    lists = {
        "检查结果": [c.value for c in ResultCategory] + list(own_words),
        "检查方式": [m.value for m in InspectionMethod],
        "后续处置措施": [m.value for m in FollowUpMeasure],
    }
    refs: dict[str, str] = {}
    for col, (title, choices) in enumerate(lists.items(), start=1):
        set_text(options, 1, col, title).font = bold
        for r, choice in enumerate(choices, start=2):
            set_text(options, r, col, choice)
        letter = get_column_letter(col)
        refs[title] = f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"
    options.sheet_state = "hidden"
    return refs


def _validations(sheet: Any, last: int, refs: Mapping[str, str], draw_date: dt.date) -> None:
    """The drop-down lists and date and length checks of rows 2 to ``last`` of ``sheet``."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def column_range(name: str) -> str:
        letter = get_column_letter(HEADERS.index(name) + 1)
        return f"{letter}2:{letter}{last}"

    def add(validation: Any, *names: str) -> None:
        validation.showErrorMessage = True
        validation.showInputMessage = True
        validation.allowBlank = True
        validation.errorTitle = "输入无效"
        for name in names:
            validation.add(column_range(name))
        sheet.add_data_validation(validation)

    add(
        DataValidation(
            type="list",
            formula1=refs["检查结果"],
            error="请从下拉列表中选择检查结果",
            promptTitle="检查结果",
            prompt="从列表选择；多项结果依次填入检查结果1–3；“未发现问题”不能与其他结果同选",
        ),
        *COL_CATEGORIES,
    )
    add(
        DataValidation(
            type="list",
            formula1=refs["检查方式"],
            error="请从下拉列表中选择检查方式",
            promptTitle="检查方式",
            prompt="从列表选择；多种方式依次填入检查方式1–2",
        ),
        *COL_METHODS,
    )
    add(
        DataValidation(
            type="list",
            formula1=refs["后续处置措施"],
            error="请从下拉列表中选择后续处置措施",
            promptTitle="后续处置措施",
            prompt="从列表选择；选择“其他”的须填写处置说明",
        ),
        COL_MEASURE,
    )
    add(
        DataValidation(
            type="list",
            formula1='"未完结,已完结"',
            error="请选择“未完结”或“已完结”",
            promptTitle="后续处置是否完结",
            prompt="已完结的须填写完结日期",
        ),
        COL_STATE,
    )
    first = f"DATE({draw_date.year},{draw_date.month},{draw_date.day})"
    add(
        DataValidation(
            type="date",
            operator="between",
            formula1=first,
            formula2="TODAY()",
            error=f"日期应在抽取日期 {draw_date.isoformat()} 与今天之间（YYYY-MM-DD）",
            promptTitle="日期",
            prompt="格式 YYYY-MM-DD",
        ),
        COL_INSPECTED,
        COL_COMPLETED,
        COL_CLOSED,
    )
    add(
        DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(MAX_DETAIL),
            error=f"具体情况不超过 {MAX_DETAIL} 字",
            promptTitle="具体情况",
            prompt=f"发现问题时必填，不超过 {MAX_DETAIL} 字",
        ),
        COL_DETAIL,
    )


def _meta_sheet(
    workbook: Any,
    meta: Sequence[tuple[str, str]],
    items: Sequence[InspectionItem],
    draw_date: dt.date,
) -> Any:
    """Add the 说明 sheet: the form's identity ``meta``, the instructions and the items."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    info = workbook.create_sheet(META_SHEET)
    set_text(info, 1, 1, "“双随机、一公开”检查结果录入表").font = Font(bold=True, size=14)
    for r, (key, value) in enumerate(meta, start=2):
        set_text(info, r, 1, key).font = bold
        set_text(info, r, 2, value)
    r = len(meta) + 3
    set_text(info, r, 1, "填写说明").font = bold
    for line in _instructions(draw_date):
        r += 1
        set_text(info, r, 1, line)
    r += 2
    for col, title in enumerate(("事项编号", "抽查事项", "检查方式", "检查依据"), start=1):
        set_text(info, r, col, title).font = bold
    for item in items:
        r += 1
        set_text(info, r, 1, item.id)
        set_text(info, r, 2, item.name)
        set_text(info, r, 3, "、".join(m.value for m in item.methods))
        set_text(info, r, 4, "；".join(item.legal_basis))
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    info.column_dimensions["C"].width = 24
    info.column_dimensions["D"].width = 60
    return info
