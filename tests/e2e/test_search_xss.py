"""Stored XSS through the search page: hostile text in every imported field never runs in Chromium.

A fresh site is driven through the ``gongkai`` CLI (``tests/workflow/fresh_site.py``) with payloads
in every field that reaches the site: the site name (``init --name``), YAML content (checklist
items, departments, the plan and its tasks), the entity library imported from CSV and then from
XLSX, the inspector library imported from XLSX, and the ledger's free text (the replacement
reason, the result form's detail and note, the follow-up notes). ``gongkai build`` indexes it
with Pagefind. In Chromium, ``/search/`` gets queries that hit the poisoned records, every filter
group is opened and every poisoned filter value ticked; no script may run (``window.__xss`` stays
unset, no dialog opens) and the payloads must be visible as text. The script-free pages the
search links to are opened too. Same requirements as ``test_browser.py`` (skipped without them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / d) for d in ("workflow", "site", "e2e")]

from fresh_site import MINI, TASK, Site, confirm_joint, fill_row, new_site  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from test_browser import CHROMIUM, FLAGS, _serve  # noqa: E402  # skips when Chromium is missing
from xss_corpus import poison_yaml  # noqa: E402

#: Payloads that run script when parsed as HTML (an inserted <script> does not run, its
#: attribute-breaking twin and the event handlers do). Each sets window.__xss or alerts.
IMG = "<img src=x onerror=window.__xss=1>"
#: (An industry, so a filter value; Pagefind 1.5.2 cannot select a value with a '"' in it.)
IMG2 = "<img src=x onerror=window.__xss=2>"
BREAK = '"><img src=x onerror=window.__xss=7>'
SVG = "<svg onload=window.__xss=3>"
SCRIPT = '"><script>window.__xss=4</script>'
JS_URL = "javascript:window.__xss=5//"
ALERT = "<img src=y onerror=alert(6)>"
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"
#: An entity renamed by the XLSX import (食品销售, not in the task's pool).
XLSX_ENTITY = "91620823GK0000042Y"


pytestmark = pytest.mark.browser


def _entities_csv() -> str:
    """The mini entity library with payloads in 名称, 行业 (a second industry) and 住所 of
    every 餐饮 entity (the task's pool, so the drawn entities carry them)."""
    rows = list(csv.reader(io.StringIO((MINI / "entities.csv").read_text(encoding="utf-8-sig"))))
    header = rows[0]
    name, industry, address = (header.index(c) for c in ("名称", "行业", "住所"))
    for row in rows[1:]:
        if row[industry].startswith("餐饮"):
            row[name] += IMG
            row[industry] += "、" + IMG2
            row[address] += BREAK + SCRIPT + JS_URL
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _poison_xlsx(path: Path, key: str, edits: dict[str, str]) -> None:
    """Append ``edits`` (column → payload) to the row whose first cell is ``key``; with key
    ``""`` to every row."""
    wb = openpyxl.load_workbook(path)
    sheet = wb.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if key and str(row[0].value) != key:
            continue
        for column, payload in edits.items():
            cell = row[header.index(column)]
            cell.value = f"{cell.value or ''}{payload}"
    wb.save(path)


def _import_libraries(s: Site, tmp: Path) -> None:
    content = ("--content", str(s.content))
    (tmp / "entities.csv").write_text(_entities_csv(), encoding="utf-8")
    s.run("import", "entities", str(tmp / "entities.csv"), *content)
    s.run("export", "entities", str(tmp / "entities.xlsx"), *content)
    _poison_xlsx(tmp / "entities.xlsx", XLSX_ENTITY, {"名称": SVG, "行业": "、" + ALERT})
    s.run("import", "entities", str(tmp / "entities.xlsx"), *content)
    s.run("export", "inspectors", str(tmp / "inspectors.xlsx"), *content)
    _poison_xlsx(tmp / "inspectors.xlsx", "", {"姓名": IMG, "专长": "、" + BREAK})
    s.run("import", "inspectors", str(tmp / "inspectors.xlsx"), *content)


def _run_task(s: Site, forms_dir: Path) -> str:
    """Plan, invitation, draw (with a replacement), results and follow-up, with payloads in
    every free-text field the CLI takes. Returns the code of the entity with a result."""

    def replace() -> None:
        s.site("draw", "replace", TASK, _drawn(s)[-1], "--reason", "已注销" + IMG + JS_URL,
               "--at", "2024-02-26T11:00:00+08:00", dept="scjg")  # fmt: skip

    confirm_joint(s, forms_dir, replace)
    from generator.workflow import forms

    form = forms_dir / TASK / "scjg.xlsx"
    code = fill_row(
        form,
        2,
        {
            forms.COL_INSPECTED: dt.date(2024, 4, 8),
            forms.COL_COMPLETED: dt.date(2024, 4, 8),
            forms.COL_METHODS[0]: "现场检查",
            forms.COL_CATEGORIES[0]: "发现问题经责令已改正",
            forms.COL_DETAIL: "发现过期食品" + IMG + SCRIPT,
            forms.COL_MEASURE: RECTIFY,
            forms.COL_NOTE: "限期整改" + SVG,
            forms.COL_STATE: "未完结",
        },
    )
    s.site("results", "import", TASK, str(form), "--dept", "scjg", "--at", "2024-04-15",
           dept="scjg")  # fmt: skip
    followup = ("followup", "record", TASK, code, "--dept", "scjg", "--measure", RECTIFY)
    s.site(*followup, "--note", "复查" + SCRIPT, "--at", "2024-04-18", dept="scjg")
    s.site("followup", "close", TASK, code, "--dept", "scjg", "--note", "已整改" + BREAK,
           "--at", "2024-04-20", dept="scjg")  # fmt: skip
    return code


def _drawn(s: Site) -> list[str]:
    from generator.workflow.site import SiteRepo

    return list(SiteRepo.open(s.root).state().tasks.tasks[TASK].drawn)


def build_poisoned_site(tmp: Path) -> tuple[Path, str]:
    """Drive a fresh site through the CLI with payloads everywhere and build it (with the
    search index) into ``tmp/_site``. Returns the output and the code of the inspected entity."""
    s = new_site(tmp, name="测试县公示" + IMG)
    inspectors = s.content / "inspectors.csv"
    text = inspectors.read_text(encoding="utf-8")
    for dept_name, dept in (
        ("崇信县市场监督管理局", "scjg"),
        ("县市场监管局", "scjg"),
        ("县卫健局", "wsjk"),
    ):
        text = text.replace(f",{dept_name},", f",{dept},")  # names get payloads below
    inspectors.write_text(text, encoding="utf-8")
    for name in ("departments.yaml", "checklist.yaml", "plans/2024.yaml"):
        poison_yaml(s.content / name)
    _import_libraries(s, tmp)
    # The poisoned checklist is published as version 2 of each department's checklist (the site
    # shows only published versions, with their history: docs/site.md §8.1).
    for dept in ("scjg", "wsjk"):
        s.site("checklist", "publish", "--dept", dept, "--at", "2024-01-05", dept=dept)
    # So are the poisoned libraries (version 2 of each: the site lists both versions and what
    # changed, with the payloads as text, docs/workflow.md §9).
    for kind in ("entities", "inspectors"):
        s.site("library", "publish", kind, "--dept", "scjg", "--at", "2024-01-05", dept="scjg")
    s.run("check", "--content", str(s.content))
    inspected = _run_task(s, tmp / "forms")
    out = tmp / "_site"
    s.run("build", "--content", str(s.content), "--output", str(out))
    return out, inspected


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The poisoned site served on 127.0.0.1: (base URL, code of the entity with a result)."""
    out, inspected = build_poisoned_site(tmp_path_factory.mktemp("search-xss"))
    for url in _serve(out):  # serves until this fixture is torn down
        yield url, inspected


@pytest.fixture(scope="module")
def page() -> Iterator[tuple[Page, list[str]]]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        pg = browser.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        pg.on("dialog", on_dialog)
        yield pg, dialogs
        browser.close()


def _assert_no_script(pg: Page, dialogs: list[str], where: str) -> None:
    pg.wait_for_timeout(150)  # let error events of injected images fire
    assert pg.evaluate("window.__xss") is None, f"{where}：注入的脚本被执行"
    assert not dialogs, f"{where}：弹出了对话框 {dialogs}"
    assert not pg.locator("#search img, #search svg, #search script").count(), where
    assert not pg.locator("a[href^='javascript' i]").count(), f"{where}：javascript: 链接"


#: The results are those of query q (not the previous one): every highlighted word belongs to q.
_SETTLED = """q => {
  const marks = [...document.querySelectorAll("#search mark")];
  const word = m => m.textContent.trim();
  return marks.length > 0 && marks.every(m => q.includes(word(m)) || word(m).includes(q));
}"""


def _query(pg: Page, text: str) -> None:
    box = pg.locator("#search input:not([type=checkbox])").first
    box.fill(text)

    pg.wait_for_function(_SETTLED, arg=text, timeout=10_000)


def test_search_shows_payloads_as_text(site: tuple[str, str], page: tuple[Page, list[str]]) -> None:
    base_url, _ = site
    pg, dialogs = page
    dialogs.clear()
    pg.goto(base_url + "search/")
    # A query per poisoned record kind: entity (CSV, XLSX), checklist item, plan task.
    for text in ("示例", "酒楼", "超市", "onerror", "检查", "抽查"):
        _query(pg, text)
        _assert_no_script(pg, dialogs, f"搜索“{text}”")
    _query(pg, "酒楼")
    shown = pg.locator("#search").inner_text()
    assert IMG in shown, "名称中的注入文本应原样显示为文字"
    groups = pg.locator("#search details summary")
    assert groups.count() >= 4
    for i in range(groups.count()):
        groups.nth(i).click()
        _assert_no_script(pg, dialogs, f"展开筛选 {i}")
    filters = pg.locator("#search details").all_inner_texts()
    assert any(IMG2 in t for t in filters), "行业筛选中的注入文本应原样显示为文字"
    assert any(ALERT in t for t in filters), "XLSX 导入的行业应原样显示为文字"
    # Tick every poisoned filter value: the pages they list show the payload names as text.
    _query(pg, "示例")
    for value in pg.locator("#search details label").filter(has_text="onerror").all():
        value.click()
        _assert_no_script(pg, dialogs, f"筛选 {value.inner_text()}")
    pg.locator("#search a", has_text=IMG).first.wait_for(timeout=10_000)
    pg.locator("#search a", has_text=SVG).first.wait_for(timeout=10_000)


def test_pages_behind_results_run_no_script(
    site: tuple[str, str], page: tuple[Page, list[str]]
) -> None:
    base_url, inspected = site
    pg, dialogs = page
    dialogs.clear()
    for path in (
        f"entities/{inspected}/",
        f"entities/{XLSX_ENTITY}/",
        f"tasks/{TASK}/",
        f"tasks/{TASK}/draw/",
        "checklist/",
        "plans/2024/",
        "libraries/",
    ):
        response = pg.goto(base_url + path)
        assert response is not None, path
        assert response.ok, path
        _assert_no_script(pg, dialogs, path)
    pg.goto(base_url + f"entities/{inspected}/")
    assert IMG in pg.locator("h1").inner_text()
    main = pg.locator("main").inner_text()
    assert "发现过期食品" + IMG + SCRIPT in main
    assert "已整改" + BREAK in main  # the follow-up's latest note, from the ledger
    pg.goto(base_url + f"tasks/{TASK}/draw/")
    assert "已注销" + IMG + JS_URL in pg.locator("main").inner_text()
