"""The draw algorithms are a value passed to the auditor (ledger/draw/algorithms.py).

A recorded draw is re-run by the algorithm its announcement names, looked up in the
``DrawAlgorithms`` given to ``verify_directory``: a verifier that lacks it refuses the draw
instead of re-running it with another algorithm, and a mapping with a further algorithm needs
no change to the auditor (docs/extending.md §3).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import canonical
from ledger.draw.algorithms import DRAW_ALGORITHMS, DRAW_V1, DrawAlgorithms
from ledger.draw.result import run_draw
from ledger.draw.rules import DeptRule, Rules, StratumRule
from ledger.entries import Entry, make_entry, parse_entry
from ledger.errors import VerificationError
from ledger.examplekeys import example_signer
from ledger.payloads import ENTRY_TYPES, DrawAnnounce
from ledger.schema import ListOf, Object, Text, encode, payload, spec
from ledger.verify import verify_directory

DRAWS = Path(__file__).resolve().parents[2] / "draws"


def test_recorded_draws_are_rerun_by_the_algorithm_passed_in() -> None:
    calls: list[str] = []

    def counted_run(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(args[0]["task_id"])
        # the rules as the entry parser read them: the draw does not parse them again
        assert isinstance(kwargs["rules"], Rules)
        assert encode(kwargs["rules"]) == args[0]["rules"]
        return run_draw(*args, **kwargs)

    algorithms = DrawAlgorithms({"draw-v1": dataclasses.replace(DRAW_V1, run=counted_run)})
    report = verify_directory(DRAWS, algorithms=algorithms)
    assert report.draws_checked > 0
    assert len(calls) == report.draws_checked


def test_a_verifier_without_the_announced_algorithm_refuses_the_draw() -> None:
    with pytest.raises(VerificationError, match="未知的抽取算法 'draw-v1'"):
        verify_directory(DRAWS, algorithms=DrawAlgorithms({}))


def test_the_mapping_is_immutable_and_keyed_by_name() -> None:
    later = dataclasses.replace(DRAW_V1, name="draw-v2")
    both = DRAW_ALGORITHMS.with_algorithm(later)
    assert sorted(both) == ["draw-v1", "draw-v2"]
    assert list(DRAW_ALGORITHMS) == ["draw-v1"]  # the default is unchanged
    assert both.get_algorithm("draw-v2") is later
    with pytest.raises(ValueError):
        DrawAlgorithms({"draw-v1": later})


# --------------------------------------------------------------------------- the rules are the algorithm's


def _announce_entry(**over: Any) -> Entry:
    """The example's first announcement, re-signed with ``over`` applied to its body."""
    line = next(
        ln
        for ln in (DRAWS / "entries.jsonl").read_bytes().splitlines()
        if b'"type":"draw.announce"' in ln
    )
    body = {**canonical.loads(line)["body"], **over}
    return parse_entry(make_entry("o", body, [example_signer("k")]), 7)


@payload
@dataclass(frozen=True)
class _V2Rules:
    """A later algorithm's rules: DRAW-V1's, less most fields, plus a further one."""

    strata: tuple[StratumRule, ...] = spec(ListOf(Object(StratumRule), nonempty=True))
    stratify_by: tuple[str, ...] = spec(ListOf(Text(nonempty=True), nonempty=True))
    lead: str = spec(Text(nonempty=True))
    departments: tuple[DeptRule, ...] = spec(ListOf(Object(DeptRule), nonempty=True))


def test_an_announcement_is_parsed_with_the_rules_of_the_algorithm_it_names() -> None:
    entry = _announce_entry()
    announce = ENTRY_TYPES.parse(entry, "x")
    assert isinstance(announce, DrawAnnounce)
    assert isinstance(announce.rules, Rules)
    assert announce.algorithm == "draw-v1"
    assert canonical.dumps(encode(announce)) == entry.body_bytes

    rules = {**entry.body["rules"], "stratify_by": ["stratum", "scale"]}
    for name in ("as_of", "exclude_inspected_within_days", "min_count"):
        del rules[name]
    later = _announce_entry(schema="draw-v2/announce", algorithm="draw-v2", rules=rules)
    # a parser that does not know draw-v2 refuses it, naming the algorithm
    with pytest.raises(VerificationError, match="未知的抽取算法 'draw-v2/announce'"):
        ENTRY_TYPES.parse(later, "x")
    # given draw-v2 (its rules class is the algorithm's), it reads the announcement with it
    v2 = dataclasses.replace(DRAW_V1, name="draw-v2", rules=_V2Rules)
    types = ENTRY_TYPES.with_algorithms(DRAW_ALGORITHMS.with_algorithm(v2))
    parsed = types.parse(later, "x")
    assert isinstance(parsed.rules, _V2Rules)
    assert parsed.rules.stratify_by == ("stratum", "scale")
    assert parsed.signers() == announce.signers()  # the task rules read any algorithm's rules
    assert canonical.dumps(encode(parsed)) == later.body_bytes
    # ... and still DRAW-V1's with DRAW-V1's rules, which the v2 rules do not satisfy
    assert isinstance(types.parse(entry, "x").rules, Rules)
    with pytest.raises(VerificationError, match=r"字段 rules\.stratify_by 是未定义的字段"):
        types.parse(_announce_entry(rules={**entry.body["rules"], "stratify_by": ["x"]}), "x")
    # the schema and the algorithm must agree
    mixed = _announce_entry(schema="draw-v2/announce", algorithm="draw-v1", rules=rules)
    with pytest.raises(VerificationError, match="字段 algorithm 应为 'draw-v2'"):
        types.parse(mixed, "x")


def test_a_verifier_given_no_algorithm_refuses_the_announcement_itself() -> None:
    types = ENTRY_TYPES.with_algorithms(DrawAlgorithms({}))
    with pytest.raises(
        VerificationError, match=r"未知的抽取算法 'draw-v1/announce'（本验证程序支持：（无）"
    ):
        types.parse(_announce_entry(), "x")


def test_the_entry_definitions_name_no_draw_algorithm() -> None:
    """Adding an algorithm never edits ledger/payloads.py (docs/extending.md §3)."""
    source = (DRAWS.parent / "ledger" / "payloads.py").read_text(encoding="utf-8")
    assert '"draw-v1' not in source  # no constant (its documents may be cited)
    assert "Rules" not in source.replace("DrawRules", "")
