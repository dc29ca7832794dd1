"""Browser tests: Playwright over Debian's chromium, the mini site served on 127.0.0.1.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``), the ``playwright`` package (no
``playwright install``: Debian's browser is used), the ``pagefind[extended]`` package, and
``axe-core`` from npm (``npm install -g axe-core@4``; or set ``AXE_JS`` to ``axe.min.js``).
The tests skip with the reason when one is missing.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "site"))

from example_site import CHROMIUM, FLAGS  # noqa: E402, F401  # (test_search_xss imports them here)
from example_site import serve as _serve  # noqa: E402
from site_helpers import build_mini, copy_content  # noqa: E402
from site_results import mini_results  # noqa: E402

XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"

pytestmark = pytest.mark.browser


def _axe_js() -> Path | None:
    env = os.environ.get("AXE_JS")
    if env:
        return Path(env)
    candidates = [
        Path("/usr/lib/node_modules/axe-core/axe.min.js"),
        Path("/usr/local/lib/node_modules/axe-core/axe.min.js"),
    ]
    if shutil.which("npm"):
        try:
            root = subprocess.run(
                ["npm", "root", "-g"], capture_output=True, text=True, timeout=20, check=False
            ).stdout.strip()
            candidates.insert(0, Path(root) / "axe-core" / "axe.min.js")
        except (OSError, subprocess.SubprocessError):
            pass
    return next((c for c in candidates if c.is_file()), None)


def _requirements() -> str | None:
    if not Path(CHROMIUM).exists():
        return "缺少 /usr/bin/chromium（apt-get install chromium）"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "缺少 playwright（pip install playwright；不要运行 playwright install）"
    from generator.site.search import pagefind_available

    if not pagefind_available():
        return "缺少 pagefind[extended]"
    return None


MISSING = _requirements()
if MISSING:
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("e2e")
    content = copy_content(tmp)
    plan = content / "plans" / "2024.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace(
            "note: 测试用计划。", f"note: '测试用计划。{XSS}'"
        ),
        encoding="utf-8",
    )
    results = [dataclasses.replace(r, detail=XSS) for r in mini_results()]
    out = tmp / "site"
    build_mini(out, content=content, results=results, search=True)
    yield from _serve(out)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    pg = browser.new_page(viewport={"width": 1000, "height": 800})
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    pg.close()
    assert not dialogs, f"页面弹出了对话框（脚本被执行）：{dialogs}"


def test_navigation(site: str, page: Page) -> None:
    page.goto(site)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="抽查事项清单").click()
    assert page.locator("h1").inner_text() == "随机抽查事项清单"
    page.get_by_role("link", name="企业公示信息情况的检查").click()
    assert "checklist/SJ-DJ-01/" in page.url
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="检查结果").click()
    assert page.locator("h1").inner_text() == "抽查检查结果"


def test_skip_link_by_keyboard(site: str, page: Page) -> None:
    page.goto(site)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_search_chinese_query(site: str, page: Page) -> None:
    page.goto(site + "search/")
    box = page.locator("#search-q")
    box.fill("烧烤")
    link = page.locator(".search-result-link").first
    link.wait_for(timeout=10_000)
    assert "烧烤" in link.inner_text()
    assert "entities/92620823GK0000069K/" in (link.get_attribute("href") or "")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("烧烤", "92620823GK0000069K"),
        ("示例面馆", "92620823GK00000266"),
        ("92620823gk00000266", "92620823GK00000266"),
    ],
)
def test_search_finds_businesses_by_name_and_code(
    site: str, page: Page, query: str, code: str
) -> None:
    page.goto(site + "search/")
    page.locator("#search-q").fill(query)
    link = page.locator(f".search-result-link[href*='{code}']").first
    link.wait_for(timeout=10_000)
    assert code in (page.locator(".search-result").first.inner_text())


def test_search_link_with_a_query_searches_for_it(site: str, page: Page) -> None:
    """/search/?q=… (a shared link, or the form submitted without script) runs that search."""
    page.goto(site + "search/?q=" + quote("示例面馆"))
    link = page.locator(".search-result-link[href*='92620823GK00000266']").first
    link.wait_for(timeout=10_000)
    assert page.locator("#search-q").input_value() == "示例面馆"


def test_search_filters_businesses(site: str, page: Page) -> None:
    """A filter alone lists the businesses with that value (counts per value after a query)."""
    page.goto(site + "search/")
    page.locator("#search-q:enabled").wait_for(timeout=10_000)
    page.locator("summary", has_text="行政区划").click()
    page.locator("label", has_text="灵台县").locator("input").check()
    page.locator(".search-status", has_text="找到").wait_for(timeout=10_000)
    links = page.locator(".search-result-link")
    assert links.count() >= 1
    for text in page.locator(".search-result-excerpt").all_inner_texts():
        assert "灵台县" in text
    page.locator("#search-q").fill("示例")
    page.locator(".search-status", has_text="找到").wait_for(timeout=10_000)
    assert "（" in page.locator("label", has_text="灵台县").inner_text()


def test_search_refuses_one_character_for_businesses(site: str, page: Page) -> None:
    page.goto(site + "search/")
    page.locator("#search-q").fill("面")
    page.locator(".search-status", has_text="两个连续的汉字").wait_for(timeout=10_000)


def test_search_credit_code_lookup(site: str, page: Page) -> None:
    page.goto(site + "search/")
    page.get_by_label("统一社会信用代码或注册号").fill("91620823GK0000077H")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/entities/91620823GK0000077H/")
    assert "广告传媒" in page.locator("h1").inner_text()
    page.goto(site + "search/")
    page.get_by_label("统一社会信用代码或注册号").fill("91620823GK0000999X")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("未找到代码为").wait_for()


def test_lookup_without_javascript(site: str, browser: Browser) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto(site)
    pg.get_by_label("统一社会信用代码或注册号").fill("91620823GK0000077H")
    pg.get_by_role("button", name="查询").click()
    pg.wait_for_url("**/entities/?code=*")
    assert pg.locator("h1").inner_text() == "检查对象名录"
    ctx.close()


@pytest.mark.parametrize(
    "path",
    ["", "entities/92620823GK0000069K/", "results/", "ledger/", "results/stats/", "followups/"],
)
def test_axe_no_serious_violations(site: str, page: Page, path: str) -> None:
    axe = _axe_js()
    if axe is None:
        pytest.skip("缺少 axe-core（npm install -g axe-core@4，或设置 AXE_JS）")
    page.goto(site + path)
    page.add_script_tag(path=str(axe))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad


def test_xss_payloads_never_execute(site: str, page: Page) -> None:
    for path in ["entities/92620823GK0000069K/", "plans/2024/", "results/", ""]:
        page.goto(site + path)
        page.wait_for_load_state("load")
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0


def test_mobile_layout_has_no_horizontal_scroll(site: str, browser: Browser) -> None:
    pg = browser.new_page(viewport={"width": 360, "height": 740})
    pg.goto(site + "entities/92620823GK0000069K/")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    pg.close()
