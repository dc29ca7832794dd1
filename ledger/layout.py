"""File names of a ledger directory and of its published folder (docs/ledger.md §12.1, §13.7).

The writer (:mod:`ledger.store`), the auditor (:mod:`ledger.verify`) and the publisher
(:mod:`ledger.publish`) name the same files; they take the names from here.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ARCHIVE_DIR",
    "BLOB_DIR",
    "CHECKPOINT_NAME",
    "ENTRIES_NAME",
    "PROOF_DIR",
    "RECEIPT_SUFFIX",
    "TILE_DIR",
    "TRUST_NAME",
]

ENTRIES_NAME: Final = "entries.jsonl"
"""The log: one canonical entry per line (docs/ledger.md §12.1)."""
CHECKPOINT_NAME: Final = "checkpoint"
"""The latest signed checkpoint note."""
ARCHIVE_DIR: Final = "checkpoints"
"""Every signed checkpoint, as ``checkpoints/<size>``."""
BLOB_DIR: Final = "blobs/sha256"
"""Blobs the entries reference, as ``blobs/sha256/<hex>``."""
TILE_DIR: Final = "tile"
"""Published hash tiles and entry bundles (C2SP tlog-tiles; docs/ledger.md §10.5)."""
PROOF_DIR: Final = "proofs"
"""Published receipts, as ``proofs/<index>.tlog-proof`` (docs/ledger.md §13.8)."""
RECEIPT_SUFFIX: Final = ".tlog-proof"
"""Suffix of a receipt file name."""
TRUST_NAME: Final = "trust.txt"
"""The trust anchor, next to the published data (docs/ledger.md §13.4)."""
