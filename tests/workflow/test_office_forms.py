"""A result form filled and saved in an office suite imports exactly as written (docs/workflow.md).

Staff fill the 检查结果录入表 in Excel or WPS and save it; the suite rewrites the whole workbook
(its own shared strings, styles, date cells and data validations). LibreOffice Calc stands in
for that suite here: the filled form (and its CSV twin) is opened and saved by Calc, and
``read_form`` must give the same results as for the form before Calc touched it — including a
具体情况 that starts like a formula, which the staff member typed as text.
"""

from __future__ import annotations

from pathlib import Path

from form_kit import FILLED, fill_xlsx, merged, read, write

from tests.office import convert, soffice

FORMULA_LIKE = "=责令改正后复查（现场）"


def test_form_saved_by_calc_reads_the_same(tmp_path: Path) -> None:
    soffice()
    xlsx, _ = write(tmp_path)
    cells = merged({3: {"具体情况": FORMULA_LIKE}})
    fill_xlsx(xlsx, cells)
    before = read(xlsx)
    (saved,) = convert([xlsx], tmp_path / "calc", profile=tmp_path / "profile")
    after = read(saved)
    assert after == before
    assert len(after) == len(FILLED)
    assert any(r.detail == FORMULA_LIKE for r in after)
