"""Import and export of the two libraries (检查对象名录库, 执法检查人员名录库).

Counties receive the libraries as spreadsheets exported from provincial platforms. An import
reads a CSV, XLSX or YAML file with the same located readers and validators as
``gongkai check`` (:func:`generator.content.tables.read_table`,
:func:`generator.content.libraries.entity_from_row` / ``inspector_from_row``), merges it into the
current library by id (removing records only when asked), checks the resulting ``content/`` as
``gongkai check`` would, reports every problem at once and writes nothing while any error
remains (docs/content.md §8.2). On success it writes the canonical ``content/entities.csv`` (or
``inspectors.csv``) atomically and removes a library file of the same kind in another format
(``entities.xlsx`` …), so that exactly one remains.

Canonical form (identical to the files of the example county): UTF-8 with a BOM, ``\\n`` line
ends, the Chinese headers of docs/content.md in a fixed order, multi-value cells joined with
“、”, dates as ``YYYY-MM-DD``, the department as its id; entities sorted by 统一社会信用代码
(those with only a 注册号 last), inspectors by 执法证号. An export writes the same table as
.csv or .xlsx (every cell text), so export → import gives back the same bytes. Every text cell
is written through :func:`generator.content.cells.neutralise` (docs/content.md §8.1).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generator.content.cells import csv_bytes, set_text
from generator.content.errors import ContentError, Location, Problem, Problems, Severity
from generator.content.libraries import (
    ENTITY_COLUMNS,
    ENTITY_HEADER,
    INSPECTOR_COLUMNS,
    INSPECTOR_HEADER,
    entity_from_row,
    inspector_from_row,
)
from generator.content.loader import LIBRARY_SUFFIXES, _load_departments, _Reader, load_content
from generator.content.tables import Columns, Row, read_table
from generator.progress import Progress
from generator.workflow.forms import workbook_bytes
from ledger.durable import write_atomic

Kind = Literal["entities", "inspectors"]
KINDS: tuple[Kind, ...] = ("entities", "inspectors")

#: Canonical column order of each library.
HEADERS: Mapping[str, tuple[str, ...]] = {
    "entities": ENTITY_HEADER,
    "inspectors": INSPECTOR_HEADER,
}
#: Sheet title of an exported workbook.
SHEET_TITLES: Mapping[str, str] = {"entities": "检查对象名录库", "inspectors": "执法检查人员名录库"}
_LABELS: Mapping[str, str] = {"entities": "检查对象", "inspectors": "执法检查人员"}
_COLUMNS: Mapping[str, Columns] = {"entities": ENTITY_COLUMNS, "inspectors": INSPECTOR_COLUMNS}
_ID_COLUMN: Mapping[str, str] = {"entities": "统一社会信用代码", "inspectors": "执法证号"}
#: Workbook properties of an export (fixed, so that exports are reproducible).
_EXPORT_STAMP = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class ImportReport:
    """What an import changed.

    Attributes:
        kind: ``entities`` or ``inspectors``.
        written: the canonical file written (``content/entities.csv`` …).
        records: number of records in the new library.
        added: ids present now but not before.
        changed: ids present before and now whose record differs (an entity known before by
            its 注册号 and now by its 统一社会信用代码 is listed under the code).
        removed: ids present before but not now (only with ``remove_missing``).
        kept: number of records absent from the imported file that were kept (merge).
        replaced: library files of the same kind in another format that were removed.
        warnings: located warnings (for example a legacy credit code kept as it is).
    """

    kind: str
    written: Path
    records: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    kept: int
    replaced: tuple[Path, ...]
    warnings: tuple[Problem, ...]

    def summary(self, limit: int = 20) -> list[str]:
        """The lines printed after an import: counts, then the ids added, changed, removed
        (at most ``limit`` of each)."""
        label = _LABELS[self.kind]
        lines = [
            f"已导入{label}名录库：共 {self.records} 条，新增 {len(self.added)}，"
            f"变更 {len(self.changed)}，删除 {len(self.removed)}；写入 {self.written}"
        ]
        for what, ids in (("新增", self.added), ("变更", self.changed), ("删除", self.removed)):
            if ids:
                more = f" 等，共 {len(ids)} 条" if len(ids) > limit else ""
                lines.append(f"  {what}：{'、'.join(ids[:limit])}{more}")
        if self.kept:
            lines.append(
                f"  导入文件中没有的 {self.kept} 条已保留（按{_ID_COLUMN[self.kind]}合并；"
                "要删除它们，请加 --remove-missing）"
            )
        return lines


@dataclass(frozen=True)
class _Record:
    id: str
    cells: tuple[str, ...]


def _check_kind(kind: str) -> Kind:
    if kind == "entities":
        return "entities"
    if kind == "inspectors":
        return "inspectors"
    raise ValueError(f"未知的库类型“{kind}”（应为 entities 或 inspectors）")


def _departments(content_dir: Path, problems: Problems) -> dict[str, str]:
    """Department id, name and short name → id, from ``departments.yaml`` (located errors)."""
    reader = _Reader(content_dir)
    departments = _load_departments(reader)
    problems.items.extend(reader.problems.items)
    lookup = {d.id: d.id for d in departments} | {d.name: d.id for d in departments}
    return lookup | {d.short_name: d.id for d in departments}


def _record(
    kind: Kind, row: Row, departments: Mapping[str, str], problems: Problems
) -> _Record | None:
    if kind == "entities":
        entity = entity_from_row(row, problems)
        if entity is None:
            return None
        code = entity.id if row.cells.get("统一社会信用代码") else ""
        cells = (
            code,
            row.cells.get("注册号", ""),
            entity.name,
            entity.entity_type.value,
            entity.division,
            "、".join(entity.industries),
            entity.status.value,
            entity.risk.value,
            entity.last_inspected.isoformat() if entity.last_inspected else "",
            entity.address,
        )
        return _Record(entity.id, cells)
    inspector = inspector_from_row(row, departments, problems)
    if inspector is None:
        return None
    return _Record(
        inspector.id,
        (
            inspector.id,
            inspector.name,
            inspector.dept,
            "、".join(inspector.tags),
            inspector.status.value,
        ),
    )


def _read_library(
    kind: Kind,
    path: Path,
    shown: str,
    departments: Mapping[str, str],
    problems: Problems,
) -> list[_Record] | None:
    """Read and validate one library file; None if it cannot be used at all."""
    rows = read_table(path, shown, _COLUMNS[kind], problems)
    if rows is None:
        return None
    out: list[_Record] = []
    seen: dict[str, int] = {}
    for row in rows:
        record = _record(kind, row, departments, problems)
        if record is None:
            continue
        if record.id in seen:
            what = "代码" if kind == "entities" else "执法证号"
            problems.error(
                row.loc(_ID_COLUMN[kind]),
                f"{what}“{record.id}”重复（首次出现在第 {seen[record.id]} 行）",
            )
            continue
        seen[record.id] = row.line
        out.append(record)
    return out


def _sorted(kind: Kind, records: Sequence[_Record]) -> list[_Record]:
    if kind == "entities":
        return sorted(records, key=lambda r: (r.cells[0] == "", r.id))
    return sorted(records, key=lambda r: r.id)


def _csv_bytes(kind: Kind, records: Sequence[_Record]) -> bytes:
    return csv_bytes(HEADERS[kind], [r.cells for r in records], line_end="\n")


def _xlsx_bytes(kind: Kind, records: Sequence[_Record]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    props = workbook.properties
    props.creator = props.lastModifiedBy = "gongkai"
    props.title = SHEET_TITLES[kind]
    props.created = props.modified = _EXPORT_STAMP
    sheet: Any = workbook.active
    sheet.title = SHEET_TITLES[kind]
    bold = Font(bold=True)
    for col, name in enumerate(HEADERS[kind], start=1):
        set_text(sheet, 1, col, name).font = bold
        sheet.column_dimensions[get_column_letter(col)].width = 24 if col > 1 else 22
    for r, record in enumerate(records, start=2):
        for col, value in enumerate(record.cells, start=1):
            if value:
                set_text(sheet, r, col, value).number_format = "@"
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)


def _existing(kind: Kind, content_dir: Path) -> list[Path]:
    return [
        content_dir / f"{kind}{suffix}"
        for suffix in LIBRARY_SUFFIXES
        if (content_dir / f"{kind}{suffix}").is_file()
    ]


def _previous(
    kind: Kind,
    old_files: Sequence[Path],
    departments: Mapping[str, str],
    problems: Problems,
    *,
    merge: bool,
) -> dict[str, tuple[str, ...]]:
    """The current library's records by id. A merge needs all of them: an unreadable or
    ambiguous current library is then an error; a replacement only counts what it can read."""
    previous: dict[str, tuple[str, ...]] = {}
    if merge and len(old_files) > 1:
        names = "、".join(p.name for p in old_files)
        problems.error(
            Location(old_files[0].name),
            f"同一个库有多个文件：{names}；无法确定按哪个合并（只保留一个，或加 --remove-missing 整体替换）",
        )
        return previous
    for path in old_files:
        old_problems = Problems()
        for record in _read_library(kind, path, path.name, departments, old_problems) or ():
            previous.setdefault(record.id, record.cells)
        if not old_problems.errors:
            continue
        n = len(old_problems.errors)
        if merge:
            problems.error(
                Location(path.name),
                f"原有库文件有 {n} 个错误，无法合并（请先修正，或加 --remove-missing 以导入文件整体替换）",
            )
        else:
            problems.warning(
                Location(path.name),
                f"原有库文件有 {n} 个错误；新增、变更、删除的统计只计可读取的记录",
            )
    return previous


def _merge(
    kind: Kind,
    previous: Mapping[str, tuple[str, ...]],
    records: Sequence[_Record],
    *,
    merge: bool,
) -> tuple[list[_Record], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The new library (records, added, changed, removed ids).

    Merging keeps every previous record the import does not name and replaces those it names;
    an entity known before by its 注册号 and now by its 统一社会信用代码 replaces the old record.
    Without ``merge`` the import is the whole new library.
    """
    base = dict(previous) if merge else {}
    added: list[str] = []
    changed: list[str] = []
    for record in records:
        regno = record.cells[1] if kind == "entities" else ""
        old = previous.get(record.id)
        if old is None and regno and regno != record.id and regno in previous:
            base.pop(regno, None)  # 注册号 → 统一社会信用代码 (换照)
            old = previous[regno]
        if old is None:
            added.append(record.id)
        elif old != record.cells:
            changed.append(record.id)
        base[record.id] = record.cells
    replaced_ids = {r.cells[1] for r in records if kind == "entities" and r.cells[1]}
    removed = sorted(i for i in previous if i not in base and i not in replaced_ids)
    merged = [_Record(i, cells) for i, cells in base.items()]
    return merged, tuple(sorted(added)), tuple(sorted(changed)), tuple(removed)


