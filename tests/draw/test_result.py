"""run_draw failure rules and replacements (docs/draw-v1.md §3, §8, §10–§12)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.draw import drand
from ledger.draw.result import check_announce, replace, result_sha256, run_draw
from ledger.draw.seed import commitment
from ledger.draw.snapshot import build_snapshot
from ledger.errors import MalformedError, VerificationError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "worked_example.json").read_text("utf-8"))
INPUTS = GOLDEN["inputs"]
FILES = {k: build_snapshot(k, INPUTS[k]) for k in ("entities", "inspectors", "conflicts")}
KEY = GOLDEN["extra_key_string"]


def _run(**changes: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "announce_body": INPUTS["announce_body"],
        "entity_snapshot_bytes": FILES["entities"],
        "inspector_snapshot_bytes": FILES["inspectors"],
        "conflict_snapshot_bytes": FILES["conflicts"],
        "reveals": INPUTS["secrets"],
        "beacon": INPUTS["beacon"],
        "extra_key_string": KEY,
    }
    args.update(changes)
    return run_draw(**args)


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return _run()


def test_missing_and_invalid_reveals_contribute_empty(baseline: dict[str, Any]) -> None:
    lead, other = sorted(INPUTS["secrets"])
    missing = _run(reveals={lead: INPUTS["secrets"][lead]})
    assert {r["dept"]: r["status"] for r in missing["reveals"]} == {lead: "valid", other: "missing"}
    assert missing["seed"] != baseline["seed"]
    wrong = _run(reveals={lead: INPUTS["secrets"][lead], other: "00" * 32})
    assert {r["dept"]: r["status"] for r in wrong["reveals"]} == {lead: "valid", other: "invalid"}
    # An invalid reveal counts exactly like a missing one: never a restart, same seed.
    assert wrong["seed"] == missing["seed"]
    junk = _run(reveals={lead: INPUTS["secrets"][lead], other: "not hex"})
    assert junk["seed"] == missing["seed"]
    with pytest.raises(MalformedError):
        _run(reveals={"stranger": "00" * 32})


def test_snapshot_mismatch_rejected() -> None:
    with pytest.raises(VerificationError):
        _run(entity_snapshot_bytes=FILES["entities"].replace(b"X", b"Y", 1))
    with pytest.raises(VerificationError):
        _run(conflict_snapshot_bytes=b"")


def test_beacon_checks() -> None:
    beacon = INPUTS["beacon"]
    with pytest.raises(VerificationError):
        _run(beacon={**beacon, "round": beacon["round"] + 1})
    flipped = "0" if beacon["signature"][-1] != "0" else "1"
    with pytest.raises(VerificationError):
        _run(beacon={**beacon, "signature": beacon["signature"][:-1] + flipped})


def test_extra_key_rules() -> None:
    with pytest.raises(MalformedError):
        _run(extra_key_string=None)
    with pytest.raises(MalformedError):
        _run(extra_key_string="3.2./")
    body = copy.deepcopy(INPUTS["announce_body"])
    del body["randomness"]["extra_key"]
    # Pools still match, but the key string is now undeclared.
    with pytest.raises(MalformedError):
        _run(announce_body=body)


def test_announcement_validation() -> None:
    body = INPUTS["announce_body"]
    assert check_announce(body)["round"] == body["randomness"]["drand"]["round"]
    for path, value in [
        (("schema",), "draw-v2/announce"),
        (("task_id",), ""),
        (("pools", "entities", "count"), -1),
        (("randomness", "drand", "round"), 0),
        (("randomness", "drand", "round"), 2**53),
        (("randomness", "commitments"), []),
        (("rules", "lead"), "nobody"),
    ]:
        bad = copy.deepcopy(body)
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(MalformedError):
            check_announce(bad)


def test_announce_hash_covers_whole_body(baseline: dict[str, Any]) -> None:
    body = copy.deepcopy(INPUTS["announce_body"])
    body["ts"] = "2024-02-24T10:00:01Z"
    assert _run(announce_body=body)["seed"] != baseline["seed"]


def test_commitment_of_golden_inputs() -> None:
    body = INPUTS["announce_body"]
    for entry in body["randomness"]["commitments"]:
        secret = bytes.fromhex(INPUTS["secrets"][entry["dept"]])
        assert commitment(body["task_id"], entry["dept"], secret) == entry["commitment"]


def test_replacement_chain(baseline: dict[str, Any]) -> None:
    body = INPUTS["announce_body"]
    stratum_b = next(s for s in baseline["strata"] if s["stratum"] == "B")
    first = replace(body, FILES["entities"], baseline, stratum_b["drawn"][0]["id"], "注销")
    assert first["result_sha256"] == result_sha256(baseline)
    assert first["replacement"] is not None
    drawn_ids = {d["id"] for d in stratum_b["drawn"]}
    assert first["replacement"]["id"] not in drawn_ids
    # Keep replacing the latest replacement: each is the next reserve, never a used id, until
    # the stratum's reserve (eligible − k entities) is exhausted.
    chain = [first]
    used = drawn_ids | {first["replacement"]["id"]}
    while chain[-1]["replacement"] is not None:
        nxt = replace(
            body, FILES["entities"], baseline, chain[-1]["replacement"]["id"], "无法联系", chain
        )
        if nxt["replacement"] is not None:
            assert nxt["replacement"]["id"] not in used
            used.add(nxt["replacement"]["id"])
        chain.append(nxt)
    assert len(chain) - 1 == stratum_b["eligible"] - stratum_b["k"]
    tickets = [c["replacement"]["ticket"] for c in chain[:-1]]
    assert tickets == sorted(tickets)
    assert all(t > stratum_b["drawn"][-1]["ticket"] for t in tickets)
    with pytest.raises(MalformedError):
        replace(body, FILES["entities"], baseline, stratum_b["drawn"][0]["id"], "again", [first])
    with pytest.raises(MalformedError):
        replace(body, FILES["entities"], baseline, "91330106MA2K00003X", "not drawn")
    with pytest.raises(MalformedError):
        replace(body, FILES["entities"], baseline, stratum_b["drawn"][1]["id"], "")
    other = dict(first, result_sha256="00" * 32)
    with pytest.raises(VerificationError):
        replace(body, FILES["entities"], baseline, stratum_b["drawn"][1]["id"], "x", [other])


@pytest.mark.usefixtures("bls_backend")
def test_a_bad_beacon_is_reported_before_a_bad_entity_file() -> None:
    from ledger.draw.snapshot import snapshot_ref

    lines = FILES["entities"].splitlines(keepends=True)
    bad = b"".join([lines[1], lines[0], *lines[2:]])  # out of order
    body = copy.deepcopy(INPUTS["announce_body"])
    body["pools"]["entities"] = snapshot_ref(bad)
    with pytest.raises(MalformedError, match="顺序"):
        _run(announce_body=body, entity_snapshot_bytes=bad)
    beacon = INPUTS["beacon"]
    flipped = "0" if beacon["signature"][-1] != "0" else "1"
    with pytest.raises(VerificationError):
        _run(
            announce_body=body,
            entity_snapshot_bytes=bad,
            beacon={**beacon, "signature": beacon["signature"][:-1] + flipped},
        )


@pytest.mark.usefixtures("bls_backend")
def test_a_bad_beacon_is_reported_before_a_bad_inspector_file() -> None:
    from ledger.draw.snapshot import snapshot_ref

    drand.forget_verified()
    lines = FILES["inspectors"].splitlines(keepends=True)
    bad = b"".join([lines[1], lines[0], *lines[2:]])  # out of order
    body = copy.deepcopy(INPUTS["announce_body"])
    body["pools"]["inspectors"] = snapshot_ref(bad)
    with pytest.raises(MalformedError, match="顺序"):
        _run(announce_body=body, inspector_snapshot_bytes=bad)
    drand.forget_verified()
    beacon = INPUTS["beacon"]
    flipped = "0" if beacon["signature"][-1] != "0" else "1"
    with pytest.raises(VerificationError):
        _run(
            announce_body=body,
            inspector_snapshot_bytes=bad,
            beacon={**beacon, "signature": beacon["signature"][:-1] + flipped},
        )


@pytest.mark.usefixtures("bls_backend")
def test_a_bad_beacon_is_reported_before_a_non_canonical_announcement() -> None:
    drand.forget_verified()
    body = {**INPUTS["announce_body"], "note": 1.5}  # a float: no announce hash
    with pytest.raises(MalformedError, match="float"):
        _run(announce_body=body)
    beacon = INPUTS["beacon"]
    flipped = "0" if beacon["signature"][-1] != "0" else "1"
    with pytest.raises(VerificationError):
        _run(announce_body=body, beacon={**beacon, "signature": beacon["signature"][:-1] + flipped})


def test_a_kept_entity_table_gives_the_same_replacements(baseline: dict[str, Any]) -> None:
    from ledger.draw.snapshot import parse_entity_table

    body = INPUTS["announce_body"]
    table = parse_entity_table(FILES["entities"])
    stratum_b = next(s for s in baseline["strata"] if s["stratum"] == "B")
    chain: list[dict[str, Any]] = []
    removed = stratum_b["drawn"][0]["id"]
    for _ in range(3):
        plain = replace(body, FILES["entities"], baseline, removed, "注销", chain)
        kept = replace(
            body, FILES["entities"], baseline, removed, "注销", chain, entity_table=table
        )
        assert kept == plain
        chain.append(plain)
        removed = plain["replacement"]["id"]
    # The file is still checked against the announcement.
    with pytest.raises(VerificationError):
        replace(
            body, FILES["entities"] + b"\n", baseline, removed, "注销", chain, entity_table=table
        )


def _larger_inputs(n: int) -> dict[str, Any]:
    """The worked example's announcement over a generated pool of ``n`` entities (the rules'
    strata A, B, C; some recently inspected; 回避 pairs; the same departments)."""
    from ledger.draw.snapshot import snapshot_ref

    entities = [
        {
            "id": f"91330106MA{k:08d}",
            "name": f"杭州西湖某某商贸有限公司{k}",
            "stratum": "ABC"[k * 7 % 3],
            "last_inspected": None if k % 4 else f"202{3 + k % 2}-0{1 + k % 9}-1{k % 10}",
            "tags": ["食品经营"] if k % 5 == 0 else [],
        }
        for k in range(n)
    ]
    inspectors = [
        {
            "id": f"ZJ-{k:05d}",
            "dept": ("330106-scjg", "330106-wsjd")[k % 2],
            "tags": ["综合", "卫生"] if k % 7 else ["卫生"],
            "active": k % 13 != 5,
        }
        for k in range(400)
    ]
    conflicts = sorted({(entities[k * 37 % n]["id"], f"ZJ-{k % 400:05d}") for k in range(300)})
    files = {
        "entities": build_snapshot("entities", entities),
        "inspectors": build_snapshot("inspectors", inspectors),
        "conflicts": build_snapshot(
            "conflicts", [{"entity": e, "inspector": i} for e, i in conflicts]
        ),
    }
    body = copy.deepcopy(INPUTS["announce_body"])
    body["pools"] = {kind: snapshot_ref(data) for kind, data in files.items()}
    body["rules"]["max_load"] = None
    return {
        "announce_body": body,
        "entity_snapshot_bytes": files["entities"],
        "inspector_snapshot_bytes": files["inspectors"],
        "conflict_snapshot_bytes": files["conflicts"],
        "reveals": INPUTS["secrets"],
        "beacon": INPUTS["beacon"],
        "extra_key_string": KEY,
    }


def test_the_accelerators_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole draw of 12,000 entities, read in two halves, with every accelerator (the C
    modules, the compiled BLS check) and then with none of them."""
    from ledger.draw import matching, sampling, snapshot

    monkeypatch.setattr(snapshot, "SPLIT_BYTES", 1000)
    args = _larger_inputs(12_000)
    drand.forget_verified()
    fast = run_draw(**args)
    assert len(fast["entity_order"]) > 2000
    avoided = {
        line.split(b'"')[3].decode() for line in args["conflict_snapshot_bytes"].splitlines()
    }
    assert avoided & set(fast["entity_order"])  # some teams take the exact path
    for module, name in (
        (snapshot, "entities_c"),
        (sampling, "entities_c"),
        (matching, "_picks_c"),
    ):
        monkeypatch.setattr(module, name, None)
    monkeypatch.setattr(drand, "_BACKEND", "py_ecc")
    drand.forget_verified()
    slow = run_draw(**args)
    assert slow == fast
    assert result_sha256(slow) == result_sha256(fast)
