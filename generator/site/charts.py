"""Bar charts as inline SVG, drawn at build time (no JavaScript).

Each chart is ``role="img"`` with a ``<title>`` naming it; the same numbers are always shown in
a table next to the chart, which is the accessible source of truth. Labels are escaped, and
coordinates are integers so the output is byte-stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_BAR_H = 22
_GAP = 6
_LABEL_W = 210
_BAR_W = 360
_VALUE_W = 70


def bar_chart(title: str, rows: Sequence[tuple[str, int]], chart_id: str) -> Markup:
    """A horizontal bar chart of ``rows`` (label, value); empty rows give an empty string."""
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1
    height = len(rows) * (_BAR_H + _GAP) + _GAP
    width = _LABEL_W + _BAR_W + _VALUE_W
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]
    for n, (label, value) in enumerate(rows):
        y = _GAP + n * (_BAR_H + _GAP)
        w = max(1, (value * _BAR_W) // top) if value else 0
        text_y = y + _BAR_H - 6
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{text_y}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{_LABEL_W}" y="{y}" width="{w}" height="{_BAR_H}"></rect>'
            f'<text x="{_LABEL_W + w + 6}" y="{text_y}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every label passed through escape()
