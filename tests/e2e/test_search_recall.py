"""Search finds what people type (docs/site.md §6.2), measured on the example site in Chromium.

* Recall: for everyday words, every business whose name contains the word is among the results
  of the search page (``static/search.js`` over Pagefind, all result pages loaded). Before the
  name tokens of ``generator/site/keywords.py`` 加油站 found 0 of 18, 药业 0 of 15, 面馆 55 of 104.
* Results carry Chinese labels only, and excerpts never show the tokens.
* The credit-code lookup accepts a code typed with spaces, in lower case or in full-width
  characters, and the browser's own validation does not block it.

Same requirements as ``test_browser.py`` (skipped without them).
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["加油站", "药业", "汽修", "面馆", "农资", "牛肉面", "超市", "五金", "烧烤", "建材"]
WORDS += ["宾馆", "养殖", "合作社", "运输", "石化", "装饰", "有限公司"]


def _names() -> dict[str, str]:
    with (ROOT / "content" / "entities.csv").open(encoding="utf-8-sig") as f:
        return {r["统一社会信用代码"] or r["注册号"]: r["名称"] for r in csv.DictReader(f)}


NAMES = _names()


@pytest.fixture(scope="module")
def search(browser: Browser, example_url: str) -> Iterator[Page]:
    page = browser.new_page()
    page.goto(example_url + "search/")
    page.locator("#search-q:enabled").wait_for(timeout=10_000)
    yield page
    page.close()


def _all_results(page: Page, query: str) -> list[str]:
    """Type ``query``; load every result page; the result links' entity codes (and others)."""
    page.locator("#search-q").fill("")  # clears the list and the status (no stale results)
    page.wait_for_function("!document.querySelector('.search-status').textContent")
    page.locator("#search-q").fill(query)
    page.locator(".search-status", has_text="找到").or_(
        page.locator(".search-status", has_text="没有找到")
    ).wait_for(timeout=20_000)
    status = page.locator(".search-status").inner_text()
    total = int(m.group(1)) if (m := re.search(r"找到 (\d+) 条", status)) else 0
    more = page.locator(".search-more")
    while page.locator(".search-result").count() < total:
        before = page.locator(".search-result").count()
        if more.is_hidden():
            # every batch is requested (search.js hides the button then) and still rendering
            page.wait_for_function(
                f"document.querySelectorAll('.search-result').length >= {total}", timeout=10_000
            )
            break
        more.click()
        page.wait_for_function(
            f"document.querySelectorAll('.search-result').length > {before}", timeout=10_000
        )
    hrefs = page.eval_on_selector_all(
        ".search-result-link", "els => els.map(e => e.getAttribute('href'))"
    )
    return [m.group(1) for h in hrefs if (m := re.search(r"/entities/([^/]+)/", h))]


@pytest.mark.parametrize("word", WORDS)
def test_every_business_named_with_the_word_is_found(search: Page, word: str) -> None:
    want = {code for code, name in NAMES.items() if word in name}
    assert want, word
    found = set(_all_results(search, word))
    missing = sorted(NAMES[c] for c in want - found)
    assert not missing, f"“{word}”：{len(want) - len(missing)}/{len(want)}，未找到 {missing[:5]}"


def test_results_have_chinese_labels_and_no_tokens(search: Page) -> None:
    _all_results(search, "加油站")
    text = search.locator(".search-results").inner_text()
    assert "统一社会信用代码 " in text
    assert search.locator(".search-result-link mark", has_text="加油站").count() >= 10
    assert not re.search(r"[A-Za-z]+:", text), text[:300]
    assert not re.search(r"qz[a-p]{4,}", text), text[:300]


@pytest.mark.parametrize(
    "typed",
    [
        "91620800GK36QXBD9F",
        "9162 0800 GK36 QXBD 9F",
        "91620800gk36qxbd9f",
        "９１６２０８００ＧＫ３６ＱＸＢＤ９Ｆ",
        " 91620800-GK36QXBD9F ",
    ],
)
def test_credit_code_lookup_reads_codes_as_typed(
    browser: Browser, example_url: str, typed: str
) -> None:
    page = browser.new_page()
    try:
        page.goto(example_url + "search/")
        page.get_by_label("统一社会信用代码或注册号").fill(typed)
        page.get_by_role("button", name="查询").click()
        page.wait_for_url("**/entities/91620800GK36QXBD9F/", timeout=10_000)
    finally:
        page.close()
