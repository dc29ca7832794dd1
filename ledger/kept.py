"""What one audit verified, kept so that nothing has to be read twice (docs/ledger.md §13.7).

Passed as ``keep`` to :func:`ledger.verify.verify_directory`, a :class:`Kept` records, while the
audit runs, exactly the bytes it verified: every entry line (as a parsed
:class:`~ledger.entries.Entry`, whose ``line`` is the verified bytes), the signed checkpoint
note, every archived note, the RFC 3161 tokens and TSA chains it read, the state the replay
ended in (the key registry, the task ledger, the time bounds) and what it read of each library
version (:class:`~ledger.draw.libraryaudit.LibraryVersion`). The publisher
(:func:`ledger.publish.publish_verified`) and the site (``generator.publishing``) read the log
from here, never from the directory again, so what they show is what the audit proved.

The object is filled only by a successful audit; after a failed one it must be discarded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.entries import Entry

if TYPE_CHECKING:
    from ledger.draw.libraryaudit import LibraryVersion
    from ledger.registry import Registry
    from ledger.tasks import TaskLedger
    from ledger.timestamp import TimeBounds

__all__ = ["Kept"]

BlobReader = Callable[[str], bytes]


def _no_blob(digest: str) -> bytes:
    raise LookupError(f"blob {digest}: the audit has not run")


@dataclass
class Kept:
    """The verified bytes and final replay state of one audit (see the module docstring).

    Attributes:
        entries: Every entry of the checkpoint, in log order (``entry.line`` is the verified line).
        note: The signed ``checkpoint`` note the audit verified.
        archives: Every archived checkpoint note up to the checkpoint, by size.
        files: The other files the audit read and verified (tokens ``checkpoints/<size>.<tsa>.tsr``
            and chains ``tsa/<name>.pem``), by path relative to the directory.
        registry: The key registry after the last entry.
        tasks: The task ledger after the last entry.
        bounds: The verified time bounds of the tokens.
        libraries: Every ``library.publish`` version the audit read, by library, in log order
            (its record count and changes, so that no library blob is parsed twice).
        read_blob: Reads a blob of the directory and checks it against its name.
    """

    entries: list[Entry] = field(default_factory=list)
    note: bytes = b""
    archives: dict[int, bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    registry: Registry | None = None
    tasks: TaskLedger | None = None
    bounds: TimeBounds | None = None
    libraries: dict[str, list[LibraryVersion]] = field(default_factory=dict)
    read_blob: BlobReader = _no_blob

    def __call__(self, entry: Entry, read_blob: BlobReader) -> None:
        """The audit's hook (a :data:`~ledger.verify.DrawCheck`): keep the verified entry."""
        self.entries.append(entry)

    def reader(
        self, directory: Path, read: Callable[[Path, str], bytes]
    ) -> Callable[[Path, str], bytes]:
        """``read`` (``read(path, what) -> bytes``) that also keeps the bytes, by relative path."""

        def keeping(path: Path, what: str) -> bytes:
            data = read(path, what)
            self.files[path.relative_to(directory).as_posix()] = data
            return data

        return keeping
