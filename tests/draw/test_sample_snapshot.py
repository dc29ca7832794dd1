"""The entity draw straight from a snapshot file, read in two spans by two threads of the C
accelerator, equals the sequential
``sample(parse_entity_table(data), …)`` in result and in errors (docs/draw-v1.md §8)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules

from ledger.draw import sampling, snapshot
from ledger.draw.rules import Rules
from ledger.draw.sampling import SampleResult, sample, sample_snapshot
from ledger.draw.snapshot import build_snapshot, parse_entity_table
from ledger.errors import MalformedError

# Without the accelerator the file is always read in one span: sample_snapshot is then
# sample(parse_entity_table(data), …) by definition.
pytestmark = pytest.mark.skipif(
    snapshot.entities_c is None, reason="the C accelerator is not built"
)


SEED = "5d" * 32


@pytest.fixture(autouse=True)
def _split_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of at least 1,000 bytes takes the two-span path."""
    monkeypatch.setattr(snapshot, "SPLIT_BYTES", 1000)


def _pool(n: int, rng: random.Random, strata: str = "ABCD") -> bytes:
    records = []
    for i in range(n):
        dated = rng.random() < 0.3
        records.append(
            {
                "id": f"91{rng.randrange(10**16):016d}",
                "name": f"某某公司{i}",
                "stratum": rng.choice(strata),
                "last_inspected": f"202{rng.randrange(2, 5)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"
                if dated
                else None,
                "tags": ["食品经营"] if rng.random() < 0.2 else [],
            }
        )
    unique = {r["id"]: r for r in records}
    return build_snapshot("entities", unique.values())


def _rules(ratios: dict[str, str], **extra: Any) -> Rules:
    rules: dict[str, Any] = {
        "strata": [{"stratum": s, "ratio": r} for s, r in ratios.items()],
        "as_of": "2024-01-01",
        "exclude_inspected_within_days": 365,
    }
    rules.update(extra)
    return typed_rules(rules)


def _sequential(data: bytes, rules: Rules) -> SampleResult | str:
    try:
        return sample(parse_entity_table(data), rules, SEED)
    except MalformedError as exc:
        return str(exc)


def _split(data: bytes, rules: Rules) -> SampleResult | str:
    try:
        return sample_snapshot(data, rules, SEED)
    except MalformedError as exc:
        return str(exc)


