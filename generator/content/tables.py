"""Spreadsheet libraries (监管对象库, 执法检查人员库): CSV, XLSX and YAML with Chinese headers.

Exports from the provincial platforms are spreadsheets, so both libraries are read from a CSV
file (UTF-8, with or without a BOM), an XLSX workbook (first sheet) or a YAML list. Every row
becomes a ``dict`` of header → text plus its row number, so that errors name the line/row and
the column. Headers are matched exactly after trimming spaces; a missing required column is
one error naming the columns that were found.

CSV and XLSX cells are un-escaped with :func:`generator.content.cells.restore` (one leading
``'``, which gongkai's writers add in front of text that a spreadsheet would run as a formula, is
removed). Every input is bounded (docs/content.md §8.3): file size, rows, cell length, fields
per CSV row; messages quote at most a short excerpt of a bad cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.cells import excerpt, restore
from generator.content.errors import Location, Problems
from generator.content.source import LocDict, LocList, load_yaml, read_text
from generator.content.text import unsafe_text_message
from generator.content.xlsx_guard import check_workbook, unreadable

#: Most rows accepted in one library file.
MAX_ROWS = 2_000_000
#: Longest cell accepted (characters).
MAX_CELL = 500
#: Header names quoted in a “missing column” message.
_HEADERS_SHOWN = 20


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based line (CSV, YAML) or row number (XLSX), and its cells.

    ``lines`` gives a cell's own line where it differs from the row's (YAML records).
    """

    line: int
    cells: dict[str, str]
    shown: str
    lines: dict[str, int] = field(default_factory=dict)

    def loc(self, column: str) -> Location:
        """Location of ``column`` in this row."""
        return Location(self.shown, self.lines.get(column, self.line), column)


@dataclass(frozen=True)
class Columns:
    """The header contract of a library: required and optional column names."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: Accepted alternative spellings of a header (alias → canonical).
    aliases: tuple[tuple[str, str], ...] = ()


#: header line, header cells, (line, values) rows, and per-row cell lines (YAML only).
_Raw = tuple[int, list[str], list[tuple[int, list[str]]], list[dict[int, int]]]


def read_table(path: Path, shown: str, columns: Columns, problems: Problems) -> list[Row] | None:
    """Read a library file by its extension; None when the file cannot be used at all.

    Raises nothing: every problem is recorded in ``problems`` with its location.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _read_csv(path, shown, problems)
    elif suffix == ".xlsx":
        rows = _read_xlsx(path, shown, problems)
    elif suffix in (".yaml", ".yml"):
        rows = _read_yaml(path, shown, problems)
    else:
        problems.error(Location(shown), "不支持的文件类型；请使用 .csv、.xlsx 或 .yaml")
        return None
    if rows is None:
        return None
    header_line, header, data, cell_lines = rows
    mapping = _check_header(header, columns, Location(shown, header_line), problems)
    if mapping is None:
        return None
    out: list[Row] = []
    for row_index, (line, values) in enumerate(data):
        row_lines = cell_lines[row_index] if cell_lines else {}
        lines = {name: row_lines[i] for i, name in mapping.items() if i in row_lines}
        cells: dict[str, str] = {}
        for index, name in mapping.items():
            value = values[index] if index < len(values) else ""
            where = Location(shown, lines.get(name, line), name)
            if len(value) > MAX_CELL:
                problems.error(where, f"单元格过长（{len(value)} 字符，上限 {MAX_CELL}）")
                value = ""
            elif (unsafe := unsafe_text_message(value)) is not None:
                problems.error(where, unsafe)
                value = ""
            cells[name] = value
        if any(cells.values()):
            out.append(Row(line, cells, shown, lines))
    if len(out) > MAX_ROWS:
        problems.error(Location(shown), f"行数过多（{len(out)}，上限 {MAX_ROWS}）")
        return None
    return out


def _check_header(
    header: Sequence[str], columns: Columns, loc: Location, problems: Problems
) -> dict[int, str] | None:
    aliases = dict(columns.aliases)
    known = set(columns.required) | set(columns.optional)
    mapping: dict[int, str] = {}
    ok = True
    for index, raw in enumerate(header):
        name = aliases.get(raw.strip(), raw.strip())
        if not name:
            continue
        if name in mapping.values():
            problems.error(Location(loc.path, loc.line, name), "列名重复")
            ok = False
        elif name in known:
            mapping[index] = name
        else:
            problems.warning(Location(loc.path, loc.line, excerpt(name)), "未知的列，已忽略")
    missing = [c for c in columns.required if c not in mapping.values()]
    if missing:
        named = [excerpt(h.strip()) for h in header if h.strip()]
        found = "、".join(named[:_HEADERS_SHOWN]) or "（无）"
        if len(named) > _HEADERS_SHOWN:
            found += f"等 {len(named)} 列"
    for name in missing:
        problems.error(Location(loc.path, loc.line, name), f"缺少必需的列；找到的列为：{found}")
    return mapping if ok and not missing else None


