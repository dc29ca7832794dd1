"""The typed bodies of cases and notices (docs/workflow.md §7), in the style of ledger.payloads.

``case.open`` (立案), ``case.progress`` (查处进展), ``case.close`` (结案), ``notice.copy`` (抄告),
``notice.ack`` (签收), and :class:`Refers`, the reference to an earlier entry by index and leaf
hash that they and ``result.correct`` use. :mod:`ledger.payloads` includes them in the entry
types; they live apart so that module stays within the project's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from ledger.schema import Date, Hex, Int, Object, Text, payload, spec
from ledger.statements import Statement

__all__ = ["CaseClose", "CaseOpen", "CaseProgress", "NoticeAck", "NoticeCopy", "Refers"]

_ID = Text("non-empty string", nonempty=True)
_TEXT = Text("string")
_REASON = Text("non-empty string", nonempty=True)
_HEX64 = Hex(64)


@payload
@dataclass(frozen=True)
class Refers:
    """``result.correct.refers``: the corrected entry (the latest version)."""

    index: int = spec(Int(0))
    leaf_hash: str = spec(_HEX64)


@payload
@dataclass(frozen=True)
class CaseOpen(Statement):
    """``case.open`` (立案): the handling department (``dept``) opens a case on a result with a
    problem that ``source_dept`` published (docs/workflow.md §7)."""

    TYPE: ClassVar[str] = "case.open"
    task_id: str = spec(_ID)
    entity: str = spec(_ID)
    source_dept: str = spec(_ID)
    case_no: str = spec(_REASON)
    opened_on: dt.date = spec(Date())
    summary: str = spec(_TEXT)


@payload
@dataclass(frozen=True)
class CaseProgress(Statement):
    """``case.progress`` (查处进展), by the case's handling department."""

    TYPE: ClassVar[str] = "case.progress"
    case: Refers = spec(Object(Refers))
    progress: str = spec(_REASON)


@payload
@dataclass(frozen=True)
class CaseClose(Statement):
    """``case.close`` (结案情况), by the case's handling department."""

    TYPE: ClassVar[str] = "case.close"
    case: Refers = spec(Object(Refers))
    outcome: str = spec(_REASON)
    closed_on: dt.date = spec(Date())
    #: 行政处罚决定书文号, when the case ended in a penalty decision.
    decision_no: str | None = spec(_REASON, optional=True)


@payload
@dataclass(frozen=True)
class NoticeCopy(Statement):
    """``notice.copy`` (抄告): the inspecting department notifies ``to`` of a result."""

    TYPE: ClassVar[str] = "notice.copy"
    task_id: str = spec(_ID)
    entity: str = spec(_ID)
    to: str = spec(_ID)
    subject: str = spec(_REASON)


@payload
@dataclass(frozen=True)
class NoticeAck(Statement):
    """``notice.ack`` (抄告签收): the addressee (``dept`` = the notice's ``to``) acknowledges."""

    TYPE: ClassVar[str] = "notice.ack"
    notice: Refers = spec(Object(Refers))
    reply: str = spec(_TEXT)
