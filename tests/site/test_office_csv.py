"""Every CSV gongkai writes, opened in an office suite, holds no live formula (docs/content.md §8.1).

The payload site of ``test_spreadsheet_cells`` (entity, address, inspector and result-detail
values that are formula payloads) is exported and built; then LibreOffice Calc opens every CSV
written — the canonical libraries, ``gongkai export``, the result form's CSV twin, the open data
and the pool downloads — as a user opening the file would, and saves it. No saved cell may be a
formula, and each payload must be there as the text it was (after the one ``'`` Calc keeps).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from site_cases import story_facts
from site_helpers import build_mini
from site_results import mini_results
from test_spreadsheet_cells import PAYLOADS, _payload_content

from generator.cli import main
from tests.office import convert, soffice


def test_no_csv_written_becomes_a_formula_in_calc(tmp_path: Path) -> None:
    soffice()
    content = _payload_content(tmp_path)
    written = [content / "entities.csv", content / "inspectors.csv"]
    for kind in ("entities", "inspectors"):
        out = tmp_path / f"export-{kind}.csv"
        result = CliRunner().invoke(main, ["export", kind, str(out), "--content", str(content)])
        assert result.exit_code == 0, result.output
        written.append(out)
    results = [
        dataclasses.replace(r, detail=PAYLOADS[i % len(PAYLOADS)])
        for i, r in enumerate(mini_results())
    ]
    site = tmp_path / "site"
    # The case and notice datasets (data/cases.csv, data/notices.csv) carry the payloads too.
    facts = story_facts(results, PAYLOADS)
    build_mini(site, content=content, results=results, task_facts=facts)
    written += sorted(site.rglob("*.csv"))
    assert site / "data" / "cases.csv" in written
    assert site / "data" / "notices.csv" in written
    saved = convert(written, tmp_path / "calc", profile=tmp_path / "profile")
    texts: set[str] = set()
    for source, path in zip(written, saved, strict=True):
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    where = f"{source.relative_to(tmp_path)} {cell.coordinate}"
                    assert cell.data_type != "f", f"{where}: Calc made {cell.value!r} a formula"
                    if isinstance(cell.value, str):
                        texts.add(cell.value)
    for payload in PAYLOADS:
        assert any(payload in text for text in texts), f"{payload!r} lost"
