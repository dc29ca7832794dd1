"""Differential tests of the fast matching paths (docs/draw-v1.md §9).

``match`` staffs runs of entities department by department and only falls back to the exact
level walk for entities with 回避 pairs, departments short of inspectors at their lowest load, or
when a trace is requested. These tests compare it with the literal reference of
``ledger/draw/reference.py`` (``E`` and ``T`` recomputed from scratch for every pick), on instances built to reach
every path: runs that empty the lowest bucket, odd-sized buckets (a pick spills to the next
level), 回避 pairs, global and per-department ``max_load``, inactive or untagged inspectors,
departments without eligible inspectors, ``per_entity`` from 1 to 3 and unstaffed entities.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules

from ledger.draw import reference
from ledger.draw.matching import match
from ledger.draw.rules import Rules
from ledger.draw.tickets import ticket

SEED = hashlib.sha256(b"matching-fast").hexdigest()

# Every test runs with the C pick hashes, then with the pure-Python ones (see conftest.py).
pytestmark = pytest.mark.usefixtures("picks_backend")
TAGS = ["t1", "t2"]


def _reference(
    entity_order: list[str],
    inspectors: list[dict[str, Any]],
    conflicts: list[dict[str, Any]],
    rules: Rules,
    seed: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, int]]]:
    """The literal §7.5 reference; loads listed in (department, rank) order, as ``match`` does."""
    assignments, unstaffed, loads = reference.match(
        entity_order, inspectors, conflicts, rules, seed
    )
    depts = sorted(d.dept for d in rules.departments)
    in_order = sorted(
        (i for i in inspectors if loads.get(i["id"]) and i["dept"] in depts),
        key=lambda i: (depts.index(i["dept"]), ticket(seed, i["id"]), i["id"].encode()),
    )
    return assignments, unstaffed, [(i["id"], loads[i["id"]]) for i in in_order]


def _check(inst: dict[str, Any]) -> None:
    rules = typed_rules(inst["rules"])
    args = (inst["entities"], inst["inspectors"], inst["conflicts"], rules, SEED)
    got = match(*args)
    assignments, unstaffed, loads = _reference(*args)
    assert got.assignments == assignments
    assert got.unstaffed == unstaffed
    assert list(got.loads.items()) == loads
    # A trace forces the exact path for every pick: same outcome, one record per pick made.
    trace: list[dict[str, Any]] = []
    traced = match(*args, trace)
    assert (traced.assignments, traced.unstaffed, traced.loads) == (
        got.assignments,
        got.unstaffed,
        got.loads,
    )
    chosen = [t["chosen"] for t in trace if "chosen" in t]
    assert len(trace) - len(chosen) == len(got.unstaffed)
    staffed = [m["inspector"] for a in got.assignments for m in a["team"]]
    assert set(staffed) <= set(chosen)


def _instance(
    rnd: random.Random,
    *,
    n_entities: int,
    max_inspectors: int,
    n_conflicts: int,
    caps: bool,
    homogeneous: bool = False,
) -> dict[str, Any]:
    n_depts = rnd.randint(1, 3)
    names = rnd.sample(["d-a", "d-b", "d-c", "部门-丁"], n_depts)
    departments: list[dict[str, Any]] = []
    for name in names:
        dept: dict[str, Any] = {
            "dept": name,
            "per_entity": rnd.randint(2 if n_depts == 1 else 1, 3),
            "required_tags": [] if homogeneous else rnd.sample(TAGS, rnd.randint(0, 1)),
        }
        if caps and rnd.random() < 0.3:
            dept["max_load"] = rnd.choice([None, rnd.randint(1, 2 + n_entities // 4)])
        departments.append(dept)
    inspectors = []
    for name in names:
        for n in range(rnd.randint(0, max_inspectors)):
            inspectors.append(
                {
                    "id": f"{name}-{n:03d}",
                    "dept": name,
                    "tags": TAGS if homogeneous else rnd.sample(TAGS, rnd.randint(0, 2)),
                    "active": homogeneous or rnd.random() < 0.9,
                }
            )
    # An inspector of a department that does not take part is ignored.
    inspectors.append({"id": "other-001", "dept": "d-x", "tags": TAGS, "active": True})
    rnd.shuffle(inspectors)
    entities = [f"E{n:04d}" if n % 5 else f"企业{n:04d}" for n in range(n_entities)]
    rnd.shuffle(entities)
    pairs: set[tuple[str, str]] = set()
    if entities:
        for _ in range(n_conflicts):
            pairs.add((rnd.choice(entities), rnd.choice(inspectors)["id"]))
        pairs.add((rnd.choice(entities), "unknown-inspector"))
    rules: dict[str, Any] = {
        "lead": rnd.choice(names),
        "departments": departments,
        "max_load": rnd.choice([None, rnd.randint(1, 2 + n_entities // 3)]) if caps else None,
    }
    return {
        "entities": entities,
        "inspectors": inspectors,
        "conflicts": [{"entity": e, "inspector": i} for e, i in sorted(pairs)],
        "rules": rules,
    }


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 40), st.integers(0, 12), st.integers(0, 25))
def test_small_instances(seed: int, n_entities: int, max_inspectors: int, n_conflicts: int) -> None:
    rnd = random.Random(seed)
    inst = _instance(
        rnd,
        n_entities=n_entities,
        max_inspectors=max_inspectors,
        n_conflicts=n_conflicts,
        caps=rnd.random() < 0.6,
    )
    _check(inst)


@pytest.mark.parametrize("seed", range(12))
def test_long_runs(seed: int) -> None:
    """Many entities per inspector: each lowest bucket is emptied and replaced many times."""
    rnd = random.Random(seed)
    inst = _instance(
        rnd,
        n_entities=rnd.randint(150, 300),
        max_inspectors=rnd.randint(3, 25),
        n_conflicts=rnd.randint(0, 60),
        caps=seed % 3 == 0,
        homogeneous=seed % 2 == 1,
    )
    _check(inst)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7])
def test_small_departments_without_conflicts(size: int) -> None:
    """Bucket sizes not a multiple of per_entity: the last pick of a round spills upwards."""
    names = ["d-a", "d-b", "d-c"]
    inspectors = [
        {"id": f"{name}-{n}", "dept": name, "tags": [], "active": True}
        for k, name in enumerate(names)
        for n in range(size + k)
    ]
    rules = {
        "lead": "d-b",
        "departments": [
            {"dept": name, "per_entity": min(k + 1, size), "required_tags": []}
            for k, name in enumerate(names)
        ],
        "max_load": None,
    }
    entities = [f"E{n:03d}" for n in range(60)]
    _check({"entities": entities, "inspectors": inspectors, "conflicts": [], "rules": rules})


def test_cap_reached_everywhere() -> None:
    """Once every inspector is at max_load, every later entity is unstaffed at pick 0."""
    inspectors = [{"id": f"I{n}", "dept": "a", "tags": [], "active": True} for n in range(6)]
    rules = {
        "lead": "a",
        "departments": [{"dept": "a", "per_entity": 2, "required_tags": [], "max_load": 3}],
        "max_load": None,
    }
    entities = [f"E{n:02d}" for n in range(20)]
    inst = {"entities": entities, "inspectors": inspectors, "conflicts": [], "rules": rules}
    _check(inst)
    res = match(entities, inspectors, [], typed_rules(rules), SEED)
    assert len(res.assignments) == 9  # 6 · 3 loads, 2 per entity
    assert res.unstaffed[-1] == {"entity": "E19", "unmet": {"dept": "a", "pick": 0}}


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=90),
    st.lists(st.binary(min_size=4, max_size=30), max_size=6),
    st.lists(st.binary(min_size=4, max_size=12), min_size=1, max_size=3),
    st.integers(0, 40),
)
def test_run_indices_equal_their_definition(
    prefix: bytes, framed: list[bytes], tails: list[bytes], extra: int
) -> None:
    from ledger.draw import matching

    n0 = len(tails) * len(framed) + extra
    expected = matching._run_indices_py(prefix, framed, tails, n0)
    assert matching.run_indices(prefix, framed, tails, n0) == expected
    assert len(expected) == len(framed) * len(tails)


def test_run_indices_reject_bad_arguments() -> None:
    from ledger.draw import matching

    if matching._picks_c is None:
        pytest.skip("pure-Python path")
    with pytest.raises(ValueError, match="cover"):
        matching._picks_c.run_indices(b"", [b"abcd"], [b"x", b"y"], 1)
    with pytest.raises(TypeError):
        matching._picks_c.run_indices(b"", ["abcd"], [b"x"], 1)  # type: ignore[list-item]
    assert matching.run_indices(b"p", [b"e"], [b"t"], 2**32 + 5) == matching._run_indices_py(
        b"p", [b"e"], [b"t"], 2**32 + 5
    )


def test_run_indices_survive_a_finalizer_that_empties_their_input() -> None:
    """A garbage collection inside the C call may run ``__del__``: it must not read freed items
    (found by review; it crashed before)."""
    import gc

    from ledger.draw import matching

    if matching._picks_c is None:
        pytest.skip("pure-Python path")
    framed = [b"entity-%d" % i for i in range(64)]

    class Bomb:
        me: Any

        def __del__(self) -> None:
            framed.clear()

    threshold = gc.get_threshold()
    gc.collect()
    gc.set_threshold(4)
    try:
        bomb = Bomb()
        bomb.me = bomb
        del bomb
        try:
            got = matching._picks_c.run_indices(b"p", framed, [b"tail"], 64)
        except RuntimeError:
            return
        # Emptied before the call (no picks) or not at all: never a read of freed items.
        full = matching._run_indices_py(b"p", [b"entity-%d" % i for i in range(64)], [b"tail"], 64)
        assert got in ([], full)
    finally:
        gc.set_threshold(*threshold)
