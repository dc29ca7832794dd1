"""The fast engine equals the reference draw (ledger/draw/reference.py) byte for byte.

The reference is docs/draw-v1.md read as plain Python; the engine (``ledger.draw.result.run_draw`` and
``replace``, with the C accelerators where they are built, and without them) must give the same
``CJ(result)`` and ``CJ(replacement)`` on any input, and reject the same inputs. Random draws
cover non-ASCII ids and strata, equal loads (ties), empty and ratio-0/1 strata, min_count
top-ups, max_load at both levels, 回避 pairs, unstaffed entities, missing and invalid reveals,
and chains of replacements.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules

from ledger.draw import matching, reference, result, sampling, snapshot
from ledger.draw.primitives import CJ
from ledger.draw.seed import commitment
from ledger.draw.snapshot import build_snapshot, parse_entity_table, parse_snapshot, snapshot_ref
from ledger.errors import MalformedError, VerificationError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "worked_example.json").read_text("utf-8"))
INPUTS = GOLDEN["inputs"]
FILES = {k: build_snapshot(k, INPUTS[k]) for k in ("entities", "inspectors", "conflicts")}


def _golden_args() -> dict[str, Any]:
    return {
        "announce_body": INPUTS["announce_body"],
        "entity_snapshot_bytes": FILES["entities"],
        "inspector_snapshot_bytes": FILES["inspectors"],
        "conflict_snapshot_bytes": FILES["conflicts"],
        "reveals": INPUTS["secrets"],
        "beacon": INPUTS["beacon"],
        "extra_key_string": GOLDEN["extra_key_string"],
    }


def test_the_reference_gives_the_worked_example() -> None:
    """docs/draw-v1.md §W: the reference alone reproduces the published bytes."""
    record = reference.run_draw(**_golden_args())
    assert CJ(record) == CJ(GOLDEN["result"])
    removed = GOLDEN["replace_example"]["removed"]
    again = reference.replace(
        INPUTS["announce_body"],
        FILES["entities"],
        record,
        removed,
        GOLDEN["replace_example"]["reason"],
    )
    assert CJ(again) == CJ(GOLDEN["replace_example"])


# Identifiers: ASCII, CJK and Latin-1 letters (NFC), so ids compare differently as UTF-16.
_ID_CHARS = st.sampled_from([*"0129ABXaz-企业甲乙éÉ", "\U0001f600", "\ue000"])
_ids = st.lists(st.text(_ID_CHARS, min_size=1, max_size=4), unique=True)
_STRATA = ["A", "B", "高风险", "é"]
_DEPTS = ["330106-scjg", "330106-wsjd", "卫健"]
_TAGS = ["综合", "食品", "x"]
_DATES = [None, "2023-03-01", "2024-02-29", "2024-03-01", "2024-03-02", "2025-03-05"]
_RATIOS = ["0", "1", "0.5", "0.34", "0.1", "0.999"]


@st.composite
def _draw_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A whole random draw: snapshots, rules, reveals (the beacon is the worked example's)."""
    entity_ids = draw(_ids.filter(lambda ids: len(ids) <= 40))
    strata = draw(st.lists(st.sampled_from(_STRATA), min_size=1, max_size=4, unique=True))
    entities = [
        {
            "id": i,
            "name": draw(st.sampled_from(["某某公司", "", 'a"b\\c\u2028'])),
            "stratum": draw(st.sampled_from(strata)),  # a listed stratum may stay empty
            "last_inspected": draw(st.sampled_from(_DATES)),
            "tags": draw(st.lists(st.sampled_from(_TAGS), unique=True, max_size=2)),
        }
        for i in entity_ids
    ]
    depts = draw(st.lists(st.sampled_from(_DEPTS), min_size=1, max_size=3, unique=True))
    inspector_ids = draw(_ids.filter(lambda ids: 3 <= len(ids) <= 24))
    inspectors = [
        {
            "id": i,
            "dept": draw(st.sampled_from(depts)),
            "tags": draw(st.lists(st.sampled_from(_TAGS), unique=True, max_size=3)),
            "active": draw(st.booleans().map(lambda b: b or draw(st.booleans()))),
        }
        for i in inspector_ids
    ]
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(entity_ids or ["_"]), st.sampled_from(inspector_ids)),
            unique=True,
            max_size=12,
        )
    )
    departments = []
    for dept in depts:
        rule: dict[str, Any] = {
            "dept": dept,
            "per_entity": draw(st.integers(2 if len(depts) == 1 else 1, 2)),
            "required_tags": draw(st.sampled_from([[], [], ["综合"]])),
        }
        if draw(st.booleans()):
            rule["max_load"] = draw(st.none() | st.integers(1, 4))
        departments.append(rule)
    rules: dict[str, Any] = {
        "strata": [{"stratum": s, "ratio": draw(st.sampled_from(_RATIOS))} for s in strata],
        "as_of": "2025-03-01",
        "exclude_inspected_within_days": draw(st.sampled_from([None, 0, 365, 800])),
        "lead": draw(st.sampled_from(depts)),
        "departments": departments,
    }
    if draw(st.integers(0, 3)):
        rules["min_count"] = draw(st.none() | st.integers(0, 45))
    if draw(st.booleans()):
        rules["max_load"] = draw(st.none() | st.integers(1, 5))
    return {
        "files": {
            "entities": build_snapshot("entities", entities),
            "inspectors": build_snapshot("inspectors", inspectors),
            "conflicts": build_snapshot(
                "conflicts", [{"entity": e, "inspector": i} for e, i in pairs if e != "_"]
            ),
        },
        "rules": rules,
        "reveals": {d: draw(st.sampled_from(["valid", "missing", "invalid"])) for d in depts},
        "removals": draw(st.lists(st.integers(0, 1000), max_size=4)),
    }


