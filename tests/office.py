"""Open files the way county staff do: with an office suite (LibreOffice Calc, headless).

Staff open gongkai's CSV and XLSX files in Excel or WPS; LibreOffice Calc is the office suite a
test machine can run. :func:`convert` makes Calc open files and save them as XLSX, exactly as a
user's "open, then save" does: a CSV is imported with Calc's own rules (a cell beginning with
``=`` becomes a live formula), an XLSX is rewritten by Calc (its own shared strings, styles and
date cells). ``make test`` installs ``libreoffice-calc``; where it is missing the tests skip,
saying why.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

#: Calc's CSV import: comma, double quote, UTF-8 (76), from line 1 — the dialog's defaults
#: for a UTF-8 file, as a user who opens the file gets them.
CSV_FILTER = "CSV:44,34,76,1"


def soffice() -> str:
    """The office suite's command, or skip the calling test with the reason."""
    found = shutil.which("soffice")
    if found is None:
        pytest.skip(
            "LibreOffice Calc（soffice）未安装：make test 会用 apt-get 安装 libreoffice-calc"
        )
    return found


def convert(files: list[Path], out: Path, *, profile: Path) -> list[Path]:
    """Open each file in Calc and save it as XLSX under ``out``; the saved paths, in order."""
    out.mkdir(parents=True, exist_ok=True)
    inbox = out / "opened"
    inbox.mkdir(exist_ok=True)
    copies = [inbox / f"{n:03d}-{f.name}" for n, f in enumerate(files)]  # unique names
    for source, copy in zip(files, copies, strict=True):
        shutil.copyfile(source, copy)
    csvs = [f for f in copies if f.suffix == ".csv"]
    others = [f for f in copies if f.suffix != ".csv"]
    base = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
    for group, extra in ((csvs, [f"--infilter={CSV_FILTER}"]), (others, [])):
        if not group:
            continue
        subprocess.run(
            [*base, *extra, "--convert-to", "xlsx", "--outdir", str(out), *map(str, group)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    saved = [out / (f.stem + ".xlsx") for f in copies]
    missing = [p.name for p in saved if not p.exists()]
    assert not missing, f"Calc did not save {missing}"
    return saved
