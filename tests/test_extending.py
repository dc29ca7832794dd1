"""A newcomer's changes are confined to the files docs/extending.md names (issue #13, "Done when").

Each change is made in a temporary copy of the repository, editing only the files listed in
docs/extending.md (§1.1 for a result category, §2.1 for a page type, §3.1 for a stratification
field; the page type and the stratification field are the document's own examples), and then
shown to reach every part of the product in that copy:

* a new result category is accepted by the verifier, offered and read back by the result form
  (检查结果录入表), and shown by the site (its category page, the statistics) — while the
  unchanged repository refuses it;
* a new page type is built into the site and listed in its sitemap;
* a new stratification field (a ``draw-v2`` that stratifies by ``scale`` too): an announcement
  of it is parsed with its rules, its draw re-run by the registered algorithm puts every drawn
  entity in the stratum of its class and scale, its replacement record parses, and the
  example ledger's ``draw-v1`` draws still verify — while the unchanged repository refuses it;
* the documentation tests of the copy (docs/domain.md §3.1, docs/workflow.md §2.3, the section
  references, the code limits) still pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger import canonical
from ledger.draw.snapshot import build_snapshot, snapshot_ref
from ledger.entries import make_entry, parse_entry
from ledger.errors import VerificationError
from ledger.examplekeys import example_signer
from ledger.payloads import ENTRY_TYPES
from ledger.tasks import TaskLedger

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
    _regenerate_workflow_doc(copy)
    return {"ledger/vocabulary.py", "docs/domain.md", "docs/workflow.md"}


def _regenerate_workflow_doc(copy: Path) -> None:
    """Replace the generated section of docs/workflow.md §2.3 with the copy's own output."""
    generated = _run(copy, "-m", "ledger.payloaddoc")
    workflow = copy / "docs" / "workflow.md"
    text = workflow.read_text(encoding="utf-8")
    begin, end = generated.splitlines()[0], generated.splitlines()[-1]
    head, rest = text.split(begin, 1)
    workflow.write_text(head + generated.rstrip("\n") + rest.split(end, 1)[1], encoding="utf-8")


#: docs/draw-v2.md as the newcomer writes it (its worked example left out of this test).
DRAW_V2_DOC = """# DRAW-V2: draws stratified by class and scale

DRAW-V2 is DRAW-V1 (`docs/draw-v1.md`) with its §2, §3 and §8 changed as below; every other
section, domain string and example rule is DRAW-V1's. Its algorithm string is `draw-v2`.

## 2. Snapshot files

An entity record also has `scale`, a non-empty string without `/`; a record without it is
refused.

## 3. Announcement

`schema` is `draw-v2/announce`, `algorithm` is `draw-v2`. `rules` also has `stratify_by`, a
non-empty list of entity record fields (`["stratum", "scale"]`); the strata of `rules.strata`
are named by those fields' values joined by `/` (`A/large`).

## 8. Entity sampling

Step 1: an eligible entity belongs to the stratum named by its `stratify_by` values joined by
`/`. The result record's `schema` is `draw-v2/result`, a replacement's `draw-v2/replace`.
"""


def _add_stratification(copy: Path) -> set[str]:
    """§3.1 with the document's own example (draw-v2, stratified by scale)."""
    rules = copy / "ledger" / "draw" / "rules.py"
    block = _code_block("python", "Example (`draw-v2`")
    rules.write_text(rules.read_text(encoding="utf-8") + "\n\n" + block, encoding="utf-8")
    reference = copy / "ledger" / "draw" / "reference.py"
    block = _code_block("python", "In `ledger/draw/reference.py`")
    text = reference.read_text(encoding="utf-8") + "\n\n" + block
    reference.write_text(text, encoding="utf-8")
    algorithms = copy / "ledger" / "draw" / "algorithms.py"
    block = _code_block("python", "In `ledger/draw/algorithms.py`")
    text = algorithms.read_text(encoding="utf-8")
    text = text.replace(
        "from ledger.draw.rules import Rules\n",
        "from ledger.draw import reference\nfrom ledger.draw.rules import Rules, RulesV2\n",
    )
    old = "DRAW_ALGORITHMS = DrawAlgorithms({ALGORITHM: DRAW_V1})"
    new = 'DRAW_ALGORITHMS = DrawAlgorithms({ALGORITHM: DRAW_V1, "draw-v2": DRAW_V2})'
    assert old in text
    algorithms.write_text(text.replace(old, block + "\n\n" + new), encoding="utf-8")
    (copy / "docs" / "draw-v2.md").write_text(DRAW_V2_DOC, encoding="utf-8")
    _regenerate_workflow_doc(copy)
    return {
        "ledger/draw/rules.py",
        "ledger/draw/reference.py",
        "ledger/draw/algorithms.py",
        "docs/draw-v2.md",
        "docs/workflow.md",
    }


