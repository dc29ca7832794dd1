"""Tests for ledger.receipt: C2SP tlog-proof v1 receipts (format, strict parse, verify)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import LedgerError, MalformedError, VerificationError
from ledger.note import Signer, sign_note
from ledger.receipt import (
    HEADER,
    MAX_PROOF_HASHES,
    Receipt,
    format_receipt,
    parse_receipt,
    verify_receipt,
)

ORIGIN = "log.example/gongkai/test"
LOG = Signer.from_seed(ORIGIN, b"\x11" * 32)
ENTRIES = [b'{"body":{"n":0},"v":1}', b'{"body":{"n":1},"v":1}', b'{"body":{"n":2},"v":1}']


# A tiny RFC 9162 tree built by hand with hashlib, independent of ledger.merkle.
def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


L0, L1, L2 = (_leaf(e) for e in ENTRIES)
TREES = {
    1: (L0, {0: [L0][:0]}),
    2: (_node(L0, L1), {0: [L1], 1: [L0]}),
    3: (_node(_node(L0, L1), L2), {0: [L1, L2], 1: [L0, L2], 2: [_node(L0, L1)]}),
}


def make_receipt(size: int, index: int) -> bytes:
    root, proofs = TREES[size]
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root), [LOG])
    return format_receipt(Receipt(index, tuple(proofs[index]), note, ENTRIES[index]))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- format / parse ----------------------------------------------------------------------------


def test_format_layout() -> None:
    data = make_receipt(3, 1)
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, TREES[3][0]), [LOG])
    expected = (
        f"{HEADER}\nextra {b64(ENTRIES[1])}\nindex 1\n{b64(L0)}\n{b64(L2)}\n\n".encode() + note
    )
    assert data == expected


@pytest.mark.parametrize(("size", "index"), [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_round_trip_and_verify(size: int, index: int) -> None:
    data = make_receipt(size, index)
    receipt = parse_receipt(data)
    assert format_receipt(receipt) == data
    entry, got_index, cp = verify_receipt(data, ORIGIN, [LOG.verifier()])
    assert (entry, got_index, cp.size, cp.root) == (ENTRIES[index], index, size, TREES[size][0])


def test_receipt_without_extra_parses_but_does_not_verify() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, L0), [LOG])
    data = format_receipt(Receipt(0, (), note))
    assert data.startswith(f"{HEADER}\nindex 0\n\n".encode())
    assert parse_receipt(data).extra is None
    with pytest.raises(VerificationError, match="extra"):
        verify_receipt(data, ORIGIN, [LOG.verifier()])


@pytest.mark.parametrize(
    ("index", "proof", "extra"),
    [(-1, (), b"x"), (2**63 - 1, (), b"x"), (0, (b"\x00" * 31,), b"x"), (0, (), b"")],
)
def test_receipt_constructor_validates(index: int, proof: tuple[bytes, ...], extra: bytes) -> None:
    with pytest.raises(MalformedError):
        Receipt(index, proof, b"", extra)


def test_receipt_constructor_limits_proof_length() -> None:
    with pytest.raises(MalformedError):
        Receipt(0, (bytes(32),) * (MAX_PROOF_HASHES + 1), b"")


# --- malformed receipts ----------------------------------------------------------------------

_GOOD = make_receipt(3, 1)
_HEAD, _NOTE = _GOOD.split(b"\n\n", 1)
_LINES = _HEAD.decode().split("\n")  # header, extra, index, proof0, proof1


def _head(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n\n").encode() + _NOTE


MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "no-blank-line": _HEAD + b"\n",
    "header-v2": _head(["c2sp.org/tlog-proof@v2", *_LINES[1:]]),
    "header-missing": _head(_LINES[1:]),
    "header-trailing-space": _head([HEADER + " ", *_LINES[1:]]),
    "index-missing": _head(_LINES[:2] + _LINES[3:]),
    "index-leading-zero": _head([*_LINES[:2], "index 01", *_LINES[3:]]),
    "index-plus": _head([*_LINES[:2], "index +1", *_LINES[3:]]),
    "index-negative": _head([*_LINES[:2], "index -1", *_LINES[3:]]),
    "index-space": _head([*_LINES[:2], "index  1", *_LINES[3:]]),
    "index-empty": _head([*_LINES[:2], "index ", *_LINES[3:]]),
    "index-huge": _head([*_LINES[:2], f"index {2**63}", *_LINES[3:]]),
    "index-arabic-digit": _head([*_LINES[:2], "index ١", *_LINES[3:]]),
    "extra-after-index": _head([_LINES[0], _LINES[2], _LINES[1], *_LINES[3:]]),
    "extra-twice": _head([*_LINES[:2], *_LINES[1:]]),
    "extra-empty": _head([_LINES[0], "extra ", *_LINES[2:]]),
    "extra-non-canonical": _head([_LINES[0], _LINES[1] + "=", *_LINES[2:]]),
    "extra-no-space": _head([_LINES[0], "extra" + _LINES[1][6:], *_LINES[2:]]),
    "proof-short-hash": _head([*_LINES[:3], b64(bytes(31)), _LINES[4]]),
    "proof-long-hash": _head([*_LINES[:3], b64(bytes(33)), _LINES[4]]),
    "proof-hex-hash": _head([*_LINES[:3], L0.hex(), _LINES[4]]),
    "proof-urlsafe": _head(
        [*_LINES[:3], base64.urlsafe_b64encode(b"\xfb" * 32).decode(), _LINES[4]]
    ),
    "proof-too-many": _head(_LINES[:3] + [b64(bytes(32))] * (MAX_PROOF_HASHES + 1)),
    "crlf": _GOOD.replace(b"\n", b"\r\n"),
    "non-ascii-header": _head([*_LINES[:3], "é" + _LINES[3]]),
    "note-missing": _HEAD + b"\n\n",
    "note-garbage": _HEAD + b"\n\ngarbage\n",
    "note-trailing-garbage": _GOOD + b"x",
    "note-extension-line": _HEAD
    + b"\n\n"
    + sign_note(f"{ORIGIN}\n3\n{b64(TREES[3][0])}\next\n", [LOG]),
    "extra-blank-line": _HEAD + b"\n\n\n" + _NOTE,
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_receipts_rejected(data: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_receipt(data)
    with pytest.raises(MalformedError):
        verify_receipt(data, ORIGIN, [LOG.verifier()])


# --- tampering --------------------------------------------------------------------------------


def test_every_single_byte_change_is_rejected() -> None:
    for i in range(len(_GOOD)):
        for delta in (1, 0x80):
            data = bytearray(_GOOD)
            data[i] = (data[i] + delta) % 256
            with pytest.raises(LedgerError):
                verify_receipt(bytes(data), ORIGIN, [LOG.verifier()])


def _tampered(**changes: object) -> bytes:
    r = parse_receipt(_GOOD)
    fields = {"index": r.index, "proof": r.proof, "checkpoint_note": r.checkpoint_note}
    fields["extra"] = r.extra
    fields.update(changes)
    return format_receipt(Receipt(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"extra": ENTRIES[0]},
        {"extra": ENTRIES[1] + b" "},
        {"index": 0},
        {"index": 2},
        {"proof": (L2, L0)},
        {"proof": (L0,)},
        {"proof": (L0, L2, L2)},
        {"proof": ()},
        {"proof": (bytes(32), L2)},
    ],
    ids=repr,
)
def test_tampered_fields_fail_verification(changes: dict[str, object]) -> None:
    with pytest.raises(VerificationError):
        verify_receipt(_tampered(**changes), ORIGIN, [LOG.verifier()])


def test_index_beyond_checkpoint_size() -> None:
    with pytest.raises(VerificationError):
        verify_receipt(_tampered(index=3), ORIGIN, [LOG.verifier()])


def test_wrong_origin_or_untrusted_key() -> None:
    with pytest.raises(VerificationError):
        verify_receipt(_GOOD, "other.example/log", [LOG.verifier()])
    stranger = Signer.from_seed(ORIGIN, b"\x12" * 32)
    with pytest.raises(VerificationError):
        verify_receipt(_GOOD, ORIGIN, [stranger.verifier()])


def test_checkpoint_signed_by_other_key_with_valid_proof() -> None:
    # A perfectly consistent receipt under an untrusted log key must still fail.
    rogue = Signer.from_seed(ORIGIN, b"\x13" * 32)
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, TREES[3][0]), [rogue])
    data = _tampered(checkpoint_note=note)
    assert verify_receipt(data, ORIGIN, [rogue.verifier()])[1] == 1
    with pytest.raises(VerificationError):
        verify_receipt(data, ORIGIN, [LOG.verifier()])
