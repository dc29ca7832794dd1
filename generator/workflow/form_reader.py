"""Reading a filled 检查结果录入表 (:mod:`generator.workflow.forms` writes it and defines its layout).

:func:`read_form` reads the XLSX workbook or its CSV twin, checks the 说明 sheet and the header,
and turns every filled row into a :class:`~generator.workflow.forms.ParsedResult`; every problem
is reported with the file, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.content.cells import excerpt, restore
from generator.content.errors import Location, Problems
from generator.content.model import InspectionMethod
from generator.content.results import (
    CORRECTED_ON_ORDER,
    NO_PROBLEM,
    Category,
    DeptFinding,
    FollowUp,
    FollowUpMeasure,
    FollowUpState,
    ResultCategory,
    measure_mismatch,
)
from generator.content.source import parse_date, read_text
from generator.content.tables import fields_match, split_list
from generator.content.text import unsafe_char
from generator.content.xlsx_guard import check_workbook, unreadable
from generator.workflow.forms import (
    CATEGORY_ALIASES,
    CATEGORY_GROUPS_HINT,
    COL_CATEGORIES,
    COL_CLOSED,
    COL_CODE,
    COL_COMPLETED,
    COL_DEPT,
    COL_DETAIL,
    COL_INSPECTED,
    COL_INSPECTORS,
    COL_ITEMS,
    COL_MEASURE,
    COL_METHODS,
    COL_NAME,
    COL_NOTE,
    COL_STATE,
    COL_TASK,
    FORM_VERSION,
    FREE_TEXT_COLUMNS,
    HEADER_ALIASES,
    HEADERS,
    MAX_CELL,
    MAX_DETAIL,
    MAX_NOTE,
    MAX_ROWS,
    META_SHEET,
    OPTIONAL_COLUMNS,
    RESULT_COLUMNS,
    RESULT_SHEET,
    FormRow,
    ParsedResult,
)

_PROBLEM_MEASURES = frozenset(
    {FollowUpMeasure.RECTIFY, FollowUpMeasure.REFER_CASE, FollowUpMeasure.NOTIFY_OTHER_DEPT}
)
_STATES: Mapping[str, FollowUpState] = {
    "未完结": FollowUpState.OPEN,
    "已完结": FollowUpState.CLOSED,
    "否": FollowUpState.OPEN,
    "是": FollowUpState.CLOSED,
}

_INSPECTOR_RE = re.compile(r"^(?P<name>[^（）()]*?)\s*[（(]\s*(?P<id>[^（）()]+?)\s*[）)]$")
_CREDENTIAL_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
_CHINESE_DATE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")


@dataclass
class _Sheet:
    """Raw cells of the 结果录入 table: header and (row number, values) pairs."""

    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_csv(path: Path, shown: str, problems: Problems) -> _Sheet | None:
    text = read_text(path, shown, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for values in reader:
            rows.append((start, values))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS + 1:
                problems.error(Location(shown), f"行数过多（上限 {MAX_ROWS}）")
                return None
    except csv.Error as exc:
        problems.error(Location(shown, reader.line_num), f"CSV 格式错误：{excerpt(str(exc))}")
        return None
    rows = [row for row in rows if row[1]]  # blank lines
    if not rows:
        problems.error(Location(shown, 1), "文件为空，缺少表头")
        return None
    header_line, header = rows[0]
    data = [row for row in rows[1:] if fields_match(row, header, shown, problems)]
    return _Sheet(header_line, header, data)


def _read_xlsx(
    path: Path, shown: str, problems: Problems
) -> tuple[_Sheet, list[tuple[int, list[str]]]] | None:
    import openpyxl

    if not check_workbook(path, shown, problems):
        return None
    rows: list[tuple[int, list[str]]] = []
    meta: list[tuple[int, list[str]]] = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            missing = [s for s in (RESULT_SHEET, META_SHEET) if s not in workbook.sheetnames]
            for name in missing:
                problems.error(Location(shown, 0, f"[{name}]"), f"缺少工作表“{name}”")
            if missing:
                return None
            for number, values in enumerate(
                workbook[RESULT_SHEET].iter_rows(values_only=True), start=1
            ):
                rows.append((number, [_cell_text(v) for v in values]))
                if number > MAX_ROWS + 1:
                    problems.error(Location(shown), f"行数过多（上限 {MAX_ROWS}）")
                    return None
            for number, values in enumerate(
                workbook[META_SHEET].iter_rows(max_col=2, values_only=True), start=1
            ):
                meta.append((number, [_cell_text(v) for v in values]))
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many types for a damaged file
        problems.error(Location(shown), unreadable(exc))
        return None
    if not rows:
        problems.error(Location(shown, 1), "工作表为空，缺少表头")
        return None
    header_line, header = rows[0]
    return _Sheet(header_line, header, rows[1:]), meta


def _check_meta(
    meta: list[tuple[int, list[str]]],
    shown: str,
    task_id: str,
    dept_id: str,
    problems: Problems,
) -> bool:
    """Check the 说明 sheet's identity; False (with located errors) if the form is refused."""
    found: dict[str, tuple[int, str]] = {}
    for number, values in meta:
        key = restore(values[0].strip()) if values else ""
        if key in (COL_TASK, COL_DEPT, "表单版本") and key not in found:
            found[key] = (number, restore(values[1].strip()) if len(values) > 1 else "")
    ok = True
    version = found.get("表单版本")
    if version is not None and version[1] != FORM_VERSION:
        problems.error(
            Location(shown, version[0], f"[{META_SHEET}]表单版本"),
            f"不支持的表单版本“{excerpt(version[1])}”（应为 {FORM_VERSION}）；请使用本系统生成的录入表",
        )
        ok = False
    for key, want, what in ((COL_TASK, task_id, "任务"), (COL_DEPT, dept_id, "部门")):
        entry = found.get(key)
        if entry is None:
            problems.error(
                Location(shown, 0, f"[{META_SHEET}]{key}"), f"“{META_SHEET}”工作表缺少{key}"
            )
            ok = False
        elif entry[1] != want:
            problems.error(
                Location(shown, entry[0], f"[{META_SHEET}]{key}"),
                f"本表是{what}“{excerpt(entry[1])}”的检查结果录入表，不是{what}“{want}”的；"
                "按照“谁检查、谁录入、谁公开”，请导入本部门本任务的录入表",
            )
            ok = False
    return ok


