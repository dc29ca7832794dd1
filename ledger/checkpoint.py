"""C2SP tlog-checkpoints: the signed tree head of the ledger (docs/ledger.md §11.4).

A checkpoint is the text of a signed note with exactly three lines::

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <base64 of the 32-byte RFC 9162 root>\\n

C2SP allows opaque extension lines after the third; we never write them and refuse to read
them, because cosigners make no statement about them and some witnesses reject them
(docs/ledger.md §11.4). The log signs checkpoints with an Ed25519 (type 0x01) note key whose name is
the origin; witnesses may add cosignature/v1 lines (§3.9).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.errors import MalformedError, VerificationError
from ledger.note import (
    ALG_ED25519,
    Note,
    Signer,
    Verifier,
    b64decode_canonical,
    open_note,
    sign_note,
)

__all__ = [
    "EMPTY_ROOT",
    "MAX_TREE_SIZE",
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree, ``SHA-256("")`` (RFC 9162 §2.1.1)."""

MAX_TREE_SIZE = 2**63 - 1
"""Largest tree size we accept: sizes are int64 in every C2SP implementation."""

_HASH_SIZE = 32
# ASCII digits only: Python's int() would also take "+7", " 7", "7_0" and Unicode digits.
_DECIMAL = re.compile("0|[1-9][0-9]{0,18}")
_CONTROL = re.compile("[\x00-\x1f]")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, the tree size and the Merkle root at that size.

    Attributes:
        origin: The log identity (first line); non-empty, no control characters.
        size: The number of leaves, ``0 <= size <= MAX_TREE_SIZE``.
        root: The 32-byte RFC 9162 root; for size 0 it must be ``EMPTY_ROOT``.

    Raises:
        MalformedError: On construction, if a field is invalid.
    """

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or _CONTROL.search(self.origin):
            raise MalformedError("检查点的 origin 应为一个非空行")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedError("检查点大小超出范围")
        if len(self.root) != _HASH_SIZE:
            raise MalformedError("检查点的根应为 32 字节")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise MalformedError("大小为 0 的检查点必须使用空树的根")

    @property
    def text(self) -> str:
        """The checkpoint note text, ``origin\\nsize\\nbase64(root)\\n``."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"


def parse_checkpoint(text: str, origin: str | None = None) -> Checkpoint:
    """Parse a checkpoint text strictly (docs/ledger.md §11.4).

    Args:
        text: The note text (for example ``Note.text``), ending in a newline.
        origin: If given, the origin the checkpoint must carry.

    Returns:
        The checkpoint.

    Raises:
        MalformedError: If the text is not exactly three valid lines plus the final newline
            (extension lines are refused), or the size or root is not canonical.
        VerificationError: If ``origin`` is given and differs.
    """
    if not text.endswith("\n"):
        raise MalformedError("检查点应以换行符结尾")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise MalformedError("检查点应恰好有三行（不允许扩展行）")
    first, size_line, root_line = lines
    if not _DECIMAL.fullmatch(size_line):
        raise MalformedError("检查点大小不是规范的十进制数")
    try:
        root = b64decode_canonical(root_line)
    except MalformedError:
        raise MalformedError("检查点的根不是规范的 base64") from None
    checkpoint = Checkpoint(first, int(size_line), root)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"检查点的 origin 为 {first!r}，应为 {origin!r}")
    return checkpoint


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> bytes:
    """Sign a checkpoint as a note.

    Args:
        checkpoint: The tree head to sign.
        signers: The log key(s); during a log-key rotation both old and new.

    Returns:
        The signed note bytes.

    Raises:
        MalformedError: If the origin cannot be part of a note text.
        ValueError: If the signer list is empty, too long or ambiguous.
    """
    return sign_note(checkpoint.text, signers)


def open_checkpoint(
    note: bytes, origin: str, verifiers: Iterable[Verifier]
) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint and parse it.

    The note must carry at least one verified Ed25519 (type 0x01) log signature: a witness
    cosignature alone does not make a checkpoint trusted. Quorum policies over cosigners are
    left to the caller, who can inspect ``Note.verified_by``.

    Args:
        note: The signed checkpoint note bytes.
        origin: The expected origin.
        verifiers: The trusted log keys, and optionally witness cosigner keys.

    Returns:
        ``(checkpoint, note)``.

    Raises:
        MalformedError: If the note or the checkpoint text does not parse.
        VerificationError: If a known key's signature fails, no log key verified, or the
            origin differs.
        ValueError: If two different verifiers share (name, key ID).
    """
    opened = open_note(note, verifiers)
    if not any(v.alg == ALG_ED25519 for v in opened.verified_by):
        raise VerificationError("检查点没有通过验证的日志签名")
    return parse_checkpoint(opened.text, origin), opened
