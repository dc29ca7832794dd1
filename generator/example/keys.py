"""Example keys: derived from fixed, public, clearly marked seeds. NOT SECRET.

The derivation lives in :mod:`ledger.examplekeys` (production code recognises example keys with
it and refuses them on a real site); this module gathers what the example generators sign with:
the example signer of each name of :mod:`generator.keynames`.
"""

from __future__ import annotations

from generator.keynames import dept_key_name, key_names
from ledger.errors import ExampleKeyError
from ledger.examplekeys import (
    EXAMPLE_SEED_LABEL,
    example_signer,
    is_example_key,
    refuse_example_key,
)

__all__ = [
    "EXAMPLE_SEED_LABEL",
    "ExampleKeyError",
    "dept_key_name",
    "example_signer",
    "is_example_key",
    "key_names",
    "refuse_example_key",
]