def _check_result(content_dir: Path, kind: Kind, data: bytes, problems: Problems) -> None:
    """Run ``gongkai check`` (:func:`load_content`) on the content as it would be after the
    import: a copy of ``content_dir`` (same directory name, so locations read the same) with
    the new library. Its errors are added to ``problems``."""
    with tempfile.TemporaryDirectory(prefix="gongkai-import-") as tmp:
        overlay = Path(tmp) / content_dir.name
        library = {f"{kind}{suffix}" for suffix in LIBRARY_SUFFIXES}
        shutil.copytree(
            content_dir, overlay, ignore=lambda d, names: _ignored(content_dir, d, names, library)
        )
        (overlay / f"{kind}.csv").write_bytes(data)
        try:
            load_content(overlay)
        except ContentError as exc:
            problems.error(
                Location(content_dir.name),
                "导入后的内容未通过检查（gongkai check），未写入任何文件；问题如下",
            )
            problems.items.extend(p for p in exc.problems if p.severity is Severity.ERROR)


def _ignored(root: Path, directory: str, names: list[str], library: set[str]) -> set[str]:
    """copytree filter: hidden entries, and the library files of the imported kind in ``root``."""
    hidden = {n for n in names if n.startswith(".")}
    return hidden | (library & set(names)) if Path(directory) == root else hidden


