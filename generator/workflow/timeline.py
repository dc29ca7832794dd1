"""What the ledger says about each task, for the public task pages: events and the drawn list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from generator.ledgerops import LedgerState
from generator.workflow.cases import Case, Notice, read_cases, read_notices
from ledger.payloads import DrawReplace, DrawReveal, PlanPublish, TaskInvite, TaskReply
from ledger.tasks import china_date

_LABELS = {
    "plan.publish": "年度抽查工作计划发布（记入账本）",
    "task.invite": "牵头部门发出联合抽查邀约",
    "draw.announce": "公告抽取：冻结名录库快照，指定 drand 轮次",
    "draw.beacon": "记录 drand 随机数",
    "draw.result": "完成随机抽取和执法检查人员匹配",
    "draw.replace": "替补抽中主体",
    "task.confirm": "名单确认下发",
}


@dataclass(frozen=True)
class DrawnEntity:
    """One drawn business and its team (执法证号 by department), leader first."""

    entity: str
    team: tuple[tuple[str, str], ...]
    leader: str


@dataclass
class TaskFacts:
    """A task's ledger events and, once drawn, its list.

    An event is ``(China date, label, log index, department id)``; a label may contain
    ``{dept}``, to be replaced by the department's name when shown.
    """

    events: list[tuple[dt.date, str, int, str]] = field(default_factory=list)
    #: The lead and the partners that accepted, as ``draw.announce`` fixed them (empty before).
    participants: tuple[str, ...] = ()
    #: Partners invited by ``task.invite`` (empty for a single-department task).
    invited: tuple[str, ...] = ()
    #: Partner replies: department → (``accept`` / ``decline``, reason).
    replies: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Whether ``task.confirm`` (名单确认下发) is recorded: results are expected from then on.
    confirmed: bool = False
    drawn: list[DrawnEntity] = field(default_factory=list)
    replaced: list[tuple[str, str, str]] = field(default_factory=list)
    #: 立案 → 查处进展 → 结案 on the task's results, in the order opened (docs/workflow.md §7).
    cases: list[Case] = field(default_factory=list)
    #: 抄告 about the task's results, with their 签收, in log order.
    notices: list[Notice] = field(default_factory=list)

    @property
    def drawn_ids(self) -> tuple[str, ...]:
        """The drawn entities (after replacements), sorted."""
        return tuple(d.entity for d in self.drawn)

    @property
    def declined(self) -> list[tuple[str, str]]:
        """Partners that declined the invitation, with their reasons (not participants)."""
        return [(d, why) for d, (word, why) in sorted(self.replies.items()) if word == "decline"]

    @property
    def unanswered(self) -> list[str]:
        """Invited partners that did not reply before the draw was announced (not participants)."""
        if not self.participants:
            return []
        return [d for d in self.invited if d not in self.replies]


def task_facts(state: LedgerState) -> dict[str, TaskFacts]:
    """Events (China dates, with their log index) and drawn lists of every task in the ledger."""
    facts: dict[str, TaskFacts] = {}
    plan_tasks = {
        r.plan_id: [t for t, rec in state.tasks.tasks.items() if rec.plan_id == r.plan_id]
        for r in state.tasks.tasks.values()
    }
    for index, entry in enumerate(state.entries):
        body = entry.payload  # the verified, typed body (ledger.payloads)
        if isinstance(body, PlanPublish):
            for task_id in plan_tasks.get(body.plan_id, []):
                facts.setdefault(task_id, TaskFacts()).events.append(
                    (china_date(entry.ts), _LABELS[entry.type], index, "")
                )
            continue
        task: str | None = getattr(body, "task_id", None)
        if task is None or task not in state.tasks.tasks:
            continue
        f = facts.setdefault(task, TaskFacts())
        label: str | None = _LABELS.get(entry.type)
        if isinstance(body, TaskInvite):
            f.invited = body.partners
        elif isinstance(body, TaskReply):
            word = "接受" if body.decision == "accept" else "拒绝"
            f.replies[body.dept] = (body.decision, body.reason or "")
            label = f"配合部门{{dept}}{word}邀约" + (f"（{body.reason}）" if body.reason else "")
        elif isinstance(body, DrawReveal):
            label = "{dept}揭示承诺的秘密"
        elif isinstance(body, DrawReplace):
            new = body.replacement.id if body.replacement is not None else "无"
            label = f"替补：{body.removed} → {new}（{body.reason}）"
            f.replaced.append((body.removed, new, body.reason))
        if label is not None:
            f.events.append((china_date(entry.ts), label, index, getattr(body, "dept", "")))
    for task_id, record in state.tasks.tasks.items():
        f = facts.setdefault(task_id, TaskFacts())
        f.participants = record.participants
        f.confirmed = record.confirm is not None
        for entity in sorted(record.drawn):
            team = record.teams.get(entity, {})
            members = tuple(
                (dept, insp) for dept in record.participants for insp in sorted(team.get(dept, ()))
            )
            leader = members[0][1] if members else ""
            f.drawn.append(DrawnEntity(entity, members, leader))
    for case in read_cases(state.entries):
        facts[case.task_id].cases.append(case)
    for n in read_notices(state.entries):
        facts[n.task_id].notices.append(n)
    return facts
