"""The task state machine, replayed from the ledger (docs/workflow.md §3, docs/ledger.md §14.4).

Every department statement about an inspection task is an entry; its order in the log is
checked here, both when staff append (``generator.ledgerops``) and when an auditor verifies.
States of one task::

    (plan.publish) PLANNED ─task.invite─▶ INVITING ─replies / window closes─▶ READY
    PLANNED (single department) ─────────────────────────────────────────────▶ READY
    READY ─draw.announce─▶ ANNOUNCED ─draw.reveal*─▶ … ─draw.beacon─▶ BEACON
    BEACON ─draw.result─▶ DRAWN ─draw.replace*─▶ DRAWN ─task.confirm─▶ CONFIRMED
    CONFIRMED ─result.publish / result.correct / followup.* / case.* / notice.*─▶ CONFIRMED

A department's own result words (``vocabulary.publish``) are replayed by
:class:`ledger.dept_vocabulary.DeptVocabularies`; a result may use them (docs/workflow.md §10).

Dates in bodies (``opens``, ``closes``, ``inspected_on`` …) are calendar dates in China
(UTC+8); ``ts`` is UTC. A statement is checked against the signer's claimed ``ts``.
Cryptographic checks of draws (commitments, the drand signature, re-running the draw) are done
by :mod:`ledger.draw` through the verifier; this module checks order and references.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger import canonical
from ledger.case_payloads import CaseClose, CaseOpen, CaseProgress, NoticeAck, NoticeCopy
from ledger.cases import CaseBook
from ledger.dept_vocabulary import DeptVocabularies, VocabularyPublish
from ledger.entries import Entry
from ledger.errors import VerificationError
from ledger.payloads import (
    ChecklistPublish,
    DrawAnnounce,
    DrawBeacon,
    DrawReplace,
    DrawResult,
    DrawReveal,
    FollowupClose,
    FollowupRecord,
    KeyAdd,
    LibraryPublish,
    PlanPublish,
    Result,
    ResultCorrect,
    ResultPublish,
    TaskConfirm,
    TaskInvite,
    TaskReply,
    drawn_sha256,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
#: The announcement must precede the beacon round by at least this long (docs/draw-v1.md §6,
#: docs/ledger.md §14.4).
MIN_ANNOUNCE_LEAD = dt.timedelta(hours=24)


class TaskState(enum.Enum):
    """Where a task stands in the ledger."""

    PLANNED = "已列入计划"
    INVITING = "邀约中"
    READY = "待抽取"
    ANNOUNCED = "已公告抽取"
    BEACON = "已取得随机数"
    DRAWN = "已抽取"
    CONFIRMED = "名单已确认下发"


# Hours 00..23 only: a later Python's ``fromisoformat`` may read 24:00:00 as the next midnight,
# which ``parse_ts`` refuses (through ``strptime``) on every version.
_TS = re.compile(r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):\d\d:\d\dZ", re.ASCII)


def parse_ts(ts: str) -> dt.datetime:
    """A body's ``ts`` as an aware UTC datetime (the format was checked by the parser).

    A text of exactly that form is read by ``fromisoformat`` (in C; ``strptime`` costs a
    replay of 10^4 results over a second), with the same value (``Z`` is ``dt.UTC`` since Python
    3.11); anything else goes to ``strptime``, which raises ``ValueError`` as before.
    """
    if _TS.fullmatch(ts) is None:
        return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(ts)


def china_date(ts: str) -> dt.date:
    """The calendar date in China of a UTC ``ts``."""
    return parse_ts(ts).astimezone(CHINA).date()


def round_time(round_: int) -> dt.datetime:
    """The UTC time of drand quicknet round ``round_``.

    The draw stack is imported here, on the first draw rule checked, not when this module is:
    every ``gongkai`` command reads the task states, few re-run a draw (tests/ledger/
    test_import_cost.py).

    Raises:
        MalformedError: if ``round_`` < 1.
        VerificationError: if the round's time is after 9999-12-31 (no ``ts`` can reach it).
    """
    from ledger.draw import drand

    seconds = drand.round_time(round_)
    if seconds >= _END_OF_TIME:
        raise VerificationError(f"drand 轮次 {round_} 的时间晚于 9999 年，不是有效的轮次")
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


#: 10000-01-01T00:00:00Z in UNIX seconds: the first time no ``ts`` (four-digit year) can name.
_END_OF_TIME = 253402300800


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return dt.date(year, month, min(day.day, days[month - 1]))


@dataclass
class TaskRecord:
    """Everything the ledger says about one task so far."""

    task_id: str
    plan_id: str
    kind: str
    lead: str
    departments: tuple[str, ...]
    state: TaskState = TaskState.PLANNED
    opens: dt.date | None = None
    closes: dt.date | None = None
    replies: dict[str, tuple[str, int]] = field(default_factory=dict)
    participants: tuple[str, ...] = ()
    announce: Entry | None = None
    round: int = 0
    reveal_deadline: dt.datetime | None = None
    reveals: dict[str, Entry] = field(default_factory=dict)
    beacon: Entry | None = None
    result: Entry | None = None
    drawn: set[str] = field(default_factory=set)
    teams: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    replacements: list[Entry] = field(default_factory=list)
    confirm: Entry | None = None
    results: dict[tuple[str, str], int] = field(default_factory=dict)
    followups: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def partners(self) -> tuple[str, ...]:
        """The invited 配合部门."""
        return tuple(d for d in self.departments if d != self.lead)

    def invitation_concluded(self, when: dt.date) -> bool:
        """All partners replied, or the window has closed."""
        return len(self.replies) == len(self.partners) or (
            self.closes is not None and when > self.closes
        )


@dataclass
class TaskLedger:
    """The replayed state of every task; :meth:`apply` checks one entry's order.

    ``blob_reader`` returns a blob's verified bytes by hex SHA-256; it is needed to read a
    ``draw.result`` record (large records are blobs, the entry carries their hash).
    """

    #: The latest ``plan.publish`` of each plan id (docs/workflow.md §8: versions).
    plans: dict[str, Entry] = field(default_factory=dict)
    #: Every version of each plan, oldest first.
    plan_versions: dict[str, list[Entry]] = field(default_factory=dict)
    #: Every ``checklist.publish`` of each department, oldest first (version k at [k − 1]).
    checklists: dict[str, list[Entry]] = field(default_factory=dict)
    #: Every ``library.publish`` of each library (``entities``, ``inspectors``), oldest first
    #: (version k at [k − 1]).
    libraries: dict[str, list[Entry]] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    results: dict[int, Entry] = field(default_factory=dict)
    blob_reader: Callable[[str], bytes] | None = None
    #: 立案 / 查处进展 / 结案 and 抄告 / 签收 (docs/workflow.md §7).
    cases: CaseBook = field(default_factory=CaseBook)
    #: Departments with a key registered so far (``key.add``): the known addressees of a 抄告.
    departments: set[str] = field(default_factory=set)
    #: Each department's own result vocabulary (``vocabulary.publish``, docs/workflow.md §10).
    vocabularies: DeptVocabularies = field(default_factory=DeptVocabularies)

    def apply(self, entry: Entry, index: int) -> None:
        """Check that ``entry`` (at ``index``) may follow the entries applied so far.

        The entry's typed payload (``entry.payload``) is what is read: its shape was checked
        against its schema (by the registry, or on first access). Entries of other types are
        ignored.

        Raises:
            VerificationError: naming the entry and the rule (or the body field) that fails.
        """
        handler = _HANDLERS.get(entry.type)
        if handler is None:
            return
        where = f"第 {index} 条条目（{entry.type} {entry.id}）"
        handler(self, entry, entry.payload, index, where)

    def last_visits(self) -> dict[str, dt.date]:
        """Latest ``inspected_on`` per business among the current results (a ``result.correct``
        replaces the version it corrects) of every task (docs/workflow.md §6 rule 1)."""
        out: dict[str, dt.date] = {}
        for record in self.tasks.values():
            for (_, entity), index in record.results.items():
                day: dt.date = self.results[index].payload.result.inspected_on
                if entity not in out or day > out[entity]:
                    out[entity] = day
        return out

    def _task(self, task_id: str, where: str) -> TaskRecord:
        record = self.tasks.get(task_id)
        if record is None:
            raise VerificationError(f"{where}：任务 {task_id!r} 不在任何已发布的年度计划中")
        return record

    # -- plans and invitations -------------------------------------------------------------

    def _plan_publish(self, entry: Entry, body: PlanPublish, index: int, where: str) -> None:
        versions = self.plan_versions.get(body.plan_id, [])
        expected = len(versions) + 1
        if (body.version or 1) != expected:
            raise VerificationError(
                f"{where}：计划 {body.plan_id} 已发布 {len(versions)} 个版本，本次应为第 "
                f"{expected} 版（version {'省略' if expected == 1 else expected}）"
            )
        if versions and versions[-1].payload.document.sha256 == body.document.sha256:
            raise VerificationError(f"{where}：计划 {body.plan_id} 的新版本与上一版内容相同")
        new: dict[str, TaskRecord] = {}
        for t in body.tasks:
            self.require_checklists(t.departments, f"{where}：任务 {t.task_id}")
            if t.departments[0] != t.lead:
                raise VerificationError(f"{where}：任务 {t.task_id} 的牵头部门应列在第一位")
            if (t.kind == "single") != (len(t.departments) == 1):
                raise VerificationError(f"{where}：任务 {t.task_id} 的部门与类型不符")
            old = self.tasks.get(t.task_id)
            if t.task_id in new or (old is not None and old.plan_id != body.plan_id):
                raise VerificationError(f"{where}：任务编号 {t.task_id} 重复")
            if old is not None and old.state is not TaskState.PLANNED:
                if (old.kind, old.lead, old.departments) != (t.kind, t.lead, t.departments):
                    raise VerificationError(
                        f"{where}：任务 {t.task_id} 已{old.state.value}，新版本不能改变其部门"
                    )
                new[t.task_id] = old
                continue
            new[t.task_id] = TaskRecord(t.task_id, body.plan_id, t.kind, t.lead, t.departments)
        for task_id, old in list(self.tasks.items()):
            if old.plan_id == body.plan_id and task_id not in new:
                if old.state is not TaskState.PLANNED:
                    raise VerificationError(
                        f"{where}：任务 {task_id} 已{old.state.value}，不能删除"
                    )
                del self.tasks[task_id]
        self.plans[body.plan_id] = entry
        self.plan_versions.setdefault(body.plan_id, []).append(entry)
        self.tasks.update(new)

    def _checklist_publish(
        self, entry: Entry, body: ChecklistPublish, index: int, where: str
    ) -> None:
        versions = self.checklists.setdefault(body.dept, [])
        if body.version != len(versions) + 1:
            raise VerificationError(
                f"{where}：部门 {body.dept} 的抽查事项清单已发布 {len(versions)} 版，"
                f"本次应为第 {len(versions) + 1} 版"
            )
        ids = [item.item_id for item in body.items]
        if len(set(ids)) != len(ids):
            raise VerificationError(f"{where}：抽查事项编号重复")
        for item in body.items:
            if (item.item_class == "一般检查事项") != (item.ratio_cap is not None):
                raise VerificationError(
                    f"{where}：事项 {item.item_id}：一般检查事项须有抽查比例上限，重点检查事项不得有"
                )
        versions.append(entry)

    def _vocabulary_publish(
        self, entry: Entry, body: VocabularyPublish, index: int, where: str
    ) -> None:
        self.vocabularies.publish(body, index, where)

    def _library_publish(self, entry: Entry, body: LibraryPublish, index: int, where: str) -> None:
        versions = self.libraries.setdefault(body.library, [])
        name = "检查对象名录库" if body.library == "entities" else "执法检查人员名录库"
        if body.version != len(versions) + 1:
            raise VerificationError(
                f"{where}：{name}已发布 {len(versions)} 版，本次应为第 {len(versions) + 1} 版"
            )
        if versions and versions[0].payload.dept != body.dept:
            raise VerificationError(
                f"{where}：{name}由部门 {versions[0].payload.dept} 发布（第 1 版），"
                f"不能由部门 {body.dept} 发布新版本（docs/workflow.md §9）"
            )
        versions.append(entry)

    def require_checklists(self, departments: Iterable[str], where: str) -> None:
        """Refuse a plan task or a draw that uses the items of a department that has published
        no 抽查事项清单 (``checklist.publish``) yet (docs/workflow.md §8.2).

        Raises:
            VerificationError: naming ``where`` and the departments.
        """
        missing = [d for d in departments if d not in self.checklists]
        if missing:
            raise VerificationError(
                f"{where}：部门 {'、'.join(missing)} 尚未发布抽查事项清单（checklist.publish），"
                "不能在计划或抽取中使用其抽查事项"
            )

    def _invite(self, entry: Entry, body: TaskInvite, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.kind != "joint":
            raise VerificationError(f"{where}：单部门任务不发出邀约")
        if task.state is not TaskState.PLANNED:
            raise VerificationError(f"{where}：任务已邀约或已进入后续环节")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：邀约须由牵头部门 {task.lead} 发出")
        if body.partners != task.partners:
            raise VerificationError(f"{where}：邀约的配合部门与计划不符")
        opens, closes = body.opens, body.closes
        if not _add_months(opens, 1) <= closes <= _add_months(opens, 3):
            raise VerificationError(f"{where}：邀约期限应为1至3个月")
        if not opens <= china_date(entry.ts) <= closes:
            raise VerificationError(f"{where}：邀约时间不在邀约期限内")
        task.opens, task.closes, task.state = opens, closes, TaskState.INVITING

    def _reply(self, entry: Entry, body: TaskReply, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        dept = body.dept
        if task.state is not TaskState.INVITING:
            raise VerificationError(f"{where}：任务不在邀约中")
        if dept not in task.partners:
            raise VerificationError(f"{where}：{dept} 不是受邀的配合部门")
        if dept in task.replies:
            raise VerificationError(f"{where}：{dept} 已经应约")
        if body.decision == "decline" and body.reason is None:
            raise VerificationError(f"{where}：拒绝邀约须说明理由")
        assert task.closes is not None
        if china_date(entry.ts) > task.closes:
            raise VerificationError(f"{where}：邀约已于 {task.closes} 截止，不能再应约")
        task.replies[dept] = (body.decision, index)

    # -- draws -----------------------------------------------------------------------------

    def _announce(self, entry: Entry, body: DrawAnnounce, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.announce is not None:
            raise VerificationError(f"{where}：每个任务只能公告一次抽取")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：抽取须由牵头部门 {task.lead} 公告")
        if body.announced_at != entry.ts:
            raise VerificationError(f"{where}：announced_at 应等于条目时间 ts")
        when = china_date(entry.ts)
        if task.kind == "joint":
            if task.state is not TaskState.INVITING or not task.invitation_concluded(when):
                raise VerificationError(f"{where}：邀约尚未结束（须全部应约或期限届满）")
            accepted = [d for d, (decision, _) in task.replies.items() if decision == "accept"]
            expected = {task.lead, *accepted}
        else:
            if task.state is not TaskState.PLANNED:
                raise VerificationError(f"{where}：任务状态不允许公告抽取")
            expected = {task.lead}
        depts = body.departments
        if len(set(depts)) != len(depts) or set(depts) != expected:
            raise VerificationError(
                f"{where}：参与抽取的部门应为牵头部门和已应约的配合部门 {sorted(expected)}"
            )
        self.require_checklists(depts, where)
        round_ = body.randomness.drand.round
        if round_time(round_) - parse_ts(entry.ts) < MIN_ANNOUNCE_LEAD:
            raise VerificationError(f"{where}：drand 轮次 {round_} 距公告时间不足 24 小时")
        deadline = body.reveal_deadline
        task.reveal_deadline = parse_ts(deadline) if deadline is not None else None
        if task.reveal_deadline is not None and task.reveal_deadline > round_time(
            round_
        ) - dt.timedelta(hours=1):
            raise VerificationError(f"{where}：揭示截止时间须早于 drand 轮次时间至少 1 小时")
        task.announce, task.round, task.participants, task.state = (
            entry,
            round_,
            depts,
            TaskState.ANNOUNCED,
        )

    def _reveal(self, entry: Entry, body: DrawReveal, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.state is not TaskState.ANNOUNCED:
            raise VerificationError(f"{where}：揭示须在公告之后、随机数之前")
        if body.dept not in task.participants or body.dept in task.reveals:
            raise VerificationError(f"{where}：{body.dept} 不是参与部门或已揭示")
        ts = parse_ts(entry.ts)
        if ts >= round_time(task.round) or (
            task.reveal_deadline is not None and ts > task.reveal_deadline
        ):
            raise VerificationError(f"{where}：揭示晚于截止时间")
        task.reveals[body.dept] = entry

    def _beacon(self, entry: Entry, body: DrawBeacon, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.state is not TaskState.ANNOUNCED:
            raise VerificationError(f"{where}：随机数须在公告之后记录且只能记录一次")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：随机数须由牵头部门 {task.lead} 记录")
        if body.round != task.round:
            raise VerificationError(f"{where}：drand 轮次与公告不符")
        if parse_ts(entry.ts) < round_time(task.round):
            raise VerificationError(f"{where}：记录时间早于 drand 轮次时间")
        task.beacon, task.state = entry, TaskState.BEACON

    def _result(self, entry: Entry, body: DrawResult, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.state is not TaskState.BEACON:
            raise VerificationError(f"{where}：抽取结果须在随机数之后且只能记录一次")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：抽取结果须由牵头部门记录")
        if body.result_sha256 != body.result.sha256:
            raise VerificationError(f"{where}：result_sha256 与结果 blob 的哈希不符")
        result = self._result_record(body, where)
        for a in result.get("assignments", []):
            if isinstance(a, dict) and isinstance(a.get("entity"), str):
                team: dict[str, set[str]] = {}
                for m in a.get("team", []):
                    if isinstance(m, dict):
                        team.setdefault(str(m.get("dept")), set()).add(str(m.get("inspector")))
                task.teams[a["entity"]] = team
        for s in result.get("strata", []):
            for d in s.get("drawn", []) if isinstance(s, dict) else []:
                if isinstance(d, dict) and isinstance(d.get("id"), str):
                    task.drawn.add(d["id"])
        task.result, task.state = entry, TaskState.DRAWN

    def _result_record(self, body: DrawResult, where: str) -> dict[str, Any]:
        if self.blob_reader is None:
            raise VerificationError(f"{where}：无法读取抽取结果 blob")
        record = canonical.loads(self.blob_reader(body.result.sha256))
        if not isinstance(record, dict) or record.get("task_id") != body.task_id:
            raise VerificationError(f"{where}：抽取结果 blob 与任务不符")
        return record

    def _replace(self, entry: Entry, body: DrawReplace, index: int, where: str) -> None:
        """A ``draw.replace`` moves the removed entity's team to its replacement (the slot's team)."""
        task = self._task(body.task_id, where)
        if task.state is not TaskState.DRAWN:
            raise VerificationError(f"{where}：替补须在抽取之后、名单确认之前")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：替补须由牵头部门 {task.lead} 记录")
        old, rep = body.removed, body.replacement
        if old not in task.drawn or (rep is not None and rep.id in task.drawn):
            raise VerificationError(f"{where}：被替换的主体不在抽取名单中，或替补主体无效")
        task.drawn.discard(old)
        team = task.teams.pop(old, {})
        if rep is not None:
            task.drawn.add(rep.id)
            task.teams[rep.id] = team
        task.replacements.append(entry)

    def _confirm(self, entry: Entry, body: TaskConfirm, index: int, where: str) -> None:
        task = self._task(body.task_id, where)
        if task.state is not TaskState.DRAWN:
            raise VerificationError(f"{where}：名单确认须在抽取之后且只能确认一次")
        if body.dept != task.lead:
            raise VerificationError(f"{where}：名单确认下发须由牵头部门发起")
        if body.departments != task.participants:
            raise VerificationError(f"{where}：departments 应为参与抽取的部门 {task.participants}")
        if body.drawn.count != len(task.drawn) or body.drawn.ids_sha256 != drawn_sha256(task.drawn):
            raise VerificationError(
                f"{where}：drawn 应为当前的抽取名单（含替补）的户数和 SHA-256"
                f"（{len(task.drawn)} 户，{drawn_sha256(task.drawn)}）"
            )
        task.confirm, task.state = entry, TaskState.CONFIRMED

    # -- results and follow-up -------------------------------------------------------------

    def _result_fields(
        self, task: TaskRecord, entry: Entry, dept: str, result: Result, where: str
    ) -> tuple[str, str]:
        entity = result.entity
        if task.state is not TaskState.CONFIRMED:
            raise VerificationError(f"{where}：检查结果须在名单确认下发之后录入")
        if dept not in task.participants:
            raise VerificationError(
                f"{where}：{dept} 不是该任务的检查部门（谁检查、谁录入、谁公开）"
            )
        if entity not in task.drawn:
            raise VerificationError(f"{where}：主体 {entity!r} 不在抽取名单中")
        team = task.teams.get(entity, {}).get(dept, set())
        if not set(result.inspectors) <= team:
            raise VerificationError(f"{where}：检查人员须为该主体检查组中本部门的成员")
        assert task.result is not None
        inspected, completed = result.inspected_on, result.completed_on
        if not china_date(task.result.ts) <= inspected <= completed <= china_date(entry.ts):
            raise VerificationError(f"{where}：日期应满足 抽取 ≤ 检查 ≤ 完成 ≤ 录入")
        return dept, entity

    def _publish_result(self, entry: Entry, body: ResultPublish, index: int, where: str) -> None:
        self.vocabularies.check_words(body.dept, body.result.categories, where)
        task = self._task(body.task_id, where)
        key = self._result_fields(task, entry, body.dept, body.result, where)
        if key in task.results:
            raise VerificationError(
                f"{where}：该主体本部门的结果已录入，修改须使用更正（result.correct）"
            )
        task.results[key] = index
        self.results[index] = entry

    def _correction(self, entry: Entry, body: ResultCorrect, index: int, where: str) -> None:
        self.vocabularies.check_words(body.dept, body.result.categories, where)
        task = self._task(body.task_id, where)
        old = self.results.get(body.refers.index)
        if old is None or old.leaf_hash.hex() != body.refers.leaf_hash:
            raise VerificationError(f"{where}：引用的原结果条目不存在或哈希不符")
        key = self._result_fields(task, entry, body.dept, body.result, where)
        if task.results.get(key) != body.refers.index or old.payload.task_id != task.task_id:
            raise VerificationError(f"{where}：只能更正同一任务、同一部门、同一主体的最新结果")
        task.results[key] = index
        self.results[index] = entry

    def _followup(
        self, entry: Entry, body: FollowupRecord | FollowupClose, index: int, where: str
    ) -> None:
        task = self._task(body.task_id, where)
        key = (body.dept, body.entity)
        if key not in task.results:
            raise VerificationError(f"{where}：后续处置须针对本部门已公示的结果")
        state = task.followups.get(key)
        if state is None:
            # No follow-up entry yet: the published form's own state is where it starts (a form
            # saying 未完结 is an open follow-up that may be closed directly).
            form: Result = self.results[task.results[key]].payload.result
            if form.followup.state == "未完结":
                state = "open"
        if isinstance(body, FollowupClose):
            if state != "open":
                raise VerificationError(f"{where}：没有未完结的后续处置")
            case = self.cases.open_case_of(body.task_id, body.dept, body.entity)
            if case is not None:
                raise VerificationError(
                    f"{where}：该结果已立案（{case}），案件查处中：后续处置随结案完结，不能另行完结"
                    "（docs/workflow.md §7 第 5 条）"
                )
            task.followups[key] = "closed"
        else:
            if state == "closed":
                raise VerificationError(f"{where}：后续处置已完结")
            task.followups[key] = "open"

    # -- cases and notices (docs/workflow.md §7) -------------------------------------------

    def _current_result(self, task_id: str, dept: str, entity: str, where: str) -> Result:
        """The current published result of ``dept`` for ``entity`` in the task."""
        task = self._task(task_id, where)
        index = task.results.get((dept, entity))
        if index is None:
            raise VerificationError(
                f"{where}：部门 {dept} 在该任务中没有主体 {entity} 的已公示结果"
            )
        result: Result = self.results[index].payload.result
        return result

    def _case_open(self, entry: Entry, body: CaseOpen, index: int, where: str) -> None:
        result = self._current_result(body.task_id, body.source_dept, body.entity, where)
        if not any(self.vocabularies.problem(body.source_dept, c) for c in result.categories):
            raise VerificationError(f"{where}：立案须针对发现问题的检查结果")
        self.cases.open(entry, body, index, where, china_date(entry.ts), result.inspected_on)
        # 立案 makes the result's follow-up the case: open until 结案 (§7 rule 5).
        self.tasks[body.task_id].followups[(body.source_dept, body.entity)] = "open"

    def _case_progress(self, entry: Entry, body: CaseProgress, index: int, where: str) -> None:
        self.cases.progress(body, where)

    def _case_close(self, entry: Entry, body: CaseClose, index: int, where: str) -> None:
        self.cases.close(body, where, china_date(entry.ts))
        opened: CaseOpen = self.cases.cases[body.case.index].payload
        if self.cases.open_case_of(opened.task_id, opened.source_dept, opened.entity) is None:
            self.tasks[opened.task_id].followups[(opened.source_dept, opened.entity)] = "closed"

    def _key_add(self, entry: Entry, body: KeyAdd, index: int, where: str) -> None:
        self.departments.add(body.key.dept)

    def _notice_copy(self, entry: Entry, body: NoticeCopy, index: int, where: str) -> None:
        if body.to not in self.departments:
            raise VerificationError(
                f"{where}：收件部门 {body.to!r} 不是本账本中登记了密钥的部门，无法签收该抄告"
            )
        self._current_result(body.task_id, body.dept, body.entity, where)
        self.cases.copy(entry, body, index, where)

    def _notice_ack(self, entry: Entry, body: NoticeAck, index: int, where: str) -> None:
        self.cases.ack(body, index, where)


_HANDLERS: dict[str, Callable[[TaskLedger, Entry, Any, int, str], None]] = {
    "key.add": TaskLedger._key_add,
    "plan.publish": TaskLedger._plan_publish,
    "checklist.publish": TaskLedger._checklist_publish,
    "vocabulary.publish": TaskLedger._vocabulary_publish,
    "library.publish": TaskLedger._library_publish,
    "task.invite": TaskLedger._invite,
    "task.reply": TaskLedger._reply,
    "draw.announce": TaskLedger._announce,
    "draw.reveal": TaskLedger._reveal,
    "draw.beacon": TaskLedger._beacon,
    "draw.result": TaskLedger._result,
    "draw.replace": TaskLedger._replace,
    "task.confirm": TaskLedger._confirm,
    "result.publish": TaskLedger._publish_result,
    "result.correct": TaskLedger._correction,
    "followup.record": TaskLedger._followup,
    "followup.close": TaskLedger._followup,
    "case.open": TaskLedger._case_open,
    "case.progress": TaskLedger._case_progress,
    "case.close": TaskLedger._case_close,
    "notice.copy": TaskLedger._notice_copy,
    "notice.ack": TaskLedger._notice_ack,
}
