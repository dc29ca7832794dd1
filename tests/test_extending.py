"""A newcomer's changes are confined to the files docs/extending.md names (issue #13, "Done when").

Each change is made in a temporary copy of the repository, editing only the files listed in
docs/extending.md (§1.1 for a result category, §2.1 for a page type; the page type is the
document's own example), and then shown to reach every part of the product in that copy:

* a new result category is accepted by the verifier, offered and read back by the result form
  (检查结果录入表), and shown by the site (its category page, the statistics) — while the
  unchanged repository refuses it;
* a new page type is built into the site and listed in its sitemap;
* the documentation tests of the copy (docs/domain.md §3.1, docs/workflow.md §2.3) still pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.entries import make_entry, parse_entry
from ledger.errors import VerificationError
from ledger.examplekeys import example_signer
from ledger.payloads import ENTRY_TYPES

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
NEW_WORD = "违反安全生产相关规定"
NEW_ROW = f'    Category("WORK_SAFETY", "{NEW_WORD}", "H", True),\n'
#: Not copied: version control, caches, build output and the golden site (not needed here).
_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".hypothesis", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", "_site", "golden", "*.egg-info",
)  # fmt: skip


def listed_files(kind: str) -> list[str]:
    """The files docs/extending.md lists between ``<!-- files: kind -->`` and its end."""
    block = DOC.split(f"<!-- files: {kind} -->", 1)[1].split("<!-- end files -->", 1)[0]
    return re.findall(r"^- `([^`]+)`", block, re.MULTILINE)


def _code_block(language: str, after: str) -> str:
    tail = DOC.split(after, 1)[1]
    return tail.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def _run(copy: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(copy), "GONGKAI_TEMPLATES": str(copy / "site_templates")}
    done = subprocess.run(
        [sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _add_category(copy: Path) -> set[str]:
    """§1.1, step by step; returns the files edited."""
    vocabulary = copy / "ledger" / "vocabulary.py"
    text = vocabulary.read_text(encoding="utf-8")
    last = '    Category("MOVED_OUT", "迁出", "12", False),\n'
    vocabulary.write_text(text.replace(last, last + NEW_ROW), encoding="utf-8")
    domain = copy / "docs" / "domain.md"
    text = domain.read_text(encoding="utf-8")
    last = "| 12 | 迁出 | no |\n"
    domain.write_text(text.replace(last, last + f"| H | {NEW_WORD} | yes |\n"), encoding="utf-8")
    generated = _run(copy, "-m", "ledger.payloads")
    workflow = copy / "docs" / "workflow.md"
    text = workflow.read_text(encoding="utf-8")
    begin, end = generated.splitlines()[0], generated.splitlines()[-1]
    head, rest = text.split(begin, 1)
    workflow.write_text(head + generated.rstrip("\n") + rest.split(end, 1)[1], encoding="utf-8")
    return {"ledger/vocabulary.py", "docs/domain.md", "docs/workflow.md"}


def _add_page_type(copy: Path) -> set[str]:
    """§2.1 with the document's own example (contact)."""
    module = copy / "generator" / "site" / "pagetypes" / "contact.py"
    module.write_text(_code_block("python", "Example ("), encoding="utf-8")
    template = copy / "site_templates" / "contact.html"
    template.write_text(_code_block("jinja", "Example ("), encoding="utf-8")
    return {"generator/site/pagetypes/contact.py", "site_templates/contact.html"}


#: Run in the copy: the category through verifier, form and site; the page type in the site.
CHECKS = f"""
import dataclasses, sys, tempfile
from pathlib import Path
sys.path[:0] = ["tests/site", "tests/workflow"]
import form_kit as fk, openpyxl
from site_helpers import build_mini
from site_results import mini_results
from generator.content.results import ResultCategory
from generator.workflow.forms import OPTIONS_SHEET
from generator.workflow.records import result_body
from ledger.entries import make_entry, parse_entry
from ledger.examplekeys import example_signer
from ledger.payloads import ENTRY_TYPES

new = ResultCategory({NEW_WORD!r})
assert (new.code, new.problem_found) == ("H", True)
tmp = Path(tempfile.mkdtemp())
# the result form offers the category and reads it back
xlsx, _ = fk.write(tmp)
options = [c.value for c in openpyxl.load_workbook(xlsx)[OPTIONS_SHEET]["A"]]
assert {NEW_WORD!r} in options, options
fk.fill_xlsx(xlsx, fk.merged({{4: {{"检查结果1": {NEW_WORD!r}}}}}))
parsed = fk.read(xlsx)[2]
assert parsed.categories == (new,), parsed.categories
# the verifier accepts the body the form gives
body = {{"type": "result.publish", "id": "result.publish/x", "ts": "2024-06-30T01:00:00Z",
        "dept": "scjg", "task_id": fk.TASK_ID, "result": result_body(**parsed.body_kwargs())}}
ENTRY_TYPES.parse(parse_entry(make_entry("o", body, [example_signer("k")])), "x")
# the site shows it, and builds the new page type
results = mini_results()
results[0] = dataclasses.replace(results[0], categories=(new,))
out = tmp / "site"
build_mini(out, results=results)
assert {NEW_WORD!r} in (out / "results/category/H/index.html").read_text(encoding="utf-8")
assert {NEW_WORD!r} in (out / "results/stats/index.html").read_text(encoding="utf-8")
contact = (out / "contact/index.html").read_text(encoding="utf-8")
assert "<h1>联系方式</h1>" in contact and "崇信县卫生健康局" in contact, contact
assert "contact/" in (out / "sitemap.xml").read_text(encoding="utf-8")
print("OK")
"""


@pytest.fixture(scope="module")
def changed_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    copy = tmp_path_factory.mktemp("extending") / "repo"
    shutil.copytree(ROOT, copy, ignore=_IGNORE)
    return copy, _add_category(copy), _add_page_type(copy)


def test_the_changes_edit_only_the_listed_files(
    changed_copy: tuple[Path, set[str], set[str]],
) -> None:
    _, category, page = changed_copy
    assert category == set(listed_files("result category"))
    named = {p.replace("<name>", "contact") for p in listed_files("page type")}
    assert page == named


def test_the_unchanged_repository_refuses_the_new_category() -> None:
    body = {"type": "result.publish", "id": "r/x", "ts": "2024-06-30T01:00:00Z", "dept": "scjg"}
    result = {
        "entity": "E1", "items": ["S"], "methods": ["现场检查"], "categories": [NEW_WORD],
        "detail": "", "inspectors": ["I1"], "inspected_on": "2024-05-01",
        "completed_on": "2024-05-01",
        "followup": {"measure": "其他", "state": "未完结"},
    }  # fmt: skip
    line = make_entry("o", {**body, "task_id": "T", "result": result}, [example_signer("k")])
    with pytest.raises(VerificationError, match="不在规定的选项中"):
        ENTRY_TYPES.parse(parse_entry(line), "x")


@pytest.mark.slow
def test_the_changes_reach_verifier_form_and_site(
    changed_copy: tuple[Path, set[str], set[str]],
) -> None:
    copy, _, _ = changed_copy
    assert _run(copy, "-c", CHECKS).strip().endswith("OK")


@pytest.mark.slow
def test_the_documentation_tests_pass_in_the_changed_copy(
    changed_copy: tuple[Path, set[str], set[str]],
) -> None:
    copy, _, _ = changed_copy
    _run(
        copy, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/generator/test_domain_doc.py", "tests/ledger/test_payloads.py",
        "tests/test_code_limits.py",
    )  # fmt: skip
