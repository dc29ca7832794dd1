"""The bad-input corpus of filled result forms: each case yields exact, located errors, no writes.

Each case is ``tests/workflow/form_corpus/<NNN-short-name>.yaml``: edits applied to the valid
filling :data:`form_kit.FILLED` of a freshly written form, and the expected problems::

    description: what is broken, in one sentence
    format: xlsx                     # or csv (the CSV twin); default xlsx
    edits:                           # spreadsheet row → column → value (null clears the cell;
      2: {检查结果1: 基本合格}         #   {repeat: 字, times: N} builds a long text)
    column_edits: {部门标识: wsjk}    # optional: a value for the column in every data row
    copy: {6: 2}                     # optional: row 6 receives row 2's prefilled cells
    rename: {检查结果1: 检查结论}      # optional: header → new header
    drop: [完成日期]                  # optional: columns removed
    meta: {部门标识: wsjk}            # optional (xlsx): 说明 sheet values changed
    remove_sheets: [说明]             # optional (xlsx)
    encoding: gbk                    # optional (csv): the file's encoding
    errors:                          # exactly the errors reported, each matched once
      - {row: 2, column: 检查结果1, contains: 不是有效的检查结果}
    warnings: []                     # optional: if present, exactly the warnings reported
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import form_kit as fk
import pytest
import yaml

from generator.content.errors import ContentError, Problem, Problems, Severity

CORPUS = Path(__file__).parent / "form_corpus"
KEYS = frozenset(
    {
        "description",
        "format",
        "edits",
        "column_edits",
        "copy",
        "rename",
        "drop",
        "meta",
        "remove_sheets",
        "encoding",
        "errors",
        "warnings",
    }
)
CASES = sorted(CORPUS.glob("*.yaml"))


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        assert set(value) == {"repeat", "times"}, value
        return str(value["repeat"]) * int(value["times"])
    return value


def _load(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec, dict), path.name
    assert not set(spec) - KEYS, f"{path.name}: unknown keys {set(spec) - KEYS}"
    assert spec.get("description"), f"{path.name}: missing description"
    assert spec.get("errors"), f"{path.name}: a corpus case must expect at least one error"
    assert spec.get("format", "xlsx") in ("xlsx", "csv")
    return spec


def _cells(spec: dict[str, Any]) -> dict[int, dict[str, Any]]:
    edits = {
        int(row): {col: _value(v) for col, v in values.items()}
        for row, values in (spec.get("edits") or {}).items()
    }
    cells = fk.merged(edits)
    for column, value in (spec.get("column_edits") or {}).items():
        for row in range(2, len(fk.rows()) + 2):
            cells.setdefault(row, {})[column] = value
    return cells


def _matches(expected: dict[str, Any], problem: Problem, path: str) -> bool:
    loc = problem.location
    return (loc.path, loc.line, loc.field) == (
        path,
        expected["row"],
        expected["column"],
    ) and expected["contains"] in problem.message


def _assert_exactly(expected: list[dict[str, Any]], found: list[Problem], path: str) -> None:
    unmatched = list(found)
    for want in expected:
        hits = [p for p in unmatched if _matches(want, p, path)]
        assert hits, f"expected {want} not reported; got:\n" + "\n".join(map(str, found))
        unmatched.remove(hits[0])
    assert not unmatched, "unexpected problems:\n" + "\n".join(map(str, unmatched))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_form(case: Path, tmp_path: Path) -> None:
    spec = _load(case)
    xlsx, csv_path = fk.write(tmp_path)
    cells = _cells(spec)
    copy = {int(k): int(v) for k, v in (spec.get("copy") or {}).items()}
    if spec.get("format", "xlsx") == "xlsx":
        fk.fill_xlsx(
            xlsx,
            cells,
            rename=spec.get("rename"),
            drop=spec.get("drop", ()),
            meta=spec.get("meta"),
            remove_sheets=spec.get("remove_sheets", ()),
            copy=copy,
        )
        path = xlsx
    else:
        fk.fill_csv(
            csv_path,
            cells,
            rename=spec.get("rename"),
            drop=spec.get("drop", ()),
            encoding=spec.get("encoding", "utf-8-sig"),
            copy=copy,
        )
        path = csv_path
    before = fk.snapshot(tmp_path)
    problems = Problems()
    with pytest.raises(ContentError) as info:
        fk.read(path, problems=problems)
    assert fk.snapshot(tmp_path) == before, "reading a form must write nothing"
    reported = info.value.problems
    assert sorted(problems.items) == sorted(reported)
    errors = [p for p in reported if p.severity is Severity.ERROR]
    _assert_exactly(spec["errors"], errors, path.name)
    if "warnings" in spec:
        warnings = [p for p in reported if p.severity is Severity.WARNING]
        _assert_exactly(spec["warnings"] or [], warnings, path.name)
    # The report names every problem as file:row: column.
    text = info.value.report()
    for want in spec["errors"]:
        assert f"{path.name}:{want['row']}" in text or want["row"] == 0


def test_the_valid_filling_passes_in_both_formats(tmp_path: Path) -> None:
    xlsx, csv_path = fk.write(tmp_path)
    fk.fill_xlsx(xlsx, fk.FILLED)
    fk.fill_csv(csv_path, fk.FILLED)
    assert fk.read(xlsx) == fk.read(csv_path)
    assert len(fk.read(xlsx)) == 3