def _check_header(sheet: _Sheet, shown: str, problems: Problems) -> dict[str, int] | None:
    mapping: dict[str, int] = {}
    ok = True
    for index, raw in enumerate(sheet.header):
        text = raw.strip()
        name = HEADER_ALIASES.get(text, text)
        if not name:
            continue
        loc = Location(shown, sheet.header_line, excerpt(name))
        if name in mapping:
            problems.error(loc, "列名重复")
            ok = False
        elif name in HEADERS:
            mapping[name] = index
        else:
            problems.error(loc, "未知的列（列名被修改？请使用原表的列名）")
            ok = False
    found = "、".join(excerpt(h.strip()) for h in sheet.header[:40] if h.strip()) or "（无）"
    for name in HEADERS:
        if name not in mapping and name not in OPTIONAL_COLUMNS:
            problems.error(
                Location(shown, sheet.header_line, name), f"缺少必需的列；找到的列为：{found}"
            )
            ok = False
    return mapping if ok else None


def _parse_date_text(text: str) -> dt.date | None:
    day = parse_date(text)
    if day is not None:
        return day
    m = _CHINESE_DATE_RE.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


class _FormReader:
    """Checks the rows of one form against the drawn list; collects every problem."""

    def __init__(
        self,
        shown: str,
        *,
        task_id: str,
        dept_id: str,
        expected: Mapping[str, FormRow],
        draw_date: dt.date,
        today: dt.date,
        inspector_depts: Mapping[str, str],
        problems: Problems,
        own_findings: Sequence[DeptFinding] = (),
    ) -> None:
        self.shown = shown
        self.own = {f.value: f for f in own_findings}
        self.task_id = task_id
        self.dept_id = dept_id
        self.expected = expected
        self.draw_date = draw_date
        self.today = today
        self.inspector_depts = inspector_depts
        self.problems = problems
        self.dept_team = {i for row in expected.values() for i, _ in row.inspectors}

    def rows(self, sheet: _Sheet, columns: Mapping[str, int]) -> list[ParsedResult]:
        out: list[ParsedResult] = []
        seen: dict[str, int] = {}
        for line, values in sheet.rows:
            cells = {
                name: restore(values[i].strip()) if i < len(values) else ""
                for name, i in columns.items()
            }
            if not any(cells.values()):
                continue
            code = cells[COL_CODE]
            if code:
                if code in seen:
                    self.error(
                        line, COL_CODE, f"重复的行：主体“{excerpt(code)}”已在第 {seen[code]} 行出现"
                    )
                    continue
                seen[code] = line
            if not any(cells.get(c) for c in RESULT_COLUMNS):
                continue  # not yet inspected
            result = self._row(line, cells)
            if result is not None:
                out.append(result)
        return out

    def error(self, line: int, column: str, message: str) -> None:
        self.problems.error(Location(self.shown, line, column), message)

    def warning(self, line: int, column: str, message: str) -> None:
        self.problems.warning(Location(self.shown, line, column), message)

    def _clean(self, line: int, cells: dict[str, str]) -> set[str]:
        """Check length and characters of every cell; return the columns that are unusable."""
        bad: set[str] = set()
        for name, value in cells.items():
            limit = MAX_DETAIL if name == COL_DETAIL else MAX_NOTE if name == COL_NOTE else MAX_CELL
            if name in FREE_TEXT_COLUMNS:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
                cells[name] = value
            if len(value) > limit:
                self.error(line, name, f"内容过长（{len(value)} 字，上限 {limit} 字）")
                bad.add(name)
                continue
            text = value.replace("\n", "") if name in FREE_TEXT_COLUMNS else value
            controls = [c for c in text if unsafe_char(c) is not None]
            if controls:
                shown = "、".join(f"U+{ord(c):04X}" for c in dict.fromkeys(controls))
                allowed = "（具体情况、处置说明可以换行）" if name in FREE_TEXT_COLUMNS else ""
                self.error(
                    line,
                    name,
                    f"含有控制字符 {shown}（换行、制表符、不可见或改变文字方向的字符）{allowed}",
                )
                bad.add(name)
        return bad

    def _row(self, line: int, cells: dict[str, str]) -> ParsedResult | None:
        before = len(self.problems.errors)
        bad = self._clean(line, cells)

        def text(name: str) -> str:
            return "" if name in bad else cells.get(name, "")

        # The form's identity, row by row (the CSV twin has no 说明 sheet).
        for name, want, what in (
            (COL_TASK, self.task_id, "任务"),
            (COL_DEPT, self.dept_id, "部门"),
        ):
            got = text(name)
            if name in bad:
                continue
            if not got:
                self.error(line, name, f"缺少{name}（请勿修改预填的{name}）")
            elif got != want:
                self.error(
                    line,
                    name,
                    f"本行属于{what}“{got}”，不是本次导入的{what}“{want}”"
                    "（谁检查、谁录入、谁公开：只导入本部门本任务的结果）",
                )
        if len(self.problems.errors) > before:
            return None

        code = text(COL_CODE)
        if not code:
            if COL_CODE not in bad:
                self.error(line, COL_CODE, "缺少统一社会信用代码/注册号")
            return None
        row = self.expected.get(code)
        if row is None:
            self.error(line, COL_CODE, f"主体“{code}”不在本任务本部门的抽取名单中")
            return None
        name = text(COL_NAME)
        if name and name != row.entity_name:
            self.warning(
                line, COL_NAME, f"名称“{name}”与抽取名单中的“{row.entity_name}”不一致（以代码为准）"
            )

        items = self._items(line, text(COL_ITEMS), row, COL_ITEMS in bad)
        inspectors = self._inspectors(line, text(COL_INSPECTORS), row, COL_INSPECTORS in bad)
        inspected = self._date(line, COL_INSPECTED, text(COL_INSPECTED), COL_INSPECTED in bad)
        completed = self._date(line, COL_COMPLETED, text(COL_COMPLETED), COL_COMPLETED in bad)
        if inspected and completed and completed < inspected:
            self.error(
                line,
                COL_COMPLETED,
                f"完成日期 {completed.isoformat()} 早于检查日期 {inspected.isoformat()}",
            )
        methods = self._choices(
            line, cells, bad, COL_METHODS, InspectionMethod.parse, "检查方式", {}
        )
        categories = self._choices(
            line, cells, bad, COL_CATEGORIES, self._category, "检查结果", CATEGORY_GROUPS_HINT
        )
        detail = text(COL_DETAIL)
        followup = self._followup(line, cells, bad, completed, categories)
        problem = any(c.problem_found for c, _ in categories)
        if problem and not detail and COL_DETAIL not in bad:
            self.error(line, COL_DETAIL, "发现问题时须填写具体情况")
        if len(self.problems.errors) > before:
            return None
        assert inspected is not None and completed is not None and followup is not None
        return ParsedResult(
            entity=code,
            items=items,
            methods=tuple(m for m, _ in methods),
            categories=tuple(c for c, _ in categories),
            detail=detail,
            inspectors=inspectors,
            inspected_on=inspected,
            completed_on=completed,
            followup=followup,
        )

    def _items(self, line: int, value: str, row: FormRow, bad: bool) -> tuple[str, ...]:
        if bad:
            return ()
        parts = tuple(dict.fromkeys(split_list(value)))
        if not parts:
            self.error(line, COL_ITEMS, "至少保留一个本部门实际检查的抽查事项编号")
        allowed = "、".join(row.items)
        for part in parts:
            if part not in row.items:
                self.error(
                    line,
                    COL_ITEMS,
                    f"“{part}”不是本部门在本任务中对该主体的抽查事项（应为 {allowed} 中的编号）",
                )
        return parts

    def _inspectors(self, line: int, value: str, row: FormRow, bad: bool) -> tuple[str, ...]:
        if bad:
            return ()
        team = dict(row.inspectors)
        out: list[str] = []
        for part in split_list(value):
            m = _INSPECTOR_RE.match(part)
            if m:
                name, ident = m["name"].strip(), m["id"].strip()
            elif _CREDENTIAL_RE.match(part):
                name, ident = "", part
            else:
                self.error(
                    line,
                    COL_INSPECTORS,
                    f"无法识别检查人员“{part}”：应为“姓名（执法证号）”或执法证号",
                )
                continue
            if ident not in team:
                self.error(line, COL_INSPECTORS, self._not_on_team(ident, name or part))
            elif name and name != team[ident]:
                self.error(
                    line,
                    COL_INSPECTORS,
                    f"执法证号 {ident} 对应的检查人员是“{team[ident]}”，不是“{name}”",
                )
            elif ident not in out:
                out.append(ident)
        if not split_list(value):
            self.error(line, COL_INSPECTORS, "至少填写一名检查人员（姓名（执法证号））")
        elif out and len(out) < min(2, len(team)):
            self.warning(
                line,
                COL_INSPECTORS,
                f"只填写了 {len(out)} 名检查人员；现场检查一般应不少于两名执法人员",
            )
        return tuple(out)

    def _not_on_team(self, ident: str, who: str) -> str:
        other = self.inspector_depts.get(ident)
        if other is not None and other != self.dept_id:
            return (
                f"“{who}”是其他部门（{other}）的执法人员，不是本部门检查组成员"
                "（谁检查、谁录入：只填写本部门为该主体抽取的检查人员）"
            )
        if ident in self.dept_team:
            return f"“{who}”不是该主体的检查组成员（是本部门其他主体检查组的成员）"
        return f"“{who}”不是该主体本部门检查组的成员"

    def _date(self, line: int, column: str, value: str, bad: bool) -> dt.date | None:
        if bad:
            return None
        if not value:
            self.error(line, column, "不能为空（YYYY-MM-DD）")
            return None
        day = _parse_date_text(value)
        if day is None:
            self.error(line, column, f"应为日期（YYYY-MM-DD），实际为“{value}”")
            return None
        if day < self.draw_date:
            self.error(
                line,
                column,
                f"{column} {day.isoformat()} 早于抽取日期 {self.draw_date.isoformat()}",
            )
        if day > self.today:
            self.error(
                line, column, f"{column} {day.isoformat()} 晚于今天 {self.today.isoformat()}"
            )
        return day

    def _choices(
        self,
        line: int,
        cells: Mapping[str, str],
        bad: set[str],
        columns: Sequence[str],
        parse: Any,
        what: str,
        hints: Mapping[str, str],
    ) -> list[tuple[Any, str]]:
        out: list[tuple[Any, str]] = []
        broken = False
        for column in columns:
            if column in bad:
                broken = True
                continue
            for part in split_list(cells.get(column, "")):
                value = parse(part)
                if value is None:
                    hint = hints.get(part, "请从下拉列表中选择")
                    self.error(line, column, f"不是有效的{what}：“{part}”（{hint}）")
                    broken = True
                elif value not in [v for v, _ in out]:
                    out.append((value, column))
        if not out and not broken:
            self.error(line, columns[0], f"至少选择一项{what}")
        if what == "检查结果":
            chosen = [v for v, _ in out]
            if NO_PROBLEM in chosen and len(chosen) > 1:
                column = dict(out)[NO_PROBLEM]
                others = "、".join(c.value for c in chosen if c is not NO_PROBLEM)
                self.error(
                    line, column, f"“未发现问题”不能与其他检查结果同时选择（同时选择了：{others}）"
                )
        return out

    def _followup(
        self,
        line: int,
        cells: Mapping[str, str],
        bad: set[str],
        completed: dt.date | None,
        categories: list[tuple[Category, str]],
    ) -> FollowUp | None:
        ok = True
        measure_text = cells.get(COL_MEASURE, "")
        measure = FollowUpMeasure.parse(measure_text)
        if COL_MEASURE in bad:
            ok = False
        elif not measure_text:
            self.error(line, COL_MEASURE, "不能为空（请从下拉列表中选择后续处置措施）")
            ok = False
        elif measure is None:
            self.error(
                line, COL_MEASURE, f"不是有效的后续处置措施：“{measure_text}”（请从下拉列表中选择）"
            )
            ok = False
        note = cells.get(COL_NOTE, "") if COL_NOTE not in bad else ""
        if measure is FollowUpMeasure.OTHER and not note and COL_NOTE not in bad:
            self.error(line, COL_NOTE, "后续处置措施为“其他”时须在处置说明中写明")
            ok = False
        chosen = [c for c, _ in categories]
        if measure is FollowUpMeasure.NONE_NEEDED:
            pending = [c.value for c in chosen if c.problem_found and c is not CORRECTED_ON_ORDER]
            if pending:
                self.warning(
                    line,
                    COL_MEASURE,
                    f"检查结果为“{'、'.join(pending)}”，后续处置措施却为“无需后续处置”；"
                    "请确认问题已当场规范、改正，否则应选择相应的处置措施",
                )
        if measure in _PROBLEM_MEASURES and NO_PROBLEM in chosen:
            assert measure is not None
            self.error(
                line,
                COL_MEASURE,
                f"检查结果为“未发现问题”，后续处置措施不能为“{measure.value}”",
            )
            ok = False
        elif measure is not None and chosen and (why := measure_mismatch(measure, chosen)):
            self.error(line, COL_MEASURE, why)
            ok = False

        state_text = cells.get(COL_STATE, "")
        state = _STATES.get(state_text)
        if COL_STATE in bad:
            ok = False
        elif not state_text:
            self.error(line, COL_STATE, "不能为空（未完结或已完结）")
            ok = False
        elif state is None:
            self.error(line, COL_STATE, f"应为“未完结”或“已完结”，实际为“{state_text}”")
            ok = False

        closed_text = cells.get(COL_CLOSED, "")
        closed: dt.date | None = None
        if COL_CLOSED in bad:
            ok = False
        elif state is FollowUpState.CLOSED:
            if not closed_text:
                self.error(line, COL_CLOSED, "后续处置已完结的，须填写完结日期")
                ok = False
            else:
                closed = self._date(line, COL_CLOSED, closed_text, False)
                if closed is None:
                    ok = False
                elif completed is not None and closed < completed:
                    self.error(
                        line,
                        COL_CLOSED,
                        f"完结日期 {closed.isoformat()} 早于完成日期 {completed.isoformat()}",
                    )
        elif state is FollowUpState.OPEN and closed_text:
            self.error(line, COL_CLOSED, "后续处置未完结的，不应填写完结日期")
            ok = False
        if not ok or measure is None or state is None:
            return None
        return FollowUp(measure=measure, state=state, note=note, closed_on=closed)

    def _category(self, text: str) -> Category | None:
        """A base 检查结果 (or an accepted older wording), or a word of the department's own
        vocabulary in force (docs/workflow.md §10)."""
        return ResultCategory.parse(text) or CATEGORY_ALIASES.get(text) or self.own.get(text)