def _v2_announcement(draws: Path) -> dict[str, Any]:
    """An example draw re-announced as draw-v2: ``{"announce", "entities", "reveals", …}``.

    Every entity gets a ``scale`` (every third ``large``), every stratum of the example's rules
    a ratio for each scale, and the announcement the new entity snapshot.
    """
    bodies = [
        canonical.loads(line)["body"]
        for line in (draws / "entries.jsonl").read_bytes().splitlines()
    ]
    announce = next(b for b in bodies if b["type"] == "draw.announce")
    task = [b for b in bodies if b.get("task_id") == announce["task_id"]]

    def blob(digest: str) -> bytes:
        return (draws / "blobs" / "sha256" / digest).read_bytes()

    pools = announce["pools"]
    records = [json.loads(line) for line in blob(pools["entities"]["sha256"]).splitlines()]
    for n, record in enumerate(records):
        record["scale"] = "large" if n % 3 == 0 else "small"
    entities = build_snapshot("entities", records)
    strata = [
        {"stratum": f"{s['stratum']}/{scale}", "ratio": s["ratio"]}
        for s in announce["rules"]["strata"]
        for scale in ("large", "small")
    ]
    rules = {**announce["rules"], "strata": strata, "stratify_by": ["stratum", "scale"]}
    return {
        "announce": {
            **announce, "schema": "draw-v2/announce", "algorithm": "draw-v2", "rules": rules,
            "pools": {**pools, "entities": snapshot_ref(entities)},
        },
        "entities": entities,
        "inspectors": blob(pools["inspectors"]["sha256"]),
        "conflicts": blob(pools["conflicts"]["sha256"]),
        "reveals": {b["dept"]: b["secret"] for b in task if b["type"] == "draw.reveal"},
        "beacon": next(b for b in task if b["type"] == "draw.beacon"),
        "strata": {r["id"]: f"{r['stratum']}/{r['scale']}" for r in records},
    }  # fmt: skip


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
from ledger.dept_vocabulary import DeptVocabularies

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
DeptVocabularies().check_words("scjg", [{NEW_WORD!r}], "x")  # what the task replay checks
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


#: Run in the copy: a draw-v2 announcement through the entry parser, its algorithm and the
#: replacement; then the example ledger (draw-v1) through the verifier.
DRAW_CHECKS = """
import sys
from pathlib import Path
sys.path[:0] = ["tests"]
from test_extending import _v2_announcement
from ledger.draw.algorithms import DRAW_ALGORITHMS
from ledger.entries import make_entry, parse_entry
from ledger.examplekeys import example_signer
from ledger.payloads import ENTRY_TYPES, DrawReplace
from ledger.verify import verify_directory

v2 = _v2_announcement(Path("draws"))
entry = parse_entry(make_entry("o", v2["announce"], [example_signer("k")]))
announce = ENTRY_TYPES.parse(entry, "x")
assert type(announce.rules).__name__ == "RulesV2", announce.rules
assert announce.rules.stratify_by == ("stratum", "scale")
algorithm = DRAW_ALGORITHMS.get_algorithm(announce.algorithm)
inputs = (v2["entities"], v2["inspectors"], v2["conflicts"], v2["reveals"], v2["beacon"])
result = algorithm.run(v2["announce"], *inputs)
assert result["schema"] == "draw-v2/result"
drawn = [(s["stratum"], d["id"]) for s in result["strata"] for d in s["drawn"]]
assert {s.split("/")[1] for s, _ in drawn} == {"large", "small"}, drawn
assert all(v2["strata"][i] == s for s, i in drawn), drawn
record = algorithm.replace(v2["announce"], v2["entities"], result, drawn[0][1], "已注销")
assert (record["schema"], record["stratum"]) == ("draw-v2/replace", drawn[0][0]), record
assert record["replacement"] is None or v2["strata"][record["replacement"]["id"]] == drawn[0][0]
common = {"type": "draw.replace", "id": "draw.replace/x/1", "ts": v2["beacon"]["ts"]}
body = ENTRY_TYPES.parse_body({**common, "dept": v2["announce"]["dept"], **record})
assert isinstance(body, DrawReplace)
assert verify_directory("draws", update_pin=False).draws_checked > 0
print("OK")
"""