def _args(case: dict[str, Any]) -> dict[str, Any]:
    files = case["files"]
    body = copy.deepcopy(INPUTS["announce_body"])
    del body["randomness"]["extra_key"]
    body["task_id"] = "测试-001"
    body["rules"] = case["rules"]
    body["pools"] = {kind: snapshot_ref(data) for kind, data in files.items()}
    secrets = {d: bytes([n + 1]) * 32 for n, d in enumerate(sorted(case["reveals"]))}
    body["randomness"]["commitments"] = [
        {"dept": d, "commitment": commitment("测试-001", d, s)} for d, s in secrets.items()
    ]
    reveals: dict[str, str | None] = {}
    for dept, status in case["reveals"].items():
        if status != "missing":
            reveals[dept] = secrets[dept].hex() if status == "valid" else "00" * 32
    return {
        "announce_body": body,
        "entity_snapshot_bytes": files["entities"],
        "inspector_snapshot_bytes": files["inspectors"],
        "conflict_snapshot_bytes": files["conflicts"],
        "reveals": reveals,
        "beacon": INPUTS["beacon"],
    }


def _outcome(run: Any, *args: Any, **kwargs: Any) -> bytes | type[Exception]:
    """``CJ`` of the record ``run`` returns (the unchecked encoding of a record the draw built
    must give the same bytes), or the type of the error it raises."""
    try:
        record = run(*args, **kwargs)
    except (MalformedError, VerificationError) as exc:
        return type(exc)
    encoded = CJ(record)
    assert result.result_bytes(record) == encoded
    return encoded


def _replacements(impl: Any, args: dict[str, Any], record: Any, picks: list[int]) -> list[bytes]:
    """A chain of replacements: each removes an entity of the current sample."""
    prior: list[dict[str, Any]] = []
    current = [d["id"] for s in record["strata"] for d in s["drawn"]]
    for pick in picks:
        if not current:
            break
        removed = current[pick % len(current)]
        done = impl.replace(
            args["announce_body"], args["entity_snapshot_bytes"], record, removed, "吊销", prior
        )
        prior.append(done)
        current.remove(removed)
        if done["replacement"] is not None:
            current.append(done["replacement"]["id"])
    return [CJ(r) for r in prior]