@pytest.mark.parametrize(
    ("n", "ratios", "min_count"),
    [
        (40_000, {"A": "0.01", "B": "0.03", "C": "0.2", "D": "0"}, None),
        (40_000, {"A": "0.001", "B": "0.002", "C": "0.005", "D": "1"}, 900),
        (30_000, {"A": "0.05", "B": "0.05", "C": "0.05", "D": "0.05"}, 5000),
    ],
)
def test_large_pools_take_the_two_span_path_and_agree(
    n: int,
    ratios: dict[str, str],
    min_count: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _pool(n, random.Random(n))
    rules = _rules(ratios, min_count=min_count)
    merged: list[SampleResult | None] = []
    real_merge = sampling._merge
    monkeypatch.setattr(sampling, "_merge", lambda *a: merged.append(real_merge(*a)) or merged[-1])
    halves: list[object] = []  # the C reading of both spans (threads of this process)
    real_halves_c = sampling._halves_c
    monkeypatch.setattr(
        sampling, "_halves_c", lambda *a: halves.append(real_halves_c(*a)) or halves[-1]
    )
    expected = _sequential(data, rules)
    assert isinstance(expected, SampleResult)
    assert sum(s.k for s in expected.strata) > 50
    assert _split(data, rules) == expected
    assert merged == [expected]
    assert halves[0] is not None


def test_thresholds_prefilter_large_strata() -> None:
    # A stratum of 20,000 ids at 1 % keeps well under a tenth of its ids as candidates.
    assert sampling._threshold(20_000, 1, 100, 0) < 10_000
    assert sampling._threshold(20_000, 1, 100, 0) * 20_000 // 100_000 > 200
    assert sampling._threshold(4000, 1, 100, 0) == 100_000  # small: everything
    assert sampling._threshold(0, 1, 100, 0) == 100_000


def test_too_few_candidates_fall_back_to_the_sequential_draw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _pool(20_000, random.Random(7))
    rules = _rules({"A": "0.02", "B": "0.02", "C": "0.02", "D": "0.02"})
    expected = _sequential(data, rules)
    monkeypatch.setattr(sampling, "_threshold", lambda *_a: 3)  # far too few candidates
    merged: list[SampleResult | None] = []
    real_merge = sampling._merge
    monkeypatch.setattr(sampling, "_merge", lambda *a: merged.append(real_merge(*a)) or merged[-1])
    assert _split(data, rules) == expected
    assert merged == [None]


def _corrupt_late_line(data: bytes, old: bytes, new: bytes) -> bytes:
    at = data.index(old, len(data) * 3 // 4)
    return data[:at] + new + data[at + len(old) :]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"stratum":"B"', b'"stratum":"Z"'),  # not listed
        (b'"stratum":"B"', b'"stratum":""'),  # not an identifier
        (b'"name":"', b'"name":1,"x":"'),  # schema
        (b'"last_inspected":null', b'"last_inspected":"2024-02-30"'),  # bad date
        (b'"tags":[]', b'"tags":[ ]'),  # not canonical
        (b"\n", b"\r\n"),  # carriage return
        (b"\n", b"\n\n"),  # empty line
    ],
)
def test_errors_in_the_second_span_are_those_of_the_sequential_run(old: bytes, new: bytes) -> None:
    data = _corrupt_late_line(_pool(3000, random.Random(3)), old, new)
    rules = _rules({"A": "0.1", "B": "0.1", "C": "0.1", "D": "0.1"})
    expected = _sequential(data, rules)
    assert isinstance(expected, str)
    assert _split(data, rules) == expected


def test_ids_out_of_order_at_the_seam_are_reported_as_in_the_sequential_run() -> None:
    data = _pool(3000, random.Random(5))
    lines = data.splitlines(keepends=True)
    mid = snapshot.split_point(data)
    assert mid is not None
    at = data[:mid].count(b"\n")
    lines[at - 1], lines[at] = lines[at], lines[at - 1]  # swap across the seam
    bad = b"".join(lines)
    rules = _rules({"A": "0.1", "B": "0.1", "C": "0.1", "D": "0.1"})
    expected = _sequential(bad, rules)
    assert isinstance(expected, str)
    assert "顺序" in expected
    assert _split(bad, rules) == expected


def test_a_file_error_is_reported_as_in_the_sequential_run() -> None:
    data = _corrupt_late_line(_pool(3000, random.Random(9)), b'"tags":[]', b'"tags":[ ]')
    rules = _rules({"A": "0.1"})
    expected = _sequential(data, rules)
    assert isinstance(expected, str)
    assert "快照" in expected
    assert _split(data, rules) == expected


def test_the_rules_are_checked_before_any_file_is_read() -> None:
    """The draw takes typed rules (ledger/draw/rules.py): an invalid rule never reaches it."""
    with pytest.raises(MalformedError, match=r"rules\.as_of：不是有效的日期"):
        _rules({"A": "0.1"}, as_of="2024-13-01")


_ratio = st.sampled_from(["0", "0.01", "0.1", "0.5", "1", "0.333"])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 400),
    ratios=st.tuples(_ratio, _ratio, _ratio),
    min_count=st.none() | st.integers(0, 300),
    days=st.none() | st.integers(0, 800),
    seed=st.integers(0, 2**32),
)
def test_random_small_pools_agree(
    n: int,
    ratios: tuple[str, str, str],
    min_count: int | None,
    days: int | None,
    seed: int,
) -> None:
    data = _pool(n, random.Random(seed), strata="ABC")
    rules = _rules(
        dict(zip("ABC", ratios, strict=True)),
        min_count=min_count,
        exclude_inspected_within_days=days,
    )
    assert _split(data, rules) == _sequential(data, rules)
