"""The common fields of every entry body: :class:`Root` (key management) and :class:`Statement`.

The typed payloads of :mod:`ledger.payloads` derive from these two bases (which it re-exports);
they live apart so that the payload modules stay within the project's module size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from ledger.schema import Text, Timestamp, spec

__all__ = ["COMMON_FIELDS", "Root", "Statement"]

COMMON_FIELDS: Final = ("type", "id", "ts", "dept")
"""The fields every department statement has (key-management bodies have no ``dept``)."""

_ID = Text("non-empty string", nonempty=True)


@dataclass(frozen=True)
class Root:
    """Common fields of a key-management body (no ``dept``: signed by roots).

    ``type`` is the class's ``TYPE``: constructors do not take it.
    """

    TYPE: ClassVar[str] = ""
    type: str = spec(_ID, init=False)
    id: str = spec(_ID)
    ts: str = spec(Timestamp())

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.TYPE)


@dataclass(frozen=True)
class Statement:
    """Common fields of a department statement; ``dept`` is the acting department.

    ``type`` is the class's ``TYPE``: constructors do not take it, e.g.
    ``TaskReply(id=…, ts=…, dept=…, task_id=…, decision="accept")``.
    """

    TYPE: ClassVar[str] = ""
    type: str = spec(_ID, init=False)
    id: str = spec(_ID)
    ts: str = spec(Timestamp())
    dept: str = spec(_ID)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.TYPE)

    def signers(self) -> frozenset[str]:
        """The departments whose keys must sign this entry (docs/workflow.md, “signed by”)."""
        return frozenset((self.dept,))
