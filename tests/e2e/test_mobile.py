"""The example site on a phone (Chromium at 390×844): every page type fits the screen.

On each page type (with the draw page verified in the browser and the search page showing
results, so script-filled values are measured too):

* the document is no wider than the viewport (``scrollWidth ≤ 390``): long hashes, URLs and
  commands wrap or scroll inside their own box;
* no table cell or card field breaks a text of 4 or more characters into lines of ≤ 2
  characters (lines counted with ``Range.getClientRects``: one rectangle per line of a text node);
* chart labels render at ≥ 12 px (the computed font size times the SVG's scale, if any).

Same requirements as ``test_browser.py`` (skipped without them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1000, "height": 800}

#: One page of each template; an entity page is added from the first result row.
PAGES = [
    "",
    "404.html",
    "checklist/",
    "checklist/SJ-DJ-01/",
    "checklist/by-industry/",
    "libraries/",
    "libraries/inspectors/",
    "entities/",
    "entities/page/2/",
    "plans/",
    "plans/2024/",
    "tasks/2024-YYYC-CY/",
    "tasks/2024-YYYC-CY/draw/",
    "results/",
    "results/page/1/",
    "results/dept/",
    "results/dept/scjg/",
    "results/industry/",
    "results/category/",
    "results/category/wsjk-4/",
    "results/vocabulary/",
    "results/task/2024-YYYC-CY/",
    "results/year/2024/",
    "results/overdue/",
    "results/stats/",
    "followups/",
    "ledger/",
    "data/",
    "search/",
]

#: Measures the page: document width, the narrowest text run of a cell or card field, and
#: the rendered size of chart labels.
MEASURE = """() => {
  const lines = (node) => {
    const r = document.createRange();
    r.selectNodeContents(node);
    const tops = new Set();
    for (const rect of r.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    return tops.size;
  };
  const narrow = [];
  for (const cell of document.querySelectorAll('main td, main th, main dd')) {
    // A visually hidden header row (1×1 px, read by screen readers only) is not shown.
    if (cell.closest('tr') && cell.closest('tr').getBoundingClientRect().width <= 1) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const text = t.textContent.replace(/\\s+/g, '');
      if (text.length < 4) continue;
      const n = lines(t);
      if (n && text.length / n <= 2) narrow.push([text.slice(0, 20), n]);
    }
  }
  const labels = [];
  for (const el of document.querySelectorAll('.chart text, .chart-label, .chart-value')) {
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGGraphicsElement) size *= el.getScreenCTM().a;
    labels.push(size);
  }
  return {width: document.documentElement.scrollWidth, narrow, labels,
          height: document.documentElement.scrollHeight};
}"""


def _entity_page(example_url: str, page: Page) -> str:
    page.goto(example_url + "results/")
    href = page.locator("main td a[href*='entities/']").first.get_attribute("href") or ""
    return href.split("../")[-1].lstrip("/")


def _open(page: Page, url: str) -> None:
    """Open ``url``; the draw page is verified and the search page searched first."""
    page.goto(url)
    if "/draw/" in url:
        page.click("#gk-verify")
        page.wait_for_selector("#gk-verify-status[data-result]", timeout=60_000)
    if url.endswith("search/"):
        page.locator("#search-q").fill("加油站")
        page.locator(".search-result-link").first.wait_for(timeout=10_000)


def _measure(browser: Browser, url: str, viewport: ViewportSize) -> dict[str, Any]:
    page = browser.new_page(viewport=viewport)
    try:
        _open(page, url)
        return dict(page.evaluate(MEASURE))
    finally:
        page.close()


def test_every_page_type_fits_a_phone(example_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport=PHONE)
    paths = [*PAGES, _entity_page(example_url, page)]
    page.close()
    problems = []
    for path in paths:
        m = _measure(browser, example_url + path, PHONE)
        if m["width"] > PHONE["width"]:
            problems.append(f"{path or '/'}：页面宽 {m['width']} px")
        if m["narrow"]:
            problems.append(
                f"{path or '/'}：{len(m['narrow'])} 处每行 ≤ 2 字，如 {m['narrow'][:3]}"
            )
        small = [s for s in m["labels"] if s < 12]
        if small:
            problems.append(f"{path or '/'}：{len(small)} 个图表标签小于 12 px（{min(small):.1f}）")
    assert not problems, "\n".join(problems)


def test_the_vocabulary_page_reads_on_a_360_px_phone(example_url: str, browser: Browser) -> None:
    """The departments' own 检查结果 and their versions (docs/workflow.md §10) on the narrowest
    common phone: no sideways scrolling, no cell squeezed to one or two characters a line."""
    narrow: ViewportSize = {"width": 360, "height": 740}
    m = _measure(browser, example_url + "results/vocabulary/", narrow)
    assert m["width"] <= narrow["width"], m
    assert m["narrow"] == [], m
    page = browser.new_page(viewport=narrow)
    try:
        page.goto(example_url + "results/vocabulary/")
        assert page.locator("main table tbody tr").count() >= 6  # 4 words, 2 versions
    finally:
        page.close()


def test_results_page_is_not_much_taller_on_a_phone(example_url: str, browser: Browser) -> None:
    """A 50-row results page: the cards keep the phone page within 3× its height at 1000 px
    (one character a line made it 4.4×: 18,286 px against 4,179 px)."""
    phone = _measure(browser, example_url + "results/page/1/", PHONE)["height"]
    desktop = _measure(browser, example_url + "results/page/1/", DESKTOP)["height"]
    assert phone <= 3 * desktop, (phone, desktop)
