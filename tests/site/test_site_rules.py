"""The site shows the ratio limits of an item and the yearly inspections per business
(docs/content.md §10, docs/workflow.md §4.2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from site_helpers import build_mini, copy_content
from site_results import mini_results

from generator.content.loader import load_content
from generator.workflow.metrics import compute_figures


def test_stats_page_counts_businesses_by_yearly_inspections(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    text = (out / "results/stats/index.html").read_text("utf-8")
    assert '<h2 id="h-visits">每户年入户检查次数</h2>' in text
    content, _ = load_content(copy_content(tmp_path))
    figures = compute_figures(content, {}, mini_results(), as_of=dt.date(2024, 12, 31))
    histogram = figures.histogram()
    assert histogram
    for year, row in histogram.items():
        for n, count in row.items():
            assert (
                f'<td data-label="年度">{year}年</td><td data-label="入户检查次数">{n} 次</td>'
                f'<td data-label="户数">{count}</td>'
            ) in text


def test_item_page_shows_minimum_ratio_and_frequency(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    checklist = content / "checklist.yaml"
    text = checklist.read_text("utf-8")
    assert '    ratio_cap: "70%"\n' in text
    checklist.write_text(
        text.replace(
            '    ratio_cap: "70%"\n',
            '    ratio_cap: "70%"\n    min_ratio: "1%"\n    frequency: 2\n',
        ),
        "utf-8",
    )
    out = tmp_path / "site"
    build_mini(out, content)
    page = (out / "checklist/SJ-GG-01/index.html").read_text("utf-8")
    assert "<dt>抽查比例下限</dt><dd>1%</dd>" in page
    assert "<dt>抽查频次</dt><dd>同一检查对象每年最多抽中 2 次</dd>" in page
