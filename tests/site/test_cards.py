"""Every table cell carries its column header as ``data-label`` (docs/site.md §1): on a phone
(≤ 600 px, static/style.css) each row is a card whose fields are labelled by it, so a cell
without one would show a bare value. Checked on every page of the golden mini site."""

from __future__ import annotations

import re

from site_helpers import GOLDEN

#: An opening <td> tag (the templates write no other element whose name starts with td).
_TD = re.compile(r"<td\b[^>]*>")


def test_every_table_cell_has_a_label() -> None:
    pages = sorted(GOLDEN.rglob("*.html"))
    assert pages
    bare = [
        (str(p.relative_to(GOLDEN)), tag)
        for p in pages
        for tag in _TD.findall(p.read_text(encoding="utf-8"))
        if "data-label=" not in tag and "colspan=" not in tag
    ]
    assert not bare, bare[:10]
