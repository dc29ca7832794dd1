"""Category and follow-up measure agree (docs/domain.md §3.4); the current wordings exist."""

from __future__ import annotations

import pytest

from generator.content.results import FollowUpMeasure, ResultCategory, measure_mismatch

M = FollowUpMeasure
C = ResultCategory


@pytest.mark.parametrize(
    ("measure", "categories"),
    [
        (M.RECTIFY, ["违反市场监管相关规定"]),
        (M.RECTIFY, ["违反本部门相关规定"]),
        (M.RECTIFY, ["违反食品药品管理相关规定", "发现问题经责令已改正"]),
        (M.RECTIFY, ["违反其他部门相关规定", "违反本部门相关规定"]),
        (M.NOTIFY_OTHER_DEPT, ["违反其他部门相关规定"]),
        (M.NOTIFY_OTHER_DEPT, ["违反公安部门相关规定"]),
        (M.TO_DAILY_SUPERVISION, ["通过登记的住所（经营场所）无法联系"]),
        (M.NONE_NEEDED, ["未发现问题"]),
    ],
)
def test_coherent_pairs_pass(measure: FollowUpMeasure, categories: list[str]) -> None:
    assert measure_mismatch(measure, [C(c) for c in categories]) is None


@pytest.mark.parametrize(
    ("measure", "categories", "says"),
    [
        (M.RECTIFY, ["违反其他部门相关规定"], "须有违反本部门规定的检查结果"),
        (M.RECTIFY, ["通过登记的住所（经营场所）无法联系"], "须有违反本部门规定的检查结果"),
        (M.NOTIFY_OTHER_DEPT, ["违反市场监管相关规定"], "须有检查结果“违反其他部门相关规定”"),
    ],
)
def test_contradictions_are_named(
    measure: FollowUpMeasure, categories: list[str], says: str
) -> None:
    why = measure_mismatch(measure, [C(c) for c in categories])
    assert why is not None
    assert says in why


def test_the_current_wordings_have_their_own_codes() -> None:
    assert (C("违反市场监管相关规定").code, C("违反本部门相关规定").code) == ("H", "I")
    assert C("违反市场监管相关规定").problem_found
