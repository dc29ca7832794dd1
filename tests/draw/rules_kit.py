"""Typed draw rules for tests that give only the part of ``rules`` they are about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.draw.rules import Rules, read_rules

#: What a test about sampling or matching alone leaves out of ``rules``.
DEFAULTS: dict[str, Any] = {
    "strata": [{"stratum": "A", "ratio": "1"}],
    "as_of": "2025-03-01",
    "exclude_inspected_within_days": None,
    "lead": "a",
    "departments": [{"dept": "a", "per_entity": 2, "required_tags": []}],
}


def typed_rules(rules: Mapping[str, Any]) -> Rules:
    """``rules`` with :data:`DEFAULTS` for the keys it lacks, read as the draw reads them
    (:func:`ledger.draw.rules.read_rules`; raises MalformedError as it does)."""
    return read_rules({**DEFAULTS, **rules})
