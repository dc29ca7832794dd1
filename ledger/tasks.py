"""The task state machine, replayed from the ledger (docs/workflow.md §3, docs/ledger.md §14.4).

Every department statement about an inspection task is an entry; its order in the log is
checked here, both when staff append (``generator.ledgerops``) and when an auditor verifies.
States of one task::

    (plan.publish) PLANNED ─task.invite─▶ INVITING ─replies / window closes─▶ READY
    PLANNED (single department) ─────────────────────────────────────────────▶ READY
    READY ─draw.announce─▶ ANNOUNCED ─draw.reveal*─▶ … ─draw.beacon─▶ BEACON
    BEACON ─draw.result─▶ DRAWN ─draw.replace*─▶ DRAWN ─task.confirm─▶ CONFIRMED
    CONFIRMED ─result.publish / result.correct / followup.*─▶ CONFIRMED

Dates in bodies (``opens``, ``closes``, ``inspected_on`` …) are calendar dates in China
(UTC+8); ``ts`` is UTC. A statement is checked against the signer's claimed ``ts``.
Cryptographic checks of draws (commitments, the drand signature, re-running the draw) are done
by :mod:`ledger.draw` through the verifier; this module checks order and references.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger import canonical
from ledger.draw import drand
from ledger.entries import Entry
from ledger.errors import VerificationError

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


def parse_ts(ts: str) -> dt.datetime:
    """A body's ``ts`` as an aware UTC datetime (the format was checked by the parser)."""
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def china_date(ts: str) -> dt.date:
    """The calendar date in China of a UTC ``ts``."""
    return parse_ts(ts).astimezone(CHINA).date()


def round_time(round_: int) -> dt.datetime:
    """The UTC time of drand quicknet round ``round_``."""
    return dt.datetime.fromtimestamp(drand.round_time(round_), dt.UTC)


def _date(value: Any, where: str, name: str) -> dt.date:
    if not isinstance(value, str):
        raise VerificationError(f"{where}：{name} 应为日期字符串")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise VerificationError(f"{where}：{name} 不是有效日期 {value!r}") from None


