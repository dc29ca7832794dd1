"""The draw algorithms a verifier knows, as a value (docs/ledger.md §14, docs/extending.md §3).

A ``draw.announce`` names its algorithm (``"algorithm": "draw-v1"``). The auditor of recorded
draws (:class:`ledger.draw.audit.LedgerAudit`) looks it up in the :class:`DrawAlgorithms` it is
given, and re-runs the draw and its replacements with that algorithm's functions. A later
algorithm (``draw-v2``) is one more :class:`DrawAlgorithm` in the mapping passed in: draws
recorded under ``draw-v1`` keep re-running with DRAW-V1, in the same ledger. Nothing here is
mutable module state; :data:`DRAW_ALGORITHMS` is the default value (DRAW-V1 only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.draw.announce import ALGORITHM
from ledger.draw.result import replace, result_bytes, run_draw
from ledger.draw.rules import Rules
from ledger.draw.snapshot import EntityTable, parse_entity_table
from ledger.errors import VerificationError

__all__ = ["DRAW_ALGORITHMS", "DRAW_V1", "DrawAlgorithm", "DrawAlgorithms"]


class RunDraw(Protocol):
    """The draw from published inputs (:func:`ledger.draw.result.run_draw`'s signature)."""

    def __call__(
        self,
        announce_body: Mapping[str, Any],
        entity_snapshot_bytes: bytes,
        inspector_snapshot_bytes: bytes,
        conflict_snapshot_bytes: bytes,
        reveals: Mapping[str, str | None],
        beacon: Mapping[str, Any],
        *,
        extra_key_string: str | None = None,
        progress: Callable[[str], None] | None = None,
        rules: Any = None,
    ) -> dict[str, Any]: ...


class Replace(Protocol):
    """A reserve replacement (:func:`ledger.draw.result.replace`'s signature)."""

    def __call__(
        self,
        announce_body: Mapping[str, Any],
        entity_snapshot_bytes: bytes,
        result: Mapping[str, Any],
        entity_id: str,
        reason: str,
        prior: Sequence[Mapping[str, Any]] = (),
        *,
        entity_table: EntityTable | None = None,
        rules: Any = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DrawAlgorithm:
    """One draw algorithm: its name (the announcement's ``algorithm``), its rules and functions.

    ``rules`` is the payload class of the announcement's ``rules`` (:mod:`ledger.schema`): the
    entry parser reads the ``rules`` of an announcement naming this algorithm with it
    (:meth:`ledger.payloads.EntryTypes.with_algorithms`), and writers build it; ``run`` and
    ``replace`` take that parsed value (``rules=``, so the rules are parsed once), or read the
    body's themselves without it.
    ``run`` recomputes the result record, ``result_bytes`` gives the bytes compared with the
    ``draw.result`` blob, ``replace`` recomputes a ``draw.replace`` record and
    ``parse_entities`` reads the entity snapshot once for several replacements (it may raise
    :class:`ledger.errors.MalformedError`; ``replace`` then reports the file's error itself).
    """

    name: str
    rules: type[Any]
    run: RunDraw
    result_bytes: Callable[[Mapping[str, Any]], bytes]
    replace: Replace
    parse_entities: Callable[[bytes], EntityTable]


DRAW_V1 = DrawAlgorithm(
    name=ALGORITHM,
    rules=Rules,
    run=run_draw,
    result_bytes=result_bytes,
    replace=replace,
    parse_entities=parse_entity_table,
)
"""DRAW-V1 (docs/draw-v1.md): the fast engine of :mod:`ledger.draw.result`."""


@dataclass(frozen=True)
class DrawAlgorithms(Mapping[str, DrawAlgorithm]):
    """An immutable mapping from algorithm name to :class:`DrawAlgorithm`."""

    by_name: Mapping[str, DrawAlgorithm]

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", dict(self.by_name))
        for name, algorithm in self.by_name.items():
            if algorithm.name != name:
                raise ValueError(f"draw algorithm {algorithm.name!r} registered as {name!r}")

    def __getitem__(self, name: str) -> DrawAlgorithm:
        return self.by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)

    def __len__(self) -> int:
        return len(self.by_name)

    def with_algorithm(self, algorithm: DrawAlgorithm) -> DrawAlgorithms:
        """Return a new mapping that also holds (or replaces) ``algorithm``."""
        return DrawAlgorithms({**self.by_name, algorithm.name: algorithm})

    def get_algorithm(self, name: str) -> DrawAlgorithm:
        """Return the algorithm an announcement names.

        Raises:
            VerificationError: if this verifier does not know ``name``.
        """
        algorithm = self.by_name.get(name)
        if algorithm is None:
            known = "、".join(sorted(self.by_name)) or "（无）"
            raise VerificationError(f"未知的抽取算法 {name!r}（本验证程序支持：{known}）")
        return algorithm


DRAW_ALGORITHMS = DrawAlgorithms({ALGORITHM: DRAW_V1})
"""The default: every algorithm this version of gongkai implements."""
