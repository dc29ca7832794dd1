"""检查结果录入表: write → fill (as staff would, through openpyxl or a text editor) → read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import form_kit as fk
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.content.cells import restore
from generator.content.errors import ContentError, Problems, Severity
from generator.content.model import InspectionMethod
from generator.content.results import FollowUp, FollowUpMeasure, FollowUpState, ResultCategory
from generator.content.text import INVISIBLE_FILLERS
from generator.workflow import forms
from generator.workflow.records import result_body


def _column_letter(name: str) -> str:
    return openpyxl.utils.get_column_letter(forms.HEADERS.index(name) + 1)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.FILLED)
    problems = Problems()
    results = fk.read(xlsx, problems=problems)
    assert problems.items == []
    rows = fk.rows()
    assert [r.entity for r in results] == [rows[0].entity_id, rows[1].entity_id, rows[2].entity_id]
    first, second, third = results
    assert first == forms.ParsedResult(
        entity=rows[0].entity_id,
        items=fk.ITEMS,
        methods=(InspectionMethod.ON_SITE,),
        categories=(ResultCategory.NO_PROBLEM,),
        detail="",
        inspectors=("62082300101", "62082300102"),
        inspected_on=dt.date(2024, 5, 6),
        completed_on=dt.date(2024, 5, 6),
        followup=FollowUp(
            FollowUpMeasure.NONE_NEEDED, FollowUpState.CLOSED, closed_on=dt.date(2024, 5, 6)
        ),
    )
    assert second.methods == (InspectionMethod.ON_SITE, InspectionMethod.DOCUMENTARY)
    assert second.categories == (
        ResultCategory.VIOLATION_FOOD_DRUG,
        ResultCategory.CORRECTED_ON_ORDER,
    )
    assert second.inspectors == ("62082300103", "62082300104")
    assert second.followup == FollowUp(FollowUpMeasure.RECTIFY, FollowUpState.OPEN)
    assert third.followup.note == "责令十日内补报公示，已补报。"
    assert third.followup.closed_on == dt.date(2024, 6, 1)


def test_parsed_result_feeds_result_body(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.FILLED)
    body = result_body(**fk.read(xlsx)[2].body_kwargs())
    assert body == {
        "entity": fk.rows()[2].entity_id,
        "items": list(fk.ITEMS),
        "methods": ["书面检查"],
        "categories": ["未按规定公示应当公示的信息"],
        "detail": "未按规定公示2023年度报告。",
        "inspectors": ["62082300101", "62082300102"],
        "inspected_on": "2024-05-09",
        "completed_on": "2024-05-09",
        "followup": {
            "measure": "其他",
            "state": "已完结",
            "note": "责令十日内补报公示，已补报。",
            "closed_on": "2024-06-01",
        },
    }


def test_results_meet_the_ledger_rules(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.FILLED)
    expected = fk.expected()
    for r in fk.read(xlsx):
        team = {i for i, _ in expected[r.entity].inspectors}
        assert r.inspectors
        assert set(r.inspectors) <= team
        assert fk.DRAW_DATE <= r.inspected_on <= r.completed_on <= fk.TODAY
        assert set(r.items) <= set(expected[r.entity].items)


def test_csv_twin_round_trip(tmp_path: Path) -> None:
    xlsx, csv_path = fk.write(tmp_path)
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(table[0]) == forms.HEADERS
    assert len(table) == 1 + len(fk.rows())
    second = dict(zip(forms.HEADERS, table[2], strict=True))
    assert second[forms.COL_CODE] == fk.rows()[1].entity_id
    assert second[forms.COL_ITEMS] == "SJ-SP-01、SJ-DJ-01"
    assert second[forms.COL_INSPECTORS] == "王示例（62082300103）、赵示例（62082300104）"
    assert (second[forms.COL_TASK], second[forms.COL_DEPT]) == (fk.TASK_ID, fk.DEPT_ID)
    assert second[forms.COL_INSPECTED] == ""
    fk.fill_csv(csv_path, fk.FILLED)
    fk.fill_xlsx(xlsx, fk.FILLED)
    assert fk.read(csv_path) == fk.read(xlsx)


def test_csv_twin_rows_with_a_missing_or_extra_field_are_located(tmp_path: Path) -> None:
    _, csv_path = fk.write(tmp_path)
    fk.fill_csv(csv_path, fk.FILLED)
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] += ",多余"
    lines[2] = lines[2].rsplit(",", 1)[0]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    with pytest.raises(ContentError) as info:
        fk.read(csv_path)
    located = sorted(
        (p.location.line, p.location.field)
        for p in info.value.problems
        if p.severity is Severity.ERROR
    )
    assert located == [(2, f"第 {len(forms.HEADERS) + 1} 列"), (3, forms.COL_DEPT)]


def test_blank_form_imports_nothing(tmp_path: Path) -> None:
    xlsx, csv_path = fk.write(tmp_path)
    assert fk.read(xlsx) == []
    assert fk.read(csv_path) == []


def test_partial_import_skips_rows_not_yet_inspected(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, {3: fk.FILLED[3]})
    assert [r.entity for r in fk.read(xlsx)] == [fk.rows()[1].entity_id]


def test_data_validations_on_the_right_columns(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames == [forms.RESULT_SHEET, forms.META_SHEET, forms.OPTIONS_SHEET]
    assert workbook.active.title == forms.RESULT_SHEET
    options = workbook[forms.OPTIONS_SHEET]
    assert options.sheet_state == "hidden"
    sheet = workbook[forms.RESULT_SHEET]
    last = len(fk.rows()) + 1
    by_range: dict[str, object] = {}
    for dv in sheet.data_validations.dataValidation:
        assert dv.showErrorMessage
        assert dv.allow_blank
        for cells in str(dv.sqref).split():
            by_range[cells] = dv

    def validation(name: str) -> object:
        letter = _column_letter(name)
        return by_range[f"{letter}2:{letter}{last}"]

    def options_of(formula: str) -> list[str]:
        ref = formula.split("!")[1].replace("$", "")
        return [c.value for row in options[ref] for c in row]

    for name in forms.COL_CATEGORIES:
        dv = validation(name)
        assert dv.type == "list"
        assert options_of(dv.formula1) == [c.value for c in ResultCategory]
    for name in forms.COL_METHODS:
        dv = validation(name)
        assert options_of(dv.formula1) == [m.value for m in InspectionMethod]
    assert options_of(validation(forms.COL_MEASURE).formula1) == [m.value for m in FollowUpMeasure]
    assert validation(forms.COL_STATE).formula1 == '"未完结,已完结"'
    for name in (forms.COL_INSPECTED, forms.COL_COMPLETED, forms.COL_CLOSED):
        dv = validation(name)
        assert (dv.type, dv.operator) == ("date", "between")
        assert dv.formula1 == "DATE(2024,4,8)"
        assert dv.formula2 == "TODAY()"
    detail = validation(forms.COL_DETAIL)
    assert (detail.type, detail.formula1) == ("textLength", "1000")
    validated = {_column_letter(n) for n in forms.RESULT_COLUMNS if n != forms.COL_NOTE}
    assert {r.split(":")[0].rstrip("0123456789") for r in by_range} == validated


def test_meta_sheet_names_task_and_department(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    info = openpyxl.load_workbook(xlsx)[forms.META_SHEET]
    pairs = {row[0].value: row[1].value for row in info.iter_rows(max_col=2)}
    assert pairs[forms.COL_TASK] == fk.TASK_ID
    assert pairs[forms.COL_DEPT] == fk.DEPT_ID
    assert pairs["抽取日期"] == "2024-04-08"
    assert pairs["表单版本"] == forms.FORM_VERSION
    assert pairs["SJ-SP-01"]  # the item table lists the department's items by id


def test_deterministic_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    xlsx_a, csv_a = fk.write(tmp_path / "a")
    xlsx_b, csv_b = fk.write(tmp_path / "b")
    assert xlsx_a.read_bytes() == xlsx_b.read_bytes()
    assert csv_a.read_bytes() == csv_b.read_bytes()
    with zipfile.ZipFile(xlsx_a) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2024-04-08T00:00:00Z" in core
    props = openpyxl.load_workbook(xlsx_a).properties
    assert props.created == props.modified == dt.datetime(2024, 4, 8)


def test_prefilled_text_is_never_a_formula(tmp_path: Path) -> None:
    sheet = openpyxl.Workbook().active
    cell = forms.set_text(sheet, 1, 1, "=HYPERLINK(1)")
    assert cell.data_type == "s"
    assert cell.value == "'=HYPERLINK(1)"  # neutralised as well (docs/content.md §8.1)


def test_problem_with_no_follow_up_is_a_warning(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.merged({3: {"后续处置措施": fk.NONE_NEEDED}}))
    problems = Problems()
    results = fk.read(xlsx, problems=problems)
    assert len(results) == 3
    assert [(p.location.line, p.location.field, p.severity) for p in problems.items] == [
        (3, forms.COL_MEASURE, Severity.WARNING)
    ]
    assert "违反食品药品管理相关规定" in problems.items[0].message


def test_corrected_on_order_with_no_follow_up_is_fine(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    cells = {"检查结果1": "发现问题经责令已改正", "检查结果2": None}
    fk.fill_xlsx(xlsx, fk.merged({3: cells | {"后续处置措施": fk.NONE_NEEDED}}))
    problems = Problems()
    fk.read(xlsx, problems=problems)
    assert problems.items == []


def test_one_inspector_of_a_two_person_team_is_a_warning(tmp_path: Path) -> None:
    xlsx, _ = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.merged({2: {forms.COL_INSPECTORS: "62082300101"}}))
    problems = Problems()
    assert fk.read(xlsx, problems=problems)[0].inspectors == ("62082300101",)
    assert [p.severity for p in problems.items] == [Severity.WARNING]


def test_lenient_spellings_in_the_csv_twin(tmp_path: Path) -> None:
    _, csv_path = fk.write(tmp_path)
    row = {
        "检查日期": "2024年5月6日",
        "完成日期": "2024/5/7",
        "检查方式1": "现场检查、书面检查",
        "检查结果1": "发现问题已责令改正",  # county wording of 发现问题经责令已改正
        "具体情况": "第一行\n第二行",
        "后续处置措施": fk.NONE_NEEDED,
        "后续处置是否完结": "是",
        "完结日期": "2024-05-07",
    }
    fk.fill_csv(csv_path, {2: row})
    (result,) = fk.read(csv_path)
    assert result.inspected_on == dt.date(2024, 5, 6)
    assert result.completed_on == dt.date(2024, 5, 7)
    assert result.methods == (InspectionMethod.ON_SITE, InspectionMethod.DOCUMENTARY)
    assert result.categories == (ResultCategory.CORRECTED_ON_ORDER,)
    assert result.detail == "第一行\n第二行"
    assert result.followup.state is FollowUpState.CLOSED


def test_old_single_column_headers_are_accepted(tmp_path: Path) -> None:
    _, csv_path = fk.write(tmp_path)
    fk.fill_csv(
        csv_path,
        fk.FILLED,
        rename={"检查结果1": "检查结果", "检查方式1": "检查方式"},
        drop=["检查结果2", "检查结果3", "检查方式2", "序号", "名称", "住所"],
    )
    results = fk.read(csv_path)
    assert [r.categories for r in results] == [
        (ResultCategory.NO_PROBLEM,),
        (ResultCategory.VIOLATION_FOOD_DRUG,),
        (ResultCategory.NOT_PUBLISHED_REQUIRED_INFO,),
    ]


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "form.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        fk.read(path)
    assert "不支持的文件类型" in info.value.report()


def test_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ContentError) as info:
        fk.read(path)
    assert "无法读取 XLSX 工作簿" in info.value.report()


def test_write_form_refuses_duplicate_rows(tmp_path: Path) -> None:
    rows = fk.rows()
    with pytest.raises(ValueError, match="多次"):
        forms.write_form(
            tmp_path / "f.xlsx",
            tmp_path / "f.csv",
            site_name="x",
            task_id=fk.TASK_ID,
            task_name="x",
            dept_id=fk.DEPT_ID,
            dept_name="x",
            rows=[rows[0], rows[0]],
            items={i.id: i for i in fk.content().items},
            draw_date=fk.DRAW_DATE,
        )
    assert list(tmp_path.iterdir()) == []


_PROBLEM_CATEGORIES = [c for c in ResultCategory if c is not ResultCategory.NO_PROBLEM]
_DETAIL = (
    st.text(
        st.characters(
            # the characters refused in every text (docs/content.md §9)
            blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"),
            blacklist_characters="".join(INVISIBLE_FILLERS),
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    categories=st.lists(st.sampled_from(_PROBLEM_CATEGORIES), min_size=1, max_size=3, unique=True),
    methods=st.lists(st.sampled_from(list(InspectionMethod)), min_size=1, max_size=2, unique=True),
    detail=_DETAIL,
    days=st.tuples(st.integers(0, 40), st.integers(0, 40)),
)
def test_any_valid_choice_round_trips(
    tmp_path_factory: pytest.TempPathFactory,
    categories: list[ResultCategory],
    methods: list[InspectionMethod],
    detail: str,
    days: tuple[int, int],
) -> None:
    directory = tmp_path_factory.mktemp("prop")
    xlsx, csv_path = fk.write(directory)
    inspected = fk.DRAW_DATE + dt.timedelta(days=days[0])
    completed = inspected + dt.timedelta(days=days[1])
    row: dict[str, object] = {
        "检查日期": inspected,
        "完成日期": completed,
        "具体情况": detail,
        "后续处置措施": FollowUpMeasure.REFER_CASE.value,
        "后续处置是否完结": "未完结",
    }
    row |= {f"检查结果{i}": c.value for i, c in enumerate(categories, start=1)}
    row |= {f"检查方式{i}": m.value for i, m in enumerate(methods, start=1)}
    fk.fill_xlsx(xlsx, {3: row})
    fk.fill_csv(csv_path, {3: row})
    for path in (xlsx, csv_path):
        (result,) = fk.read(path)
        assert result.categories == tuple(categories)
        assert result.methods == tuple(methods)
        # A typed leading “'” is the spreadsheet's text marker: reading drops exactly one
        # (docs/content.md §8.1), as Excel does when a user types '0.
        assert result.detail == restore(detail)
        assert (result.inspected_on, result.completed_on) == (inspected, completed)


def test_form_rows_from_the_drawn_list_and_teams() -> None:
    content = fk.content()
    task = next(t for p in content.plans for t in p.tasks if t.id == fk.TASK_ID)
    drawn = [r.entity_id for r in fk.rows()]
    teams = {
        drawn[0]: {"scjg": {"62082300102", "62082300101"}, "wsjk": {"62082300201"}},
        drawn[1]: {"scjg": {"62082300103"}},
    }
    rows = forms.form_rows(content, task, "scjg", drawn[:2], teams)
    assert rows[0] == fk.rows()[0]
    assert rows[1].inspectors == (("62082300103", "王示例"),)
    assert forms.form_rows(content, task, "wsjk", drawn[:1], teams)[0].items == ("WJ-01",)
    with pytest.raises(ValueError, match="不是任务"):
        forms.form_rows(content, task, "yjgl", drawn, teams)
