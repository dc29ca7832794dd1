"""docs/domain.md states exactly the vocabularies, tables and vectors the code applies.

The document is the normative source of the regulatory rules (with their public addresses);
these tests read its tables and compare them with the code, so neither can drift alone.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from generator.content.model import InspectionMethod
from generator.content.results import FollowUpMeasure, ResultCategory
from generator.content.uscc import REGISTRATION_CLASSES, USCC_CHARSET, uscc_check_char
from generator.content.workdays import CalendarUnavailableError, publication_deadline
from generator.site.data import DIVISION_NAMES
from generator.workflow.forms import CATEGORY_ALIASES, CATEGORY_GROUPS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "domain.md").read_text(encoding="utf-8")


def section(number: str) -> str:
    """The text of ``### number`` (or ``## number.``) up to the next heading of any level."""
    found = re.search(rf"^#{{2,3}} {re.escape(number)}\.? .*?(?=^#{{2,3}} |\Z)", DOC, re.M | re.S)
    assert found is not None, f"docs/domain.md has no section {number}"
    return found.group(0)


def rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``text``, cells stripped."""
    out = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            out.append([c.strip() for c in line.strip("|").split("|")])
    return out


def test_result_categories() -> None:
    table = rows(section("3.1"))[1:]
    documented = {(code, wording, flag == "yes") for code, wording, flag in table}
    actual = {(c.code, c.value, c.problem_found) for c in ResultCategory}
    assert documented == actual
    text = section("3.1")
    for group in CATEGORY_GROUPS:
        assert f"`{group}`" in text
    for old, new in CATEGORY_ALIASES.items():
        assert f"`{old}` → `{new.value}`" in text


def test_follow_up_measures_and_methods() -> None:
    measures = re.findall(r"^\d\. (.+)$", section("3.2"), re.M)
    assert measures == [m.value for m in FollowUpMeasure]
    methods = section("3.3").split("One or more of:", 1)[1].split("(", 1)[0]
    assert [m.strip(" ,\n") for m in methods.split(",")] == [m.value for m in InspectionMethod]


def test_registration_class_table() -> None:
    header, values = rows(section("7.1"))[-2:]
    assert dict(zip(header, (v.replace(" ", "") for v in values), strict=True)) == (
        REGISTRATION_CLASSES
    )


@pytest.mark.parametrize(
    ("code", "check"),
    [("91350100M000100Y4", "3"), ("91440300192203821", "6"), ("9144030071526726X", "G")],
)
def test_check_character_vectors(code: str, check: str) -> None:
    assert f"`{code}{check}`" in section("7.2")
    assert uscc_check_char(code) == check
    assert f"`{USCC_CHARSET}`" in section("7.2")


def test_division_names() -> None:
    documented = {}
    for row in rows(section("8"))[1:]:
        documented.update({row[0]: row[1], row[2]: row[3]})
    assert documented == DIVISION_NAMES


def test_publication_deadline_vectors() -> None:
    table = rows(section("4.2"))
    vectors = [r for r in table if re.match(r"\d{4}-\d\d-\d\d", r[0])]
    assert len(vectors) == 5
    for completed, deadline, _ in vectors:
        day = dt.date.fromisoformat(completed.split()[0])
        if deadline == "none":
            with pytest.raises(CalendarUnavailableError):
                publication_deadline(day)
        else:
            assert publication_deadline(day) == dt.date.fromisoformat(deadline)
