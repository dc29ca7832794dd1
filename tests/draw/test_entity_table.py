"""The draw's entity table: the C accelerator's path accepts and rejects exactly what the general
parser does, and gives the same columns (docs/draw-v1.md §2, §8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.draw import snapshot
from ledger.draw.snapshot import EntityTable, build_snapshot, parse_entity_table, parse_snapshot
from ledger.errors import MalformedError

# Every test runs with the C accelerator, then without it (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")


def _ent(i: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": i,
        "name": "崇信县某某有限公司",
        "stratum": "A",
        "last_inspected": None,
        "tags": [],
    }
    record.update(extra)
    return record


def _general(data: bytes) -> EntityTable | type[MalformedError]:
    try:
        return EntityTable.from_records(parse_snapshot("entities", data))
    except MalformedError:
        return MalformedError


def _fast(data: bytes) -> EntityTable | type[MalformedError]:
    try:
        return parse_entity_table(data)
    except MalformedError:
        return MalformedError


def test_fast_path_is_taken_and_agrees(backend: str) -> None:
    records = [
        _ent(f"9162{n:06d}", stratum="AB"[n % 2], tags=["餐饮"] if n % 3 else [])
        for n in range(300)
    ]
    records[5]["last_inspected"] = "2023-05-06"
    data = build_snapshot("entities", records)
    assert (snapshot.c_span_table(data, 0, len(data)) is not None) == (backend == "c")
    table = parse_entity_table(data)
    assert table == _general(data)
    assert table.last_inspected[5] == "2023-05-06"
    assert table.last_inspected[0] == ""


def test_extra_keys_take_the_general_path() -> None:
    data = build_snapshot("entities", [_ent("a", 行政区划="620823"), _ent("b")])
    assert snapshot.c_span_table(data, 0, len(data)) is None
    assert parse_entity_table(data).ids == ["a", "b"]


BASE = build_snapshot(
    "entities",
    [_ent("a", name="n", tags=["x", "y"]), _ent("b", name="杭州", last_inspected="2024-01-31")],
)
MUTATIONS: list[Callable[[bytes], bytes]] = [
    lambda d: d.replace(b'{"id"', b'{ "id"', 1),
    lambda d: d.replace(b'"n"', b'"\\u006e"', 1),
    lambda d: d.replace(b'"n"', b'"\\/"', 1),
    lambda d: d.replace(b'"n"', b'"\\ud800"', 1),
    lambda d: d.replace(b'"n"', b'"\\ud83d\\ude00"', 1),
    lambda d: d.replace(b'"n"', '"😀"'.encode(), 1),
    lambda d: d.replace(b'"n"', b'"\xed\xa0\x80"', 1),
    lambda d: d.replace(b'"n"', b'"\\u001F"', 1),
    lambda d: d.replace(b'"n"', b'"\\u001f"', 1),
    lambda d: d.replace(b'"n"', b'"\\u0009"', 1),
    lambda d: d.replace(b'"n"', b'"\t"', 1),
    lambda d: d.replace(b'"n"', b"1", 1),
    lambda d: d.replace(b'"tags":["x","y"]', b'"tags":["y","x"]', 1),
    lambda d: d.replace(b'"tags":["x","y"]', b'"tags":["x","x"]', 1),
    lambda d: d.replace(b'"tags":["x","y"]', b'"tags":[]', 1),
    lambda d: d.replace(b'"tags":["x","y"]', b'"tags":null', 1),
    lambda d: d.replace(b'"stratum":"A","tags"', b'"stratum":"A","stratum":"A","tags"', 1),
    lambda d: d.replace(b'"id":"a","last_inspected":null', b'"last_inspected":null,"id":"a"', 1),
    lambda d: d.replace(b'"id":"a"', b'"id":"c"', 1),
    lambda d: d.replace(b'"id":"a"', b'"id":"b"', 1),
    lambda d: d.replace(b'"id":"a"', b'"id":"a\\u0001"', 1),
    lambda d: d.replace(b'"id":"a"', '"id":"e\u0301"'.encode(), 1),
    lambda d: d.replace(b'"id":"a"', '"id":"\u00e9"'.encode(), 1),
    lambda d: d.replace(b'"id":"a"', '"id":"a\u0085"'.encode(), 1),
    lambda d: d.replace(b'"stratum":"A"', b'"stratum":""', 1),
    lambda d: d.replace(b'"2024-01-31"', b'"2024-02-30"', 1),
    lambda d: d.replace(b'"2024-01-31"', b'"2024-1-31"', 1),
    lambda d: d.replace(b'"2024-01-31"', b"20240131", 1),
    lambda d: d.replace(b',"name":"n"', b"", 1),
    lambda d: d.replace(b'"tags":["x","y"]}', b'"tags":["x","y"],"z":1}', 1),
    lambda d: d.replace(b'"tags":["x","y"]}', b'"tags":["x","y"],"z":1.5}', 1),
    lambda d: d.replace(b"\n", b"\r\n", 1),
    lambda d: d.replace(b"\n", b"\n\n", 1),
    lambda d: d[:-1],
    lambda d: d + b"[]\n",
    lambda d: b"\xff" + d,
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_mutations_agree_with_the_general_parser(mutate: Callable[[bytes], bytes]) -> None:
    assert _general(BASE) == _fast(BASE) != MalformedError
    data = mutate(BASE)
    assert data != BASE
    assert _fast(data) == _general(data)


_text = st.text(st.characters(codec="utf-8"), max_size=6)
_record = st.fixed_dictionaries(
    {
        "id": _text,
        "name": _text,
        "stratum": st.sampled_from(["A", "B", "é", ""]),
        "last_inspected": st.sampled_from([None, "2024-01-31", "2024-02-30", "x"]),
        "tags": st.lists(_text, max_size=3),
    },
    optional={"extra": st.integers(0, 3)},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_record, max_size=6), st.booleans())
def test_random_files_agree(records: list[dict[str, Any]], sort: bool) -> None:
    if sort:
        records = sorted(records, key=lambda r: r["id"])
    data = b"".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":"), sort_keys=sort).encode() + b"\n"
        for r in records
    )
    assert _fast(data) == _general(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_agree(data: bytes) -> None:
    assert _fast(data) == _general(data)