def _str_list(value: Any, where: str, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise VerificationError(f"{where}：{name} 应为字符串列表")
    return list(value)


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

    plans: dict[str, Entry] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    results: dict[int, Entry] = field(default_factory=dict)
    blob_reader: Callable[[str], bytes] | None = None

    def apply(self, entry: Entry, index: int) -> None:
        """Check that ``entry`` (at ``index``) may follow the entries applied so far.

        Entries of other types are ignored. Raises VerificationError naming the rule.
        """
        handler = _HANDLERS.get(entry.type)
        if handler is None:
            return
        where = f"第 {index} 条条目（{entry.type} {entry.id}）"
        handler(self, entry, index, where)

    def _task(self, body: Mapping[str, Any], where: str) -> TaskRecord:
        task_id = body.get("task_id")
        record = self.tasks.get(task_id) if isinstance(task_id, str) else None
        if record is None:
            raise VerificationError(f"{where}：任务 {task_id!r} 不在任何已发布的年度计划中")
        return record

    # -- plans and invitations -------------------------------------------------------------

    def _plan_publish(self, entry: Entry, index: int, where: str) -> None:
        body = entry.body
        plan_id = body.get("plan_id")
        if not isinstance(plan_id, str) or plan_id in self.plans:
            raise VerificationError(f"{where}：计划编号缺失或重复发布")
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise VerificationError(f"{where}：tasks 应为非空列表")
        new: dict[str, TaskRecord] = {}
        for t in tasks:
            if not isinstance(t, dict) or not isinstance(t.get("task_id"), str):
                raise VerificationError(f"{where}：任务格式错误")
            depts = tuple(_str_list(t.get("departments"), where, "departments"))
            lead, kind = t.get("lead"), t.get("kind")
            if (
                kind not in ("joint", "single")
                or not isinstance(lead, str)
                or not depts
                or depts[0] != lead
            ):
                raise VerificationError(f"{where}：任务 {t['task_id']} 的类型或牵头部门无效")
            if (kind == "single") != (len(depts) == 1) or len(set(depts)) != len(depts):
                raise VerificationError(f"{where}：任务 {t['task_id']} 的部门与类型不符")
            if t["task_id"] in self.tasks or t["task_id"] in new:
                raise VerificationError(f"{where}：任务编号 {t['task_id']} 重复")
            new[t["task_id"]] = TaskRecord(t["task_id"], plan_id, kind, lead, depts)
        self.plans[plan_id] = entry
        self.tasks.update(new)

    def _invite(self, entry: Entry, index: int, where: str) -> None:
        body = entry.body
        task = self._task(body, where)
        if task.kind != "joint":
            raise VerificationError(f"{where}：单部门任务不发出邀约")
        if task.state is not TaskState.PLANNED:
            raise VerificationError(f"{where}：任务已邀约或已进入后续环节")
        if body.get("dept") != task.lead:
            raise VerificationError(f"{where}：邀约须由牵头部门 {task.lead} 发出")
        if tuple(_str_list(body.get("partners"), where, "partners")) != task.partners:
            raise VerificationError(f"{where}：邀约的配合部门与计划不符")
        opens, closes = (
            _date(body.get("opens"), where, "opens"),
            _date(body.get("closes"), where, "closes"),
        )
        if not _add_months(opens, 1) <= closes <= _add_months(opens, 3):
            raise VerificationError(f"{where}：邀约期限应为1至3个月")
        if not opens <= china_date(entry.ts) <= closes:
            raise VerificationError(f"{where}：邀约时间不在邀约期限内")
        task.opens, task.closes, task.state = opens, closes, TaskState.INVITING

    def _reply(self, entry: Entry, index: int, where: str) -> None:
        body = entry.body
        task = self._task(body, where)
        dept = body.get("dept")
        if task.state is not TaskState.INVITING:
            raise VerificationError(f"{where}：任务不在邀约中")
        if dept not in task.partners:
            raise VerificationError(f"{where}：{dept} 不是受邀的配合部门")
        if dept in task.replies:
            raise VerificationError(f"{where}：{dept} 已经应约")
        decision = body.get("decision")
        if decision not in ("accept", "decline"):
            raise VerificationError(f"{where}：decision 应为 accept 或 decline")
        if decision == "decline" and not (isinstance(body.get("reason"), str) and body["reason"]):
            raise VerificationError(f"{where}：拒绝邀约须说明理由")
        assert task.closes is not None
        if china_date(entry.ts) > task.closes:
            raise VerificationError(f"{where}：邀约已于 {task.closes} 截止，不能再应约")
        task.replies[str(dept)] = (str(decision), index)

    # -- draws -----------------------------------------------------------------------------

    def _announce(self, entry: Entry, index: int, where: str) -> None:
        body = entry.body
        task = self._task(body, where)
        if task.announce is not None:
            raise VerificationError(f"{where}：每个任务只能公告一次抽取")
        if body.get("dept") != task.lead:
            raise VerificationError(f"{where}：抽取须由牵头部门 {task.lead} 公告")
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
        depts = announce_departments(body, where)
        if set(depts) != expected:
            raise VerificationError(
                f"{where}：参与抽取的部门应为牵头部门和已应约的配合部门 {sorted(expected)}"
            )
        round_ = _drand_round(body, where)
        if round_time(round_) - parse_ts(entry.ts) < MIN_ANNOUNCE_LEAD:
            raise VerificationError(f"{where}：drand 轮次 {round_} 距公告时间不足 24 小时")
        deadline = body.get("reveal_deadline")
        task.reveal_deadline = parse_ts(deadline) if isinstance(deadline, str) else None
        if task.reveal_deadline is not None and task.reveal_deadline > round_time(
            round_
        ) - dt.timedelta(hours=1):
            raise VerificationError(f"{where}：揭示截止时间须早于 drand 轮次时间至少 1 小时")
        task.announce, task.round, task.participants, task.state = (
            entry,
            round_,
            tuple(depts),
            TaskState.ANNOUNCED,
        )

    def _reveal(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        dept = entry.body.get("dept")
        if task.state is not TaskState.ANNOUNCED:
            raise VerificationError(f"{where}：揭示须在公告之后、随机数之前")
        if dept not in task.participants or dept in task.reveals:
            raise VerificationError(f"{where}：{dept} 不是参与部门或已揭示")
        ts = parse_ts(entry.ts)
        if ts >= round_time(task.round) or (
            task.reveal_deadline is not None and ts > task.reveal_deadline
        ):
            raise VerificationError(f"{where}：揭示晚于截止时间")
        task.reveals[str(dept)] = entry

    def _beacon(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        if task.state is not TaskState.ANNOUNCED:
            raise VerificationError(f"{where}：随机数须在公告之后记录且只能记录一次")
        if entry.body.get("dept") not in task.participants:
            raise VerificationError(f"{where}：随机数须由参与部门记录")
        if entry.body.get("round") != task.round:
            raise VerificationError(f"{where}：drand 轮次与公告不符")
        if parse_ts(entry.ts) < round_time(task.round):
            raise VerificationError(f"{where}：记录时间早于 drand 轮次时间")
        task.beacon, task.state = entry, TaskState.BEACON

    def _result(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        if task.state is not TaskState.BEACON:
            raise VerificationError(f"{where}：抽取结果须在随机数之后且只能记录一次")
        if entry.body.get("dept") != task.lead:
            raise VerificationError(f"{where}：抽取结果须由牵头部门记录")
        result = self._result_record(entry.body, where)
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

    def _result_record(self, body: Mapping[str, Any], where: str) -> dict[str, Any]:
        ref = body.get("result")
        if not isinstance(ref, dict) or not isinstance(ref.get("sha256"), str):
            raise VerificationError(f"{where}：缺少抽取结果 blob 引用 result.sha256")
        if self.blob_reader is None:
            raise VerificationError(f"{where}：无法读取抽取结果 blob")
        record = canonical.loads(self.blob_reader(ref["sha256"]))
        if not isinstance(record, dict) or record.get("task_id") != body.get("task_id"):
            raise VerificationError(f"{where}：抽取结果 blob 与任务不符")
        return record

    def _replace(self, entry: Entry, index: int, where: str) -> None:
        """A ``draw.replace`` moves the removed entity's team to its replacement (the slot's team)."""
        task = self._task(entry.body, where)
        if task.state is not TaskState.DRAWN:
            raise VerificationError(f"{where}：替补须在抽取之后、名单确认之前")
        old, rep = entry.body.get("removed"), entry.body.get("replacement")
        new = rep.get("id") if isinstance(rep, dict) else None
        if old not in task.drawn or (
            rep is not None and (not isinstance(new, str) or new in task.drawn)
        ):
            raise VerificationError(f"{where}：被替换的主体不在抽取名单中，或替补主体无效")
        if not isinstance(entry.body.get("reason"), str) or not entry.body["reason"]:
            raise VerificationError(f"{where}：替补须说明理由")
        task.drawn.discard(str(old))
        team = task.teams.pop(str(old), {})
        if isinstance(new, str):
            task.drawn.add(new)
            task.teams[new] = team
        task.replacements.append(entry)

    def _confirm(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        if task.state is not TaskState.DRAWN:
            raise VerificationError(f"{where}：名单确认须在抽取之后且只能确认一次")
        if entry.body.get("dept") != task.lead:
            raise VerificationError(f"{where}：名单确认下发须由牵头部门发起")
        task.confirm, task.state = entry, TaskState.CONFIRMED

    # -- results and follow-up -------------------------------------------------------------

    def _result_fields(
        self, task: TaskRecord, entry: Entry, result: Mapping[str, Any], where: str
    ) -> tuple[str, str]:
        dept, entity = entry.body.get("dept"), result.get("entity")
        if task.state is not TaskState.CONFIRMED:
            raise VerificationError(f"{where}：检查结果须在名单确认下发之后录入")
        if dept not in task.participants:
            raise VerificationError(
                f"{where}：{dept} 不是该任务的检查部门（谁检查、谁录入、谁公开）"
            )
        if entity not in task.drawn:
            raise VerificationError(f"{where}：主体 {entity!r} 不在抽取名单中")
        team = task.teams.get(str(entity), {}).get(str(dept), set())
        inspectors = _str_list(result.get("inspectors"), where, "inspectors")
        if not inspectors or not set(inspectors) <= team:
            raise VerificationError(f"{where}：检查人员须为该主体检查组中本部门的成员")
        inspected = _date(result.get("inspected_on"), where, "inspected_on")
        completed = _date(result.get("completed_on"), where, "completed_on")
        assert task.result is not None
        if not china_date(task.result.ts) <= inspected <= completed <= china_date(entry.ts):
            raise VerificationError(f"{where}：日期应满足 抽取 ≤ 检查 ≤ 完成 ≤ 录入")
        return str(dept), str(entity)

    def _publish_result(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        result = entry.body.get("result")
        if not isinstance(result, dict):
            raise VerificationError(f"{where}：缺少 result")
        key = self._result_fields(task, entry, result, where)
        if key in task.results:
            raise VerificationError(
                f"{where}：该主体本部门的结果已录入，修改须使用更正（result.correct）"
            )
        task.results[key] = index
        self.results[index] = entry

    def _correction(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        refers = entry.body.get("refers")
        if not isinstance(refers, dict) or not isinstance(refers.get("index"), int):
            raise VerificationError(f"{where}：更正须引用原条目 refers.index 和 refers.leaf_hash")
        old = self.results.get(refers["index"])
        if old is None or old.leaf_hash.hex() != refers.get("leaf_hash"):
            raise VerificationError(f"{where}：引用的原结果条目不存在或哈希不符")
        result = entry.body.get("result")
        if not isinstance(result, dict):
            raise VerificationError(f"{where}：缺少 result")
        key = self._result_fields(task, entry, result, where)
        if task.results.get(key) != refers["index"] or old.body.get("task_id") != task.task_id:
            raise VerificationError(f"{where}：只能更正同一任务、同一部门、同一主体的最新结果")
        task.results[key] = index
        self.results[index] = entry

    def _followup(self, entry: Entry, index: int, where: str) -> None:
        task = self._task(entry.body, where)
        key = (str(entry.body.get("dept")), str(entry.body.get("entity")))
        if key not in task.results:
            raise VerificationError(f"{where}：后续处置须针对本部门已公示的结果")
        state = task.followups.get(key)
        if state is None:
            # No follow-up entry yet: the published form's own state is where it starts (a form
            # saying 未完结 is an open follow-up that may be closed directly).
            form = self.results[task.results[key]].body.get("result")
            followup = form.get("followup") if isinstance(form, dict) else None
            if isinstance(followup, dict) and followup.get("state") == "未完结":
                state = "open"
        if entry.type == "followup.close":
            if state != "open":
                raise VerificationError(f"{where}：没有未完结的后续处置")
            task.followups[key] = "closed"
        else:
            if state == "closed":
                raise VerificationError(f"{where}：后续处置已完结")
            task.followups[key] = "open"


def announce_departments(body: Mapping[str, Any], where: str = "draw.announce") -> list[str]:
    """The participating departments named by a ``draw.announce`` body (``rules.departments``)."""
    rules = body.get("rules")
    depts = rules.get("departments") if isinstance(rules, dict) else None
    if not isinstance(depts, list) or not depts:
        raise VerificationError(f"{where}：rules.departments 应为非空列表")
    out = [d.get("dept") for d in depts if isinstance(d, dict)]
    if (
        len(out) != len(depts)
        or not all(isinstance(d, str) for d in out)
        or len(set(out)) != len(out)
    ):
        raise VerificationError(f"{where}：rules.departments 格式错误")
    return [str(d) for d in out]


def _drand_round(body: Mapping[str, Any], where: str) -> int:
    randomness = body.get("randomness")
    drand = randomness.get("drand") if isinstance(randomness, dict) else None
    round_ = drand.get("round") if isinstance(drand, dict) else None
    if isinstance(round_, bool) or not isinstance(round_, int) or round_ < 1:
        raise VerificationError(f"{where}：缺少有效的 drand 轮次 randomness.drand.round")
    return round_


_HANDLERS = {
    "plan.publish": TaskLedger._plan_publish,
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
}
