"""No CSV or XLSX that gongkai writes holds a live formula (docs/content.md §8.1, docs/site.md §3.1).

A site whose entity names, addresses, inspector names and result details are formula payloads
is imported, exported (``gongkai export``, both formats, both libraries), given result forms
and built; then every CSV and XLSX produced is read back and no cell may start with a
character that makes a spreadsheet evaluate it, while each payload must be found neutralised
(so the test cannot pass by losing the payloads). Import → export → import is lossless
(Hypothesis), and the built open data passes ``frictionless validate``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import frictionless
import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_helpers import build_mini, copy_content
from site_results import mini_results

from generator.cli import main
from generator.content.cells import TRIGGERS, csv_bytes, neutralise, restore
from generator.content.errors import Problems
from generator.content.loader import load_content
from generator.content.text import INVISIBLE_FILLERS
from generator.workflow import form_reader, forms
from generator.workflow.libraries_io import export_library, import_library

#: Payloads of the issue (and the OWASP list): each starts with a formula trigger or “'”.
PAYLOADS = (
    '=HYPERLINK("http://example.com/x","点我")崇信县',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "'本来就以引号开头",
)
LIVE = frozenset("=+-@\t\r")


def _payload_content(tmp: Path) -> Path:
    """The mini content with payload names, addresses and inspector names (via the importer)."""
    content = copy_content(tmp)
    table = list(csv.reader(io.StringIO((content / "entities.csv").read_text("utf-8-sig"))))
    header = table[0]
    name, address = header.index("名称"), header.index("住所")
    for i, payload in enumerate(PAYLOADS, start=1):
        table[i][name] = payload
        table[i + len(PAYLOADS)][address] = payload
    source = tmp / "payload-entities.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(table)
    import_library("entities", source, content)
    people = list(csv.reader(io.StringIO((content / "inspectors.csv").read_text("utf-8-sig"))))
    people[1][people[0].index("姓名")] = PAYLOADS[2]  # 姓名（执法证号）: no brackets in a name
    source = tmp / "payload-inspectors.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(people)
    import_library("inspectors", source, content)
    return content


def _cells(path: Path) -> list[tuple[str, object]]:
    """(place, value) of every cell of a CSV or XLSX file; XLSX formulas fail at once."""
    if path.suffix == ".csv":
        rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
        return [(f"{path.name}:{n}", v) for n, row in enumerate(rows, 1) for v in row]
    out: list[tuple[str, object]] = []
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}[{sheet.title}]{cell.coordinate}"
                out.append((f"{path.name}[{sheet.title}]{cell.coordinate}", cell.value))
    return out


def test_every_csv_and_xlsx_written_is_free_of_live_formulas(tmp_path: Path) -> None:
    content = _payload_content(tmp_path)
    loaded, _ = load_content(content)
    outputs = [content / "entities.csv", content / "inspectors.csv"]
    # gongkai export, both libraries, both formats (through the CLI).
    for kind in ("entities", "inspectors"):
        for suffix in (".csv", ".xlsx"):
            out = tmp_path / f"export-{kind}{suffix}"
            result = CliRunner().invoke(main, ["export", kind, str(out), "--content", str(content)])
            assert result.exit_code == 0, result.output
            outputs.append(out)
    # The result forms (XLSX and CSV twin) of businesses with payload names.
    entities = {e.id: e for e in loaded.entities}
    drawn = [e for e in loaded.entities if e.name in PAYLOADS or e.address in PAYLOADS]
    inspector = loaded.inspectors[0]
    rows = [
        forms.FormRow(e.id, e.name, e.address, ("SJ-SP-01",), ((inspector.id, inspector.name),))
        for e in drawn
    ]
    xlsx, twin = tmp_path / "form.xlsx", tmp_path / "form.csv"
    forms.write_form(
        xlsx,
        twin,
        site_name=PAYLOADS[3],
        task_id="2024-YYYC-CY",
        task_name=PAYLOADS[2],
        dept_id="scjg",
        dept_name=PAYLOADS[1],
        rows=rows,
        items={i.id: i for i in loaded.items},
        draw_date=dt.date(2024, 4, 8),
    )
    outputs += [xlsx, twin]
    # The site: open data (data/*.csv) and the pools/*.csv downloads, with payload details.
    results = [
        dataclasses.replace(r, detail=PAYLOADS[i % len(PAYLOADS)])
        for i, r in enumerate(mini_results())
    ]
    assert {r.entity for r in results} & {e.id for e in drawn}
    site = tmp_path / "site"
    build_mini(site, content=content, results=results)
    built = sorted([*site.rglob("*.csv"), *site.rglob("*.xlsx")])
    assert {p.relative_to(site).parts[0] for p in built} == {"data", "pools"}
    outputs += built

    found: set[str] = set()
    for path in outputs:
        for place, value in _cells(path):
            if isinstance(value, str) and value:
                assert value[0] not in LIVE, f"{place}: live formula cell {value[:40]!r}"
                found.add(value)
    for payload in PAYLOADS:
        assert neutralise(payload) in found  # written, neutralised
        assert payload not in found
    assert any(e.name == PAYLOADS[0] for e in entities.values())
    # The result-form reader restores what the writer neutralised: a filled row of the CSV
    # twin names its payload business without a 名称 mismatch.
    text = twin.read_text(encoding="utf-8-sig")
    table = [[restore(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    head = table[0]
    filled = {
        forms.COL_INSPECTED: "2024-05-06",
        forms.COL_COMPLETED: "2024-05-06",
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: "未发现问题",
        forms.COL_DETAIL: PAYLOADS[0],
        forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置",
        forms.COL_STATE: "已完结",
        forms.COL_CLOSED: "2024-05-06",
    }
    for column, value in filled.items():
        table[1][head.index(column)] = value
    twin.write_bytes(csv_bytes(head, table[1:]))
    problems = Problems()
    (parsed,) = form_reader.read_form(
        twin,
        task_id="2024-YYYC-CY",
        dept_id="scjg",
        expected={r.entity_id: r for r in rows},
        draw_date=dt.date(2024, 4, 8),
        today=dt.date(2024, 6, 30),
        inspector_depts={i.id: i.dept for i in loaded.inspectors},
        problems=problems,
    )
    assert problems.items == []
    assert parsed.detail == PAYLOADS[0]


_TEXT = (
    st.text(
        st.characters(
            categories=("L", "N", "P", "S", "Zs"),
            include_characters="=+-@'",
            exclude_characters="".join(INVISIBLE_FILLERS),  # refused (docs/content.md §9)
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_TEXT, min_size=2, max_size=2), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_export_import_round_trip_is_lossless(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], suffix: str
) -> None:
    tmp = tmp_path_factory.mktemp("roundtrip")
    content = copy_content(tmp)
    table = list(csv.reader(io.StringIO((content / "entities.csv").read_text("utf-8-sig"))))
    header = table[0]
    table[1][header.index("名称")] = names[0]
    table[2][header.index("住所")] = names[1]
    source = tmp / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[neutralise(c) for c in row] for row in table])
    import_library("entities", source, content)
    before = {e.id: e for e in load_content(content)[0].entities}
    assert before[table[1][0]].name == names[0]
    assert before[table[2][0]].address == names[1]
    canonical = (content / "entities.csv").read_bytes()
    out = tmp / f"out{suffix}"
    export_library("entities", content, out)
    report = import_library("entities", out, content, remove_missing=True)
    assert (report.added, report.changed, report.removed) == ((), (), ())
    assert (content / "entities.csv").read_bytes() == canonical


@given(st.text())
def test_restore_undoes_neutralise(text: str) -> None:
    safe = neutralise(text)
    assert restore(safe) == text
    assert not safe or safe[0] not in TRIGGERS - {"'"}


def test_open_data_passes_frictionless_and_json_schema(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_mini(site)
    report = frictionless.validate(str(site / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])
    package = json.loads((site / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        if "describedBy" in resource:
            schema = json.loads((site / "data" / resource["describedBy"]).read_text("utf-8"))
            document = json.loads((site / "data" / resource["path"]).read_text("utf-8"))
            jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
