"""Library import/export: located errors and no writes on failure, canonical files, diffs, identity."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from generator.content.errors import ContentError, Severity
from generator.content.loader import load_content
from generator.content.uscc import make_uscc
from generator.workflow.libraries_io import HEADERS, export_library, import_library

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(MINI, target)
    return target


def _table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write_csv(path: Path, table: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _write_xlsx(path: Path, table: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in table:
        sheet.append(row)
    workbook.save(path)
    return path


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def _edited_entities(content: Path) -> list[list[str]]:
    """The mini entities with one record changed, one removed and one added."""
    table = _table(content / "entities.csv")
    header = table[0]
    risk = header.index("信用风险分类")
    by_code = {row[0]: row for row in table[1:]}
    by_code["91620823GK0000018E"][risk] = "D"  # changed
    del by_code["91620822GK00003093"]  # removed
    added = list(by_code["91620823GK00002881"])
    added[0] = "91620823GK0000317C"
    added[header.index("名称")] = "崇信示例新开餐饮有限公司"
    return [header, *by_code.values(), added]


def test_import_csv_writes_the_canonical_file_and_counts_changes(
    content: Path, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "new.csv", _edited_entities(content))
    report = import_library("entities", source, content, remove_missing=True)
    assert report.written == content / "entities.csv"
    assert (report.added, report.changed, report.removed) == (
        ("91620823GK0000317C",),
        ("91620823GK0000018E",),
        ("91620822GK00003093",),
    )
    assert report.records == 30
    assert report.replaced == ()
    data = report.written.read_bytes()
    assert data.startswith(BOM)
    assert b"\r\n" not in data
    table = _table(report.written)
    assert tuple(table[0]) == HEADERS["entities"]
    codes = [row[0] for row in table[1:]]
    assert codes[-1] == ""  # the entity with only a 注册号 comes last
    assert codes[:-1] == sorted(codes[:-1])
    assert table[-1][1] == "620823600000015"
    loaded, problems = load_content(content)
    assert not problems.errors
    assert {e.id for e in loaded.entities} >= {"91620823GK0000317C", "620823600000015"}


def test_reimporting_the_same_library_changes_nothing(content: Path, tmp_path: Path) -> None:
    first = import_library("entities", content / "entities.csv", content)
    assert (first.added, first.changed, first.removed) == ((), (), ())
    canonical = (content / "entities.csv").read_bytes()
    again = import_library("entities", content / "entities.csv", content)
    assert (again.added, again.changed, again.removed) == ((), (), ())
    assert (content / "entities.csv").read_bytes() == canonical


def test_import_xlsx_replaces_a_library_of_another_format(content: Path, tmp_path: Path) -> None:
    # The content directory holds the library as a workbook; the import writes entities.csv
    # and removes entities.xlsx only after success.
    table = _table(content / "entities.csv")
    (content / "entities.csv").unlink()
    _write_xlsx(content / "entities.xlsx", table)
    source = _write_xlsx(tmp_path / "export.xlsx", _edited_entities_from(table))
    report = import_library("entities", source, content)
    assert report.replaced == (content / "entities.xlsx",)
    assert not (content / "entities.xlsx").exists()
    assert (content / "entities.csv").exists()
    assert report.changed == ("91620823GK0000018E",)
    assert not load_content(content)[1].errors


def _edited_entities_from(table: list[list[str]]) -> list[list[str]]:
    out = [list(row) for row in table]
    out[1][out[0].index("信用风险分类")] = "D"
    return out


def test_import_yaml(content: Path, tmp_path: Path) -> None:
    source = tmp_path / "inspectors.yaml"
    source.write_text(
        "- {执法证号: '62082300109', 姓名: 新示例, 部门: 县市场监管局, 专长: [食品安全, 广告], 状态: 在岗}\n",
        encoding="utf-8",
    )
    report = import_library("inspectors", source, content)
    assert (report.added, report.changed, report.removed) == (("62082300109",), (), ())
    assert (report.records, report.kept) == (11, 10)
    rows = _table(content / "inspectors.csv")
    assert ["62082300109", "新示例", "scjg", "食品安全、广告", "在岗"] in rows
    assert not load_content(content)[1].errors


def test_inspector_departments_become_ids(content: Path) -> None:
    report = import_library("inspectors", content / "inspectors.csv", content)
    assert (report.added, report.changed, report.removed) == ((), (), ())
    depts = {row[2] for row in _table(content / "inspectors.csv")[1:]}
    assert depts == {"scjg", "wsjk", "yjgl"}


def test_broken_file_reports_every_error_and_writes_nothing(content: Path, tmp_path: Path) -> None:
    table = _table(content / "entities.csv")
    header = table[0]
    table[3][0] = "91620823GK00000345"  # wrong check character
    table[5][header.index("登记状态")] = "营业"
    table[7][header.index("信用风险分类")] = "E"
    table.append(list(table[2]))  # duplicate of line 3
    source = _write_csv(tmp_path / "broken.csv", table)
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    assert _snapshot(content) == before
    located = {
        (p.location.path, p.location.line, p.location.field)
        for p in info.value.problems
        if p.severity is Severity.ERROR
    }
    assert located == {
        ("broken.csv", 4, "统一社会信用代码"),
        ("broken.csv", 6, "登记状态"),
        ("broken.csv", 8, "信用风险分类"),
        ("broken.csv", 32, "统一社会信用代码"),
    }
    assert "重复" in info.value.report()


def test_missing_column_writes_nothing(content: Path, tmp_path: Path) -> None:
    table = [row[:-1] for row in _table(content / "inspectors.csv")]  # drop 状态
    source = _write_csv(tmp_path / "x.csv", table)
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("inspectors", source, content)
    assert _snapshot(content) == before
    (problem,) = [p for p in info.value.problems if p.severity is Severity.ERROR]
    assert (problem.location.line, problem.location.field) == (1, "状态")


def test_unknown_department_is_located(content: Path, tmp_path: Path) -> None:
    table = _table(content / "inspectors.csv")
    table[2][2] = "县税务局"
    source = _write_xlsx(tmp_path / "x.xlsx", table)
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("inspectors", source, content)
    assert _snapshot(content) == before
    assert [(p.location.line, p.location.field) for p in info.value.problems] == [(3, "部门")]


def test_empty_library_is_refused(content: Path, tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "empty.csv", [list(HEADERS["entities"])])
    before = _snapshot(content)
    with pytest.raises(ContentError, match="1 个错误"):
        import_library("entities", source, content)
    assert _snapshot(content) == before


def test_non_utf8_csv_is_refused(content: Path, tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "gbk.csv", _table(content / "entities.csv"), encoding="gbk")
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    assert _snapshot(content) == before
    assert "UTF-8" in info.value.report()


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="未知的库类型"):
        import_library("plans", Path("x.csv"), Path("content"))


@pytest.mark.parametrize("kind", ["entities", "inspectors"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_import_is_the_identity(
    content: Path, tmp_path: Path, kind: str, suffix: str
) -> None:
    import_library(kind, content / f"{kind}.csv", content)  # canonical form first
    canonical = (content / f"{kind}.csv").read_bytes()
    out = tmp_path / f"export{suffix}"
    count = export_library(kind, content, out)
    assert count == len(_table(content / f"{kind}.csv")) - 1
    again = tmp_path / f"again{suffix}"
    export_library(kind, content, again)
    assert out.read_bytes() == again.read_bytes()  # deterministic
    report = import_library(kind, out, content)
    assert (report.added, report.changed, report.removed) == ((), (), ())
    assert (content / f"{kind}.csv").read_bytes() == canonical


def test_exported_workbook_is_text_with_canonical_headers(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "entities.xlsx"
    export_library("entities", content, out)
    sheet = openpyxl.load_workbook(out).active
    assert sheet.title == "检查对象名录库"
    rows = list(sheet.iter_rows())
    assert tuple(c.value for c in rows[0]) == HEADERS["entities"]
    dates = [r[HEADERS["entities"].index("上次检查日期")] for r in rows[1:]]
    filled = [c for c in dates if c.value]
    assert filled
    assert all(c.data_type == "s" for c in filled)
    assert all(len(str(c.value)) == 10 for c in filled)


def test_export_refuses_an_unsupported_format_and_ambiguous_libraries(
    content: Path, tmp_path: Path
) -> None:
    with pytest.raises(ContentError, match="1 个错误") as info:
        export_library("entities", content, tmp_path / "out.ods")
    assert "不支持的导出格式" in info.value.report()
    shutil.copy(content / "entities.csv", content / "entities.yaml")
    with pytest.raises(ContentError) as info:
        export_library("entities", content, tmp_path / "out.csv")
    assert "多个文件" in info.value.report()
    assert not (tmp_path / "out.csv").exists()


def test_a_broken_previous_library_is_replaced_with_a_warning(
    content: Path, tmp_path: Path
) -> None:
    good = _write_csv(tmp_path / "good.csv", _table(content / "inspectors.csv"))
    (content / "inspectors.csv").unlink()
    # The previous library is a YAML file with a broken record (missing columns).
    (content / "inspectors.yaml").write_text("- {执法证号: x}\n", encoding="utf-8")
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:  # nothing complete to merge into
        import_library("inspectors", good, content)
    assert "无法合并" in info.value.report()
    assert _snapshot(content) == before
    report = import_library("inspectors", good, content, remove_missing=True)
    assert report.replaced == (content / "inspectors.yaml",)
    assert len(report.added) == 10
    assert [p.location.path for p in report.warnings] == ["inspectors.yaml"]
    assert "统计只计可读取的记录" in report.warnings[0].message
    assert not load_content(content)[1].errors


# ---- merge by id (issue: a 3-row import deleted the rest and broke `gongkai check`) --------


def test_a_partial_import_merges_by_code_and_keeps_the_rest(content: Path, tmp_path: Path) -> None:
    table = _table(content / "entities.csv")
    header, rows = table[0], table[1:]
    risk = header.index("信用风险分类")
    changed = list(rows[0])
    changed[risk] = "D"
    new = list(rows[1])
    new[0] = "91620823GK0000317C"
    new[header.index("名称")] = "崇信示例新开餐饮有限公司"
    source = _write_csv(tmp_path / "three.csv", [header, changed, rows[2], new])
    report = import_library("entities", source, content)
    assert (report.added, report.changed, report.removed) == (
        ("91620823GK0000317C",),
        (rows[0][0],),
        (),
    )
    assert (report.records, report.kept) == (len(rows) + 1, len(rows) - 2)
    after = {row[0] or row[1]: row for row in _table(content / "entities.csv")[1:]}
    assert len(after) == len(rows) + 1
    assert after[rows[0][0]][HEADERS["entities"].index("信用风险分类")] == "D"
    assert not load_content(content)[1].errors
    text = "\n".join(report.summary())
    assert "新增：91620823GK0000317C" in text
    assert "已保留" in text
    assert "--remove-missing" in text


def test_a_registration_number_becoming_a_credit_code_changes_the_record(
    content: Path, tmp_path: Path
) -> None:
    table = _table(content / "entities.csv")
    header = table[0]
    regno = header.index("注册号")
    (row,) = [r for r in table[1:] if not r[0]]  # the sole trader known only by 注册号
    converted = list(row)
    converted[0] = make_uscc("9", "2", "620823", "GK000031")
    source = _write_csv(tmp_path / "one.csv", [header, converted])
    report = import_library("entities", source, content)
    assert (report.added, report.changed, report.removed) == ((), (converted[0],), ())
    codes = [r[0] or r[1] for r in _table(content / "entities.csv")[1:]]
    assert row[regno] not in codes
    assert converted[0] in codes


def test_removal_only_when_asked_and_never_into_content_that_fails_check(
    content: Path, tmp_path: Path
) -> None:
    table = _table(content / "inspectors.csv")
    # conflicts.yaml names 62082300101: removing it would leave content that fails the check.
    kept = [table[0], *[r for r in table[1:] if r[0] != "62082300101"]]
    source = _write_csv(tmp_path / "fewer.csv", kept)
    merged = import_library("inspectors", source, content)
    assert merged.removed == ()
    assert merged.records == len(table) - 1
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("inspectors", source, content, remove_missing=True)
    assert _snapshot(content) == before
    report = info.value.report()
    assert "未通过检查" in report
    assert "conflicts.yaml" in report
    # Without the conflict the removal goes through and is reported.
    (content / "conflicts.yaml").write_text("conflicts: []\n", encoding="utf-8")
    removed = import_library("inspectors", source, content, remove_missing=True)
    assert removed.removed == ("62082300101",)
    assert not load_content(content)[1].errors


# ---- bad input: field counts, bounds, excerpts ---------------------------------------------


def test_csv_rows_with_an_extra_or_missing_field_are_located(content: Path, tmp_path: Path) -> None:
    lines = (content / "inspectors.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] += ",多余"
    lines[4] = lines[4].rsplit(",", 1)[0]
    source = tmp_path / "fields.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("inspectors", source, content)
    assert _snapshot(content) == before
    located = sorted(
        (p.location.path, p.location.line, p.location.field) for p in info.value.problems
    )
    assert located == [("fields.csv", 3, "第 6 列"), ("fields.csv", 5, "状态")]
    text = info.value.report()
    assert "多出的内容：“多余”" in text
    assert "缺少“状态”" in text


def test_a_huge_xlsx_cell_is_refused_before_parsing_with_a_short_message(
    content: Path, tmp_path: Path
) -> None:
    # openpyxl cuts what it writes at Excel's 32,767 characters: patch the stored XML instead.
    table = _table(content / "entities.csv")
    table[1][table[0].index("名称")] = "HUGE-CELL"
    made = _write_xlsx(tmp_path / "made.xlsx", table)
    source = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(made) as old, zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info, data.replace(b"HUGE-CELL", "崇".encode() * 3_000_000))
    assert source.stat().st_size < 1_000_000
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    assert _snapshot(content) == before
    text = info.value.report()
    assert "超长单元格" in text
    assert len(text) < 500


def test_a_formula_saved_without_its_value_is_named_not_read_as_empty(
    content: Path, tmp_path: Path
) -> None:
    # openpyxl writes formulas without a computed value, as other scripts do; Excel, WPS and
    # LibreOffice save the value, which is read as the cell's content.
    table = _table(content / "entities.csv")
    column = table[0].index("名称")
    table[2][column] = '=CONCAT("崇信","饭店")'
    source = _write_xlsx(tmp_path / "formula.xlsx", table)
    before = _snapshot(content)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    assert _snapshot(content) == before
    [problem] = info.value.problems
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column]
    assert (problem.location.path, problem.location.line) == ("formula.xlsx", 3)
    assert problem.location.field == f"单元格 {letter}3（sheet1.xml）"
    assert "没有保存公式的计算结果" in problem.message
    assert "不能为空" not in info.value.report()

    def saved(value: str, kind: str) -> Path:
        """The workbook as an office suite saves it: the formula's value (of type ``kind``) kept."""
        out = tmp_path / f"saved-{kind}.xlsx"
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
            for item in old.infolist():
                data = old.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<v />", f"<v>{value}</v>".encode(), 1)
                    cell = f'r="{letter}3"'.encode()
                    data = data.replace(cell, cell + f' t="{kind}"'.encode(), 1)
                new.writestr(item, data)
        return out

    with pytest.raises(ContentError) as info:
        import_library("entities", saved("#REF!", "e"), content)
    assert _snapshot(content) == before
    assert "公式计算出错" in info.value.report()
    import_library("entities", saved("崇信饭店", "str"), content)
    assert "崇信饭店" in (content / "entities.csv").read_text(encoding="utf-8")


