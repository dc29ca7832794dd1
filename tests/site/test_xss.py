"""Hostile text in every content field and result field never reaches the HTML unescaped."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from site_helpers import build_mini, copy_content
from site_results import mini_results

#: Short payloads (fields have length limits); every field gets one of them appended.
PAYLOADS = (
    '<script>alert(1)</script>"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3) {{ 7*7 }}{% if true %}JINJA{% endif %}",
    "javascript:alert(4) </textarea></title><svg onload=alert(5)>",
)
PAYLOAD = "".join(PAYLOADS)
SHORT = "<script>alert(1)</script>"
YAML_KEYS = (
    "name",
    "region_name",
    "description",
    "title",
    "category",
    "subject",
    "source",
    "note",
    "industry",
)
#: What must never appear in an HTML or XML output.
FORBIDDEN = (
    "<script>alert",
    "<img src=x",
    'href="javascript:',
    "href='javascript:",
    "<svg onload",
    "</textarea></title>",
)


class _Audit(HTMLParser):
    """Parses a page and records event-handler attributes, javascript: URLs, injected tags and
    scripts that mention the payloads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.in_script = False

    @classmethod
    def run(cls, text: str) -> list[str]:
        audit = cls()
        audit.feed(text)
        audit.close()
        return audit.bad

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "iframe", "textarea") or (
            tag == "svg" and attrs and attrs[0][0] == "onload"
        ):
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.bad.append(f"{tag} {name}={value}")
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and "alert(" in data:
            self.bad.append("script: " + data[:40])


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _poison_yaml(path: Path) -> None:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        payload = PAYLOADS[n % len(PAYLOADS)]
        m = re.match(r"^(\s*(?:- )?)(\w+): (?!\[|\{|>)(.+)$", line)
        if m and m.group(2) in YAML_KEYS:
            value = m.group(3).strip().strip("'\"")
            extra = SHORT if m.group(2) == "industry" else payload
            line = f"{m.group(1)}{m.group(2)}: {_yaml_quote(value + extra)}"
        elif re.match(r"^\s+- 《", line):
            head, value = line.split("- ", 1)
            line = head + "- " + _yaml_quote(value + payload)
        out.append(line)
    text = "\n".join(out) + "\n"
    # A Markdown note with a javascript: link and raw HTML.
    text = text.replace("note: '", "note: '[点我](javascript:alert(5)) <iframe src=x></iframe> ", 1)
    path.write_text(text, encoding="utf-8")


def _poison_csv(path: Path, columns: tuple[str, ...]) -> None:
    raw = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    header = rows[0]
    idx = [header.index(c) for c in columns if c in header]
    for row in rows[1:]:
        for i in idx:
            if row[i]:
                row[i] = row[i] + PAYLOADS[(len(row[i]) + i) % len(PAYLOADS)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_xss_corpus_is_escaped_everywhere(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    for name in ("gongkai.yaml", "departments.yaml", "checklist.yaml", "plans/2024.yaml"):
        _poison_yaml(content / name)
    _poison_csv(content / "entities.csv", ("名称", "住所"))
    inspectors = content / "inspectors.csv"
    inspectors.write_text(
        inspectors.read_text(encoding="utf-8").replace(",崇信县市场监督管理局,", ",scjg,"),
        encoding="utf-8",
    )
    _poison_csv(inspectors, ("姓名", "专长"))
    results = [
        dataclasses.replace(
            r, detail=PAYLOAD, followup=dataclasses.replace(r.followup, note=PAYLOAD)
        )
        for r in mini_results()
    ]
    out = tmp_path / "site"
    build_mini(out, content=content, results=results)
    checked = 0
    seen_payload = 0
    for page in sorted(out.rglob("*")):
        if page.suffix not in (".html", ".xml", ".svg"):
            continue
        text = page.read_text(encoding="utf-8")
        checked += 1
        for bad in FORBIDDEN:
            assert bad not in text, f"{page.relative_to(out)} 含未转义的 {bad!r}"
        bad_tags = _Audit.run(text)
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
    assert _Audit.run('<a href="javascript:alert(1)">x</a>')
    assert _Audit.run('<p title="x" onmouseover="alert(3)">')
    assert _Audit.run("<img src=x>")
    assert _Audit.run("<script>alert(2)</script>")
    assert not _Audit.run('<p title="&lt;img src=x onerror=alert(2)&gt;">&lt;script&gt;</p>')
