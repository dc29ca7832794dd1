"""The reference's shortcuts are the document's steps (ledger/draw/reference.py, docs/draw-v1.md).

* §2: a snapshot line of the common shape is read from a pattern, without decoding; it must give
  exactly what decoding it with json and re-encoding it gives — the same record, or a refusal —
  on lines built to sit on the pattern's edges (escapes, control characters, U+007F–U+009F,
  U+2028, non-NFC text, extra keys, other spellings) and on random edits of them.
* §7: :func:`reference.first` (only the ids whose tickets' first four digits can be among the
  first k get full tickets) is the head of :func:`reference.order`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.draw import reference
from ledger.draw.primitives import CJ
from ledger.errors import MalformedError

KINDS = ("entities", "inspectors", "conflicts")
# Characters on the pattern's edges: an escape pair and C0 controls (a line holding them is decoded),
# and those a line holds raw (DEL, C1 controls, U+2028, a combining accent making "e\u0301" not
# NFC, the private use area, a supplementary plane), which the pattern must sort out itself.
_ESCAPED = ['"', "\\", "\x00", "\x1f"]
_RAW = ["\x7f", "\x85", "\x9f", "\u2028", "e\u0301", "\ue000", "\U0001f600"]
_EDGES = _ESCAPED + _RAW * 3
_GOOD = ["A", "é"]  # identifiers: few, so that records share strata, departments and tags
_TEXT = st.lists(st.sampled_from([*"aZ9 企", *_EDGES]), max_size=4).map("".join)  # any name
_ODD: list[Any] = [1, 0, None, -1, 2**53, "true", "A", [], ["A"], {}]  # for a field of another type
_VALUES = st.sampled_from(_ODD) | _TEXT
_ONE_IN_FOUR = st.sampled_from([False, False, False, True])  # (Hypothesis prefers the first)
_BAD_DATES = ["2023-02-29", "0000-01-01", "2024-1-01", "２０２４-01-01", "2024-02-29 ", "x"]
_DEFECTS = ["none", "id", "field", "tag", "tags", "date", "active", "extra", "missing", "spelling", "bytes", "order"]  # fmt: skip


@st.composite
def _record(draw: st.DrawFn, kind: str, record_id: str) -> dict[str, Any]:
    """A valid record of ``kind`` (its name anything a string may hold)."""
    shared = st.sampled_from(_GOOD)
    tags = sorted(set(draw(st.lists(shared, max_size=2)))) if draw(_ONE_IN_FOUR) else []
    if kind == "conflicts":
        return {"entity": record_id, "inspector": draw(shared)}
    if kind == "entities":
        return {
            "id": record_id,
            "name": draw(_TEXT),
            "stratum": draw(shared),
            "last_inspected": "2024-02-29" if draw(_ONE_IN_FOUR) else None,
            "tags": tags,
        }
    return {"id": record_id, "dept": draw(shared), "tags": tags, "active": draw(st.booleans())}


def _spelled(record: dict[str, Any], canonical: bool) -> bytes:
    """The record's line: canonical JSON (its nearest spelling for 2^53), or another spelling."""
    if not canonical:
        return json.dumps(record, ensure_ascii=False).encode()  # spaces, key order kept
    try:
        return CJ(record)
    except MalformedError:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


