"""The bad-input corpus: every broken content file yields one exact, located error and no writes.

Each case is a directory ``tests/generator/corpus/<NNN-short-name>/`` holding the file(s) that
replace the mini fixture's files (``tests/generator/fixtures/mini/``) and an ``expect.yaml``::

    description: what is broken, in one sentence
    remove: [entities.csv]           # optional: fixture paths deleted before the overlay
    xlsx:                            # optional: workbooks built at test time from a fixture CSV
      entities.xlsx:
        from: entities.csv
        rename: {登记状态: 经营状态}   # optional: header → new header
        drop: [状态]                 # optional: columns removed
        cells: [{line: 7, column: 统一社会信用代码, value: "…"}]   # optional
    limits: {MAX_FILE_BYTES: 3000}   # optional: generator.content.source constants patched
    xfail: "loader bug: …"           # optional: a known loader bug (strict xfail)
    errors:                          # every one must match a problem exactly
      - {path: mini/entities.csv, line: 7, field: 统一社会信用代码, contains: 校验码}

The fixture is copied to ``tmp_path / "mini"`` so that paths are shown as ``mini/…``.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.content import source
from generator.content.errors import ContentError, Problem, Severity
from generator.content.loader import load_content

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"
CORPUS = HERE / "corpus"
EXPECT = "expect.yaml"
#: Keys an expect.yaml may have.
EXPECT_KEYS = frozenset({"description", "remove", "xlsx", "limits", "xfail", "errors"})


@dataclass(frozen=True)
class Expected:
    """One expected problem: exact location, a substring of the message, and its severity."""

    path: str
    line: int
    field: str
    contains: str
    severity: Severity = Severity.ERROR

    def matches(self, problem: Problem) -> bool:
        """Whether ``problem`` is this expectation (exact location, message contains text)."""
        loc = problem.location
        return (
            (loc.path, loc.line, loc.field) == (self.path, self.line, self.field)
            and self.contains in problem.message
            and problem.severity is self.severity
        )


@dataclass(frozen=True)
class Case:
    """One corpus directory, parsed."""

    name: str
    directory: Path
    spec: dict[str, Any]
    expected: tuple[Expected, ...]


def _load_case(directory: Path) -> Case:
    spec = yaml.safe_load((directory / EXPECT).read_text(encoding="utf-8"))
    assert isinstance(spec, dict), f"{directory.name}: expect.yaml must be a mapping"
    unknown = set(spec) - EXPECT_KEYS
    assert not unknown, f"{directory.name}: unknown keys in expect.yaml: {unknown}"
    expected = []
    for raw in spec["errors"]:
        severity = Severity.WARNING if raw.get("severity") == "warning" else Severity.ERROR
        expected.append(
            Expected(raw["path"], int(raw["line"]), str(raw["field"]), raw["contains"], severity)
        )
    assert expected, f"{directory.name}: no expectations"
    return Case(directory.name, directory, spec, tuple(expected))


def _cases() -> list[Case]:
    return [_load_case(d) for d in sorted(CORPUS.iterdir()) if (d / EXPECT).is_file()]


CASES = _cases()


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = []
        if "xfail" in case.spec:
            marks.append(pytest.mark.xfail(strict=True, reason=str(case.spec["xfail"])))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _write_xlsx(target: Path, spec: dict[str, Any]) -> None:
    """Build a workbook from a fixture CSV, applying the renames, drops and cell edits."""
    import openpyxl

    text = (MINI / spec["from"]).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [spec.get("rename", {}).get(h, h) for h in rows[0]]
    for edit in spec.get("cells", []):
        rows[int(edit["line"]) - 1][rows[0].index(edit["column"])] = str(edit["value"])
    keep = [i for i, h in enumerate(rows[0]) if h not in spec.get("drop", [])]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([header[i] for i in keep])
    for row in rows[1:]:
        sheet.append([row[i] for i in keep])
    workbook.save(target)


def build_content(case: Case, tmp_path: Path) -> Path:
    """Copy the mini fixture to ``tmp_path/mini`` and apply ``case`` on top of it."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    for name in case.spec.get("remove", []):
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    for path in sorted(case.directory.rglob("*")):
        if path.is_file() and path.name != EXPECT:
            target = root / path.relative_to(case.directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for name, xlsx_spec in case.spec.get("xlsx", {}).items():
        _write_xlsx(root / name, xlsx_spec)
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every path under ``root`` → (bytes, mtime_ns) for files, None for directories."""
    out: dict[str, tuple[bytes, int] | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    return out


def describe(problems: list[Problem]) -> str:
    """The problems as the CLI prints them (for assertion messages)."""
    return "\n".join(f"  {p}" for p in problems)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_corpus_names_are_numbered_and_unique() -> None:
    numbers = [case.name.split("-", 1)[0] for case in CASES]
    assert all(n.isdigit() and len(n) == 3 for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_mini_fixture_loads_without_errors() -> None:
    content, problems = load_content(MINI)
    assert problems.errors == []
    assert problems.warnings == []
    assert len(content.departments) == 3
    assert len(content.items) == 5
    assert len(content.entities) == 30
    assert len(content.inspectors) == 10
    assert len(content.conflicts) == 2
    assert [t.id for plan in content.plans for t in plan.tasks] == ["2024-YYYC-CY", "2024-SJ-GG"]


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_content(case, tmp_path)
    for name, value in case.spec.get("limits", {}).items():
        assert hasattr(source, name), f"unknown limit {name}"
        monkeypatch.setattr(source, name, value)
    before = snapshot(tmp_path)

    with pytest.raises(ContentError) as info:
        load_content(root)

    problems = info.value.problems
    for expected in case.expected:
        assert any(expected.matches(p) for p in problems), (
            f"{case.name}: no problem matches {expected}\nfound:\n{describe(problems)}"
        )
    assert snapshot(tmp_path) == before, "load_content wrote or touched a file"


def test_legacy_code_is_a_warning_and_kept(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "entities.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].replace("91620823GK0000042Y", "91350100M0001TGQXM")
    path.write_text("".join(lines), encoding="utf-8")

    content, problems = load_content(root)

    assert problems.errors == []
    [warning] = problems.warnings
    assert (warning.location.path, warning.location.line) == ("mini/entities.csv", 5)
    assert warning.location.field == "统一社会信用代码"
    [entity] = [e for e in content.entities if e.legacy_code]
    assert entity.id == "91350100M0001TGQXM"


def case_named(short_name: str) -> Case:
    """The corpus case whose directory is ``NNN-<short_name>``."""
    [case] = [c for c in CASES if c.name.split("-", 1)[1] == short_name]
    return case


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    """Two unrelated cases overlaid together report both problems in one run."""
    first, second = case_named("code-bad-18th-check"), case_named("ref-unknown-dept-in-item")
    build_content(first, tmp_path)
    root = tmp_path / "mini"
    shutil.copyfile(second.directory / "checklist.yaml", root / "checklist.yaml")

    with pytest.raises(ContentError) as info:
        load_content(root)

    for expected in first.expected + second.expected:
        assert any(expected.matches(p) for p in info.value.problems)


def test_cli_check_prints_the_located_line(tmp_path: Path) -> None:
    cli = pytest.importorskip("generator.cli")
    from click.testing import CliRunner

    case = case_named("code-bad-18th-check")
    root = build_content(case, tmp_path)
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli.main, ["check", "--content", str(root)])

    assert result.exit_code != 0
    assert result.exit_code == getattr(cli, "CONTENT_EXIT", result.exit_code)
    [expected] = case.expected
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert f"{expected.path}:{expected.line}: {expected.field}: 错误:" in output
    assert expected.contains in output
    assert snapshot(tmp_path) == before


def _errors_and_warnings(root: Path) -> tuple[list[Problem], list[Problem]]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    problems = info.value.problems
    return (
        [p for p in problems if p.severity is Severity.ERROR],
        [p for p in problems if p.severity is Severity.WARNING],
    )


def test_a_broken_checklist_does_not_cascade_into_the_plans(tmp_path: Path) -> None:
    """One Tab in checklist.yaml: one error, not one more per plan task naming an item."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "checklist.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "\t" + lines[2].lstrip(" ")
    path.write_text("".join(lines), encoding="utf-8")

    errors, warnings = _errors_and_warnings(root)

    [error] = errors
    assert (error.location.path, error.location.line) == ("mini/checklist.yaml", 3)
    assert "制表符" in error.message
    [warning] = warnings
    assert warning.location.path == "mini/checklist.yaml"
    assert "引用暂未检查" in warning.message


def test_a_bad_entity_row_does_not_cascade_into_the_conflicts(tmp_path: Path) -> None:
    """The row with the bad code is reported; the 回避 pair naming that code is not."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "entities.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("91620823GK0000018E", "91620823GK0000018F"), encoding="utf-8")
    conflicts = root / "conflicts.yaml"
    conflicts.write_text(
        conflicts.read_text(encoding="utf-8").replace("91620823GK0000018E", "91620823GK0000018F"),
        encoding="utf-8",
    )

    errors, warnings = _errors_and_warnings(root)

    [error] = errors
    assert (error.location.path, error.location.line) == ("mini/entities.csv", 2)
    [warning] = warnings
    assert warning.location.path == "mini/entities.csv"
    assert "1 处引用暂未检查" in warning.message


def test_a_reference_into_a_sound_library_is_still_reported(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    conflicts = root / "conflicts.yaml"
    conflicts.write_text(
        conflicts.read_text(encoding="utf-8").replace("91620823GK0000018E", "91620823GK0000026Q"),
        encoding="utf-8",
    )

    errors, warnings = _errors_and_warnings(root)

    [error] = errors
    assert error.location.path == "mini/conflicts.yaml"
    assert "检查对象名录库中没有代码" in error.message
    assert warnings == []


def test_libraries_incomplete_only_through_another_point_at_that_one(tmp_path: Path) -> None:
    """A broken departments.yaml leaves the checklist and the inspector library incomplete
    (their rows name departments), but they are not at fault: one warning, at departments.yaml."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    (root / "departments.yaml").write_text('departments: "unclosed\n', encoding="utf-8")

    errors, warnings = _errors_and_warnings(root)

    [error] = errors
    assert (error.location.path, error.location.line) == ("mini/departments.yaml", 1)
    [warning] = warnings
    assert warning.location.path == "mini/departments.yaml"
    assert "引用暂未检查" in warning.message
