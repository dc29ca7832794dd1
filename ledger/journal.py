"""The append journal: the intent record of one append transaction (docs/ledger.md §12.4).

Before an append writes anything, it writes ``D/journal`` atomically. The journal holds the
complete new lines and the checkpoint note already signed over them, so that whoever opens the
ledger next can finish the append without the log key (roll forward) or undo it when it never
got far enough (roll back). Byte-exact form::

    gongkai-append-journal/v1 LF
    JCS(header) LF
    payload

``header`` is canonical JSON (docs/ledger.md §10.1) with exactly these keys:

- ``base_size`` / ``base_length``: the number of lines and the byte length of
  ``entries.jsonl`` before the append;
- ``size``: the size after it (``base_size`` + number of new lines);
- ``payload_length`` / ``payload_sha256``: the byte length and lowercase hex SHA-256 of
  ``payload``, the new lines exactly as they are appended (``line LF`` each);
- ``checkpoint``: the signed checkpoint note for ``size``, as a string;
- ``blobs``: ``[[sha256_hex, size], ...]``, sorted: the blobs this append creates (blobs that
  did not exist before it; the only files a roll back deletes).

The journal never lies about the ledger it belongs to: the recovery of docs/ledger.md §12.6
checks every field against the directory before it acts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final

from ledger import canonical
from ledger.errors import MalformedError

__all__ = ["JOURNAL_MAGIC", "JOURNAL_NAME", "AppendJournal", "parse_journal"]

JOURNAL_NAME: Final = "journal"
"""Name of the journal inside a ledger directory."""

JOURNAL_MAGIC: Final = b"gongkai-append-journal/v1\n"

_KEYS: Final = frozenset(
    {
        "base_length",
        "base_size",
        "blobs",
        "checkpoint",
        "payload_length",
        "payload_sha256",
        "size",
    }
)
_HEX64: Final = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True)
class AppendJournal:
    """One prepared append (see the module docstring for the meaning of each field)."""

    base_size: int
    base_length: int
    size: int
    note: bytes
    payload: bytes
    blobs: tuple[tuple[str, int], ...] = ()

    @property
    def lines(self) -> list[bytes]:
        """The new lines, without their LF."""
        return self.payload.split(b"\n")[:-1]

    @property
    def first_new(self) -> int:
        """Index of the first new line (``base_size``)."""
        return self.base_size

    def encode(self) -> bytes:
        """The journal file's bytes."""
        header = {
            "base_length": self.base_length,
            "base_size": self.base_size,
            "blobs": [[digest, size] for digest, size in sorted(self.blobs)],
            "checkpoint": self.note.decode("utf-8"),
            "payload_length": len(self.payload),
            "payload_sha256": hashlib.sha256(self.payload).hexdigest(),
            "size": self.size,
        }
        return JOURNAL_MAGIC + canonical.dumps(header) + b"\n" + self.payload


def _int(header: dict[str, Any], key: str) -> int:
    value = header[key]
    if type(value) is not int or value < 0:
        raise MalformedError(f"字段 {key} 应为非负整数")
    return value


def _blobs(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        raise MalformedError("字段 blobs 应为数组")
    out: list[tuple[str, int]] = []
    for item in value:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not _HEX64.fullmatch(item[0])
            or type(item[1]) is not int
            or item[1] < 0
        ):
            raise MalformedError("字段 blobs 的每一项应为 [64 位小写十六进制, 非负整数]")
        out.append((item[0], item[1]))
    if out != sorted(set(out)):
        raise MalformedError("字段 blobs 应按哈希排序且不重复")
    return tuple(out)


def parse_journal(data: bytes) -> AppendJournal:
    """Parse a journal strictly.

    Args:
        data: The bytes of ``D/journal``.

    Returns:
        The journal.

    Raises:
        MalformedError: If anything differs from the byte-exact form of the module docstring
            (wrong magic, header not canonical JSON or with other keys, payload of another
            length or hash, lines not ending in LF, a line count that does not match ``size``).
    """
    if not data.startswith(JOURNAL_MAGIC):
        raise MalformedError("文件头不是 gongkai-append-journal/v1")
    end = data.find(b"\n", len(JOURNAL_MAGIC))
    if end == -1:
        raise MalformedError("缺少头部行")
    header = canonical.loads(data[len(JOURNAL_MAGIC) : end])
    if not isinstance(header, dict) or set(header) != _KEYS:
        raise MalformedError(f"头部应恰好含有字段 {', '.join(sorted(_KEYS))}")
    payload = data[end + 1 :]
    if len(payload) != _int(header, "payload_length"):
        raise MalformedError(
            f"新条目长 {len(payload)} 字节，头部记载 {header['payload_length']} 字节（不完整）"
        )
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise MalformedError("新条目的 SHA-256 与头部记载不符")
    if not isinstance(header["checkpoint"], str):
        raise MalformedError("字段 checkpoint 应为字符串")
    journal = AppendJournal(
        base_size=_int(header, "base_size"),
        base_length=_int(header, "base_length"),
        size=_int(header, "size"),
        note=header["checkpoint"].encode("utf-8"),
        payload=payload,
        blobs=_blobs(header["blobs"]),
    )
    if not payload.endswith(b"\n") or journal.size != journal.base_size + len(journal.lines):
        raise MalformedError(
            f"应有 {journal.size - journal.base_size} 个以换行符结尾的新条目，"
            f"实有 {len(journal.lines)} 个"
        )
    return journal
