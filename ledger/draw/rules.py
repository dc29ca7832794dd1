"""The rules of a DRAW-V1 announcement, as payload classes (docs/draw-v1.md §3).

These classes are the ``rules`` object of a ``draw.announce`` whose ``algorithm`` is
``draw-v1``: :data:`ledger.draw.algorithms.DRAW_V1` names :class:`Rules` as its rules, and the
entry parser (:class:`ledger.payloads.EntryTypes`) reads an announcement's ``rules`` with the
rules class of the algorithm it names. A later algorithm with other rules (a further
stratification field, docs/extending.md §3) defines its own class beside these, and its
announcements are parsed with it; nothing in :mod:`ledger.payloads` names either.

Only :mod:`ledger.schema` is imported: the entry parser loads this module, not the draw engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.schema import Date, Int, ListOf, Nullable, Object, Text, payload, spec

__all__ = ["DeptRule", "Rules", "StratumRule"]

_ID = Text("non-empty string", nonempty=True)


@payload
@dataclass(frozen=True)
class DeptRule:
    """One department of ``draw.announce.rules.departments``."""

    dept: str = spec(_ID)
    per_entity: int = spec(Int(1, 1000))
    required_tags: tuple[str, ...] = spec(ListOf(_ID))
    max_load: int | None = spec(Int(1), optional=True)


@payload
@dataclass(frozen=True)
class StratumRule:
    """One stratum of ``draw.announce.rules.strata``."""

    ratio: str = spec(Text("decimal string 0..1", pattern=r"(0|[1-9][0-9]*)(\.[0-9]+)?"))
    stratum: str = spec(_ID)


@payload
@dataclass(frozen=True)
class Rules:
    """``draw.announce.rules`` of DRAW-V1 (docs/draw-v1.md §3)."""

    strata: tuple[StratumRule, ...] = spec(ListOf(Object(StratumRule), nonempty=True))
    as_of: dt.date = spec(Date())
    exclude_inspected_within_days: int | None = spec(Nullable(Int(0)))
    min_count: int | None = spec(Nullable(Int(0)))
    lead: str = spec(_ID)
    departments: tuple[DeptRule, ...] = spec(ListOf(Object(DeptRule), nonempty=True))
    max_load: int | None = spec(Int(1), optional=True)