@pytest.fixture(params=["c", "python"])
def accelerators(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The engine with its C accelerators (where built), then without them."""
    if request.param == "python":
        monkeypatch.setattr(snapshot, "entities_c", None)
        monkeypatch.setattr(sampling, "entities_c", None)
        monkeypatch.setattr(matching, "_picks_c", None)
    elif snapshot.entities_c is None or matching._picks_c is None:
        pytest.skip("the C accelerators are not built here")
    monkeypatch.setattr(snapshot, "SPLIT_BYTES", 1)  # the two-thread path too, where it applies
    return str(request.param)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_draw_inputs())
def test_the_engine_equals_the_reference(accelerators: str, case: dict[str, Any]) -> None:
    args = _args(case)
    expected = _outcome(reference.run_draw, **args)
    assert _outcome(result.run_draw, **args) == expected
    if isinstance(expected, bytes):
        record = json.loads(expected)
        assert _replacements(result, args, record, case["removals"]) == _replacements(
            reference, args, record, case["removals"]
        )


@settings(max_examples=300, deadline=None)
@given(_draw_inputs(), st.data())
def test_the_engine_parses_snapshots_as_the_reference(
    case: dict[str, Any], data: st.DataObject
) -> None:
    """Random edits of valid files: accepted with the same records, or rejected by both."""
    kind = data.draw(st.sampled_from(["entities", "inspectors", "conflicts"]))
    raw = bytearray(case["files"][kind])
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        byte = data.draw(st.sampled_from(b'\n\r ,:"\\[]{}0aZ\x00\xe4\xff'))
        if raw and data.draw(st.booleans()):
            raw[at] = byte
        else:
            raw.insert(at, byte)
    mutated = bytes(raw)
    expected = _outcome(reference.parse_snapshot, kind, mutated)
    assert _outcome(parse_snapshot, kind, mutated) == expected
    if kind == "entities":
        table = parse_entity_table(mutated) if isinstance(expected, bytes) else None
        if table is not None:
            records = reference.parse_snapshot(kind, mutated)
            assert table.ids == [r["id"] for r in records]
            assert table.strata == [r["stratum"] for r in records]
            assert table.last_inspected == [r["last_inspected"] or "" for r in records]
        else:
            with pytest.raises(MalformedError):
                parse_entity_table(mutated)


def test_the_stratum_step_takes_the_records_stratum_unless_told_otherwise() -> None:
    """§8 step 1 is a parameter of the reference (docs/extending.md §3): by default a record's
    ``stratum``; a later algorithm passes its own function, and DRAW-V1 is unchanged."""
    records = [
        {"id": f"e{n}", "stratum": "AB"[n % 2], "scale": "LS"[n % 3 == 0], "last_inspected": None}
        for n in range(12)
    ]
    rules = typed_rules({"strata": [{"stratum": s, "ratio": "1"} for s in "AB"]})
    plain = reference.stratum_orders(records, rules, "seed")
    assert plain == reference.stratum_orders(records, rules, "seed", reference.stratum_of)
    assert {s: sorted(ids) for s, ids in plain.items()} == {
        s: sorted(r["id"] for r in records if r["stratum"] == s) for s in "AB"
    }
    pairs = [f"{s}/{c}" for s in "AB" for c in "LS"]
    rules2 = typed_rules({"strata": [{"stratum": p, "ratio": "1"} for p in pairs]})
    split = reference.stratum_orders(
        records, rules2, "seed", lambda r: f"{r['stratum']}/{r['scale']}"
    )
    assert sorted(split) == pairs
    for name, ids in split.items():  # each pair ordered as DRAW-V1 orders any stratum (§7)
        assert ids == reference.order(
            "seed", [r["id"] for r in records if f"{r['stratum']}/{r['scale']}" == name]
        )
    with pytest.raises(MalformedError, match=r"层级不在 rules\.strata 中"):
        reference.stratum_orders(records, rules, "seed", lambda r: f"{r['stratum']}/{r['scale']}")
