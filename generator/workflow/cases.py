"""Cases (立案 → 查处进展 → 结案) and notices (抄告 → 签收): writing them and reading them back.

docs/workflow.md §7. Each writer builds one typed payload (``ledger.payloads``), signs it with
the acting department's key and appends it; the ledger replay (``ledger.cases``) refuses what
a verifier would refuse, so nothing refused is written. The readers (:func:`read_cases`,
:func:`read_notices`) turn the verified entries into the records ``gongkai status`` and the site
show: nothing else is their source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator import entryids
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger.case_payloads import CaseClose, CaseOpen, CaseProgress, NoticeAck, NoticeCopy, Refers
from ledger.checkpoint import Checkpoint
from ledger.entries import Entry
from ledger.payloads import sign
from ledger.tasks import china_date


@dataclass(frozen=True)
class CaseStep:
    """One 查处进展 (or the 结案) of a case: China date, text, log index."""

    on: dt.date
    text: str
    index: int


@dataclass
class Case:
    """A case as the ledger leaves it. ``dept`` is the handling department (办案机构)."""

    index: int
    case_no: str
    dept: str
    task_id: str
    entity: str
    source_dept: str
    opened_on: dt.date
    summary: str
    progress: list[CaseStep] = field(default_factory=list)
    closed_on: dt.date | None = None
    outcome: str = ""
    decision_no: str = ""
    close_index: int | None = None

    @property
    def state(self) -> str:
        """``已结案`` or ``查处中``."""
        return "已结案" if self.closed_on is not None else "查处中"


@dataclass
class Notice:
    """A 抄告 and, once the addressee signed for it, its 签收."""

    index: int
    task_id: str
    entity: str
    dept: str
    to: str
    subject: str
    sent_on: dt.date
    acked_on: dt.date | None = None
    reply: str = ""
    ack_index: int | None = None


def read_cases(entries: Sequence[Entry]) -> list[Case]:
    """Every case of the verified ``entries``, in the order they were opened."""
    cases: dict[int, Case] = {}
    for index, entry in enumerate(entries):
        body = entry.payload if entry.type.startswith("case.") else None
        if isinstance(body, CaseOpen):
            cases[index] = Case(
                index, body.case_no, body.dept, body.task_id, body.entity, body.source_dept,
                body.opened_on, body.summary,
            )  # fmt: skip
        elif isinstance(body, CaseProgress):
            step = CaseStep(china_date(entry.ts), body.progress, index)
            cases[body.case.index].progress.append(step)
        elif isinstance(body, CaseClose):
            case = cases[body.case.index]
            case.closed_on, case.outcome = body.closed_on, body.outcome
            case.decision_no, case.close_index = body.decision_no or "", index
    return list(cases.values())


def read_notices(entries: Sequence[Entry]) -> list[Notice]:
    """Every 抄告 of the verified ``entries``, in log order, with its 签收 when there is one."""
    notices: dict[int, Notice] = {}
    for index, entry in enumerate(entries):
        body = entry.payload if entry.type.startswith("notice.") else None
        if isinstance(body, NoticeCopy):
            notices[index] = Notice(
                index, body.task_id, body.entity, body.dept, body.to, body.subject,
                china_date(entry.ts),
            )  # fmt: skip
        elif isinstance(body, NoticeAck):
            n = notices[body.notice.index]
            n.acked_on, n.reply, n.ack_index = china_date(entry.ts), body.reply, index
    return list(notices.values())


def _known_dept(repo: SiteRepo, dept: str, what: str) -> None:
    if dept not in {d.id for d in repo.content.departments}:
        raise WorkflowError(f"{what}“{dept}”不在 departments.yaml 中")


def _append(
    repo: SiteRepo, body: CaseOpen | CaseProgress | CaseClose | NoticeCopy | NoticeAck,
    dept: str, key: Path | None, log_key: Path | None,
) -> Checkpoint:  # fmt: skip
    """Sign ``body`` with ``dept``'s key and append it.

    Raises:
        WorkflowError: the key's scopes (registered before these types existed) lack the type.
    """
    signer = repo.scoped_signer(dept, key, body.type, "docs/workflow.md §7")
    return repo.append([sign(repo.trust.origin, body, [signer])], repo.log_signer(log_key))


def open_case(
    repo: SiteRepo, task_id: str, entity: str, *, source_dept: str, dept: str, case_no: str,
    opened_on: dt.date | None, summary: str, at: str, key: Path | None, log_key: Path | None,
) -> Checkpoint:  # fmt: skip
    """Append ``case.open`` (立案) by the handling department ``dept`` on the result of
    ``source_dept``; ``opened_on`` defaults to the China date of ``at``.

    Raises:
        WorkflowError: an unknown department; LedgerError: the rules of docs/workflow.md §7
            (no such result, no problem recorded, a repeated case number, dates out of order).
    """
    _known_dept(repo, dept, "办案部门")
    body = CaseOpen(
        id=entryids.case_open(task_id, source_dept, entity, at), ts=at, dept=dept,
        task_id=task_id, entity=entity, source_dept=source_dept, case_no=case_no,
        opened_on=opened_on or china_date(at), summary=summary,
    )  # fmt: skip
    return _append(repo, body, dept, key, log_key)


def find_case(repo: SiteRepo, case_no: str) -> tuple[int, Entry]:
    """The ``case.open`` of ``case_no``: its log index and entry.

    Raises:
        WorkflowError: no case has that number.
    """
    state = repo.state()
    for index, entry in state.tasks.cases.cases.items():
        if entry.payload.case_no == case_no:
            return index, entry
    raise WorkflowError(f"账本中没有案件编号为“{case_no}”的立案记录")


def case_step(
    repo: SiteRepo, case_no: str, *, dept: str, text: str, closed_on: dt.date | None,
    close: bool, decision_no: str | None, at: str, key: Path | None, log_key: Path | None,
) -> Checkpoint:  # fmt: skip
    """Append ``case.progress`` (查处进展, ``close`` false) or ``case.close`` (结案情况 ``text``,
    ``closed_on`` defaulting to the date of ``at``) by the handling department ``dept``.

    Raises:
        WorkflowError: an unknown case number; LedgerError: not the handling department, the
            case closed already, dates out of order.
    """
    index, entry = find_case(repo, case_no)
    refers = Refers(index=index, leaf_hash=entry.leaf_hash.hex())
    body: CaseProgress | CaseClose
    if close:
        body = CaseClose(
            id=entryids.case_close(index), ts=at, dept=dept, case=refers, outcome=text,
            closed_on=closed_on or china_date(at), decision_no=decision_no or None,
        )  # fmt: skip
    else:
        body = CaseProgress(
            id=entryids.case_progress(index, at), ts=at, dept=dept, case=refers, progress=text
        )
    return _append(repo, body, dept, key, log_key)


def copy_notice(
    repo: SiteRepo, task_id: str, entity: str, *, dept: str, to: str, subject: str, at: str,
    key: Path | None, log_key: Path | None,
) -> Checkpoint:  # fmt: skip
    """Append ``notice.copy`` (抄告) from ``dept`` to ``to`` about ``dept``'s result.

    Raises:
        WorkflowError: an unknown addressee; LedgerError: no such result, ``to`` = ``dept``.
    """
    _known_dept(repo, to, "抄告的收件部门")
    body = NoticeCopy(
        id=entryids.notice_copy(task_id, dept, entity, at), ts=at, dept=dept, task_id=task_id,
        entity=entity, to=to, subject=subject,
    )  # fmt: skip
    return _append(repo, body, dept, key, log_key)


def ack_notice(
    repo: SiteRepo, notice_index: int, *, dept: str, reply: str, at: str, key: Path | None,
    log_key: Path | None,
) -> Checkpoint:  # fmt: skip
    """Append ``notice.ack`` (签收) by the addressee ``dept`` of the notice at ``notice_index``.

    Raises:
        WorkflowError: no 抄告 at that index; LedgerError: not the addressee, signed already.
    """
    entry = repo.state().tasks.cases.notices.get(notice_index)
    if entry is None:
        raise WorkflowError(f"账本第 {notice_index} 条不是抄告（notice.copy）")
    body = NoticeAck(
        id=entryids.notice_ack(notice_index), ts=at, dept=dept,
        notice=Refers(index=notice_index, leaf_hash=entry.leaf_hash.hex()), reply=reply,
    )  # fmt: skip
    return _append(repo, body, dept, key, log_key)
