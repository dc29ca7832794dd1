"""Commitments, seed and sub-seeds (docs/draw-v1.md §4–§5), RFC 3797 key strings."""

from __future__ import annotations

import hashlib

import pytest

from ledger.draw.primitives import LP, H, u32be, u64be
from ledger.draw.seed import (
    announce_hash,
    check_reveal,
    commitment,
    compute_seed,
    key_string,
    parse_key_string,
    seed_preimage,
    subseeds,
)
from ledger.errors import MalformedError, VerificationError

A32 = bytes(range(32))
B32 = bytes(range(32, 64))
C32 = bytes(range(64, 96))
SECRET = hashlib.sha256(b"s").digest()


def _seed(secrets: dict[str, bytes | None], extra: str | None = None) -> bytes:
    return compute_seed(A32, B32, 5358915, C32, secrets, extra)


# --- primitives ---------------------------------------------------------------------------


def test_lp_framing_is_unambiguous() -> None:
    assert LP(b"ab") + LP(b"c") != LP(b"a") + LP(b"bc")
    assert LP(b"") == b"\x00\x00\x00\x00"
    assert LP(b"abc") == b"\x00\x00\x00\x03abc"


def test_integer_encodings() -> None:
    assert u32be(1) == b"\x00\x00\x00\x01"
    assert u64be(5358915) == (5358915).to_bytes(8, "big")
    with pytest.raises(MalformedError):
        u32be(1 << 32)
    with pytest.raises(MalformedError):
        u64be(-1)


def test_seed_framing_separates_departments_and_secrets() -> None:
    # ("ab", "c") vs ("a", "bc") in the department/secret pairs must not collide.
    one = _seed({"ab": None, "c": None})
    two = _seed({"a": None, "bc": None})
    assert one != two


# --- commitments and reveals ----------------------------------------------------------------


def test_commitment_definition() -> None:
    expected = H(LP(b"draw-v1/commit") + LP(b"task-1") + LP("市场监管局".encode()) + LP(SECRET))
    assert commitment("task-1", "市场监管局", SECRET) == expected.hex()


def test_commitment_binds_task_and_dept() -> None:
    base = commitment("task-1", "d1", SECRET)
    assert commitment("task-2", "d1", SECRET) != base
    assert commitment("task-1", "d2", SECRET) != base


def test_reveal_checks() -> None:
    c = commitment("t", "d", SECRET)
    assert check_reveal("t", "d", SECRET.hex(), c) == SECRET
    with pytest.raises(VerificationError):
        check_reveal("t", "d", hashlib.sha256(b"other").hexdigest(), c)
    with pytest.raises(VerificationError):
        check_reveal("t", "d", SECRET.hex().upper(), c)
    with pytest.raises(VerificationError):
        check_reveal("t", "d", None, c)
    with pytest.raises(MalformedError):
        commitment("t", "d", b"short")


# --- seed -------------------------------------------------------------------------------------


def test_seed_preimage_layout() -> None:
    pre = seed_preimage(A32, B32, 7, C32, {"b": SECRET, "a": None}, "1./")
    expected = (
        LP(b"draw-v1/seed")
        + LP(A32)
        + LP(B32)
        + LP(u64be(7))
        + LP(C32)
        + LP(u32be(2))
        + LP(b"a")
        + LP(b"")
        + LP(b"b")
        + LP(SECRET)
        + LP(b"1./")
    )
    assert pre == expected
    assert compute_seed(A32, B32, 7, C32, {"b": SECRET, "a": None}, "1./") == H(expected)


def test_departments_ordered_by_utf8_bytes() -> None:
    # UTF-8 byte order: "Z" (0x5a) < "a" (0x61) < "é" (0xc3 0xa9) < "市" (0xe5 …).
    depts = {"市场监管": SECRET, "é": None, "a": None, "Z": SECRET}
    pre = seed_preimage(A32, B32, 1, C32, depts)
    positions = [pre.index(LP(d.encode())) for d in ["Z", "a", "é", "市场监管"]]
    assert positions == sorted(positions)
    # Insertion order of the mapping is irrelevant.
    assert pre == seed_preimage(A32, B32, 1, C32, dict(reversed(list(depts.items()))))


