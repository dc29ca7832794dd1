"""Horizontal bar charts as HTML and CSS, drawn at build time (no JavaScript).

Each chart is ``role="img"`` labelled with its title; the same numbers are always shown in a
table next to the chart, which is the accessible source of truth. A row is a label, a bar and
the value (``.chart-row`` in ``static/style.css``). The bar is an empty ``<svg>`` whose
``width`` attribute sets its length: a presentation attribute, not a ``style`` attribute, so the
site's Content-Security-Policy needs no ``'unsafe-inline'`` (docs/deploy.md). On wide screens
label, bar and value sit on one line (210 px label, 360 px bar area); on phones the label takes
its own line, so labels keep their 13 px size instead of shrinking with a scaled drawing. Labels
are escaped, and bar widths are integer per-mille so the output is byte-stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

#: Longer labels are cut to this many characters (with “…”); the table shows them in full.
_LABEL_CHARS = 14


def bar_chart(title: str, rows: Sequence[tuple[str, int]], chart_id: str) -> Markup:
    """A horizontal bar chart of ``rows`` (label, value ≥ 0); empty rows give an empty string.

    ``chart_id`` must be unique on the page (it names the chart's title element).
    """
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1
    parts = [
        f'<div class="chart" role="img" aria-labelledby="{escape(chart_id)}">',
        f'<p class="chart-title" id="{escape(chart_id)}" hidden>{escape(title)}</p>',
    ]
    for label, value in rows:
        permille = max(1, (value * 1000) // top) if value else 0
        short = label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"
        parts.append(
            f'<div class="chart-row"><span class="chart-label">{escape(short)}</span>'
            f'<span class="chart-track"><svg class="chart-bar" aria-hidden="true" height="22" '
            f'width="{permille // 10}.{permille % 10}%"></svg>'
            f'<span class="chart-value">{value}</span></span></div>'
        )
    parts.append("</div>")
    return Markup("".join(parts))  # noqa: S704  # every label passed through escape()
