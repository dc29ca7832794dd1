"""Unit tests of the located YAML loader, the typed Fields getters and the library tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from generator.content import source
from generator.content.errors import Location, Problem, Problems, Severity
from generator.content.source import (
    Fields,
    LocDict,
    LocList,
    items_of,
    load_yaml,
    parse_date,
    parse_ratio,
    read_text,
)
from generator.content.tables import MAX_CELL, Columns, Row, read_table, split_list

SHOWN = "content/x.yaml"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8) or raw bytes to ``tmp_path/name``."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str | bytes) -> tuple[Any, Problems]:
    """Load a YAML text through ``load_yaml``."""
    problems = Problems()
    data = load_yaml(write(tmp_path, "x.yaml", text), SHOWN, problems)
    return data, problems


def fields(tmp_path: Path, text: str) -> tuple[Fields, Problems]:
    """A :class:`Fields` over a YAML mapping."""
    data, problems = load(tmp_path, text)
    assert isinstance(data, LocDict), problems.items
    return Fields(data, SHOWN, "", problems), problems


def only(problems: Problems) -> Problem:
    """The single recorded problem."""
    [problem] = problems.items
    return problem


# ---------------------------------------------------------------- YAML with line numbers


def test_key_lines_and_item_lines(tmp_path: Path) -> None:
    data, problems = load(
        tmp_path,
        "# comment\nname: x\nitems:\n  - a\n\n  - b\nnested:\n  inner: 1\n  list: [p, q]\n",
    )
    assert problems.items == []
    assert isinstance(data, LocDict)
    assert data.line == 2
    assert data.key_lines == {"name": 2, "items": 3, "nested": 7}
    items = data["items"]
    assert isinstance(items, LocList)
    assert items.item_lines == [4, 6]
    nested = data["nested"]
    assert isinstance(nested, LocDict)
    assert nested.line_of("inner") == 8
    assert nested.line_of("missing") == nested.line == 8
    assert data["nested"]["list"].item_lines == [9, 9]


def test_list_of_mappings_remembers_each_mapping(tmp_path: Path) -> None:
    data, _ = load(tmp_path, "- id: a\n  name: A\n- id: b\n\n  name: B\n")
    assert isinstance(data, LocList)
    assert data.item_lines == [1, 3]
    assert [d.line_of("name") for d in data] == [2, 5]


def test_duplicate_key_is_an_error_at_the_second_key(tmp_path: Path) -> None:
    data, problems = load(tmp_path, "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n")
    assert data is None
    problem = only(problems)
    assert problem.location == Location(SHOWN, 5)
    assert "重复的键“c”" in problem.message


def test_duplicate_key_after_conversion_to_text(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "1: a\n'1': b\n")
    assert "重复的键“1”" in only(problems).message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb:\n\t- x\n", 3),  # tab indentation
        ("a: [1, 2\nb: 3\n", 2),  # unclosed flow sequence
        ("a: 1\n  b: 2\n", 2),  # bad indentation
    ],
    ids=["tab", "unclosed-flow", "bad-indent"],
)
def test_syntax_errors_are_located(tmp_path: Path, text: str, line: int) -> None:
    data, problems = load(tmp_path, text)
    assert data is None
    problem = only(problems)
    assert problem.location == Location(SHOWN, line)
    assert problem.message.startswith("YAML 语法错误")


def test_an_unclosed_bracket_names_the_line_where_it_opened(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "a: 1\nyear: [2024\nid: 3\n")
    problem = only(problems)
    assert problem.location == Location(SHOWN, 3)
    assert problem.message.endswith("（第 2 行的“[”是否未闭合？）")
    _, problems = load(tmp_path, "a: {x: 1\nb: 2\n")
    assert only(problems).message.endswith("（第 1 行的“{”是否未闭合？）")


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    data, problems = load(tmp_path, "a: !!python/object/apply:os.system ['true']\n")
    assert data is None
    assert only(problems).location.line == 1


def test_bom_is_accepted(tmp_path: Path) -> None:
    data, problems = load(tmp_path, "\ufeffname: 崇信\n".encode())
    assert problems.items == []
    assert data == {"name": "崇信"}


def test_non_utf8_is_located_at_the_line(tmp_path: Path) -> None:
    data, problems = load(tmp_path, "a: 1\nb: 2\nname: 崇信县\n".encode("gbk"))
    assert data is None
    problem = only(problems)
    assert problem.location == Location(SHOWN, 3)
    assert "UTF-8" in problem.message


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    problems = Problems()
    assert read_text(tmp_path / "absent.yaml", SHOWN, problems) is None
    assert "无法读取文件" in only(problems).message


def test_oversized_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 10)
    problems = Problems()
    assert read_text(write(tmp_path, "x.yaml", "a: 12345678\n"), SHOWN, problems) is None
    problem = only(problems)
    assert problem.location == Location(SHOWN)
    assert "文件过大（12 字节，上限 10）" in problem.message


# ---------------------------------------------------------------- Fields getters


def test_text_getter(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: '  x  '\nb: ''\nc: 5\nd: [1]\ne: abcdef\n")
    assert f.text("a") == "x"
    assert f.text("b") is None
    assert f.text("c") is None
    assert f.text("d") is None
    assert f.text("e", max_len=5) is None
    assert f.text("missing") is None
    assert f.text("optional", required=False) is None
    messages = [(p.location.line, p.location.field, p.message) for p in problems.items]
    assert messages == [
        (2, "b", "不能为空"),
        (3, "c", '应为文本，实际为整数（代码、编号请加英文引号，如 "0123"）'),
        (4, "d", "应为文本，实际为列表"),
        (5, "e", "过长（6 字符，上限 5）"),
        (1, "missing", "缺少必填字段"),
    ]


def test_null_is_missing(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: 1\nb: ~\n")
    assert f.text("b") is None
    assert only(problems).message == "缺少必填字段"
    assert only(problems).location.line == 2


@pytest.mark.parametrize("escape", ["\\a", "\\0", "\\x1b", "\\r"])
def test_control_characters_are_rejected(tmp_path: Path, escape: str) -> None:
    f, problems = fields(tmp_path, f'a: 1\nname: "x{escape}y"\n')
    assert f.text("name") is None
    assert only(problems).location == Location(SHOWN, 2, "name")
    assert only(problems).message.startswith("含有控制字符 U+")


def test_newline_and_tab_are_allowed_in_text(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, 'name: "a\\tb\\nc"\n')
    assert f.text("name") == "a\tb\nc"
    assert problems.items == []


def test_oversized_text_uses_default_limit(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "name: " + "长" * (source.MAX_TEXT + 1) + "\n")
    assert f.text("name") is None
    assert f"上限 {source.MAX_TEXT}" in only(problems).message


@pytest.mark.parametrize("value", ["a", "SJ-DJ-01", "2024", "x.y_z", "a" * 64])
def test_ident_accepts(tmp_path: Path, value: str) -> None:
    f, problems = fields(tmp_path, f"id: '{value}'\n")
    assert f.ident("id") == value
    assert problems.items == []


@pytest.mark.parametrize("value", ["-a", "a b", "甲", "a/b", "a" * 65])
def test_ident_rejects(tmp_path: Path, value: str) -> None:
    f, problems = fields(tmp_path, f"id: '{value}'\n")
    assert f.ident("id") is None
    assert only(problems).location.field == "id"


def test_integer_getter(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: 5\nb: '5'\nc: true\nd: 5.0\ne: 11\n")
    assert f.integer("a") == 5
    assert f.integer("b") is None
    assert f.integer("c") is None
    assert f.integer("d") is None
    assert f.integer("e", lo=1, hi=10) is None
    assert [p.message for p in problems.items] == [
        "应为整数，实际为文本",
        "应为整数，实际为布尔值",
        "应为整数，实际为小数（浮点数）",
        "应在 1 到 10 之间，实际为 11",
    ]


def test_boolean_getter(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: true\nb: 'true'\n")
    assert f.boolean("a", default=False) is True
    assert f.boolean("b", default=False) is False
    assert f.boolean("c", default=True) is True
    assert only(problems).location == Location(SHOWN, 2, "b")


def test_date_getter(tmp_path: Path) -> None:
    f, problems = fields(
        tmp_path,
        "a: 2024-01-10\nb: '2024-01-10'\nc: 2024/1/5\nd: 2024-01-10 09:00:00\n"
        "e: '2024-02-30'\nf: 20240110\ng: tomorrow\n",
    )
    assert f.date("a") == dt.date(2024, 1, 10)
    assert f.date("b") == dt.date(2024, 1, 10)
    assert f.date("c") == dt.date(2024, 1, 5)
    assert f.date("d") is None
    assert f.date("e") is None
    assert f.date("f") is None
    assert f.date("g") is None
    lines = [(p.location.line, p.location.field) for p in problems.items]
    assert lines == [(4, "d"), (5, "e"), (6, "f"), (7, "g")]
    assert "不应包含时间" in problems.items[0].message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"5%"', Decimal("0.05")),
        ('"0.05"', Decimal("0.05")),
        ('"1"', Decimal(1)),
        ('"0"', Decimal(0)),
        ('"0%"', Decimal(0)),
        ('"100%"', Decimal(1)),
        ('"12.5%"', Decimal("0.125")),
        ('" 5 % "', Decimal("0.05")),
        ('"0.670"', Decimal("0.67")),
    ],
)
def test_ratio_accepts(tmp_path: Path, text: str, value: Decimal) -> None:
    f, problems = fields(tmp_path, f"r: {text}\n")
    assert f.ratio("r") == value
    assert problems.items == []


def test_ratio_is_exact() -> None:
    ratio = parse_ratio("0.67")
    assert ratio is not None
    assert ratio * 3 == Decimal("2.01")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.05", "带引号"),
        ("5", "带引号"),
        ("1", "带引号"),
        ('"-1"', "无法识别的比例“-1”"),
        ('"1.5"', "无法识别的比例“1.5”"),
        ('"101%"', "无法识别的比例“101%”"),
        ('"abc"', "无法识别的比例“abc”"),
        ('"1e-2"', "无法识别的比例"),
        ('".5"', "无法识别的比例"),
        ('"5%%"', "无法识别的比例"),
        ('"NaN"', "无法识别的比例"),
    ],
)
def test_ratio_rejects(tmp_path: Path, text: str, message: str) -> None:
    f, problems = fields(tmp_path, f"a: 1\nr: {text}\n")
    assert f.ratio("r") is None
    problem = only(problems)
    assert problem.location == Location(SHOWN, 2, "r")
    assert message in problem.message


def test_parse_date_strict() -> None:
    assert parse_date("2024-1-5") == dt.date(2024, 1, 5)
    assert parse_date(" 2024/01/05 ") == dt.date(2024, 1, 5)
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    for bad in ("2023-02-29", "24-01-05", "2024.01.05", "2024-01-05T00:00", ""):
        assert parse_date(bad) is None


def test_mapping_and_sequence_getters(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "m: {a: 1}\ns: [1, 2, 3]\nx: [1]\ny: {a: 1}\n")
    assert f.mapping("m") == {"a": 1}
    assert f.sequence("s") == [1, 2, 3]
    assert f.sequence("s", max_items=2) is None
    assert f.mapping("x") is None
    assert f.sequence("y") is None
    assert [(p.location.line, p.message) for p in problems.items] == [
        (2, "列表过长（3 项，上限 2）"),
        (3, "应为映射（键: 值），实际为列表"),
        (4, "应为列表，实际为映射"),
    ]


def test_texts_locates_the_bad_item(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: 1\nlist:\n  - ok\n  - 5\n")
    assert f.texts("list") is None
    assert only(problems).location == Location(SHOWN, 4, "list[1]")


def test_texts_rejects_a_single_string(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "list: 餐饮\n")
    assert f.texts("list") is None
    assert only(problems).message == "应为列表，实际为文本"


def test_choice_getter(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "a: 甲\nb: 丁\n")
    table = {"甲": 1, "乙": 2}
    assert f.choice("a", table.get, "类别") == 1
    assert f.choice("b", table.get, "类别") is None
    assert only(problems).message == "不是有效的类别：“丁”"


def test_finish_reports_unknown_keys_once(tmp_path: Path) -> None:
    f, problems = fields(tmp_path, "name: x\nnmae: y\nextra: z\n")
    f.text("name")
    f.text("name")
    f.finish(allowed_extra=frozenset({"extra"}))
    problem = only(problems)
    assert problem.location == Location(SHOWN, 2, "nmae")
    assert problem.message == "未知字段（拼写错误？）"


def test_prefix_and_item_locations(tmp_path: Path) -> None:
    data, problems = load(tmp_path, "tasks:\n  - id: a\n    parts:\n      - x\n      - y\n  - 5\n")
    assert isinstance(data, LocDict)
    found = list(items_of(data["tasks"], SHOWN, "tasks", problems))
    [(index, f)] = found
    assert index == 0
    assert f.loc("id") == Location(SHOWN, 2, "tasks[0].id")
    assert f.item_loc("parts", 1, "name") == Location(SHOWN, 5, "tasks[0].parts[1].name")
    assert only(problems).location == Location(SHOWN, 6, "tasks[1]")
    assert only(problems).message == "应为映射，实际为整数"


# ---------------------------------------------------------------- library tables

COLUMNS = Columns(
    required=("代码", "名称", "日期"),
    optional=("备注",),
    aliases=(("企业名称", "名称"),),
)


def read(path: Path, columns: Columns = COLUMNS) -> tuple[list[Row] | None, Problems]:
    """Read a table, shown as ``content/<name>``."""
    problems = Problems()
    rows = read_table(path, f"content/{path.name}", columns, problems)
    return rows, problems


def test_csv_with_bom_and_alias(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.csv",
        '\ufeff代码, 企业名称 ,日期,其他\n1,甲,2024-01-10,x\n\n,,,\n2,"乙,丙",,y\n',
    )
    rows, problems = read(path)
    assert rows == [
        Row(2, {"代码": "1", "名称": "甲", "日期": "2024-01-10"}, "content/t.csv"),
        Row(5, {"代码": "2", "名称": "乙,丙", "日期": ""}, "content/t.csv"),
    ]
    warning = only(problems)
    assert warning.severity is Severity.WARNING
    assert warning.location == Location("content/t.csv", 1, "其他")


def test_csv_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", '代码,名称,日期\n1,"两\n行",\n2,丙,\n')
    rows, _ = read(path)
    assert rows is not None
    assert [r.line for r in rows] == [3, 4]  # csv.reader's line_num is the row's last line


def test_missing_column_lists_found_headers(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.csv", "代码,名字,备注\n1,甲,\n"))
    assert rows is None
    errors = problems.errors
    assert [p.location for p in errors] == [
        Location("content/t.csv", 1, "名称"),
        Location("content/t.csv", 1, "日期"),
    ]
    assert all("找到的列为：代码、名字、备注" in p.message for p in errors)


def test_duplicate_column(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.csv", "代码,名称,日期,企业名称\n1,甲,,乙\n"))
    assert rows is None
    assert only(problems).location == Location("content/t.csv", 1, "名称")
    assert only(problems).message == "列名重复"


def test_empty_csv(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.csv", ""))
    assert rows is None
    assert only(problems).message == "文件为空，缺少表头"


def test_csv_format_error_is_located(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.csv", '代码,名称,日期\n1,"甲"x,\n'))
    assert rows is None
    assert only(problems).location.line == 2
    assert "CSV 格式错误" in only(problems).message


def test_oversized_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "代码,名称,日期\n1," + "长" * (MAX_CELL + 1) + ",\n")
    rows, problems = read(path)
    assert rows is not None
    assert rows[0].cells["名称"] == ""
    assert only(problems).location == Location("content/t.csv", 2, "名称")


def test_unsupported_extension(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.xls", "x"))
    assert rows is None
    assert "不支持的文件类型" in only(problems).message


def test_xlsx(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["代码", "企业名称", "日期", None])
    sheet.append([620823, "甲", dt.datetime(2024, 1, 10), None])
    sheet.append([None, None, None, None])
    sheet.append(["A1", " 乙 ", dt.date(2024, 2, 1), None])
    sheet.append([1.5, "丙", None, None])
    path = tmp_path / "t.xlsx"
    workbook.save(path)

    rows, problems = read(path)

    assert problems.items == []
    assert rows == [
        Row(2, {"代码": "620823", "名称": "甲", "日期": "2024-01-10"}, "content/t.xlsx"),
        Row(4, {"代码": "A1", "名称": "乙", "日期": "2024-02-01"}, "content/t.xlsx"),
        Row(5, {"代码": "1.5", "名称": "丙", "日期": ""}, "content/t.xlsx"),
    ]


def test_xlsx_missing_column(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["代码", "名字", "日期"])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    rows, problems = read(path)
    assert rows is None
    [error] = problems.errors
    assert error.location == Location("content/t.xlsx", 1, "名称")
    assert "找到的列为：代码、名字、日期" in error.message


def test_xlsx_not_a_workbook(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.xlsx", "代码,名称\n"))
    assert rows is None
    assert "无法读取 XLSX 工作簿" in only(problems).message


def test_yaml_library(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.yaml",
        "- 代码: '1'\n  名称: 甲\n  日期: 2024-01-10\n- 代码: 2\n  名称: [乙, 丙]\n  日期:\n- 5\n",
    )
    rows, problems = read(path)
    assert rows == [
        Row(1, {"代码": "1", "名称": "甲", "日期": "2024-01-10"}, "content/t.yaml", ANY),
        Row(4, {"代码": "2", "名称": "乙、丙", "日期": ""}, "content/t.yaml", ANY),
    ]
    assert only(problems).location == Location("content/t.yaml", 7)
    assert "每条记录应为映射" in only(problems).message


def test_yaml_library_header_alias(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "- {代码: '1', 企业名称: 甲, 日期: ''}\n")
    rows, problems = read(path)
    assert problems.items == []
    assert rows == [Row(1, {"代码": "1", "名称": "甲", "日期": ""}, "content/t.yaml", ANY)]


def test_yaml_library_must_be_a_list(tmp_path: Path) -> None:
    rows, problems = read(write(tmp_path, "t.yaml", "代码: 1\n"))
    assert rows is None
    assert only(problems).message == "YAML 库文件应为记录列表"


@pytest.mark.parametrize(
    ("cell", "values"),
    [
        ("餐饮、食品销售", ("餐饮", "食品销售")),
        (
            "餐饮，食品销售,住宿；公共场所;广告|印刷",
            ("餐饮", "食品销售", "住宿", "公共场所", "广告", "印刷"),
        ),
        (" 餐饮 、、 ", ("餐饮",)),
        ("", ()),
    ],
)
def test_split_list(cell: str, values: tuple[str, ...]) -> None:
    assert split_list(cell) == values


def test_deep_nesting_is_refused_whatever_the_recursion_limit(tmp_path: Path) -> None:
    """The depth limit is ours, not Python's: raising the recursion limit changes nothing."""
    import sys

    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 300 + "]" * 300 + "\n", encoding="utf-8")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        problems = Problems()
        assert load_yaml(path, "deep.yaml", problems) is None
    finally:
        sys.setrecursionlimit(old)
    assert [(p.location.line, "嵌套过深" in p.message) for p in problems.items] == [(1, True)]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # A plain folded paragraph: no space between Chinese characters, a space elsewhere.
        (
            ">-\n  本站演示“双随机、\n  一公开”，\n  共 3 项 and\n  more\n",
            "本站演示“双随机、一公开”，共 3 项 and more",
        ),
        (">\n  本站\n  演示\n", "本站演示\n"),  # clip chomping kept
        (">+\n  中\n  文\n\n", "中文\n\n"),  # keep chomping kept
        # Paragraphs: a blank line is a line break, two are two.
        (">\n  行一\n  接续\n\n  行二\n\n\n  行三\n", "行一接续\n行二\n\n行三\n"),
        # A leading blank line, an indentation indicator equal to the indentation.
        (">\n\n  行一\n  行二\n", "\n行一行二\n"),
        (">2-\n  中\n  文\n", "中文"),
        (">2-  # 注释\n  中\n  文\n", "中文"),
        # Anything but plain paragraphs keeps YAML's own folding.
        (">-\n  ab\n    cd\n  ef\n", "ab\n  cd\nef"),
        (">2-\n   中\n   文\n", " 中\n 文"),
        (">-\n  中\n\n    文\n  字\n", "中\n\n  文\n字"),
        ("|-\n  本站\n  演示\n", "本站\n演示"),
        ("'本站\n  演示'\n", "本站 演示"),
    ],
    ids=[
        "paragraph",
        "clip",
        "keep",
        "paragraphs",
        "leading-blank",
        "indicator",
        "indicator-comment",
        "more-indented",
        "indicator-more-indented",
        "more-indented-paragraph",
        "literal",
        "quoted",
    ],
)
def test_folded_blocks_join_chinese_lines_without_spaces(
    tmp_path: Path, block: str, expected: str
) -> None:
    data, problems = load(tmp_path, "text: " + block + "after: 1\n")
    assert not problems.items
    assert data["text"] == expected
    assert data["after"] == 1
