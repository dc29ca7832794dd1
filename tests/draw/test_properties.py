"""Consistency properties of the entity draw (docs/draw-v1.md §7), as hypothesis tests."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules

from ledger.draw.rules import Rules
from ledger.draw.sampling import sample
from ledger.draw.snapshot import build_snapshot, parse_snapshot
from ledger.draw.tickets import first_k, order

SEEDS = st.binary(min_size=1, max_size=8).map(lambda b: hashlib.sha256(b).hexdigest())
IDS = st.lists(
    st.text(alphabet="0123456789ABCDXY-统一", min_size=1, max_size=8), unique=True, max_size=60
)


def _rules() -> Rules:
    return typed_rules(
        {"strata": [{"stratum": "A", "ratio": "0.3"}, {"stratum": "B", "ratio": "0.5"}]}
    )


def _entities(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": "",
            "stratum": "AB"[len(i.encode()) % 2],
            "last_inspected": None,
            "tags": [],
        }
        for i in ids
    ]


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS, ids=IDS, perm=st.randoms(use_true_random=False))
def test_independent_of_input_order(seed: str, ids: list[str], perm: Any) -> None:
    shuffled = list(ids)
    perm.shuffle(shuffled)
    assert order(seed, ids) == order(seed, shuffled)
    assert sample(_entities(ids), _rules(), seed) == sample(_entities(shuffled), _rules(), seed)
    # The snapshot file is the same bytes whatever the input order.
    assert build_snapshot("entities", _entities(ids)) == build_snapshot(
        "entities", _entities(shuffled)
    )


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS, ids=IDS, data=st.data())
def test_consistent_under_removal_and_addition(
    seed: str, ids: list[str], data: st.DataObject
) -> None:
    full = order(seed, ids)
    removed = set(data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([])))
    subset = [i for i in ids if i not in removed]
    # Removing items (drawn or not) keeps the relative order of the others ...
    assert order(seed, subset) == [i for i in full if i not in removed]
    # ... and adding them back never reorders existing items.
    assert [i for i in order(seed, subset + sorted(removed)) if i not in removed] == order(
        seed, subset
    )


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS, ids=IDS)
def test_stratum_is_filter_of_global_order(seed: str, ids: list[str]) -> None:
    entities = _entities(ids)
    full = order(seed, ids)
    res = sample(entities, _rules(), seed)
    for stratum in res.strata:
        members = [e["id"] for e in entities if e["stratum"] == stratum.stratum]
        in_order = [i for i in full if i in set(members)]
        assert [i for i, _ in stratum.drawn] == in_order[: stratum.k]
    drawn = {i for s in res.strata for i, _ in s.drawn}
    assert list(res.entity_order) == [i for i in full if i in drawn]


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS, ids=IDS, k=st.integers(0, 70), more=st.integers(0, 70))
def test_extension_equals_longer_take(seed: str, ids: list[str], k: int, more: int) -> None:
    # drop/take: the next `more` items after the first k are the continuation of a longer take.
    assert first_k(seed, ids, k) + order(seed, ids)[k : k + more] == first_k(seed, ids, k + more)


@settings(max_examples=60, deadline=None)
@given(ids=IDS)
def test_snapshot_roundtrip(ids: list[str]) -> None:
    data = build_snapshot("entities", _entities(ids))
    assert [r["id"] for r in parse_snapshot("entities", data)] == sorted(ids)
