"""Stratified sampling, recency exclusion, min_count, reserves and replacement (docs/draw-v1.md §8,
§11, §12)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from rules_kit import typed_rules

from ledger.draw.rules import Rules, parse_ratio
from ledger.draw.sampling import (
    ceil_count,
    is_recent,
    next_reserve,
    reserve_order,
    sample,
)
from ledger.draw.tickets import order
from ledger.errors import MalformedError

SEED = hashlib.sha256(b"sampling").hexdigest()


def _ent(i: int, stratum: str = "A", last: str | None = None) -> dict[str, Any]:
    return {"id": f"E{i:04d}", "name": "n", "stratum": stratum, "last_inspected": last, "tags": []}


def _rules(strata: list[tuple[str, str]], **extra: Any) -> Rules:
    rules: dict[str, Any] = {
        "strata": [{"stratum": s, "ratio": r} for s, r in strata],
        "as_of": "2025-03-01",
        "exclude_inspected_within_days": 365,
    }
    rules.update(extra)
    return typed_rules(rules)


@pytest.mark.parametrize(
    ("n", "ratio", "k"),
    [
        (3, "0.67", 3),  # 2.01 → 3
        (4, "0.20", 1),  # 0.8 → 1
        (5, "0.40", 2),  # exactly 2.0 → 2
        (5, "1", 5),
        (5, "0", 0),
        (0, "0.5", 0),
        (100, "0.05", 5),
        (101, "0.05", 6),  # 5.05 → 6
        (3, "1.0", 3),
        (7, "0.142857", 1),
    ],
)
def test_ceil_count_exact(n: int, ratio: str, k: int) -> None:
    assert ceil_count(n, ratio) == k
    assert k <= n


@pytest.mark.parametrize(
    "bad", ["1.01", "2", ".5", "0.5e1", "-0.1", "+0.5", "0,5", "", " 0.5", "05"]
)
def test_bad_ratios(bad: str) -> None:
    with pytest.raises(MalformedError):
        parse_ratio(bad)


def test_float_ratio_rejected() -> None:
    with pytest.raises(MalformedError):
        parse_ratio(0.5)


def test_recency_boundary_and_leap_year() -> None:
    as_of = dt.date(2025, 3, 1)
    assert is_recent("2024-03-02", as_of, 365)  # 364 days
    assert not is_recent("2024-03-01", as_of, 365)  # 365 days
    assert not is_recent("2024-02-29", as_of, 365)  # 366 days (leap day)
    leap_as_of = dt.date(2024, 3, 1)
    assert not is_recent("2023-03-02", leap_as_of, 365)  # 365 days across 29 Feb 2024
    assert (leap_as_of - dt.date(2023, 3, 2)).days == 365
    assert is_recent("2023-03-03", leap_as_of, 366)  # 364 days
    assert not is_recent("2023-03-01", leap_as_of, 366)  # 366 days
    assert is_recent("2025-03-05", as_of, 365)  # a date after as_of counts as recent
    assert not is_recent(None, as_of, 365)
    assert not is_recent("2025-03-01", as_of, None)  # null rule: no exclusion
    assert not is_recent("2025-03-01", as_of, 0)  # 0 days: nothing is "within 0 days"


def test_recency_365_across_leap_day_exact() -> None:
    # as_of 2024-03-01: 2023-03-02 is exactly 365 days earlier (Feb 2024 has 29 days).
    as_of = dt.date(2024, 3, 1)
    assert not is_recent("2023-03-02", as_of, 365)
    assert is_recent("2023-03-03", as_of, 365)


def test_sample_applies_exclusion_and_ceil() -> None:
    entities = [
        _ent(1, "A", "2024-03-02"),  # excluded (364)
        _ent(2, "A", "2024-03-01"),  # eligible (365)
        _ent(3, "A"),
        _ent(4, "B"),
    ]
    res = sample(entities, _rules([("A", "0.34"), ("B", "0")]), SEED)
    a, b = res.strata
    assert (a.eligible, a.k_ratio, a.k) == (2, 1, 1)
    assert (b.eligible, b.k) == (1, 0)
    assert [i for i, _ in a.drawn] == order(SEED, ["E0002", "E0003"])[:1]


def test_null_exclusion_rule() -> None:
    entities = [_ent(1, "A", "2025-02-28"), _ent(2, "A")]
    res = sample(entities, _rules([("A", "1")], exclude_inspected_within_days=None), SEED)
    assert res.strata[0].eligible == 2


def test_empty_stratum_and_output_order() -> None:
    entities = [_ent(i, "B") for i in range(5)]
    res = sample(entities, _rules([("C", "0.5"), ("A", "0.5"), ("B", "0.5")]), SEED)
    assert [s.stratum for s in res.strata] == ["C", "A", "B"]
    assert [(s.eligible, s.k) for s in res.strata] == [(0, 0), (0, 0), (5, 3)]


def test_unknown_stratum_is_an_error() -> None:
    with pytest.raises(MalformedError, match=r"不在 rules\.strata 中"):
        sample([_ent(1, "Z")], _rules([("A", "1")]), SEED)


def test_duplicate_stratum_rule_is_an_error() -> None:
    with pytest.raises(MalformedError):
        sample([], _rules([("A", "1"), ("A", "0")]), SEED)


def test_entity_order_is_global_ticket_order() -> None:
    entities = [_ent(i, "AB"[i % 2]) for i in range(40)]
    res = sample(entities, _rules([("A", "0.5"), ("B", "0.25")]), SEED)
    drawn = [i for s in res.strata for i, _ in s.drawn]
    assert list(res.entity_order) == [
        i for i in order(SEED, [e["id"] for e in entities]) if i in drawn
    ]


def test_tickets_are_full_precision() -> None:
    res = sample([_ent(1)], _rules([("A", "1")]), SEED)
    (_, t) = res.strata[0].drawn[0]
    assert t.startswith("0.")
    assert len(t) >= 66


def test_min_count_tops_up_from_global_order() -> None:
    entities = [_ent(i, "AB"[i % 2]) for i in range(20)]
    rules = _rules([("A", "0.1"), ("B", "0.1")], min_count=7)
    res = sample(entities, rules, SEED)
    assert sum(s.k_ratio for s in res.strata) == 2
    assert sum(s.k for s in res.strata) == 7
    # Each stratum's draw is a prefix of its own order ...
    for s in res.strata:
        ids = [e["id"] for e in entities if e["stratum"] == s.stratum]
        assert [i for i, _ in s.drawn] == order(SEED, ids)[: s.k]
    # ... and the five extra ones are the first five of the remaining global order.
    base = {s.drawn[0][0] for s in res.strata}
    rest = [i for i in order(SEED, [e["id"] for e in entities]) if i not in base]
    extra = {i for s in res.strata for i, _ in s.drawn[1:]}
    assert extra == set(rest[:5])


def test_min_count_capped_by_eligible_and_inactive_when_met() -> None:
    entities = [_ent(i) for i in range(4)]
    res = sample(entities, _rules([("A", "0")], min_count=10), SEED)
    assert res.strata[0].k == 4
    res = sample(entities, _rules([("A", "0.5")], min_count=1), SEED)
    assert res.strata[0].k == 2
    with pytest.raises(MalformedError):
        sample(entities, _rules([("A", "0.5")], min_count=-1), SEED)


def test_reserve_order_and_replacement_consistency() -> None:
    entities = [_ent(i, "A") for i in range(30)]
    rules = _rules([("A", "0.2")])
    res = sample(entities, rules, SEED)
    full = reserve_order(entities, rules, SEED, "A")
    k = res.strata[0].k
    assert [i for i, _ in full[:k]] == [i for i, _ in res.strata[0].drawn]
    # Replacing a drawn entity by the next reserve equals the draw (same k) without it.
    removed = res.strata[0].drawn[2][0]
    without = [e for e in entities if e["id"] != removed]
    redraw = [i for i, _ in reserve_order(without, rules, SEED, "A")[:k]]
    replacement = full[k][0]
    expected = [i for i, _ in res.strata[0].drawn if i != removed] + [replacement]
    assert sorted(redraw) == sorted(expected)
    with pytest.raises(MalformedError):
        reserve_order(entities, rules, SEED, "Z")


@pytest.mark.parametrize("n", [30, 10_000])
def test_next_reserve_is_the_first_unused_id_of_the_full_order(n: int) -> None:
    entities = [_ent(i, "AB"[i % 2], "2024-12-01" if i % 7 == 0 else None) for i in range(n)]
    rules = _rules([("A", "0.1"), ("B", "0.1")], exclude_inspected_within_days=365)
    full = reserve_order(entities, rules, SEED, "A")
    other = [i for i, _ in reserve_order(entities, rules, SEED, "B")]
    for used_count in (0, 1, 5, len(full) // 2, len(full) - 1, len(full)):
        # Used: the first ones of the order, every third of the next 300, some of stratum B.
        used = {i for n_, (i, _) in enumerate(full) if n_ < used_count or n_ % 3 == 0 < 300 - n_}
        used |= set(other[:10])
        expected = next(((i, t) for i, t in full if i not in used), None)
        assert next_reserve(entities, rules, SEED, "A", used) == expected
    assert next_reserve(entities, rules, SEED, "A", {i for i, _ in full}) is None
    with pytest.raises(MalformedError):
        next_reserve(entities, rules, SEED, "Z", set())
