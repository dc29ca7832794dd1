"""One audit of a ledger directory, under its lock, whose result is what gets published.

:func:`verify_ledger` holds the directory's shared ``LOCK`` (when it has one: writers take it
exclusively, so no append is half-done while the audit reads), runs the full offline audit
(:func:`ledger.verify.verify_directory`: every signature, every archived checkpoint, the tokens,
every draw re-run) and keeps what it verified (:class:`~ledger.kept.Kept`). The result,
:class:`VerifiedLedger`, is all that :func:`ledger.publish.publish_verified` and the site read
(docs/ledger.md §13.7, docs/site.md §4): the published entries, notes and tokens are the bytes the
audit verified, not a second reading of files that could have changed in between. Blobs are
read again when published, and each is checked against its SHA-256 name (the audit checked the
same name), so a changed blob stops publication instead of being published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.durable import LOCK_NAME, LedgerLock
from ledger.errors import StoreError, os_reason
from ledger.kept import Kept
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.registry import TrustAnchor
from ledger.report import VerifyReport
from ledger.timestamp import TSA_DIR
from ledger.verify import verify_directory

__all__ = ["VerifiedLedger", "verify_ledger"]


@dataclass(frozen=True)
class VerifiedLedger:
    """A ledger directory as one successful audit verified it.

    Attributes:
        directory: The ledger directory (only its blobs are read again, checked by hash).
        trust: The trust anchor the audit used.
        report: The audit's report.
        kept: The verified bytes and final replay state (:class:`~ledger.kept.Kept`).
        chains: ``tsa/<name>.pem`` of every TSA the anchor names that has the file, read under
            the lock (the audit checked those its tokens use against the anchor).
    """

    directory: Path
    trust: TrustAnchor
    report: VerifyReport
    kept: Kept
    chains: dict[str, bytes]

    @property
    def size(self) -> int:
        """The verified checkpoint size."""
        return self.report.size

    def read_blob(self, digest: str) -> bytes:
        """A blob of the directory, checked against its name.

        Raises:
            VerificationError: the bytes do not hash to ``digest`` (changed since the audit).
            UnverifiableError / StoreError: it is missing or unreadable.
        """
        return self.kept.read_blob(digest)


def verify_ledger(
    ledger_dir: str | os.PathLike[str],
    trust: TrustAnchor,
    *,
    workers: int = 1,
    types: EntryTypes = ENTRY_TYPES,
    lock_timeout: float = 10.0,
) -> VerifiedLedger:
    """Audit ``ledger_dir`` once, under its shared lock, and keep what was verified.

    Args:
        ledger_dir: The ledger directory (``draws/``).
        trust: The trust anchor (obtained out of band, or ``draws/trust.txt``).
        workers: Processes for signature verification.
        types: The entry types the audit accepts.
        lock_timeout: Seconds to wait for a writer holding the lock.

    Returns:
        The verified ledger.

    Raises:
        LedgerError: whatever the audit raises (nothing is kept); StoreError also when a writer
            holds the lock longer than ``lock_timeout`` or a TSA chain cannot be read.
    """
    src = Path(ledger_dir)
    lock = None
    if (src / LOCK_NAME).exists():
        lock = LedgerLock(src, exclusive=False, timeout=lock_timeout)
        lock.acquire()
    try:
        kept = Kept()
        report = verify_directory(
            src, trust=trust, update_pin=False, workers=workers, types=types, keep=kept
        )
        chains: dict[str, bytes] = {}
        for name, _ in trust.tsas:
            rel = f"{TSA_DIR}/{name}.pem"
            data = kept.files.get(rel)
            if data is None and (src / rel).exists():
                data = _read(src / rel)
            if data is not None:
                chains[name] = data
    finally:
        if lock is not None:
            lock.release()
    return VerifiedLedger(src, trust, report, kept, chains)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{os_reason(exc)}") from exc
