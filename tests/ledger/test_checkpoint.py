"""Tests for ledger.checkpoint: strict C2SP tlog-checkpoint text and signed checkpoints."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import (
    EMPTY_ROOT,
    MAX_TREE_SIZE,
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.errors import MalformedError, VerificationError
from ledger.note import ALG_COSIGNATURE_V1, Signer, Verifier

ORIGIN = "golden.example/gongkai/test"
SEED = bytes(range(32))
ROOT = hashlib.sha256(b"root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
# Frozen output of sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [Signer.from_seed(ORIGIN, SEED)]);
# test_golden_checkpoint_independent recomputes it without ledger code.
GOLDEN_NOTE = (
    "golden.example/gongkai/test\n3\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n\n"
    "— golden.example/gongkai/test 8oRDD2gT0I8AHsqxgOG+IFATrEUbL8C3E4xsk4kOBguPwtXpPlSWvqP2uRBJ1kLp"
    "UWtQlRzFzQLwXQQdDZmc3mmszgk=\n"
).encode()

LOG = Signer.from_seed(ORIGIN, SEED)


def text(size: str, root: str = ROOT_B64, origin: str = ORIGIN) -> str:
    return f"{origin}\n{size}\n{root}\n"


def test_text_format() -> None:
    cp = Checkpoint(ORIGIN, 3, ROOT)
    assert cp.text == f"{ORIGIN}\n3\n{ROOT_B64}\n"
    assert parse_checkpoint(cp.text) == cp
    assert parse_checkpoint(cp.text, ORIGIN) == cp


def test_size_zero_requires_empty_root() -> None:
    empty = base64.b64encode(EMPTY_ROOT).decode()
    assert parse_checkpoint(text("0", empty)) == Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert EMPTY_ROOT.hex().startswith("e3b0c442")
    with pytest.raises(MalformedError):
        parse_checkpoint(text("0"))
    with pytest.raises(MalformedError):
        Checkpoint(ORIGIN, 0, ROOT)


def test_largest_size_accepted() -> None:
    assert parse_checkpoint(text(str(MAX_TREE_SIZE))).size == 2**63 - 1


@pytest.mark.parametrize(
    "size",
    [
        "",
        "01",
        "00",
        "+1",
        "-1",
        "-0",
        " 1",
        "1 ",
        "1\t",
        "1_0",
        "1e3",
        "0x10",
        "١",  # ARABIC-INDIC DIGIT ONE: int() would accept it
        "１",  # FULLWIDTH DIGIT ONE
        str(2**63),
        str(2**64),
        "9" * 30,
    ],
    ids=repr,
)
def test_bad_sizes_rejected(size: str) -> None:
    with pytest.raises(MalformedError):
        parse_checkpoint(text(size))


@pytest.mark.parametrize(
    "root",
    [
        "",
        ROOT_B64[:-1],  # missing padding
        ROOT_B64 + "=",
        ROOT_B64[:-2] + chr(ord(ROOT_B64[-2]) + 1) + "=",  # non-zero padding bits
        base64.b64encode(ROOT[:31]).decode(),
        base64.b64encode(ROOT + b"\x00").decode(),
        base64.urlsafe_b64encode(ROOT).decode(),
        " " + ROOT_B64,
        ROOT.hex(),
    ],
    ids=repr,
)
def test_bad_roots_rejected(root: str) -> None:
    assert root != ROOT_B64
    with pytest.raises(MalformedError):
        parse_checkpoint(text("3", root))


@pytest.mark.parametrize(
    "bad",
    [
        text("3") + "extension\n",
        text("3") + "\n",
        text("3") + "— ext\n",
        text("3")[:-1],
        text("3").replace("\n", "\r\n"),
        f"{ORIGIN}\n3\n",
        "\n3\n" + ROOT_B64 + "\n",
        "",
        "\n",
        "a\tb\n3\n" + ROOT_B64 + "\n",
    ],
    ids=repr,
)
def test_bad_layouts_rejected(bad: str) -> None:
    with pytest.raises(MalformedError):
        parse_checkpoint(bad)


def test_origin_mismatch_is_a_verification_error() -> None:
    with pytest.raises(VerificationError):
        parse_checkpoint(text("3"), "other.example/log")


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, ROOT), ("a\nb", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, 2**63, ROOT), (ORIGIN, 1, b"")],
)
def test_constructor_validates(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(MalformedError):
        Checkpoint(origin, size, root)


# --- signed checkpoints ---------------------------------------------------------------------


def test_golden_checkpoint() -> None:
    assert sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [LOG]) == GOLDEN_NOTE
    cp, note = open_checkpoint(GOLDEN_NOTE, ORIGIN, [LOG.verifier()])
    assert cp == Checkpoint(ORIGIN, 3, ROOT)
    assert note.verified_by == (LOG.verifier(),)


def test_golden_checkpoint_independent() -> None:
    sk = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = sk.public_key().public_bytes_raw()
    kid = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]
    body = f"{ORIGIN}\n3\n{ROOT_B64}\n".encode()
    sig = base64.b64encode(kid + sk.sign(body)).decode()
    assert body + f"\n— {ORIGIN} {sig}\n".encode() == GOLDEN_NOTE


def test_open_checks_origin() -> None:
    with pytest.raises(VerificationError):
        open_checkpoint(GOLDEN_NOTE, "other.example/log", [LOG.verifier()])


def test_open_rejects_unknown_key() -> None:
    other = Signer.from_seed(ORIGIN, bytes(32))  # same name, other key: different key ID
    with pytest.raises(VerificationError):
        open_checkpoint(GOLDEN_NOTE, ORIGIN, [other.verifier()])


def test_open_rejects_edited_size_or_root() -> None:
    for old, new in [(b"\n3\n", b"\n4\n"), (b"SBNJ", b"SBNK")]:
        with pytest.raises(VerificationError):
            open_checkpoint(GOLDEN_NOTE.replace(old, new), ORIGIN, [LOG.verifier()])


def test_open_rejects_extension_lines_even_when_signed() -> None:
    from ledger.note import sign_note

    msg = sign_note(text("3") + "Timestamp: 1\n", [LOG])
    with pytest.raises(MalformedError):
        open_checkpoint(msg, ORIGIN, [LOG.verifier()])


def test_key_rotation_overlap() -> None:
    new = Signer.from_seed(ORIGIN, b"\x02" * 32)
    msg = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [LOG, new])
    for pinned in ([LOG.verifier()], [new.verifier()], [LOG.verifier(), new.verifier()]):
        cp, note = open_checkpoint(msg, ORIGIN, pinned)
        assert cp.size == 3
        assert note.verified_by == tuple(pinned)


def _cosigner(body: bytes) -> tuple[Verifier, bytes]:
    sk = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
    pub = sk.public_key().public_bytes_raw()
    name = "witness.example/w1"
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    ts = 1_764_300_000
    sig = kid + ts.to_bytes(8, "big") + sk.sign(b"cosignature/v1\ntime %d\n" % ts + body)
    line = f"— {name} {base64.b64encode(sig).decode()}\n".encode()
    return Verifier(name, int.from_bytes(kid, "big"), ALG_COSIGNATURE_V1, pub), line


def test_cosigned_checkpoint() -> None:
    witness, line = _cosigner(text("3").encode())
    _, note = open_checkpoint(GOLDEN_NOTE + line, ORIGIN, [LOG.verifier(), witness])
    assert note.verified_by == (LOG.verifier(), witness)
    assert note.cosignature_time(witness) == 1_764_300_000
    # The witness's cosignature alone does not make the checkpoint trusted.
    with pytest.raises(VerificationError, match="没有通过验证的日志签名"):
        open_checkpoint(GOLDEN_NOTE + line, ORIGIN, [witness])
