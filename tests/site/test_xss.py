"""Hostile text in every content field and result field never reaches the HTML unescaped."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from site_cases import story_facts
from site_helpers import build_mini, copy_content
from site_results import mini_results
from xss_corpus import FORBIDDEN, PAYLOAD, Audit, poison_csv, poison_yaml


def test_xss_corpus_is_escaped_everywhere(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    for name in ("gongkai.yaml", "departments.yaml", "checklist.yaml", "plans/2024.yaml"):
        poison_yaml(content / name)
    poison_csv(content / "entities.csv", ("名称", "住所"))
    inspectors = content / "inspectors.csv"
    inspectors.write_text(
        inspectors.read_text(encoding="utf-8").replace(",崇信县市场监督管理局,", ",scjg,"),
        encoding="utf-8",
    )
    poison_csv(inspectors, ("姓名", "专长"))
    results = [
        dataclasses.replace(
            r, detail=PAYLOAD, followup=dataclasses.replace(r.followup, note=PAYLOAD)
        )
        for r in mini_results()
    ]
    out = tmp_path / "site"
    # Every free-text field of a case and a notice (立案、查处进展、结案、抄告) is hostile too.
    facts = story_facts(results, [PAYLOAD])
    build_mini(out, content=content, results=results, task_facts=facts)
    assert (out / "followups" / "index.html").is_file()
    checked = 0
    seen_payload = 0
    for page in sorted(out.rglob("*")):
        if page.suffix not in (".html", ".xml", ".svg"):
            continue
        text = page.read_text(encoding="utf-8")
        checked += 1
        for bad in FORBIDDEN:
            assert bad not in text, f"{page.relative_to(out)} 含未转义的 {bad!r}"
        bad_tags = Audit.run(text)
        assert not bad_tags, f"{page.relative_to(out)}: {bad_tags[:3]}"
        assert not re.search(r"(?<!%\})JINJA", text), f"{page.relative_to(out)}: Jinja 语法被执行"
        assert "{{ 7*7 }}" not in text or "49" not in text.split("{{ 7*7 }}")[0][-3:]
        if "&lt;script&gt;alert(1)" in text:
            seen_payload += 1
    assert checked > 50
    # The payload is shown (escaped) on most pages: it is in the site name on every page.
    assert seen_payload >= checked // 2
    home = (out / "plans/2024/index.html").read_text(encoding="utf-8")
    assert "&lt;iframe" in home
    assert "javascript:alert(5)" not in home.split("<a ")[-1]


def test_audit_detects_injections() -> None:
    assert Audit.run('<a href="javascript:alert(1)">x</a>')
    assert Audit.run('<p title="x" onmouseover="alert(3)">')
    assert Audit.run("<img src=x>")
    assert Audit.run("<script>alert(2)</script>")
    assert not Audit.run('<p title="&lt;img src=x onerror=alert(2)&gt;">&lt;script&gt;</p>')


#: DOM sinks that parse a string as HTML: the search script must use none of them.
HTML_SINKS = (
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "DOMParser",
    "createContextualFragment",
    "srcdoc",
)


def test_search_values_reach_the_browser_as_text(tmp_path: Path) -> None:
    """The businesses' index (search/biz/) and Pagefind keep values as plain text, and Pagefind's
    stock UI inserts filter values as HTML: the search page must use only our text-only
    script, and the stock UI must not be published (docs/site.md §6.1)."""
    from generator.site.search import STOCK_UI_FILES, pagefind_available

    if not pagefind_available():
        pytest.skip("缺少 pagefind[extended]")
    content = copy_content(tmp_path)
    entities = content / "entities.csv"
    entities.write_text(
        entities.read_text(encoding="utf-8-sig").replace(",餐饮,", ",餐饮、<img src=x>,", 1),
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build_mini(out, content=content, search=True)
    bundle = out / "pagefind"
    assert (bundle / "pagefind.js").is_file()
    industries = json.loads((out / "search/biz/f/1.json").read_text(encoding="utf-8"))
    assert "<img src=x>" in industries  # what the browser receives is raw text, not HTML
    published = {p.name for p in out.rglob("*") if p.is_file()}
    assert not published & set(STOCK_UI_FILES)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "pagefind-ui" not in text, page
        assert "PagefindUI" not in text, page
    search = (out / "search/index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*>", search)
    assert scripts == [
        '<script src="../static/lookup.js" defer>',
        '<script src="../static/search.js" defer>',
    ]
    code = (out / "static/search.js").read_text(encoding="utf-8")
    for sink in HTML_SINKS:
        assert sink not in code, sink
