"""C2SP tlog-proof receipts: offline proof that one entry is in the signed log.

The format (C2SP ``tlog-proof``, docs/ledger.md §11.5, §13.8) is a sequence of newline-terminated
lines::

    c2sp.org/tlog-proof@v1
    extra <base64 of the entry line bytes>        (optional; always present in our receipts)
    index <zero-based leaf index, ASCII decimal, no leading zeros>
    <base64 inclusion-proof hash>                 (zero or more, leaf's sibling first)

    <the signed checkpoint note, verbatim>

The extra data is not authenticated by the format itself: we trust it only after
``leaf_hash(extra)`` has been proven included in a checkpoint signed by a trusted log key.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from ledger.errors import MalformedError, VerificationError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.note import MAX_NOTE_SIZE, Verifier, b64decode_canonical, parse_note

__all__ = [
    "HEADER",
    "MAX_PROOF_HASHES",
    "Receipt",
    "format_receipt",
    "parse_receipt",
    "verify_receipt",
]

HEADER = "c2sp.org/tlog-proof@v1"
"""First line of every v1 receipt."""

MAX_PROOF_HASHES = 63
"""An inclusion proof in a tree of fewer than 2^63 leaves has at most 63 hashes."""

_HASH_SIZE = 32
_MAX_INDEX = 2**63 - 2  # index < size <= 2^63 - 1
_MAX_EXTRA = 1 << 20  # an entry is at most 65535 bytes; leave ample room for other uses
# Header lines are ASCII; the note after the blank line is bounded by its own limit.
_MAX_HEADER = len(HEADER) + 8 + (_MAX_EXTRA * 4) // 3 + 32 + MAX_PROOF_HASHES * 45 + 64
_DECIMAL = re.compile("0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Receipt:
    """A parsed tlog-proof receipt (nothing in it is verified yet).

    Attributes:
        index: The zero-based leaf index.
        proof: The inclusion-proof hashes, each 32 bytes.
        checkpoint_note: The signed checkpoint note bytes, verbatim.
        extra: The opaque extra data (for us: the entry line), or None when absent.

    Raises:
        MalformedError: On construction, if a field is out of range or badly sized.
    """

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.index <= _MAX_INDEX:
            raise MalformedError("回执序号超出范围")
        if len(self.proof) > MAX_PROOF_HASHES:
            raise MalformedError("回执中的证明哈希过多")
        if any(len(h) != _HASH_SIZE for h in self.proof):
            raise MalformedError("回执中的证明哈希应为 32 字节")
        # Absent and empty extra would otherwise be two spellings; entries are never empty.
        if self.extra is not None and not 0 < len(self.extra) <= _MAX_EXTRA:
            raise MalformedError("回执的 extra 数据应为 1 字节到 1 MiB")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def format_receipt(receipt: Receipt) -> bytes:
    """Serialize a receipt in the C2SP tlog-proof v1 format.

    Args:
        receipt: The receipt.

    Returns:
        The receipt bytes; :func:`parse_receipt` returns an equal receipt.
    """
    lines = [HEADER]
    if receipt.extra is not None:
        lines.append(f"extra {_b64(receipt.extra)}")
    lines.append(f"index {receipt.index}")
    lines.extend(_b64(h) for h in receipt.proof)
    header = "".join(line + "\n" for line in lines)
    return header.encode("ascii") + b"\n" + receipt.checkpoint_note


def _parse_decimal(text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise MalformedError("回执序号不是规范的十进制数")
    return int(text)


def _parse_header(lines: list[str]) -> tuple[int, tuple[bytes, ...], bytes | None]:
    """Parse the lines before the blank line: header, optional extra, index, proof."""
    if not lines or lines[0] != HEADER:
        raise MalformedError("不是 c2sp.org/tlog-proof@v1 回执")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = b64decode_canonical(rest.pop(0)[len("extra ") :])
    if not rest or not rest[0].startswith("index "):
        raise MalformedError("回执缺少 index 行")
    index = _parse_decimal(rest.pop(0)[len("index ") :])
    if len(rest) > MAX_PROOF_HASHES:
        raise MalformedError("回执中的证明哈希过多")
    return index, tuple(b64decode_canonical(line) for line in rest), extra


def parse_receipt(data: bytes) -> Receipt:
    """Parse a receipt strictly; the checkpoint note is checked for syntax only.

    Args:
        data: The receipt bytes.

    Returns:
        The receipt.

    Raises:
        MalformedError: If any line violates the grammar, a hash is not 32 bytes, or the
            embedded note or checkpoint text does not parse.
    """
    # The header holds no blank line, so the first blank line ends it.
    split = data.find(b"\n\n", 0, _MAX_HEADER)
    if split < 0:
        raise MalformedError("回执中检查点之前缺少空行")
    try:
        header = data[:split].decode("ascii")
    except UnicodeDecodeError:
        raise MalformedError("回执头部不是 ASCII 文本") from None
    note = data[split + 2 :]
    if len(note) > MAX_NOTE_SIZE:
        raise MalformedError("回执所附检查点的 note 过大")
    index, proof, extra = _parse_header(header.split("\n"))
    text, _ = parse_note(note)
    parse_checkpoint(text)
    return Receipt(index=index, proof=proof, checkpoint_note=note, extra=extra)


def verify_receipt(
    data: bytes, origin: str, verifiers: Iterable[Verifier]
) -> tuple[bytes, int, Checkpoint]:
    """Verify a receipt offline (docs/ledger.md §13.8).

    Checks the checkpoint signature against the trusted log keys, then the inclusion of
    ``leaf_hash(extra)`` at ``index`` under the checkpoint's root.

    Args:
        data: The receipt bytes.
        origin: The expected log origin.
        verifiers: The trusted log keys (and optionally witness cosigner keys).

    Returns:
        ``(entry bytes, index, checkpoint)``; the entry bytes are now authenticated.

    Raises:
        MalformedError: If the receipt does not parse.
        VerificationError: If the receipt carries no entry, or the signature, origin, index
            or inclusion proof fails.
        ValueError: If two different verifiers share (name, key ID).
    """
    receipt = parse_receipt(data)
    if receipt.extra is None:
        raise VerificationError("回执没有携带条目（缺少 extra 行）")
    checkpoint, _ = open_checkpoint(receipt.checkpoint_note, origin, verifiers)
    if receipt.index >= checkpoint.size:
        raise VerificationError("回执序号不小于检查点大小")
    verify_inclusion(
        receipt.index, checkpoint.size, leaf_hash(receipt.extra), receipt.proof, checkpoint.root
    )
    return receipt.extra, receipt.index, checkpoint
