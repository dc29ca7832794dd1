"""Cases (立案 → 查处进展 → 结案) and notices (抄告 → 签收), replayed from the ledger.

The rules of docs/workflow.md §7, checked by the verifier and by ``gongkai`` before it appends
(both replay through :class:`ledger.tasks.TaskLedger`, which finds the result a case or a
notice is about and hands the entry here):

* ``case.open``: on a current published result that records a problem (发现问题), by any
  department (the handling department, 办案机构, signs: it is ``dept``); ``case_no`` is unique
  in the log; ``opened_on`` is not after the entry's China date nor before the inspection.
* ``case.progress`` / ``case.close``: refer to the ``case.open`` by index and leaf hash, are
  signed by **the case's handling department** and only while the case is open; ``closed_on``
  lies between ``opened_on`` and the entry's date. A closed case takes no more entries.
* ``notice.copy``: by a department that published a result for the entity in the task, to
  another department (``to`` ≠ ``dept``).
* ``notice.ack``: refers to the ``notice.copy`` by index and leaf hash, is signed by **the
  addressee** (``dept`` = the notice's ``to``), once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ledger.case_payloads import CaseClose, CaseOpen, CaseProgress, NoticeAck, NoticeCopy, Refers
from ledger.entries import Entry
from ledger.errors import VerificationError


@dataclass
class CaseBook:
    """Every case and notice so far, by the log index of its opening entry.

    ``day`` arguments are the China date of the entry's ``ts`` (``ledger.tasks.china_date``).
    """

    cases: dict[int, Entry] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    case_numbers: dict[str, int] = field(default_factory=dict)
    notices: dict[int, Entry] = field(default_factory=dict)
    acks: dict[int, int] = field(default_factory=dict)

    def open(
        self,
        entry: Entry,
        body: CaseOpen,
        index: int,
        where: str,
        day: dt.date,
        inspected_on: dt.date,
    ) -> None:
        """Record a ``case.open`` whose result (inspected on ``inspected_on``) was checked by
        the caller to exist and to record a problem.

        Raises:
            VerificationError: a repeated case number, or a date out of order.
        """
        if body.case_no in self.case_numbers:
            raise VerificationError(f"{where}：案件编号 {body.case_no} 已立案")
        if not inspected_on <= body.opened_on <= day:
            raise VerificationError(f"{where}：立案日期应不早于检查日期、不晚于记录日期")
        self.cases[index] = entry
        self.case_numbers[body.case_no] = index

    def _open_case(self, refers: Refers, dept: str, where: str) -> CaseOpen:
        case = self.cases.get(refers.index)
        if case is None or case.leaf_hash.hex() != refers.leaf_hash:
            raise VerificationError(f"{where}：引用的立案条目不存在或哈希不符")
        opened: CaseOpen = case.payload
        if dept != opened.dept:
            raise VerificationError(f"{where}：查处进展和结案须由办案部门 {opened.dept} 记录")
        if refers.index in self.closed:
            raise VerificationError(f"{where}：案件 {opened.case_no} 已结案")
        return opened

    def open_case_of(self, task_id: str, source_dept: str, entity: str) -> str | None:
        """The 案件编号 of a case not yet closed on that result (the latest opened), or None."""
        for index in sorted(self.cases, reverse=True):
            body: CaseOpen = self.cases[index].payload
            if index not in self.closed and (body.task_id, body.source_dept, body.entity) == (
                task_id,
                source_dept,
                entity,
            ):
                return body.case_no
        return None

    def progress(self, body: CaseProgress, where: str) -> None:
        """Check a ``case.progress``.

        Raises:
            VerificationError: unknown or closed case, or not its handling department.
        """
        self._open_case(body.case, body.dept, where)

    def close(self, body: CaseClose, where: str, day: dt.date) -> None:
        """Record a ``case.close``.

        Raises:
            VerificationError: as :meth:`progress`, or ``closed_on`` out of order.
        """
        opened = self._open_case(body.case, body.dept, where)
        if not opened.opened_on <= body.closed_on <= day:
            raise VerificationError(f"{where}：结案日期应不早于立案日期、不晚于记录日期")
        self.closed.add(body.case.index)

    def copy(self, entry: Entry, body: NoticeCopy, index: int, where: str) -> None:
        """Record a ``notice.copy`` whose result the caller checked.

        Raises:
            VerificationError: a notice addressed to its own sender.
        """
        if body.to == body.dept:
            raise VerificationError(f"{where}：抄告须发给其他部门")
        self.notices[index] = entry

    def ack(self, body: NoticeAck, index: int, where: str) -> None:
        """Record a ``notice.ack``.

        Raises:
            VerificationError: unknown notice, acknowledged already, or not by its addressee.
        """
        notice = self.notices.get(body.notice.index)
        if notice is None or notice.leaf_hash.hex() != body.notice.leaf_hash:
            raise VerificationError(f"{where}：引用的抄告条目不存在或哈希不符")
        to = notice.payload.to
        if body.dept != to:
            raise VerificationError(f"{where}：抄告须由收件部门 {to} 签收")
        if body.notice.index in self.acks:
            raise VerificationError(f"{where}：该抄告已签收")
        self.acks[body.notice.index] = index
