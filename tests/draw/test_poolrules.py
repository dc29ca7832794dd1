"""The verifier's ratio limits and item rules (ledger/draw/poolrules.py; docs/workflow.md §6.1,
docs/content.md §10): the worked examples of docs/content.md §10.3 on the draw's own counts."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ledger import canonical
from ledger.draw.poolrules import ItemRule, PoolAudit, parse_item_rule
from ledger.errors import VerificationError
from ledger.tasks import TaskRecord

TENTH = (1, 10)


def _audit(rule: ItemRule, *others: ItemRule) -> tuple[PoolAudit, TaskRecord]:
    audit = PoolAudit()
    items = [f"I{n}" for n in range(1 + len(others))]
    audit.parts["T"] = {"scjg": tuple(items)}
    audit.rules["P"] = dict(zip(items, (rule, *others), strict=True))
    return audit, TaskRecord("T", "P", "single", "scjg", ("scjg",))


def _result(*strata: tuple[int, int]) -> dict[str, Any]:
    return {"strata": [{"eligible": n, "k": k} for n, k in strata]}


def test_the_cap_counts_the_whole_draw_rounded_up() -> None:
    """33 eligible (11/17/4/1) under a 10% cap: ⌈3.3⌉ = 4 may be drawn, 5 may not."""
    audit, record = _audit(ItemRule(True, TENTH, None, None))
    audit.result(record, _result((11, 1), (17, 1), (4, 1), (1, 1)))
    with pytest.raises(VerificationError) as caught:
        audit.result(record, _result((11, 2), (17, 1), (4, 1), (1, 1)))
    assert "可抽取 33 户，按一般检查事项 I0 的比例上限 10% 最多抽取 4 户，实际抽取 5 户" in str(
        caught.value
    )


def test_the_smallest_cap_of_the_general_items_binds_and_key_items_have_none() -> None:
    audit, record = _audit(
        ItemRule(True, (1, 2), None, None),
        ItemRule(True, (1, 5), None, None),
        ItemRule(False, None, None, None),
    )
    with pytest.raises(VerificationError, match="I1 的比例上限 20% 最多抽取 2 户"):
        audit.result(record, _result((10, 3)))
    key_only, record = _audit(ItemRule(False, None, None, None))
    key_only.result(record, _result((10, 10)))


def test_the_minimum_ratio_counts_the_whole_draw() -> None:
    audit, record = _audit(ItemRule(False, None, TENTH, None))
    audit.result(record, _result((33, 4)))
    with pytest.raises(VerificationError, match="比例下限 10% 至少须抽取 4 户，实际只抽取 2 户"):
        audit.result(record, _result((11, 1), (17, 1), (4, 0), (1, 0)))


def _announce(*ratios: str) -> Any:
    strata = [SimpleNamespace(stratum=s, ratio=r) for s, r in zip("ABCD", ratios, strict=False)]
    return SimpleNamespace(rules=SimpleNamespace(strata=strata))


def test_announced_ratios_stay_between_the_minimum_and_the_cap() -> None:
    audit, record = _audit(ItemRule(True, (3, 10), (1, 20), None))
    rules = audit.rules["P"]
    assert rules is not None
    audit._ratios(record, _announce("0.05", "0.3", "0.1", "0.3"), rules)
    with pytest.raises(VerificationError, match="分类 B 的抽查比例 31% 高于一般检查事项 I0"):
        audit._ratios(record, _announce("0.1", "0.31"), rules)
    with pytest.raises(
        VerificationError, match="分类 C 的抽查比例 0% 低于检查事项 I0 的比例下限 5%"
    ):
        audit._ratios(record, _announce("0.1", "0.1", "0", "0.1"), rules)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (
            {"class": "一般", "ratio_cap": None, "min_ratio": None, "frequency": None},
            "须设抽查比例上限",
        ),
        (
            {"class": "重点", "ratio_cap": "0.5", "min_ratio": None, "frequency": None},
            "不设抽查比例上限",
        ),
        (
            {"class": "一般", "ratio_cap": "0.1", "min_ratio": "0.2", "frequency": None},
            "下限高于比例上限",
        ),
        (
            {"class": "一般", "ratio_cap": "0.1", "min_ratio": None, "frequency": 0},
            "frequency 应为",
        ),
        ({"class": "一般", "ratio_cap": 0.1, "min_ratio": None, "frequency": None}, "ratio_cap"),
        ({"class": "一般", "ratio_cap": "0.1", "min_ratio": None}, "四项"),
        ({"class": "普通", "ratio_cap": "0.1", "min_ratio": None, "frequency": None}, "class"),
    ],
)
def test_item_rules_are_checked(value: dict[str, Any], error: str) -> None:
    with pytest.raises(VerificationError, match=error):
        parse_item_rule("SJ-01", value)
    assert parse_item_rule(
        "SJ-01", {"class": "一般", "ratio_cap": "0.1", "min_ratio": "0.05", "frequency": 2}
    ) == ItemRule(True, (1, 10), (5, 100), 2)


def _plan(document: dict[str, Any]) -> tuple[Any, Any]:
    body = SimpleNamespace(
        plan_id="P", document=SimpleNamespace(sha256="h"), tasks=[SimpleNamespace(task_id="T")]
    )
    return body, lambda digest: canonical.dumps(document)


def test_a_plan_without_item_rules_is_reported_and_one_missing_an_item_refused() -> None:
    task = {"id": "T", "parts": [{"dept": "scjg", "items": ["I0", "I1"]}]}
    audit = PoolAudit()
    audit.plan(*_plan({"tasks": [task]}))
    assert audit.rules["P"] is None
    assert audit.parts["T"] == {"scjg": ("I0", "I1")}
    assert "未记录检查事项的抽查比例和抽查频次" in audit.warnings[0]
    rule = {"class": "重点", "ratio_cap": None, "min_ratio": None, "frequency": 1}
    with pytest.raises(VerificationError, match="缺少任务 T 中 scjg 的检查事项 I1"):
        PoolAudit().plan(*_plan({"tasks": [task], "item_rules": {"I0": rule}}))


def test_the_documented_item_rules_are_those_of_the_example_plan() -> None:
    """docs/workflow.md §6.1 quotes two items of the example plan's ``item_rules`` byte for byte."""
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "workflow.md").read_text("utf-8")
    section = doc[doc.index("### 6.1") : doc.index("## 7.")]
    quoted = section.split("```json\n", 1)[1].split("\n```", 1)[0]
    excerpt = canonical.loads(quoted.encode())
    blobs = [blob.read_bytes() for blob in (root / "draws" / "blobs" / "sha256").iterdir()]
    plans = [canonical.loads(b) for b in blobs if b.startswith(b"{") and b'"item_rules"' in b]
    (plan,) = plans
    assert canonical.dumps({k: plan["item_rules"][k] for k in excerpt}) == quoted.encode()
    for item, rule in plan["item_rules"].items():
        parse_item_rule(item, rule)
