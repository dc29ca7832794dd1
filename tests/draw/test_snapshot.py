"""Snapshot files: canonical sorted JSON lines (docs/draw-v1.md §2)."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.draw.snapshot import build_snapshot, parse_snapshot, snapshot_ref
from ledger.errors import MalformedError


def _ent(i: str, **extra: Any) -> dict[str, Any]:
    record = {
        "id": i,
        "name": "杭州某某有限公司",
        "stratum": "A",
        "last_inspected": None,
        "tags": [],
    }
    record.update(extra)
    return record


def test_build_sorts_and_is_canonical() -> None:
    data = build_snapshot("entities", [_ent("b", tags=["食品", "b"]), _ent("a")])
    assert (
        data
        == (
            '{"id":"a","last_inspected":null,"name":"杭州某某有限公司","stratum":"A","tags":[]}\n'
            '{"id":"b","last_inspected":null,"name":"杭州某某有限公司","stratum":"A","tags":["b","食品"]}\n'
        ).encode()
    )
    assert parse_snapshot("entities", data)[1]["tags"] == ["b", "食品"]
    assert snapshot_ref(data) == {"sha256": hashlib.sha256(data).hexdigest(), "count": 2}


def test_sorted_by_utf8_bytes() -> None:
    ids = ["统一", "Z", "a", "é", "10", "9"]
    data = build_snapshot("entities", [_ent(i) for i in ids])
    parsed = [r["id"] for r in parse_snapshot("entities", data)]
    assert parsed == sorted(ids, key=lambda s: s.encode())


def test_control_characters_escaped_in_names_rejected_in_ids() -> None:
    data = build_snapshot("entities", [_ent("a", name="x\ty\u0001")])
    assert b'"x\\ty\\u0001"' in data
    assert parse_snapshot("entities", data)[0]["name"] == "x\ty\u0001"
    with pytest.raises(MalformedError):
        build_snapshot("entities", [_ent("a\tb")])
    bad = data.replace(b'"id":"a"', b'"id":"a\\u0001"')
    with pytest.raises(MalformedError):
        parse_snapshot("entities", bad)


def test_non_nfc_id_rejected() -> None:
    with pytest.raises(MalformedError):
        build_snapshot("entities", [_ent("e\u0301")])


def test_duplicates_rejected() -> None:
    with pytest.raises(MalformedError, match="重复"):
        build_snapshot("entities", [_ent("a"), _ent("a", name="other")])
    with pytest.raises(MalformedError, match="重复"):
        build_snapshot("conflicts", [{"entity": "e", "inspector": "i"}] * 2)
    line = build_snapshot("entities", [_ent("a")])
    with pytest.raises(MalformedError):
        parse_snapshot("entities", line + line)
    with pytest.raises(MalformedError):
        build_snapshot("entities", [_ent("a", tags=["x", "x"])])


def test_floats_and_big_ints_rejected() -> None:
    with pytest.raises(MalformedError):
        build_snapshot("entities", [_ent("a", score=0.5)])
    line = b'{"id":"a","last_inspected":null,"name":"n","score":%s,"stratum":"A","tags":[]}\n'
    for literal in (b"0.5", b"1e2", b"NaN", b"9007199254740993", b"-0"):
        with pytest.raises(MalformedError):
            parse_snapshot("entities", line % literal)
    assert parse_snapshot("entities", line % b"7")[0]["score"] == 7


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.replace(b'{"id"', b'{ "id"', 1),  # whitespace
        lambda d: d.replace(b"\n", b"\r\n"),
        lambda d: d[:-1],  # no final newline
        lambda d: d + b"\n",  # empty line
        lambda d: b"\n" + d,
        lambda d: d.replace("杭州".encode(), b"\\u676d\\u5dde", 1),  # non-canonical escape
        lambda d: d.replace(
            b'"stratum":"A","tags"', b'"tags":[],"stratum":"A","tags"', 1
        ),  # dup key
        lambda d: d.replace(
            b'"id":"a","last_inspected":null', b'"last_inspected":null,"id":"a"', 1
        ),
        lambda d: d.replace(b"[]}\n{", b"[]},{", 1),  # two records on one line
        lambda d: d.replace(b'"tags":[]}\n{"id":"b"', b'"tags":[\n]}\n{"id":"b"', 1),  # spans lines
        lambda d: d.replace(b'"last_inspected":null', b'"last_inspected":"2024-02-30"', 1),
        lambda d: d.replace(b'"last_inspected":null', b'"last_inspected":"20240201"', 1),
        lambda d: d.replace(b'"stratum":"A"', b'"stratum":""', 1),
        lambda d: d.replace(b',"name":"n"', b"", 1),  # missing field
        lambda d: d.replace(b'"tags":[]', b'"tags":["z","a"]', 1),  # unsorted tags
        lambda d: d.replace(b'"id":"a"', b'"id":"c"', 1),  # out of order
        lambda d: b"\xff" + d,
        lambda d: b"[]\n",
    ],
)
def test_parser_rejects_non_canonical_files(mutate: Any) -> None:
    data = build_snapshot("entities", [dict(_ent("a"), name="n"), dict(_ent("b"), name="杭州")])
    parse_snapshot("entities", data)
    with pytest.raises(MalformedError):
        parse_snapshot("entities", mutate(data))


def test_one_changed_byte_changes_hash() -> None:
    data = build_snapshot("entities", [_ent("a"), _ent("b")])
    changed = data.replace(b'"id":"b"', b'"id":"c"')
    assert snapshot_ref(changed)["sha256"] != snapshot_ref(data)["sha256"]


def test_inspector_and_conflict_schemas() -> None:
    ins = build_snapshot("inspectors", [{"id": "I1", "dept": "d", "tags": ["t"], "active": True}])
    assert parse_snapshot("inspectors", ins)[0]["active"] is True
    with pytest.raises(MalformedError):
        build_snapshot("inspectors", [{"id": "I1", "dept": "d", "tags": [], "active": 1}])
    con = build_snapshot(
        "conflicts", [{"entity": "e2", "inspector": "i1"}, {"entity": "e1", "inspector": "i2"}]
    )
    assert [r["entity"] for r in parse_snapshot("conflicts", con)] == ["e1", "e2"]
    with pytest.raises(MalformedError):
        build_snapshot("conflicts", [{"entity": "e", "inspector": "i", "reason": "亲属"}])
    with pytest.raises(MalformedError):
        build_snapshot("other", [])
    assert parse_snapshot("conflicts", b"") == []


def test_high_plane_characters_use_the_strict_path() -> None:
    data = build_snapshot("entities", [_ent("a", name="𠀀\ue000")])
    assert parse_snapshot("entities", data)[0]["name"] == "𠀀\ue000"
    with pytest.raises(MalformedError):
        parse_snapshot("entities", data.replace(b'{"id"', b'{ "id"'))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_parser_only_raises_malformed(data: bytes) -> None:
    for kind in ("entities", "inspectors", "conflicts"):
        with contextlib.suppress(MalformedError):
            parse_snapshot(kind, data)