def _read_csv(path: Path, shown: str, problems: Problems) -> _Raw | None:
    text = read_text(path, shown, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for values in reader:  # line_num: the record's last line (a quoted cell may span lines)
            if values:
                rows.append((reader.line_num, [restore(v.strip()) for v in values]))
            if len(rows) > MAX_ROWS + 1:
                problems.error(Location(shown), f"行数过多（上限 {MAX_ROWS}）")
                return None
    except csv.Error as exc:
        problems.error(Location(shown, reader.line_num), f"CSV 格式错误：{excerpt(str(exc))}")
        return None
    if not rows:
        problems.error(Location(shown, 1), "文件为空，缺少表头")
        return None
    header_line, header = rows[0]
    data = [row for row in rows[1:] if fields_match(row, header, shown, problems)]
    return header_line, header, data, []


def fields_match(
    row: tuple[int, list[str]], header: Sequence[str], shown: str, problems: Problems
) -> bool:
    """True if a CSV record (line, fields) has as many fields as the header; else False and
    one located error naming the first missing column or the first extra field."""
    line, values = row
    have, want = len(values), len(header)
    if have == want:
        return True
    if have < want:
        column = header[have].strip() or f"第 {have + 1} 列"
        problems.error(
            Location(shown, line, excerpt(column)),
            f"本行只有 {have} 个字段，表头有 {want} 个：缺少“{excerpt(column)}”及其后的字段"
            "（是否漏了逗号，或单元格中的逗号、引号未加引号？）",
        )
    else:
        problems.error(
            Location(shown, line, f"第 {want + 1} 列"),
            f"本行有 {have} 个字段，比表头多 {have - want} 个（多出的内容：“{excerpt(values[want])}”；"
            "单元格中的逗号是否未加引号？）",
        )
    return False


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path, shown: str, problems: Problems) -> _Raw | None:
    import openpyxl  # imported lazily: only spreadsheet users pay for it

    if not check_workbook(path, shown, problems):
        return None
    rows: list[tuple[int, list[str]]] = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, [restore(_cell_text(v)) for v in values]))
                if number > MAX_ROWS + 1:
                    problems.error(Location(shown), f"行数过多（上限 {MAX_ROWS}）")
                    return None
        finally:
            workbook.close()
    except Exception as exc:
        problems.error(Location(shown), unreadable(exc))
        return None
    if not rows:
        problems.error(Location(shown, 1), "工作表为空，缺少表头")
        return None
    header_line, header = rows[0]
    return header_line, header, rows[1:], []


def _read_yaml(path: Path, shown: str, problems: Problems) -> _Raw | None:
    data = load_yaml(path, shown, problems)
    if data is None:
        return None
    if not isinstance(data, LocList):
        problems.error(Location(shown, 1), "YAML 库文件应为记录列表")
        return None
    header: list[str] = []
    for item in data:
        if isinstance(item, LocDict):
            header.extend(k for k in item if k not in header)
    rows: list[tuple[int, list[str]]] = []
    cell_lines: list[dict[int, int]] = []
    for i, item in enumerate(data):
        if not isinstance(item, LocDict):
            problems.error(Location(shown, data.item_lines[i]), "每条记录应为映射（列名: 值）")
            continue
        values = []
        for key in header:
            value = item.get(key)
            if isinstance(value, LocList):
                value = "、".join(str(v) for v in value)
            values.append(_cell_text(value))
        rows.append((item.line, values))
        cell_lines.append({j: item.line_of(key) for j, key in enumerate(header) if key in item})
    return data.line, header, rows, cell_lines


def split_list(value: str) -> tuple[str, ...]:
    """Split a multi-value cell on 、 ， , ； ; or | (e.g. 行业 “餐饮、食品销售”)."""
    for sep in "，,；;|":
        value = value.replace(sep, "、")
    return tuple(v.strip() for v in value.split("、") if v.strip())