def read_form(
    path: Path,
    *,
    task_id: str,
    dept_id: str,
    expected: Mapping[str, FormRow],
    draw_date: dt.date,
    today: dt.date,
    shown: str | None = None,
    inspector_depts: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    own_findings: Sequence[DeptFinding] = (),
) -> list[ParsedResult]:
    """Read a filled 检查结果录入表 (.xlsx or .csv) and check it against the drawn list.

    Every problem is located as file:row:column (the XLSX row number or CSV line, and the
    column's header; problems in the 说明 sheet name the field “[说明]任务编号”) and all of them
    are reported at once. Rows whose result columns are all empty are not yet inspected and are
    skipped, so a partly filled form imports the rows that are done.

    A problem category (for example 未按规定公示应当公示的信息) together with the measure
    “未发现问题或相关问题已规范、已改正，无需后续处置” is a **warning**, not an error: the
    measure's official wording itself covers a problem that was put right on the spot
    (已规范、已改正), which is common for minor findings; refusing it would force staff to pick a
    measure that is not true. The warning asks them to confirm. (发现问题经责令已改正 with this
    measure is consistent and gives no warning.) 未发现问题 with a measure that presupposes a
    violation (责令改正, 移送办案机构, 抄告相关部门) is an error: the row contradicts itself.

    Args:
        path: the filled form (.xlsx written by :func:`write_form`, or its CSV twin).
        task_id: the task being imported; a form of another task is refused.
        dept_id: the importing department; another department's form is refused.
        expected: the drawn list of this department for this task, by entity id.
        draw_date: the date of the draw (no inspection date may precede it).
        today: the import date (no date may follow it).
        shown: the file name used in locations (default: ``path.name``).
        inspector_depts: optional 执法证号 → department id of every known inspector, to say
            when an inspector belongs to another department.
        problems: optional accumulator; every finding (warnings included) is appended to it.
        own_findings: the department's own 检查结果 in force (docs/workflow.md §10), accepted
            besides the provincial form's; any other word is refused.

    Returns:
        The parsed results of the filled rows, in form order.

    Raises:
        ContentError: with every located problem, if there is at least one error.
    """
    shown = shown or path.name
    found = Problems()
    results: list[ParsedResult] = []
    suffix = path.suffix.lower()
    sheet: _Sheet | None = None
    if suffix == ".csv":
        sheet = _read_csv(path, shown, found)
    elif suffix == ".xlsx":
        loaded = _read_xlsx(path, shown, found)
        if loaded is not None and _check_meta(loaded[1], shown, task_id, dept_id, found):
            sheet = loaded[0]
    else:
        found.error(Location(shown), "不支持的文件类型；请使用 .xlsx 或 .csv 录入表")
    if sheet is not None:
        columns = _check_header(sheet, shown, found)
        if columns is not None:
            reader = _FormReader(
                shown,
                task_id=task_id,
                dept_id=dept_id,
                expected=expected,
                draw_date=draw_date,
                today=today,
                inspector_depts=inspector_depts or {},
                problems=found,
                own_findings=own_findings,
            )
            results = reader.rows(sheet, columns)
    if problems is not None:
        problems.items.extend(found.items)
    found.raise_if_errors()
    return results
