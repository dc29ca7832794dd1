"""The one definition of the DRAW-V1 rules (ledger/draw/rules.py, docs/draw-v1.md §3): checked
when parsed, by the entry parser and by the draw alike, and the wider form of §3 read with the
same meaning."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rules_kit import DEFAULTS

from ledger.draw.rules import Rules, read_rules
from ledger.errors import MalformedError
from ledger.schema import BodyError, parse


def _dept(name: str, **extra: Any) -> dict[str, Any]:
    return {"dept": name, "per_entity": 1, "required_tags": [], **extra}


def _limits(rules: dict[str, Any]) -> dict[str, int | None]:
    return {d.dept: d.max_load for d in read_rules({**DEFAULTS, **rules}).staffing()}


def test_max_load_at_both_levels_as_section_3_says() -> None:
    """§3's example: rules.max_load 6; a has no key (6), b has 2, c has null (no limit)."""
    depts = [_dept("a"), _dept("b", max_load=2), _dept("c", max_load=None)]
    assert _limits({"lead": "a", "departments": depts, "max_load": 6}) == {
        "a": 6,
        "b": 2,
        "c": None,
    }
    assert _limits({"lead": "a", "departments": depts, "max_load": None}) == {
        "a": None,
        "b": 2,
        "c": None,
    }
    assert _limits({"lead": "a", "departments": depts[:2]}) == {"a": None, "b": 2}


def test_the_wider_form_is_read_into_the_profile_value() -> None:
    rules = {**DEFAULTS, "departments": [_dept("a", per_entity=2, max_load=None)], "max_load": 3}
    del rules["exclude_inspected_within_days"]
    with pytest.raises(MalformedError, match=r"rules\.exclude_inspected_within_days：缺少必填字段"):
        read_rules(rules)
    rules["exclude_inspected_within_days"] = None
    typed = read_rules(rules)  # min_count absent, a null department limit
    assert (typed.min_count, typed.minimum) == (None, 0)
    assert (typed.max_load, typed.departments[0].max_load) == (None, None)
    with pytest.raises(BodyError, match="应为整数，实为null"):  # the ledger's profile (§14.5)
        parse(Rules, {**rules, "min_count": None})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strata": [{"stratum": "A", "ratio": "1"}] * 2}, r"rules\.strata\[1\]\.stratum：层级 'A' 重复"),
        ({"strata": [{"stratum": "A", "ratio": "1.5"}]}, r"rules\.strata\[0\]\.ratio：ratio '1.5' 大于 1"),
        ({"strata": [{"stratum": "A", "ratio": 0.5}]}, r"rules\.strata\[0\]\.ratio：应为字符串"),
        ({"strata": [{"stratum": "A\u0301", "ratio": "1"}]}, r"rules\.strata\[0\]\.stratum：不是 Unicode NFC"),
        ({"departments": [_dept("a")] * 2, "lead": "a"}, r"rules\.departments\[1\]\.dept：部门 'a' 重复"),
        ({"departments": [_dept("a")]}, r"rules\.departments\[0\]\.per_entity：单部门任务"),
        ({"lead": "x"}, r"rules\.lead：应为参与抽查的部门之一"),
        ({"departments": [_dept("a", per_entity=2, required_tags=["t", "t"])]},
         r"rules\.departments\[0\]\.required_tags：有重复的标签"),
        ({"max_load": 0}, r"rules\.max_load：应为 integer ≥ 1"),
        ({"min_count": -1}, r"rules\.min_count：应为 integer ≥ 0"),
        ({"extra": 1}, r"rules\.extra：是未定义的字段"),
    ],
)  # fmt: skip
def test_every_rule_of_section_3_is_checked_when_parsed(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(MalformedError, match=message):
        read_rules({**DEFAULTS, **change})
    profile = {**DEFAULTS, "min_count": None, **change}
    with pytest.raises(BodyError):  # the entry parser checks the same rules
        parse(Rules, profile)


def test_not_an_object() -> None:
    with pytest.raises(MalformedError, match="rules：应为对象，实为数组"):
        read_rules([])


def test_staffing_is_in_utf8_order_with_the_limit_that_applies() -> None:
    rules = read_rules(
        {**DEFAULTS, "lead": "乙", "max_load": 4,
         "departments": [_dept("乙"), _dept("b", max_load=1), _dept("a")]}
    )  # fmt: skip
    staffing = rules.staffing()
    assert [d.dept for d in staffing] == ["a", "b", "乙"]
    assert [d.max_load for d in staffing] == [4, 1, 4]
    assert [rules.load_limit(d) for d in rules.departments] == [4, 1, 4]  # the site shows these
    assert staffing[0] == dataclasses.replace(rules.departments[2], max_load=4)
    assert rules.departments[0].max_load is None  # the parsed value is unchanged
    assert [s.fraction for s in read_rules(DEFAULTS).strata] == [(1, 1)]