@pytest.fixture(scope="module")
def changed_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    copy = tmp_path_factory.mktemp("extending") / "repo"
    shutil.copytree(ROOT, copy, ignore=_IGNORE)
    edited = {
        "result category": _add_category(copy),
        "page type": _add_page_type(copy),
        "stratification field": _add_stratification(copy),
    }
    return copy, edited


def test_the_changes_edit_only_the_listed_files(
    changed_copy: tuple[Path, dict[str, set[str]]],
) -> None:
    _, edited = changed_copy
    assert edited["result category"] == set(listed_files("result category"))
    named = {p.replace("<name>", "contact") for p in listed_files("page type")}
    assert edited["page type"] == named
    assert edited["stratification field"] == set(listed_files("stratification field"))


def test_the_copy_differs_from_the_repository_only_in_the_edited_files(
    changed_copy: tuple[Path, dict[str, set[str]]],
) -> None:
    """Nothing else was touched: every other file of the copy is byte for byte the original."""
    copy, edited = changed_copy
    touched = set().union(*edited.values())
    differ = set()
    for path in copy.rglob("*"):
        rel = path.relative_to(copy).as_posix()
        if not path.is_file() or rel in touched or _IGNORE(str(path.parent), [path.name]):
            continue
        if "__pycache__" in rel or ".hypothesis" in rel:
            continue  # written by running the copy
        if not (ROOT / rel).is_file() or (ROOT / rel).read_bytes() != path.read_bytes():
            differ.add(rel)
    assert sorted(differ) == []


def test_the_unchanged_repository_refuses_the_new_draw_algorithm() -> None:
    line = make_entry("o", _v2_announcement(ROOT / "draws")["announce"], [example_signer("k")])
    with pytest.raises(VerificationError, match="未知的抽取算法 'draw-v2/announce'"):
        ENTRY_TYPES.parse(parse_entry(line), "x")


def test_the_unchanged_repository_refuses_the_new_category() -> None:
    body = {"type": "result.publish", "id": "r/x", "ts": "2024-06-30T01:00:00Z", "dept": "scjg"}
    result = {
        "entity": "E1", "items": ["S"], "methods": ["现场检查"], "categories": [NEW_WORD],
        "detail": "", "inspectors": ["I1"], "inspected_on": "2024-05-01",
        "completed_on": "2024-05-01",
        "followup": {"measure": "其他", "state": "未完结"},
    }  # fmt: skip
    line = make_entry("o", {**body, "task_id": "T", "result": result}, [example_signer("k")])
    # The shape is right (a department may have its own words, docs/workflow.md §10); the task
    # replay refuses a word that is neither the form's nor the department's.
    entry = parse_entry(line, 3)
    ENTRY_TYPES.parse(entry, "x")
    with pytest.raises(
        VerificationError, match=f"检查结果“{NEW_WORD}”不是省级检查结果录入表的用语"
    ):
        TaskLedger().apply(entry, 3)


@pytest.mark.slow
def test_the_changes_reach_verifier_form_and_site(
    changed_copy: tuple[Path, dict[str, set[str]]],
) -> None:
    copy, _ = changed_copy
    assert _run(copy, "-c", CHECKS).strip().endswith("OK")


@pytest.mark.slow
def test_the_new_draw_algorithm_reaches_parser_draw_and_verifier(
    changed_copy: tuple[Path, dict[str, set[str]]],
) -> None:
    copy, _ = changed_copy
    assert _run(copy, "-c", DRAW_CHECKS).strip().endswith("OK")


@pytest.mark.slow
def test_the_documentation_tests_pass_in_the_changed_copy(
    changed_copy: tuple[Path, dict[str, set[str]]],
) -> None:
    copy, _ = changed_copy
    _run(
        copy, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/generator/test_domain_doc.py", "tests/ledger/test_payloads.py",
        "tests/test_code_limits.py", "tests/test_self_contained.py",
    )  # fmt: skip
