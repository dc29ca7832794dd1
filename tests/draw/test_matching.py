"""Inspector matching (docs/draw-v1.md §9): invariants as property tests, plus an exact
comparison with a naive, literal re-implementation of §7.5."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules

from ledger.draw import reference
from ledger.draw.matching import match, pick_hash
from ledger.draw.primitives import LP, u32be
from ledger.errors import MalformedError

SEED = hashlib.sha256(b"inspectors").hexdigest()
TAGS = ["t1", "t2"]


@st.composite
def instances(draw: st.DrawFn, homogeneous: bool = False) -> dict[str, Any]:
    n_depts = draw(st.integers(1, 3))
    dept_names = ["d-" + "abc"[i] for i in range(n_depts)]
    departments = []
    for name in dept_names:
        per = draw(st.integers(2 if n_depts == 1 else 1, 3))
        req = [] if homogeneous else draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=1))
        departments.append({"dept": name, "per_entity": per, "required_tags": req})
    inspectors = []
    for n in range(draw(st.integers(0, 14))):
        inspectors.append(
            {
                "id": f"I{n:02d}",
                "dept": draw(st.sampled_from(dept_names)),
                "tags": [] if homogeneous else draw(st.lists(st.sampled_from(TAGS), unique=True)),
                "active": True if homogeneous else draw(st.booleans()),
            }
        )
    entities = [f"E{n:02d}" for n in range(draw(st.integers(0, 16)))]
    conflicts = []
    if not homogeneous and inspectors and entities:
        pairs = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(entities), st.sampled_from([i["id"] for i in inspectors])
                ),
                unique=True,
                max_size=10,
            )
        )
        conflicts = [{"entity": e, "inspector": i} for e, i in sorted(pairs)]
    max_load = None if homogeneous else draw(st.one_of(st.none(), st.integers(1, 5)))
    rules = {
        "lead": draw(st.sampled_from(dept_names)),
        "departments": departments,
        "max_load": max_load,
    }
    return {"entities": entities, "inspectors": inspectors, "conflicts": conflicts, "rules": rules}


def _run(inst: dict[str, Any]) -> Any:
    rules = typed_rules(inst["rules"])
    return match(inst["entities"], inst["inspectors"], inst["conflicts"], rules, SEED)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_equals_literal_reference(inst: dict[str, Any]) -> None:
    got = _run(inst)
    assignments, unstaffed, loads = reference.match(
        inst["entities"], inst["inspectors"], inst["conflicts"], typed_rules(inst["rules"]), SEED
    )
    assert got.assignments == assignments
    assert got.unstaffed == unstaffed
    assert got.loads == loads


@settings(max_examples=300, deadline=None)
@given(instances())
def test_invariants(inst: dict[str, Any]) -> None:
    res = _run(inst)
    assert res == _run(inst)  # reruns are identical
    by_id = {i["id"]: i for i in inst["inspectors"]}
    depts = {d["dept"]: d for d in inst["rules"]["departments"]}
    avoid = {(c["entity"], c["inspector"]) for c in inst["conflicts"]}
    max_load = inst["rules"]["max_load"]
    loads: Counter[str] = Counter()
    staffed = {a["entity"]: a for a in res.assignments}
    unstaffed = {u["entity"]: u["unmet"] for u in res.unstaffed}
    assert set(staffed) | set(unstaffed) == set(inst["entities"])
    assert not set(staffed) & set(unstaffed)
    for e in inst["entities"]:
        if e in staffed:
            team = staffed[e]["team"]
            members = [m["inspector"] for m in team]
            assert len(members) == len(set(members))  # no repeated member
            assert [m["dept"] for m in team] == sorted(m["dept"] for m in team)
            for dept, rule in depts.items():
                mine = [m for m in members if by_id[m]["dept"] == dept]
                assert len(mine) == rule["per_entity"]
                assert [m["dept"] for m in team].count(dept) == rule["per_entity"]
            for m in members:
                ins = by_id[m]
                assert ins["active"]
                assert set(depts[ins["dept"]]["required_tags"]) <= set(ins["tags"])
                assert (e, m) not in avoid
            lead_members = [m for m in members if by_id[m]["dept"] == inst["rules"]["lead"]]
            assert staffed[e]["leader"] == lead_members[0]
            for m in members:
                loads[m] += 1
                if max_load is not None:
                    assert loads[m] <= max_load
        else:
            # Unstaffed only if infeasible: at that moment dept d had exactly `pick` eligible
            # inspectors (the ones already picked), and earlier departments had enough.
            unmet = unstaffed[e]
            for dept in sorted(depts):
                rule = depts[dept]
                eligible = [
                    i
                    for i in inst["inspectors"]
                    if i["dept"] == dept
                    and i["active"]
                    and set(rule["required_tags"]) <= set(i["tags"])
                    and (e, i["id"]) not in avoid
                    and (max_load is None or loads[i["id"]] < max_load)
                ]
                if dept == unmet["dept"]:
                    assert len(eligible) == unmet["pick"] < rule["per_entity"]
                    break
                assert len(eligible) >= rule["per_entity"]
    assert res.loads == {k: v for k, v in loads.items() if v}


@settings(max_examples=200, deadline=None)
@given(instances(homogeneous=True))
def test_balance_within_department(inst: dict[str, Any]) -> None:
    res = _run(inst)
    for dept in {d["dept"] for d in inst["rules"]["departments"]}:
        ids = [i["id"] for i in inst["inspectors"] if i["dept"] == dept]
        loads = [res.loads.get(i, 0) for i in ids]
        if loads:
            assert max(loads) - min(loads) <= 1


def test_unstaffed_discards_partial_team() -> None:
    inspectors = [
        {"id": "A1", "dept": "a", "tags": [], "active": True},
        {"id": "B1", "dept": "b", "tags": [], "active": True},
    ]
    rules = {
        "lead": "a",
        "departments": [
            {"dept": "a", "per_entity": 1, "required_tags": []},
            {"dept": "b", "per_entity": 1, "required_tags": []},
        ],
        "max_load": None,
    }
    conflicts = [{"entity": "E1", "inspector": "B1"}]
    res = match(["E1", "E2"], inspectors, conflicts, typed_rules(rules), SEED)
    assert res.unstaffed == [{"entity": "E1", "unmet": {"dept": "b", "pick": 0}}]
    assert res.loads == {"A1": 1, "B1": 1}  # E1's partial pick of A1 did not count


def test_pick_hash_definition() -> None:
    expected = hashlib.sha256(
        LP(b"draw-v1/pick") + LP(SEED.encode()) + LP("企业".encode()) + LP(b"d") + LP(u32be(1))
    ).digest()
    assert pick_hash(SEED, "企业", "d", 1) == int.from_bytes(expected, "big")


def test_trace_records_every_pick() -> None:
    inspectors = [{"id": f"I{n}", "dept": "a", "tags": [], "active": True} for n in range(3)]
    rules = {"lead": "a", "departments": [{"dept": "a", "per_entity": 2, "required_tags": []}]}
    trace: list[dict[str, Any]] = []
    res = match(["E1", "E2"], inspectors, [], typed_rules(rules), SEED, trace)
    assert len(trace) == 4
    assert [t["chosen"] for t in trace[:2]] == [m["inspector"] for m in res.assignments[0]["team"]]
    for t in trace:
        if t["hash"] is not None:
            assert int(t["hash"], 16) % len(t["candidates"]) == t["r"]
            assert int(t["hash"], 16) == pick_hash(SEED, t["entity"], t["dept"], t["pick"])


@pytest.mark.parametrize(
    "rules",
    [
        {"lead": "a", "departments": [{"dept": "a", "per_entity": 1, "required_tags": []}]},
        {"lead": "x", "departments": [{"dept": "a", "per_entity": 2, "required_tags": []}]},
        {"lead": "a", "departments": []},
        {"lead": "a", "departments": [{"dept": "a", "per_entity": 0, "required_tags": []}]},
        {
            "lead": "a",
            "departments": [
                {"dept": "a", "per_entity": 2, "required_tags": []},
                {"dept": "a", "per_entity": 2, "required_tags": []},
            ],
        },
        {
            "lead": "a",
            "max_load": 0,
            "departments": [{"dept": "a", "per_entity": 2, "required_tags": []}],
        },
        {"lead": "a", "departments": [{"dept": "a", "per_entity": 2, "required_tags": ["t", "t"]}]},
    ],
)
def test_bad_department_rules(rules: dict[str, Any]) -> None:
    with pytest.raises(MalformedError):
        typed_rules(rules)


def test_large_instance_is_fast() -> None:
    import time

    depts = ["d1", "d2", "d3"]
    inspectors = [
        {"id": f"I{n:05d}", "dept": depts[n % 3], "tags": [], "active": True} for n in range(3000)
    ]
    rules = {
        "lead": "d1",
        "departments": [{"dept": d, "per_entity": 2, "required_tags": []} for d in depts],
        "max_load": None,
    }
    entities = [f"E{n:06d}" for n in range(30_000)]
    conflicts = [
        {"entity": entities[n], "inspector": f"I{n % 3000:05d}"} for n in range(0, 30_000, 7)
    ]
    start = time.perf_counter()
    res = match(entities, inspectors, conflicts, typed_rules(rules), SEED)
    elapsed = time.perf_counter() - start
    assert len(res.assignments) == 30_000
    assert max(res.loads.values()) - min(res.loads.values()) <= 1
    assert elapsed < 10  # ~1 s on the CI machine; a per-pair implementation takes minutes
