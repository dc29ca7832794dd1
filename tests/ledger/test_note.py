"""Tests for ledger.note: key IDs, vkeys, skeys, signing and strict opening (docs/ledger.md §11)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import LedgerError, MalformedError, VerificationError
from ledger.merkle import leaf_hash, node_hash
from ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    MAX_NOTE_SIZE,
    MAX_SIGNATURES,
    NoteSignature,
    Signer,
    Verifier,
    b64decode_canonical,
    is_valid_name,
    key_id,
    open_note,
    parse_note,
    parse_skey,
    parse_vkey,
    sign_note,
)
from ledger.receipt import Receipt, format_receipt, verify_receipt

# --- fixed test keys (test-only seeds; never use them for anything real) -------------------

GOLDEN_NAME = "golden.example/gongkai/test"
GOLDEN_SEED = bytes(range(32))
GOLDEN_TEXT = "gongkai golden note\n第二行\n"
# Computed once by this module and frozen; test_golden_note_independent recomputes it with
# `cryptography` and hashlib only, so a regression in either path shows up.
GOLDEN_VKEY = "golden.example/gongkai/test+f284430f+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
GOLDEN_SKEY = (
    "PRIVATE+KEY+golden.example/gongkai/test+f284430f+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
)
GOLDEN_NOTE = (
    "gongkai golden note\n第二行\n\n"
    "— golden.example/gongkai/test 8oRDD4zbSm+5D8SHhjQOs4qezZOHhxISMvEoM7Sgf8jQ9bZlCuz8HItcARh29mM2"
    "DtkjIBU/DuUsVec++wYhGcxhEwQ=\n"
).encode()

# RFC 8032 §7.1, TEST 1 (empty message).
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
    "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

DOC = Path(__file__).resolve().parents[2] / "docs/ledger.md"


def signer(name: str = "log.example/test", fill: int = 7) -> Signer:
    return Signer.from_seed(name, bytes([fill]) * 32)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sig_line(name: str, raw: bytes) -> bytes:
    return f"— {name} {b64(raw)}\n".encode()


def cosign(seed: bytes, name: str, body: bytes, ts: int) -> tuple[Verifier, bytes]:
    """Build a cosignature/v1 verifier and signature line independently of ledger.note."""
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pub = sk.public_key().public_bytes_raw()
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    msg = b"cosignature/v1\ntime " + str(ts).encode() + b"\n" + body
    sig = kid + ts.to_bytes(8, "big") + sk.sign(msg)
    return Verifier(name, int.from_bytes(kid, "big"), ALG_COSIGNATURE_V1, pub), sig_line(name, sig)


# --- key IDs and names ----------------------------------------------------------------------


def test_key_id_formula() -> None:
    pub = bytes(range(32))
    expected = hashlib.sha256(b"a.example/k\n\x01" + pub).digest()[:4]
    assert key_id("a.example/k", ALG_ED25519, pub) == int.from_bytes(expected, "big")
    assert key_id("a.example/k", ALG_COSIGNATURE_V1, pub) != key_id("a.example/k", 1, pub)


@pytest.mark.parametrize(
    "name",
    ["", "a b", "a+b", "+", "a\tb", "a\nb", "a\x00b", "a\u3000b", "a\u00a0b", "a\u2028b", "\ud800"],
    ids=repr,
)
def test_invalid_names(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(MalformedError):
        Signer.from_seed(name, bytes(32))


@pytest.mark.parametrize("name", ["a", "example.com/log", "scjg.例子.gov.cn/账本/1", "—", "a=b"])
def test_valid_names(name: str) -> None:
    assert is_valid_name(name)
    assert parse_vkey(Signer.from_seed(name, bytes(32)).verifier().vkey).name == name


# --- vkey / skey ------------------------------------------------------------------------------


def test_rfc8032_test_vector_1() -> None:
    s = Signer.from_seed("rfc8032.example/test1", RFC8032_SECRET)
    assert s.public_key == RFC8032_PUBLIC
    assert s.sign(b"") == RFC8032_SIG
    assert s.verifier().verify(b"", RFC8032_SIG)


def test_golden_keys() -> None:
    s = Signer.from_seed(GOLDEN_NAME, GOLDEN_SEED)
    assert s.verifier().vkey == GOLDEN_VKEY
    assert s.skey == GOLDEN_SKEY
    assert s.verifier().key_ref == "golden.example/gongkai/test+f284430f"
    assert parse_vkey(GOLDEN_VKEY) == s.verifier()
    assert parse_skey(GOLDEN_SKEY).skey == GOLDEN_SKEY


def test_vkey_with_plus_inside_base64() -> None:
    # The base64 alphabet contains '+': only the first two '+' separate fields.
    assert "+" in GOLDEN_VKEY.split("+", 2)[2]
    plus = Signer.from_seed("plus.example/k", b"\xfb" * 32)
    assert "+" in plus.skey.split("+", 4)[4]
    assert parse_skey(plus.skey).verifier() == parse_vkey(plus.verifier().vkey)
    assert parse_vkey(GOLDEN_VKEY).public_key == Signer.from_seed("x", GOLDEN_SEED).public_key


def test_generate_is_random_and_consistent() -> None:
    a, b = Signer.generate("a.example/k"), Signer.generate("a.example/k")
    assert a.public_key != b.public_key
    assert parse_skey(a.skey).verifier() == a.verifier()


def _substrings(s: str) -> list[str]:
    return [
        s[i:j] for i in range(len(s) + 1) for j in range(i, len(s) + 1) if (i, j) != (0, len(s))
    ]


def _increments(s: str) -> list[str]:
    return [s[:i] + chr(ord(s[i]) + 1) + s[i + 1 :] for i in range(len(s))]


def test_every_proper_substring_of_vkey_rejected() -> None:
    for bad in _substrings(GOLDEN_VKEY):
        with pytest.raises(MalformedError):
            parse_vkey(bad)


def test_every_byte_increment_of_vkey_rejected() -> None:
    for bad in _increments(GOLDEN_VKEY):
        with pytest.raises(MalformedError):
            parse_vkey(bad)


def test_every_proper_substring_of_skey_rejected() -> None:
    for bad in _substrings(GOLDEN_SKEY):
        with pytest.raises(MalformedError):
            parse_skey(bad)


def test_every_byte_increment_of_skey_rejected() -> None:
    for bad in _increments(GOLDEN_SKEY):
        with pytest.raises(MalformedError):
            parse_skey(bad)


def _vkey(name: str, kid: str, raw: bytes) -> str:
    return f"{name}+{kid}+{b64(raw)}"


@pytest.mark.parametrize(
    ("case", "vkey"),
    [
        ("uppercase-hex", GOLDEN_VKEY.replace("f284430f", "F284430F")),
        ("short-hex", GOLDEN_VKEY.replace("+f284430f+", "+284430f+")),
        ("alg-0x02", _vkey("n", f"{key_id('n', 2, bytes(32)):08x}", b"\x02" + bytes(32))),
        ("pub-31", _vkey("n", f"{key_id('n', 1, bytes(31)):08x}", b"\x01" + bytes(31))),
        ("pub-33", _vkey("n", f"{key_id('n', 1, bytes(33)):08x}", b"\x01" + bytes(33))),
        ("no-padding", GOLDEN_VKEY + "="),
        ("trailing-newline", GOLDEN_VKEY + "\n"),
        ("leading-space", " " + GOLDEN_VKEY),
        ("empty-name", GOLDEN_VKEY[len(GOLDEN_NAME) :]),
        ("urlsafe-alphabet", GOLDEN_VKEY.replace("/", "_")),
    ],
)
def test_malformed_vkeys(case: str, vkey: str) -> None:
    with pytest.raises(MalformedError):
        parse_vkey(vkey)


def test_skey_with_wrong_alg_or_mismatched_id_rejected() -> None:
    raw = b"\x04" + GOLDEN_SEED
    with pytest.raises(MalformedError):
        parse_skey(f"PRIVATE+KEY+{GOLDEN_NAME}+f284430f+{b64(raw)}")
    with pytest.raises(MalformedError):
        parse_skey(GOLDEN_SKEY.replace("f284430f", "f284430e"))


def test_skey_errors_never_echo_the_secret() -> None:
    secret = GOLDEN_SKEY.split("+")[-1]
    for bad in [GOLDEN_SKEY[:-1], GOLDEN_SKEY.replace("f284430f", "00000000"), GOLDEN_SKEY + "x"]:
        with pytest.raises(MalformedError) as info:
            parse_skey(bad)
        assert secret[:8] not in str(info.value)


def test_signer_repr_hides_seed() -> None:
    s = Signer.from_seed(GOLDEN_NAME, GOLDEN_SEED)
    for text in (repr(s), str(s), f"{s}"):
        assert GOLDEN_SEED.hex() not in text
        assert GOLDEN_SKEY.split("+")[-1] not in text
        assert "f284430f" in text


def test_verifier_constructor_checks_key_id() -> None:
    v = parse_vkey(GOLDEN_VKEY)
    with pytest.raises(MalformedError):
        Verifier(v.name, v.key_id ^ 1, v.alg, v.public_key)
    with pytest.raises(MalformedError):
        Verifier(v.name, v.key_id, 0x02, v.public_key)


# --- base64 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["QR==", "QQ=", "QQ", "Q Q==", "QQ==\n", "QQ==QQ==", "ＱＱ==", "QQ=A", "-_8=", "QUI=="]
)
def test_b64_non_canonical_rejected(text: str) -> None:
    with pytest.raises(MalformedError):
        b64decode_canonical(text)


def test_b64_canonical_accepted() -> None:
    assert b64decode_canonical("QQ==") == b"A"
    assert b64decode_canonical("") == b""
    assert b64decode_canonical("+/8=") == b"\xfb\xff"


# --- signing ----------------------------------------------------------------------------------


def test_golden_note() -> None:
    s = Signer.from_seed(GOLDEN_NAME, GOLDEN_SEED)
    assert sign_note(GOLDEN_TEXT, [s]) == GOLDEN_NOTE
    note = open_note(GOLDEN_NOTE, [parse_vkey(GOLDEN_VKEY)])
    assert note.text == GOLDEN_TEXT


def test_golden_note_independent() -> None:
    """Recompute the golden note with cryptography + hashlib only (second computation)."""
    sk = Ed25519PrivateKey.from_private_bytes(GOLDEN_SEED)
    pub = sk.public_key().public_bytes_raw()
    kid = hashlib.sha256(GOLDEN_NAME.encode() + b"\n\x01" + pub).digest()[:4]
    body = GOLDEN_TEXT.encode()
    expected = body + b"\n" + sig_line(GOLDEN_NAME, kid + sk.sign(body))
    assert expected == GOLDEN_NOTE
    alg = bytes([ALG_ED25519])
    assert f"{GOLDEN_NAME}+{kid.hex()}+{b64(alg + pub)}" == GOLDEN_VKEY
    assert f"PRIVATE+KEY+{GOLDEN_NAME}+{kid.hex()}+{b64(alg + GOLDEN_SEED)}" == GOLDEN_SKEY


def test_sign_multiple_in_order_and_texts_with_blank_lines() -> None:
    a, b = signer("a.example/k", 1), signer("b.example/k", 2)
    for text in ["x\n", "\n", "a\n\nb\n", "trailing blank\n\n", "\n\n\n"]:
        msg = sign_note(text, [a, b])
        parsed_text, sigs = parse_note(msg)
        assert parsed_text == text
        assert [s.name for s in sigs] == ["a.example/k", "b.example/k"]
        note = open_note(msg, [b.verifier(), a.verifier()])
        assert note.verified_by == (a.verifier(), b.verifier())
        assert note.signatures == tuple(sigs)


@pytest.mark.parametrize(
    "text", ["", "no newline", "tab\there\n", "cr\r\n", "nul\x00\n", "\ud800\n"]
)
def test_sign_rejects_bad_text(text: str) -> None:
    with pytest.raises(MalformedError):
        sign_note(text, [signer()])


def test_sign_rejects_bad_signer_sets() -> None:
    with pytest.raises(ValueError):
        sign_note("x\n", [])
    with pytest.raises(ValueError):
        sign_note("x\n", [signer(), signer()])
    many = [signer(f"k{i}.example", i) for i in range(MAX_SIGNATURES + 1)]
    with pytest.raises(ValueError):
        sign_note("x\n", many)
    assert parse_note(sign_note("x\n", many[:MAX_SIGNATURES]))[1][-1].name == "k99.example"


def test_note_signature_line_roundtrip() -> None:
    _, sigs = parse_note(GOLDEN_NOTE)
    assert sigs[0].line.encode() == GOLDEN_NOTE.split(b"\n\n")[-1]
    assert sigs[0].key_ref == "golden.example/gongkai/test+f284430f"
    assert len(sigs[0].signature) == 64


# --- the malformed-note corpus ------------------------------------------------------------------

_S = signer()
_V = _S.verifier()
_OK = sign_note("log.example/test\n1\nAAAA\n", [_S])
_TEXT, _LINE = _OK.split(b"\n\n")
_RAW = b64decode_canonical(_LINE.decode()[len("— log.example/test ") : -1])


def _with_line(line: bytes) -> bytes:
    return _TEXT + b"\n\n" + line


MALFORMED_NOTES: dict[str, bytes] = {
    "empty": b"",
    "text-only": _TEXT + b"\n",
    "no-blank-line": _TEXT + b"\n" + _LINE,
    "empty-signature-block": _TEXT + b"\n\n",
    "extra-trailing-newline": _OK + b"\n",
    "no-final-newline": _OK[:-1],
    "hyphen-instead-of-em-dash": _with_line(_LINE.replace("—".encode(), b"-")),
    "en-dash": _with_line(_LINE.replace("—".encode(), "–".encode())),
    "no-space-after-dash": _with_line(_LINE.replace("— ".encode(), "—".encode())),
    "two-spaces-after-name": _with_line(_LINE.replace(b"test ", b"test  ")),
    "trailing-space": _with_line(_LINE[:-1] + b" \n"),
    "three-fields": _with_line(_LINE[:-1] + b" AAAA\n"),
    "empty-name": _with_line(sig_line("", _RAW)),
    "name-with-plus": _with_line(sig_line("log.example+test", _RAW)),
    "name-with-nbsp": _with_line(sig_line("log.example\u00a0test", _RAW)),
    "base64-invalid-char": _with_line(sig_line("n", _RAW)[:-3] + b"*=\n"),
    "base64-no-padding": _with_line(sig_line("n", _RAW).replace(b"=", b"")),
    "base64-nonzero-padding-bits": _with_line(
        sig_line("n", _RAW)[:-3] + bytes([sig_line("n", _RAW)[-3] ^ 1]) + b"=\n"
    ),
    "base64-urlsafe": _with_line(
        "— n ".encode() + base64.urlsafe_b64encode(b"\xfb\xff\xfe\xfb\xff") + b"\n"
    ),
    "signature-key-id-only": _with_line(sig_line("n", b"\x00\x00\x00\x01")),
    "signature-empty": _with_line("— n \n".encode()),
    "crlf": _OK.replace(b"\n", b"\r\n"),
    "tab-in-text": b"a\tb\n\n" + _LINE,
    "nul-in-text": b"a\x00b\n\n" + _LINE,
    "vertical-tab": b"a\x0bb\n\n" + _LINE,
    "invalid-utf8": b"\xff\n\n" + _LINE,
    "overlong-utf8": b"\xc0\xaf\n\n" + _LINE,
    "utf8-surrogate": b"\xed\xa0\x80\n\n" + _LINE,
    "truncated-utf8": _OK[:-1][:-1] + b"\xe2\n",
    "too-large": b"x" * MAX_NOTE_SIZE + b"\n\n" + _LINE,
    "101-signatures": _TEXT
    + b"\n\n"
    + b"".join(sig_line(f"k{i}.example", _RAW) for i in range(MAX_SIGNATURES + 1)),
    "duplicate-identical-lines": _OK + _LINE,
    "duplicate-key-different-signatures": _OK + sig_line("log.example/test", _RAW[:4] + bytes(64)),
}
# The base64-urlsafe case must really use '-' or '_'.
assert b"-" in MALFORMED_NOTES["base64-urlsafe"] or b"_" in MALFORMED_NOTES["base64-urlsafe"]


@pytest.mark.parametrize("msg", MALFORMED_NOTES.values(), ids=MALFORMED_NOTES.keys())
def test_malformed_notes_rejected(msg: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_note(msg)
    with pytest.raises(MalformedError):
        open_note(msg, [_V])


def test_baseline_of_corpus_is_valid() -> None:
    assert open_note(_OK, [_V]).verified_by == (_V,)


def test_exactly_100_signature_lines_accepted() -> None:
    unknown = b"".join(sig_line(f"k{i}.example", _RAW) for i in range(MAX_SIGNATURES - 1))
    msg = _OK + unknown
    assert len(parse_note(msg)[1]) == MAX_SIGNATURES
    assert open_note(msg, [_V]).verified_by == (_V,)


def test_note_of_max_size_accepted() -> None:
    overhead = len(sign_note("\n", [_S])) - 1
    text = "x" * (MAX_NOTE_SIZE - overhead - 1) + "\n"
    msg = sign_note(text, [_S])
    assert len(msg) == MAX_NOTE_SIZE
    assert open_note(msg, [_V]).text == text
    with pytest.raises(MalformedError):
        sign_note("x" + text, [_S])


# --- verification rules -----------------------------------------------------------------------


def test_unknown_key_ignored_beside_known_good() -> None:
    other = signer("other.example/k", 9)
    msg = sign_note("hello\n", [other, _S])
    assert open_note(msg, [_V]).verified_by == (_V,)
    assert len(open_note(msg, [_V]).signatures) == 2


def test_unknown_key_ignored_but_known_bad_signature_rejects() -> None:
    other = signer("other.example/k", 9)
    good = sign_note("hello\n", [other])
    bad_known = sig_line(_S.name, _S.key_id.to_bytes(4, "big") + _S.sign(b"other text\n"))
    msg = good + bad_known
    with pytest.raises(VerificationError, match="签名无效"):
        open_note(msg, [_V])
    # Without the bad line, the unknown key alone is not enough.
    with pytest.raises(VerificationError, match="没有受信任密钥的有效签名"):
        open_note(good, [_V])
    # Trusting the other key as well does not rescue the note: a known bad signature rejects.
    with pytest.raises(VerificationError):
        open_note(msg, [_V, other.verifier()])


def test_known_key_corrupted_signature_rejects() -> None:
    raw = bytearray(_RAW)
    raw[10] ^= 1
    with pytest.raises(VerificationError):
        open_note(_with_line(sig_line(_S.name, bytes(raw))), [_V])


@pytest.mark.parametrize("extra", [-1, 1, 8])
def test_known_key_wrong_signature_length_rejects(extra: int) -> None:
    raw = _RAW[:-1] if extra < 0 else _RAW + bytes(extra)
    with pytest.raises(VerificationError):
        open_note(_with_line(sig_line(_S.name, raw)), [_V])


def test_name_match_with_id_mismatch_is_ignored() -> None:
    wrong_id = (_S.key_id ^ 1).to_bytes(4, "big") + _RAW[4:]
    msg = _with_line(sig_line(_S.name, wrong_id))
    with pytest.raises(VerificationError, match="没有受信任密钥的有效签名"):
        open_note(msg, [_V])
    # Beside a valid signature it is simply ignored.
    assert open_note(_OK + sig_line(_S.name, wrong_id), [_V]).verified_by == (_V,)


def test_id_match_with_name_mismatch_is_ignored() -> None:
    line = sig_line("impostor.example/k", _RAW)
    with pytest.raises(VerificationError, match="没有受信任密钥的有效签名"):
        open_note(_with_line(line), [_V])
    assert open_note(_OK + line, [_V]).verified_by == (_V,)


def test_no_verifiers_rejects() -> None:
    with pytest.raises(VerificationError):
        open_note(_OK, [])


def test_ambiguous_verifiers_are_a_programming_error() -> None:
    # A real (name, key ID) collision needs a 2^32 search; fake one by bypassing the
    # frozen dataclass's own key ID check.
    twin = Verifier(_V.name, _V.key_id, _V.alg, _V.public_key)
    object.__setattr__(twin, "public_key", bytes(32))
    with pytest.raises(ValueError, match="对应多个不同的验证密钥"):
        open_note(_OK, [_V, twin])
    # The same verifier twice is harmless.
    assert open_note(_OK, [_V, _V]).verified_by == (_V,)


def test_verify_returns_false_on_garbage() -> None:
    assert not _V.verify(b"x\n", b"")
    assert not _V.verify(b"x\n", bytes(64))
    assert not _V.verify(b"x\n", bytes(65))


# --- cosignature/v1 ---------------------------------------------------------------------------

_BODY = b"log.example/test\n5\n" + b64(hashlib.sha256(b"r").digest()).encode() + b"\n"
_CHECKPOINT_NOTE = sign_note(_BODY.decode(), [_S])


def test_cosignature_verified_with_timestamp() -> None:
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 1_764_300_000)
    note = open_note(_CHECKPOINT_NOTE + line, [_V, w])
    assert note.verified_by == (_V, w)
    assert note.cosignature_time(w) == 1_764_300_000
    assert note.cosignature_time(_V) is None
    assert parse_vkey(w.vkey) == w
    assert w.vkey.split("+")[2].startswith("B")  # base64 of 0x04 ‖ …


def test_cosignature_alone_verifies_a_note() -> None:
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 5)
    assert open_note(_CHECKPOINT_NOTE + line, [w]).verified_by == (w,)


def test_cosignature_with_edited_timestamp_rejects() -> None:
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 1000)
    raw = bytearray(b64decode_canonical(line.decode()[len("— witness.example/w1 ") : -1]))
    raw[11] ^= 1  # last byte of the timestamp
    with pytest.raises(VerificationError):
        open_note(_CHECKPOINT_NOTE + sig_line(w.name, bytes(raw)), [_V, w])


def test_cosignature_timestamp_above_int63_rejects() -> None:
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 2**63)
    with pytest.raises(VerificationError):
        open_note(_CHECKPOINT_NOTE + line, [_V, w])
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 2**63 - 1)
    assert open_note(_CHECKPOINT_NOTE + line, [_V, w]).cosignature_time(w) == 2**63 - 1


def test_plain_ed25519_signature_under_cosigner_key_rejects() -> None:
    sk = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    w, _ = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 1)
    # 72 bytes but signed without the "cosignature/v1" header: must not verify.
    raw = w.key_id.to_bytes(4, "big") + (1).to_bytes(8, "big") + sk.sign(_BODY)
    with pytest.raises(VerificationError):
        open_note(_CHECKPOINT_NOTE + sig_line(w.name, raw), [_V, w])
    # A 68-byte plain signature is the wrong length for a cosigner key.
    raw = w.key_id.to_bytes(4, "big") + sk.sign(_BODY)
    with pytest.raises(VerificationError):
        open_note(_CHECKPOINT_NOTE + sig_line(w.name, raw), [_V, w])


def test_cosignature_key_is_not_an_ed25519_key() -> None:
    # Same name and public key, other algorithm byte: a different key ID, so ignored.
    w, line = cosign(bytes([3]) * 32, "witness.example/w1", _BODY, 1)
    plain = Verifier(w.name, key_id(w.name, ALG_ED25519, w.public_key), 1, w.public_key)
    assert plain.key_id != w.key_id
    assert open_note(_CHECKPOINT_NOTE + line, [_V, plain]).verified_by == (_V,)


# --- documentation stays current -------------------------------------------------------------


def test_docs_worked_example_is_current() -> None:
    name = "example.gov.cn/gongkai/ledger"
    example = Signer.from_seed(name, bytes([1]) * 32)
    entries = [b'{"example":0}', b'{"example":1}', b'{"example":2}']
    leaves = [leaf_hash(e) for e in entries]
    root = node_hash(node_hash(leaves[0], leaves[1]), leaves[2])
    note = sign_checkpoint(Checkpoint(name, 3, root), [example])
    receipt = format_receipt(Receipt(1, (leaves[0], leaves[2]), note, entries[1]))

    doc = DOC.read_text(encoding="utf-8")
    blocks = [b.encode() for b in re.findall(r"```text\n(.*?)```", doc, flags=re.DOTALL)]
    assert example.verifier().vkey in doc
    assert example.skey in doc
    digest = hashlib.sha256(name.encode() + b"\n\x01" + example.public_key).hexdigest()
    assert digest in doc
    assert blocks == [note, receipt]
    assert verify_receipt(blocks[1], name, [example.verifier()])[0] == entries[1]


def test_note_signature_dataclass_line() -> None:
    sig = NoteSignature("n", 0x01020304, b"\xff")
    assert sig.line == "— n AQIDBP8=\n"
    assert isinstance(MalformedError("x"), LedgerError)
