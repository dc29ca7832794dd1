"""Spreadsheet cell text: formula neutralisation on write, its exact reversal on read, and
bounded quoting of untrusted cells in messages (docs/content.md §8.1, docs/site.md §3.1).

Excel, WPS and LibreOffice run a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and some strip a leading TAB or CR first), so a business named
``=HYPERLINK("http://…","点我")`` would become a live link in a staff member's spreadsheet.
Every CSV and XLSX that gongkai writes therefore passes each text cell through
:func:`neutralise`, which puts one apostrophe ``'`` in front of a text that starts with one of
:data:`TRIGGERS` — the OWASP “CSV injection” rule. A text that itself starts with ``'`` gets one
too, so the mapping is injective and :func:`restore` (strip exactly one leading ``'``) undoes it
for every text::

    restore(neutralise(x)) == x        for every string x

Importers call :func:`restore` on every cell they read. Consequently a hand-made file whose
cell starts with ``'`` loses that one apostrophe on import (write ``''`` to keep one). Numbers
are written as numbers and never neutralised; XLSX text is always an explicit string cell
(:func:`set_text`), never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

#: First characters that make a spreadsheet evaluate a cell (OWASP), plus ``'`` (see above).
TRIGGERS = frozenset("=+-@\t\r'")
#: Characters of untrusted input quoted in a message before it is cut with “…”.
EXCERPT = 40


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when it starts with one of :data:`TRIGGERS`."""
    return "'" + text if text and text[0] in TRIGGERS else text


def restore(text: str) -> str:
    """Undo :func:`neutralise`: drop exactly one leading ``'``."""
    return text[1:] if text.startswith("'") else text


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``text`` (then “…”), for quoting bad input in messages."""
    return text if len(text) <= limit else text[:limit] + "…"


def set_text(sheet: Any, row: int, column: int, value: str) -> Any:
    """Write ``value`` neutralised as an explicit string cell of an openpyxl worksheet.

    The cell's type is forced to ``s`` (openpyxl would otherwise store a text starting with
    ``=`` as a formula). Returns the cell, for styling.
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = neutralise(value)
    cell.data_type = "s"
    return cell


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, line_end: str = "\r\n"
) -> bytes:
    """A CSV file as gongkai writes it for staff: UTF-8 with a BOM (Excel needs it), RFC 4180
    quoting, every cell (header included) passed through :func:`neutralise`.

    Args:
        header: the header cells.
        rows: the data rows (text cells).
        line_end: ``\r\n`` (RFC 4180, the default) or ``\n`` (the canonical libraries).

    Returns:
        The file contents.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
