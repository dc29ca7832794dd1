"""The hostile-text corpus of the XSS tests: payloads, the YAML and CSV poisoners, and an HTML
audit that finds injected tags, event handlers and ``javascript:`` URLs."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

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


class Audit(HTMLParser):
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


def yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def poison_yaml(path: Path) -> None:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        payload = PAYLOADS[n % len(PAYLOADS)]
        m = re.match(r"^(\s*(?:- )?)(\w+): (?!\[|\{|>)(.+)$", line)
        if m and m.group(2) in YAML_KEYS:
            value = m.group(3).strip().strip("'\"")
            extra = SHORT if m.group(2) == "industry" else payload
            line = f"{m.group(1)}{m.group(2)}: {yaml_quote(value + extra)}"
        elif re.match(r"^\s+- 《", line):
            head, value = line.split("- ", 1)
            line = head + "- " + yaml_quote(value + payload)
        out.append(line)
    text = "\n".join(out) + "\n"
    # A Markdown note with a javascript: link and raw HTML.
    text = text.replace("note: '", "note: '[点我](javascript:alert(5)) <iframe src=x></iframe> ", 1)
    path.write_text(text, encoding="utf-8")


def poison_csv(path: Path, columns: tuple[str, ...]) -> None:
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
