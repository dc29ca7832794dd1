"""Property-based fuzzing of every parser in note, checkpoint and receipt (docs/ledger.md §11).

Whatever the input, only ``ledger.errors.LedgerError`` subclasses may escape: never
ValueError, KeyError, IndexError or UnicodeError. Single-byte mutations of valid signed inputs
must moreover never be *accepted* by the verifying entry points.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint, sign_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import leaf_hash, node_hash
from ledger.note import (
    Signer,
    b64decode_canonical,
    open_note,
    parse_note,
    parse_skey,
    parse_vkey,
    sign_note,
)
from ledger.receipt import Receipt, format_receipt, parse_receipt, verify_receipt

ORIGIN = "fuzz.example/gongkai/log"
LOG = Signer.from_seed(ORIGIN, b"\x21" * 32)
VERIFIERS = [LOG.verifier()]
ENTRY0, ENTRY1 = b'{"n":0}', b'{"n":1}'
ROOT = node_hash(leaf_hash(ENTRY0), leaf_hash(ENTRY1))
NOTE = sign_checkpoint(Checkpoint(ORIGIN, 2, ROOT), [LOG])
PLAIN_NOTE = sign_note("hello\n\nworld\n", [LOG, Signer.from_seed("other.example/k", b"\x22" * 32)])
RECEIPT = format_receipt(Receipt(1, (leaf_hash(ENTRY0),), NOTE, ENTRY1))
VKEY = LOG.verifier().vkey
SKEY = LOG.skey
CHECKPOINT_TEXT = Checkpoint(ORIGIN, 2, ROOT).text

FUZZ = settings(max_examples=300, deadline=None)

# Bytes that matter to the grammars, so that random inputs reach deep into the parsers.
_ALPHABET = [
    b"\n",
    b"\n\n",
    "— ".encode(),
    b" ",
    b"+",
    b"=",
    b"/",
    b"0",
    b"1",
    b"index ",
    b"extra ",
    b"c2sp.org/tlog-proof@v1\n",
    b"\xff",
    b"\xe2\x80",
    b"A",
    b"\x00",
]
structured_bytes = st.lists(
    st.one_of(st.sampled_from(_ALPHABET), st.binary(max_size=8)), max_size=40
).map(b"".join)
any_bytes = st.one_of(st.binary(max_size=512), structured_bytes)
any_text = st.one_of(
    st.text(max_size=256),
    structured_bytes.map(lambda b: b.decode("utf-8", errors="surrogateescape")),
)


def _only_ledger_errors(fn: Callable[[], object]) -> bool:
    """Run ``fn``; return True if it succeeded, False on LedgerError; anything else fails."""
    try:
        fn()
    except LedgerError:
        return False
    return True


def _mutate(data: bytes, index: int, value: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([value]) + data[i + 1 :]


# --- random inputs -------------------------------------------------------------------------


@FUZZ
@given(any_bytes)
def test_note_parsers_random_bytes(data: bytes) -> None:
    _only_ledger_errors(lambda: parse_note(data))
    _only_ledger_errors(lambda: open_note(data, VERIFIERS))
    _only_ledger_errors(lambda: open_checkpoint(data, ORIGIN, VERIFIERS))


@FUZZ
@given(any_bytes)
def test_receipt_parsers_random_bytes(data: bytes) -> None:
    _only_ledger_errors(lambda: parse_receipt(data))
    _only_ledger_errors(lambda: verify_receipt(data, ORIGIN, VERIFIERS))


@FUZZ
@given(any_text)
def test_text_parsers_random_text(text: str) -> None:
    _only_ledger_errors(lambda: parse_vkey(text))
    _only_ledger_errors(lambda: parse_skey(text))
    _only_ledger_errors(lambda: parse_checkpoint(text))
    _only_ledger_errors(lambda: parse_checkpoint(text, ORIGIN))
    _only_ledger_errors(lambda: b64decode_canonical(text))


@FUZZ
@given(any_text, any_text)
def test_key_strings_built_from_random_parts(name: str, rest: str) -> None:
    _only_ledger_errors(lambda: parse_vkey(f"{name}+{rest}"))
    _only_ledger_errors(lambda: parse_skey(f"PRIVATE+KEY+{name}+{rest}"))
    _only_ledger_errors(lambda: parse_vkey(f"{name}+{LOG.key_id:08x}+{rest}"))


@FUZZ
@given(st.integers(min_value=-(2**70), max_value=2**70), st.binary(max_size=40), any_text)
def test_checkpoint_text_built_from_random_parts(size: int, root: bytes, origin: str) -> None:
    text = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    _only_ledger_errors(lambda: parse_checkpoint(text))


# --- single-byte mutations of valid inputs -------------------------------------------------


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_mutated_checkpoint_note_never_accepted(index: int, value: int) -> None:
    data = _mutate(NOTE, index, value)
    accepted = _only_ledger_errors(lambda: open_checkpoint(data, ORIGIN, VERIFIERS))
    assert accepted == (data == NOTE)
    _only_ledger_errors(lambda: parse_note(data))


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_mutated_plain_note_never_accepted(index: int, value: int) -> None:
    data = _mutate(PLAIN_NOTE, index, value)
    accepted = _only_ledger_errors(lambda: open_note(data, VERIFIERS))
    # A change confined to the unknown key's line is ignored; anything else is rejected.
    other_line = PLAIN_NOTE.rsplit(b"\n", 2)[1]
    in_other_line = PLAIN_NOTE.index(other_line) <= index % len(PLAIN_NOTE)
    if accepted and data != PLAIN_NOTE:
        assert in_other_line


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_mutated_receipt_never_accepted(index: int, value: int) -> None:
    data = _mutate(RECEIPT, index, value)
    accepted = _only_ledger_errors(lambda: verify_receipt(data, ORIGIN, VERIFIERS))
    assert accepted == (data == RECEIPT)
    _only_ledger_errors(lambda: parse_receipt(data))


def _replace_char(text: str, index: int, codepoint: int) -> str:
    i = index % len(text)
    return text[:i] + chr(codepoint) + text[i + 1 :]


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=0x10FFFF))
def test_mutated_vkey(index: int, codepoint: int) -> None:
    mutated = _replace_char(VKEY, index, codepoint)
    assert _only_ledger_errors(lambda: parse_vkey(mutated)) == (mutated == VKEY)


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=0x10FFFF))
def test_mutated_skey(index: int, codepoint: int) -> None:
    mutated = _replace_char(SKEY, index, codepoint)
    assert _only_ledger_errors(lambda: parse_skey(mutated)) == (mutated == SKEY)


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=0x10FFFF))
def test_mutated_checkpoint_text(index: int, codepoint: int) -> None:
    mutated = _replace_char(CHECKPOINT_TEXT, index, codepoint)
    try:
        cp = parse_checkpoint(mutated)
    except LedgerError:
        return
    # The text is unsigned, so an edit may parse; but only ever to its one canonical form.
    assert cp.text == mutated


def test_fixtures_are_valid() -> None:
    assert open_checkpoint(NOTE, ORIGIN, VERIFIERS)[0].size == 2
    assert verify_receipt(RECEIPT, ORIGIN, VERIFIERS)[0] == ENTRY1
    assert open_note(PLAIN_NOTE, VERIFIERS).text == "hello\n\nworld\n"
    assert hashlib.sha256(b"").digest() != ROOT