@st.composite
def _snapshot(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid snapshot file, most often with one defect in one record (an identifier, a date,
    a key… on an edge of the pattern), which may or may not make it invalid."""
    kind = draw(st.sampled_from(KINDS))
    ids = sorted(
        {
            draw(st.sampled_from(_GOOD)) + str(n)
            for n in draw(st.lists(st.integers(0, 99), max_size=8))
        },
        key=str.encode,
    )
    records = [draw(_record(kind, i)) for i in ids]
    defect = draw(st.sampled_from(_DEFECTS)) if records else "none"
    at = draw(st.integers(0, len(records) - 1)) if records else 0
    record = records[at] if records else {}
    edge = draw(st.sampled_from(_EDGES))
    key = "entity" if kind == "conflicts" else "id"
    if defect == "id":
        record[key] = record[key][:1] + edge + record[key][1:]  # order kept but for "\\", '"'…
    elif defect == "field":
        other = {"conflicts": "inspector", "entities": "stratum", "inspectors": "dept"}[kind]
        record[other] += edge
    elif defect == "tag" and "tags" in record:
        record["tags"] = sorted([*record["tags"], "A" + edge])
    elif defect == "tags" and "tags" in record:
        record["tags"] = ["é", "A"]
    elif defect == "date" and kind == "entities":
        record["last_inspected"] = draw(st.sampled_from(_BAD_DATES))
    elif defect == "active" and kind == "inspectors":
        record["active"] = draw(_VALUES)
    elif defect == "extra":
        record[draw(st.sampled_from(["x", "名称", "tags"]))] = draw(_VALUES)
    elif defect == "missing":
        del record[draw(st.sampled_from(sorted(record)))]
    elif defect == "order" and len(records) > 1:
        records[at], records[at - 1] = records[at - 1], records[at]
    lines = [_spelled(r, defect != "spelling" or n != at) for n, r in enumerate(records)]
    raw = bytearray(b"".join(line + b"\n" for line in lines))
    if defect == "bytes":
        where = draw(st.integers(0, max(0, len(raw) - 1)))
        raw[where:where] = draw(
            st.sampled_from([b'"', b"\\", b"\n", b" ", b"\x7f", b"\xc2\x85", b"\xff"])
        )
    return kind, bytes(raw)


def _every_line_decoded(kind: str, data: bytes) -> list[dict[str, Any]]:
    """§2 without the pattern: every line decoded with json and re-encoded."""
    if data and not data.endswith(b"\n"):
        raise MalformedError("no final newline")
    records: list[dict[str, Any]] = []
    previous: tuple[str, ...] | None = None
    for number, raw in enumerate(data.split(b"\n")[:-1], start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedError("not UTF-8") from exc
        record = reference._decoded_record(kind, number, line)
        key = (record["entity"], record["inspector"]) if kind == "conflicts" else (record["id"],)
        if previous is not None and not previous < key:
            raise MalformedError("order")
        previous = key
        records.append(record)
    return records


def _outcome(parse: Any, kind: str, data: bytes) -> Any:
    try:
        return parse(kind, data)
    except MalformedError:
        return MalformedError


@settings(max_examples=1000, deadline=None)
@given(_snapshot())
def test_a_plain_line_is_read_as_json_would_read_it(case: tuple[str, bytes]) -> None:
    kind, data = case
    expected = _outcome(_every_line_decoded, kind, data)
    assert _outcome(reference.parse_snapshot, kind, data) == expected


def _edited(kind: str, field: str, value: Any) -> list[dict[str, Any]]:
    """Two valid records alike but for their ids, then the second with ``field`` set to
    ``value`` (deleted when ``value`` is ``...``)."""
    records = [_first_record(kind, "A1"), _first_record(kind, "A2")]
    if value is ...:
        records[1].pop(field, None)
    else:
        records[1][field] = value
    return records


def _first_record(kind: str, record_id: str) -> dict[str, Any]:
    if kind == "conflicts":
        return {"entity": record_id, "inspector": "é"}
    if kind == "entities":
        return {"id": record_id, "name": "n", "stratum": "é", "last_inspected": None, "tags": ["A"]}
    return {"id": record_id, "dept": "é", "tags": ["A"], "active": True}


_FIELDS = {
    "entities": ["id", "name", "stratum", "last_inspected", "tags", "x"],
    "inspectors": ["id", "dept", "tags", "active", "x"],
    "conflicts": ["entity", "inspector", "x"],
}


@pytest.mark.parametrize(
    ("kind", "field"), [(kind, field) for kind, fields in _FIELDS.items() for field in fields]
)
def test_a_record_like_the_one_before_is_checked_all_the_same(kind: str, field: str) -> None:
    """The fields a plain record shares with an earlier one are not checked again: every edge
    of every field, in the second of two records alike, is refused exactly as json would."""
    values = [..., *_ODD, *(f"A{edge}" for edge in _EDGES), *([f"A{edge}"] for edge in _EDGES)]
    values += [["é", "A"], ["A", "A"], *_BAD_DATES, "2024-02-29", "A3"]
    for value in values:
        for canonical in (True, False):
            lines = [
                _spelled(r, canonical or n == 0) for n, r in enumerate(_edited(kind, field, value))
            ]
            data = b"".join(line + b"\n" for line in lines)
            expected = _outcome(_every_line_decoded, kind, data)
            assert _outcome(reference.parse_snapshot, kind, data) == expected, (field, value)


def test_plain_lines_are_read_in_pieces_with_their_numbers() -> None:
    """Files longer than one piece: the same records, and an error names its line."""
    lines = [CJ({"entity": f"e{n:06d}", "inspector": "i"}) + b"\n" for n in range(30_000)]
    data = b"".join(lines)
    assert len(data) > 1 << 20
    records = reference.parse_snapshot("conflicts", data)
    assert [r["entity"] for r in records] == [f"e{n:06d}" for n in range(30_000)]
    broken = data.replace(b"e029000", b"e029\xff00")
    with pytest.raises(MalformedError, match="第 29001 行"):
        reference.parse_snapshot("conflicts", broken)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text("0123456789abcdef企", min_size=1, max_size=6), unique=True, max_size=400),
    st.integers(-1, 410),
    st.sampled_from(["s", "ecad627aedac49b1f2a8ccb65c63c41a17261ba70a3c7eb9500a9fc250d58742"]),
)
def test_first_is_the_head_of_the_order(ids: list[str], k: int, seed: str) -> None:
    """Hundreds of ids share first four ticket digits with another: ties at the bound too."""
    assert reference.first(seed, ids, k) == reference.order(seed, ids)[: max(k, 0)]
