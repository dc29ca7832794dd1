"""The C accelerator for entity files (``ledger/draw/_entities.c``).

Whatever it accepts, the general parser accepts with the same values; what it declines (None),
the general parser decides. Its dates, UTF-8 rules and tickets are compared with Python's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import struct
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import typed_rules
from test_entity_table import _ent

from ledger.draw import sampling, snapshot
from ledger.draw.rules import Rules
from ledger.draw.snapshot import EntityTable, build_snapshot, parse_snapshot
from ledger.draw.tickets import TicketMaker
from ledger.errors import MalformedError

SEED = "c3" * 32


def test_the_accelerator_is_built_where_it_can_be() -> None:
    """Where a C compiler, Python's headers and OpenSSL's headers exist, ``pip install`` builds
    it (the extension is optional, so a failed build would otherwise go unnoticed)."""
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    buildable = (
        shutil.which("cc") is not None
        and include.exists()
        and Path("/usr/include/openssl/sha.h").exists()
    )
    if not buildable:
        pytest.skip("no compiler or headers here: the pure-Python path is used")
    assert snapshot.entities_c is not None


c = snapshot.entities_c
pytestmark = pytest.mark.skipif(c is None, reason="the C accelerator is not built here")


def _general(data: bytes) -> EntityTable | None:
    try:
        return EntityTable.from_records(parse_snapshot("entities", data))
    except MalformedError:
        return None


def _c_table(data: bytes) -> EntityTable | None:
    assert c is not None
    columns = c.columns(data, 0, len(data))
    if columns is None:
        return None
    ids, strata, lasts, tags = columns
    try:
        snapshot.check_c_values(strata, tags)
    except MalformedError:
        return None
    return EntityTable(ids, strata, lasts)


def _pool(n: int, rng: random.Random) -> bytes:
    records = {}
    for i in range(n):
        entity_id = f"91{rng.randrange(10**16):016d}"
        records[entity_id] = _ent(
            entity_id,
            name=rng.choice(["某某公司", "Café «Ω»", "x", "😀 店", "a/b"]) + str(i),
            stratum=rng.choice(["A", "B", "高", "C"]),
            last_inspected=rng.choice([None, "2023-02-28", "2024-02-29", "2022-12-31"]),
            tags=sorted(rng.sample(["食品经营", "餐饮", "x", "药品"], rng.randrange(3))),
        )
    return build_snapshot("entities", records.values())


def test_a_canonical_file_is_read_as_the_general_parser_reads_it() -> None:
    data = _pool(500, random.Random(1))
    table = _c_table(data)
    assert table is not None
    assert table == _general(data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"name":"x', b'"name":"\\u0078'),  # an escape: declined, though valid
        (b'"name":"x', b'"name":"\\"'),
        (b',"name"', b', "name"'),
        (b'"tags":[]', b'"tags":[ ]'),
        (b"}\n", b"}\r\n"),
        (b"}\n", b"}\n\n"),
        (b'"stratum":"A"', b'"stratum":"\x7f"'),  # a control character in an identifier
        (b'"stratum":"A"', b'"stratum":"\xc2\x85"'),  # C1 control character
        (b'"stratum":"A"', b'"stratum":"e\xcc\x81"'),  # not NFC
        (b'"stratum":"A"', b'"stratum":""'),
        (b'"id":"a', b'"id":"\xc3\xa9a'),  # a non-ASCII id: the general path decides
        (b'"id":"a', b'"id":"\x7fa'),
        (b'"tags":[]', b'"tags":["b","a"]'),
        (b'"tags":[]', b'"tags":["a","a"]'),
        (b'"tags":[]', b'"tags":[""]'),
        (b'"tags":[]', b'"tags":["\x7f"]'),
        (b'"tags":[]', b'"tags":["a",]'),
        (b'"last_inspected":null', b'"last_inspected":"2023-02-29"'),
        (b'"last_inspected":null', b'"last_inspected":"0000-01-01"'),
        (b'"last_inspected":null', b'"last_inspected":"2023-2-01"'),
        (b'"last_inspected":null', b'"last_inspected":nul'),
        (b'"name":"x', b'"name":"\xed\xa0\x80'),  # a surrogate
        (b'"name":"x', b'"name":"\xc0\xaf'),  # overlong
        (b'"name":"x', b'"name":"\xf4\x90\x80\x80'),  # above U+10FFFF
        (b'"name":"x', b'"name":"\x01'),
    ],
)
def test_declined_or_rejected_lines(old: bytes, new: bytes) -> None:
    records = [_ent("a", name="x"), _ent("b", name="xy")]
    data = build_snapshot("entities", records)
    assert old in data
    bad = data.replace(old, new, 1)
    assert _c_table(bad) is None
    try:
        fast: EntityTable | None = snapshot.parse_entity_table(bad)
    except MalformedError:
        fast = None
    assert fast == _general(bad)


def test_ids_out_of_order_or_repeated_are_declined() -> None:
    a, b = (build_snapshot("entities", [_ent(i)]) for i in ("a", "b"))
    assert _c_table(b + a) is None
    assert _c_table(a + a) is None
    assert _c_table(a + b) is not None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_files_are_never_accepted_differently(data: st.DataObject) -> None:
    """One to three bytes of a valid file changed: if C accepts it, the general parser accepts it
    with the same table."""
    base = bytearray(_pool(6, random.Random(data.draw(st.integers(0, 50)))))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(base) - 1))
        base[at] = data.draw(
            st.sampled_from(
                [
                    0,
                    0x09,
                    0x0A,
                    0x20,
                    0x22,
                    0x2C,
                    0x5C,
                    0x7F,
                    0x80,
                    0xC3,
                    0xE5,
                    0xED,
                    0xF4,
                    0xFF,
                    base[at] ^ 1,
                ]
            )
        )
    corrupted = bytes(base)
    table = _c_table(corrupted)
    if table is not None:
        assert table == _general(corrupted)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8))
def test_any_name_is_accepted_only_as_written_canonically(name: str) -> None:
    data = build_snapshot("entities", [_ent("a", name=name)])
    table = _c_table(data)
    if table is not None:
        assert table == _general(data)
    if not any(ch in name for ch in '"\\') and all(ord(ch) >= 0x20 for ch in name):
        assert table is not None  # literal text: no escape needed, so C reads it


def test_dates_equal_fromisoformat() -> None:
    texts = [
        f"{y:04d}-{m:02d}-{d:02d}"
        for y in (0, 1, 4, 100, 1900, 2000, 2023, 2024, 9999)
        for m in range(14)
        for d in range(33)
    ]
    for text in texts:
        try:
            dt.date.fromisoformat(text)
            valid = True
        except ValueError:
            valid = False
        data = build_snapshot("entities", [_ent("a")]).replace(
            b'"last_inspected":null', f'"last_inspected":"{text}"'.encode()
        )
        assert (_c_table(data) is not None) == valid, text


def test_every_invalid_utf8_lead_and_continuation_is_declined() -> None:
    template = build_snapshot("entities", [_ent("a", name="@")])
    for first in range(0x80, 0x100):
        for tail in (
            b"",
            b"\x80",
            b"\xbf",
            b"\x80\x80",
            b"\xa0\x80",
            b"\x90\x80\x80",
            b"\x8f\xbf\xbf",
        ):
            raw = bytes([first]) + tail
            data = template.replace(b"@", raw)
            try:
                raw.decode("utf-8")
                valid = True
            except UnicodeDecodeError:
                valid = False
            assert (_c_table(data) is not None) == valid, raw.hex()


def _python_candidates(data: bytes, plan: Rules) -> tuple[dict[str, int], dict]:
    table = EntityTable.from_records(snapshot.parse_snapshot("entities", data))
    days = plan.exclude_inspected_within_days
    ids, groups = sampling._eligible(table, plan.names, plan.as_of, days)
    eligible = {name: groups.count(name) for name in plan.names}
    maker = TicketMaker(SEED)
    keys = {}
    for name in plan.names:
        members = [i for i, g in zip(ids, groups, strict=True) if g == name]
        keys[name] = sorted(maker.sort_keys(members))
    return eligible, keys


@pytest.mark.parametrize("days", [None, 0, 365, 10**6])
def test_candidates_equal_the_python_draw(days: int | None) -> None:
    assert c is not None
    data = _pool(3000, random.Random(days or 0))
    plan = typed_rules(
        {
            "strata": [{"stratum": s, "ratio": "0.1"} for s in ("A", "B", "高", "C")],
            "as_of": "2024-01-01",
            "exclude_inspected_within_days": days,
        }
    )
    eligible, keys = _python_candidates(data, plan)
    maker = TicketMaker(SEED)
    half = sampling._half_c(data, 0, len(data), plan, maker)
    assert half is not None
    assert half.eligible == eligible
    assert half.first_id == data[7:25].decode()
    for name in plan.names:
        bound = format(half.thresholds[name], "05d")
        expected = [k for k in keys[name] if half.thresholds[name] == 100_000 or k[:5] < bound]
        assert sorted(half.keys[name]) == expected


def test_key5_is_the_first_five_ticket_digits() -> None:
    assert c is not None
    ids = [f"id{n}" for n in range(2000)]
    data = build_snapshot("entities", [_ent(i) for i in ids])
    maker = TicketMaker(SEED)
    _f, _l, counts, packed, _t = c.candidates(data, 0, len(data), (b"A",), None, maker.prefix_hex)
    assert counts == (2000,)
    for bound in (1, 7, 12345, 99999, 100000):
        (found,) = c.select(data, packed, (bound,), maker.prefix_hex)
        expected = [i for i in sorted(ids) if int(maker.ticket(i)[2:7]) < bound]
        assert found == maker.sort_keys(expected)
    # Tickets longer than 64 digits (digests ≥ 10^64, most of them) and shorter ones alike.
    (keys,) = c.select(data, packed, (100_000,), maker.prefix_hex)
    assert {len(k.split(" ")[0]) for k in keys} >= {77, 78}


def test_an_unlisted_stratum_is_declined() -> None:
    assert c is not None
    data = build_snapshot("entities", [_ent("a"), _ent("b", stratum="Z")])
    prefix = hashlib.sha256(b"x").hexdigest().encode()
    assert c.candidates(data, 0, len(data), (b"A",), None, prefix) is None
    assert c.candidates(data, 0, len(data), (b"A", b"Z"), None, prefix) is not None


def test_bad_arguments_raise() -> None:
    assert c is not None
    data = build_snapshot("entities", [_ent("a")])
    prefix = b"0" * 64
    with pytest.raises(ValueError, match="span"):
        c.columns(data, 0, len(data) + 1)
    with pytest.raises(ValueError, match="span"):
        c.columns(data, 3, 3)
    with pytest.raises(ValueError, match="prefix"):
        c.candidates(data, 0, len(data), (b"A",), None, b"0" * 63)
    with pytest.raises(ValueError, match="cutoff"):
        c.candidates(data, 0, len(data), (b"A",), b"2024", prefix)
    with pytest.raises(TypeError):
        c.candidates(data, 0, len(data), ("A",), None, prefix)
    with pytest.raises(ValueError, match="packed"):
        c.select(data, b"\x00" * 5, (1,), prefix)
    with pytest.raises(ValueError, match="prefix"):
        c.select(data, b"", (1,), b"0")
    _f, _l, _n, packed, _t = c.candidates(data, 0, len(data), (b"A",), None, prefix)
    with pytest.raises(ValueError, match="fit"):
        c.select(data[:5], packed, (100_000,), prefix)


def _row(offset: int, length: int, group: int = 0, key5: int = 0) -> bytes:
    """One row of the packed buffer (``eligible_t``: Py_ssize_t, uint32, uint16, uint32)."""
    return struct.pack("<qIHxxIxxxx", offset, length, group, key5)


def test_select_checks_every_row_against_the_data() -> None:
    assert c is not None
    prefix = b"0" * 64
    assert struct.calcsize("<qIHxxIxxxx") == 24
    with pytest.raises(ValueError, match="fit"):  # offset + length overflows
        c.select(b"data", _row(2**63 - 1, 2), (100_000,), prefix)
    with pytest.raises(ValueError, match="fit"):  # not an id candidates accepted
        c.select(b"\xff\xfeid", _row(0, 4), (100_000,), prefix)
    with pytest.raises(ValueError, match="fit"):
        c.select(b"data", _row(0, 4, group=1), (100_000,), prefix)
    (keys,) = c.select(b"data", _row(0, 4), (100_000,), prefix)
    assert len(keys) == 1
    assert keys[0].endswith(" data")
    misaligned = memoryview(b"x" + _row(0, 4))[1:]
    assert c.select(b"data", misaligned, (100_000,), prefix) == [keys]


def test_packed_rows_hold_no_stale_bytes() -> None:
    assert c is not None
    data = build_snapshot("entities", [_ent(f"id{n}") for n in range(50)])
    prefix = b"0" * 64
    packed = c.candidates(data, 0, len(data), (b"A",), None, prefix)[3]
    for at in range(0, len(packed), 24):
        assert packed[at + 14 : at + 16] == b"\0\0"
        assert packed[at + 20 : at + 24] == b"\0\0\0\0"
