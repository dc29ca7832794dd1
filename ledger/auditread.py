"""Reading the files of an audited ledger directory, with errors that name them.

:class:`EntryLines` streams ``entries.jsonl`` as ``(index, line)`` without loading it (the
auditor and the publisher); :func:`count_rest` counts the lines after a checkpoint and returns an
unterminated tail; :func:`read_required` reads a whole file the audit needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ledger.entries import MAX_ENTRY_SIZE
from ledger.errors import StoreError, UnverifiableError, os_reason

__all__ = ["DECIMAL", "READ_CHUNK", "EntryLines", "OverlongLine", "count_rest", "read_required"]

READ_CHUNK: Final = 1 << 20
"""Bytes read at a time from a file the audit streams."""

DECIMAL: Final = re.compile("0|[1-9][0-9]{0,18}")
"""A canonical decimal (no sign, no leading zero), as file names and sizes are written."""


class OverlongLine(Exception):
    """An unterminated run of bytes longer than any entry (raised by :class:`EntryLines`).

    Attributes:
        index: the index the line would have had.
        offset: the byte offset where it starts.
    """

    def __init__(self, index: int, offset: int) -> None:
        super().__init__(index, offset)
        self.index = index
        self.offset = offset


class EntryLines:
    """Stream ``entries.jsonl`` as ``(index, line)``; O(chunk + longest line) memory.

    The one line reader of the ledger: the auditor, the publisher and the store's scan use it.
    Iteration stops after ``limit`` lines when given. ``valid_length`` is the byte offset just
    after the last newline read; after a complete iteration, ``tail`` holds the bytes after it
    (an unterminated line: a torn write, or a file cut short). A missing file raises
    :class:`~ledger.errors.UnverifiableError` (yields nothing if ``missing_ok``), a read error
    :class:`~ledger.errors.StoreError`; a run of more than :data:`MAX_ENTRY_SIZE` bytes without
    a newline, which is neither an entry nor a torn write of one, raises :class:`OverlongLine`.
    """

    def __init__(self, path: Path, limit: int | None = None, *, missing_ok: bool = False) -> None:
        self.path = path
        self.tail = b""
        self.valid_length = 0
        self.limit = limit
        self.missing_ok = missing_ok

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open across yields
        except FileNotFoundError:
            if self.missing_ok:
                return
            raise UnverifiableError(f"缺少 {self.path.name}（{self.path}）") from None
        except OSError as exc:
            raise StoreError(f"无法读取 {self.path}：{os_reason(exc)}") from exc
        index = 0
        with f:
            buf = b""
            while self.limit is None or index < self.limit:
                try:
                    chunk = f.read(READ_CHUNK)
                except OSError as exc:
                    raise StoreError(f"无法读取 {self.path}：{os_reason(exc)}") from exc
                if not chunk:
                    break
                buf = buf + chunk if buf else chunk
                start = 0
                while (nl := buf.find(b"\n", start)) != -1:
                    line = buf[start:nl]
                    self.valid_length += nl + 1 - start
                    start = nl + 1
                    yield index, line
                    index += 1
                    if self.limit is not None and index >= self.limit:
                        return
                buf = buf[start:]
                if len(buf) > MAX_ENTRY_SIZE:
                    raise OverlongLine(index, self.valid_length)
            self.tail = buf


def count_rest(path: Path, skip_lines: int) -> tuple[int, bytes]:
    """Count the complete lines after the first ``skip_lines``; also return the torn tail.

    Precondition: ``path`` exists and is readable (the caller has just streamed it).

    Raises:
        OSError: if it cannot be read after all.
    """
    count = 0
    seen = 0
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            tail = (tail + chunk)[-(MAX_ENTRY_SIZE + 2) :]
            n = chunk.count(b"\n")
            if seen + n > skip_lines:
                count += seen + n - max(seen, skip_lines)
            seen += n
    last_nl = tail.rfind(b"\n")
    return count, tail[last_nl + 1 :]


def read_required(path: Path, what: str) -> bytes:
    """Return the bytes of a file the audit needs; ``what`` names it in Chinese.

    Raises:
        UnverifiableError: if the file is missing (an incomplete copy).
        StoreError: if it cannot be read.
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UnverifiableError(f"缺少{what}：{path}") from None
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{os_reason(exc)}") from exc