def test_long_cells_and_headers_are_quoted_as_excerpts(content: Path, tmp_path: Path) -> None:
    table = _table(content / "entities.csv")
    table[0].append("未知" * 10_000)
    table[0][table[0].index("行业")] = "行" * 5_000  # the required 行业 column goes missing
    for row in table[1:]:
        row.append("")
    table[2][table[0].index("主体类型")] = "类" * 400  # under the cell limit, still not echoed
    source = _write_csv(tmp_path / "long.csv", table)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    text = info.value.report()
    assert "缺少必需的列" in text
    assert len(text) < 2_000
    table[0][table[0].index("行" * 5_000)] = "行业"
    source = _write_csv(tmp_path / "long.csv", table)
    with pytest.raises(ContentError) as info:
        import_library("entities", source, content)
    (problem,) = [p for p in info.value.problems if p.severity is Severity.ERROR]
    assert problem.location.field == "主体类型"
    assert len(problem.message) < 200


def test_cli_import_prints_the_changes_and_keeps_the_rest(content: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    table = _table(content / "inspectors.csv")
    table[1][table[0].index("状态")] = "调出"
    source = _write_csv(tmp_path / "one.csv", table[:2])
    result = CliRunner().invoke(
        main, ["import", "inspectors", str(source), "--content", str(content)]
    )
    assert result.exit_code == 0, result.output
    assert "共 10 条，新增 0，变更 1，删除 0" in result.output
    assert f"变更：{table[1][0]}" in result.output
    assert "导入文件中没有的 9 条已保留" in result.output
    assert len(_table(content / "inspectors.csv")) == 11
    refused = CliRunner().invoke(
        main,
        ["import", "inspectors", str(source), "--content", str(content), "--remove-missing"],
    )
    assert refused.exit_code == 10  # conflicts.yaml still names removed inspectors
    assert "未通过检查" in refused.output
    assert len(_table(content / "inspectors.csv")) == 11
