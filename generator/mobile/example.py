"""The public example inspector keys. NOT SECRET: for the example site only.

``seed = SHA-256(EXAMPLE_SEED_LABEL ‖ "inspector/" ‖ dept ‖ "/" ‖ 执法证号)`` (docs/mobile.md §2.4):
anyone can re-derive them, so the example ledger's inspector signatures prove nothing, and
``gongkai inspector enroll`` refuses such a key on a real site.
"""

from __future__ import annotations

import hashlib

from ledger.examplekeys import EXAMPLE_SEED_LABEL
from ledger.note import Signer

__all__ = ["example_inspector_seed", "example_public_key"]


def example_inspector_seed(dept: str, inspector: str) -> bytes:
    """The public example seed of inspector ``inspector`` of ``dept``."""
    label = f"inspector/{dept}/{inspector}".encode()
    return hashlib.sha256(EXAMPLE_SEED_LABEL + label).digest()


def example_public_key(dept: str, inspector: str) -> bytes:
    """The Ed25519 public key of :func:`example_inspector_seed`."""
    return Signer.from_seed("example", example_inspector_seed(dept, inspector)).public_key