def import_library(
    kind: str,
    source: Path,
    content_dir: Path,
    *,
    shown: str | None = None,
    remove_missing: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a library file into ``content_dir`` as the canonical ``<kind>.csv``.

    By default the import is merged into the current library by 统一社会信用代码 (entities; a
    sole trader without one by 注册号) or 执法证号 (inspectors): records of the file are added
    or replace the record with the same id, and every other record is kept. Records are
    removed only with ``remove_missing``, which makes the file the whole new library. The
    result is checked as ``gongkai check`` would check it before anything is written
    (docs/content.md §8.2).

    Args:
        kind: ``entities`` (检查对象名录库) or ``inspectors`` (执法检查人员名录库).
        source: a .csv (UTF-8), .xlsx (first sheet) or .yaml file with the Chinese headers of
            docs/content.md.
        content_dir: the ``content/`` directory (``departments.yaml`` resolves the 部门 column
            of inspectors).
        shown: the name used in problem locations (default: ``source.name``).
        remove_missing: remove the records that the file does not contain.
        progress: reports the phases (reading, merging, checking) on stderr; default none.

    Returns:
        What was written and how the library changed (added, changed, removed ids).

    Raises:
        ValueError: if ``kind`` is not one of the two library kinds.
        ContentError: with every located problem if there is any error in the file, in the
            current library (merge) or in the content after the import; nothing is written.
        StoreError: if the canonical file cannot be written (the old files are kept).
    """
    lib = _check_kind(kind)
    shown = shown or source.name
    progress = progress or Progress.off()
    problems = Problems()
    departments = _departments(content_dir, problems) if lib == "inspectors" else {}
    with progress.phase(f"读取 {shown}"):
        records = _read_library(lib, source, shown, departments, problems)
    if records is not None and not records and not problems.errors:
        problems.error(Location(shown), f"文件中没有任何{_LABELS[lib]}记录；不能用空库替换现有库")
    problems.raise_if_errors()
    assert records is not None

    old_files = _existing(lib, content_dir)
    with progress.phase(f"读取现有{_LABELS[lib]}并合并"):
        previous = _previous(lib, old_files, departments, problems, merge=not remove_missing)
        problems.raise_if_errors()
        merged, added, changed, removed = _merge(lib, previous, records, merge=not remove_missing)
        data = _csv_bytes(lib, _sorted(lib, merged))
    with progress.phase("检查导入后的全部内容（同 gongkai check）"):
        _check_result(content_dir, lib, data, problems)
    problems.raise_if_errors()

    target = content_dir / f"{lib}.csv"
    write_atomic(target, data)
    replaced: list[Path] = []
    for path in old_files:
        if path != target:
            path.unlink()
            replaced.append(path)
    return ImportReport(
        kind=lib,
        written=target,
        records=len(merged),
        added=added,
        changed=changed,
        removed=removed,
        kept=len(merged) - len(records),
        replaced=tuple(replaced),
        warnings=tuple(problems.warnings),
    )


def export_library(kind: str, content_dir: Path, out: Path) -> int:
    """Export the library of ``content_dir`` to ``out`` (.xlsx or .csv by its extension).

    The table is the canonical one (headers, order, text dates); the same library always gives
    the same bytes, and importing the export gives back the same library.

    Args:
        kind: ``entities`` or ``inspectors``.
        content_dir: the ``content/`` directory holding exactly one library file of that kind.
        out: the file to write (atomically); its extension chooses the format.

    Returns:
        The number of records exported.

    Raises:
        ValueError: if ``kind`` is not one of the two library kinds.
        ContentError: if the extension is not supported, the library is missing, ambiguous or
            has errors (every one located); nothing is written.
        StoreError: if ``out`` cannot be written.
    """
    lib = _check_kind(kind)
    problems = Problems()
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        problems.error(Location(out.name), "不支持的导出格式；请使用 .xlsx 或 .csv")
    files = _existing(lib, content_dir)
    if not files:
        problems.error(Location(f"{lib}.csv"), "缺少库文件（.csv、.xlsx 或 .yaml）")
    elif len(files) > 1:
        names = "、".join(p.name for p in files)
        problems.error(Location(files[0].name), f"同一个库有多个文件：{names}；只保留一个")
    problems.raise_if_errors()
    departments = _departments(content_dir, problems) if lib == "inspectors" else {}
    records = _read_library(lib, files[0], files[0].name, departments, problems)
    if problems.errors:
        raise ContentError(problems.items)
    assert records is not None
    ordered = _sorted(lib, records)
    data = _csv_bytes(lib, ordered) if suffix == ".csv" else _xlsx_bytes(lib, ordered)
    write_atomic(out, data)
    return len(ordered)