def test_missing_reveal_is_empty_secret() -> None:
    pre = seed_preimage(A32, B32, 1, C32, {"d": None})
    assert pre.endswith(LP(b"d") + LP(b"") + LP(b""))
    assert _seed({"d": None}) != _seed({"d": SECRET})
    # A missing department is not the same as a department with an empty reveal.
    assert _seed({"d": None}) != _seed({})


def test_extra_key_absent_is_empty() -> None:
    assert seed_preimage(A32, B32, 1, C32, {}).endswith(LP(b""))
    assert _seed({}, None) != _seed({}, "1./")


def test_seed_inputs_all_matter() -> None:
    base = compute_seed(A32, B32, 1, C32, {})
    assert compute_seed(B32, B32, 1, C32, {}) != base
    assert compute_seed(A32, A32, 1, C32, {}) != base
    assert compute_seed(A32, B32, 2, C32, {}) != base
    assert compute_seed(A32, B32, 1, A32, {}) != base
    with pytest.raises(MalformedError):
        compute_seed(A32[:31], B32, 1, C32, {})
    with pytest.raises(MalformedError):
        compute_seed(A32, B32, 1, C32, {"d": b"x"})


def test_subseeds() -> None:
    seed = H(b"seed")
    ents, insp = subseeds(seed)
    assert ents == H(LP(b"draw-v1/sub") + LP(seed) + LP(b"entities")).hex()
    assert insp == H(LP(b"draw-v1/sub") + LP(seed) + LP(b"inspectors")).hex()
    assert len(ents) == len(insp) == 64
    assert ents != insp


def test_announce_hash_is_hash_of_canonical_body() -> None:
    body = {"type": "draw.announce", "id": "x", "ts": "2026-01-01T00:00:00Z", "n": 1}
    assert (
        announce_hash(body)
        == hashlib.sha256(
            b'{"id":"x","n":1,"ts":"2026-01-01T00:00:00Z","type":"draw.announce"}'
        ).digest()
    )
    with pytest.raises(MalformedError):
        announce_hash({"ratio": 0.5})


# --- RFC 3797 ---------------------------------------------------------------------------------

RFC3797_NAMES = [
    "John",
    "Mary",
    "Bashful",
    "Dopey",
    "Sleepy",
    "Grouchy",
    "Doc",
    "Sneazy",
    "Handsome",
    "Cassandra",
    "Pollyanna",
    "Pendragon",
    "Pandora",
    "Faith",
    "Hope",
    "Charity",
    "Lee",
    "Longsuffering",
    "Chastity",
    "Smith",
    "Pride",
    "Sloth",
    "Envy",
    "Anger",
    "Kasczynski",
]
RFC3797_SOURCES = [[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]


def _rfc3797_select(key: str, count: int, pool: int) -> list[int]:
    """RFC 3797 §4 selection (test only: MD5 is not used by DRAW-V1)."""
    remaining = list(range(1, pool + 1))
    picks = []
    for i in range(count):
        prefix = i.to_bytes(2, "big")
        value = int.from_bytes(hashlib.md5(prefix + key.encode() + prefix).digest(), "big")
        picks.append(remaining.pop(value % len(remaining)))
    return picks


def test_rfc3797_key_string() -> None:
    key = key_string(RFC3797_SOURCES)
    assert key == "9319./2.5.8.10.12./9.18.26.34.41.45./"
    assert parse_key_string(key) == key


def test_rfc3797_first_md5_and_selection() -> None:
    key = key_string(RFC3797_SOURCES)
    first = hashlib.md5(b"\x00\x00" + key.encode() + b"\x00\x00").hexdigest().upper()
    assert first == "990DD0A5692A029A98B5E01AA28F3459"
    picks = _rfc3797_select(key, 11, len(RFC3797_NAMES))
    assert picks[:10] == [17, 7, 2, 16, 25, 23, 8, 24, 19, 13]
    assert picks[10] == 22  # the alternate
    assert [RFC3797_NAMES[p - 1] for p in picks[:3]] == ["Lee", "Doc", "Mary"]


def test_key_string_rules() -> None:
    assert key_string([[7]]) == "7./"  # single-value source
    assert key_string([[10, 9, 0]]) == "0.9.10./"  # numeric, not string, order
    with pytest.raises(MalformedError):
        key_string([[]])
    with pytest.raises(MalformedError):
        key_string([[-1]])
    for bad in ["", "9319/", "09./", "2.1./", "1.", "1./2", "1,2./", " 1./"]:
        with pytest.raises(MalformedError):
            parse_key_string(bad)
