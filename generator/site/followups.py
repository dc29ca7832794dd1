"""The follow-up story on the site: cases (立案 → 查处进展 → 结案) and notices (抄告 → 签收).

Everything comes from the verified ledger, through the task facts of the build
(:func:`generator.workflow.timeline.task_facts`, ``cases`` and ``notices``), never from a second
copy. Only what docs/site.md §3.2 allows is published: the case number, the handling
department, the dates, the 案由, the 查处进展 and 结案情况 and the 行政处罚决定书文号 as the
handling department wrote them for publication; for a notice the sender, the addressee, the
subject, the dates and whether it was signed for. A case or notice is published only for a
business whose result the site publishes (a result of a published plan). No person is named.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from generator.site.data import SiteData
from generator.site.feeds import FeedEntry
from generator.site.opendata import DataField, Dataset, Value
from generator.workflow.cases import Case, Notice


@dataclass
class EntityStory:
    """The cases and notices about one business, oldest first."""

    cases: list[Case] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def stories(d: SiteData) -> dict[str, EntityStory]:
    """Cases and notices by business code, for the businesses with published results."""
    out: dict[str, EntityStory] = defaultdict(EntityStory)
    for facts in d.task_facts.values():
        for c in getattr(facts, "cases", ()):
            if c.entity in d.by_entity:
                out[c.entity].cases.append(c)
        for n in getattr(facts, "notices", ()):
            if n.entity in d.by_entity:
                out[n.entity].notices.append(n)
    for story in out.values():
        story.cases.sort(key=lambda c: c.index)
        story.notices.sort(key=lambda n: n.index)
    return dict(out)


def all_cases(d: SiteData) -> list[Case]:
    """Every published case, newest opening first."""
    return sorted((c for s in stories(d).values() for c in s.cases), key=lambda c: -c.index)


def all_notices(d: SiteData) -> list[Notice]:
    """Every published notice, newest first."""
    return sorted((n for s in stories(d).values() for n in s.notices), key=lambda n: -n.index)


def story_key(story: EntityStory | None) -> tuple[object, ...]:
    """What a business page shows of its cases and notices (a page key part)."""
    if story is None:
        return ()
    return (
        tuple(
            (c.index, c.case_no, c.dept, c.summary, c.opened_on, tuple(c.progress),
             c.closed_on, c.outcome, c.decision_no)
            for c in story.cases
        ),
        tuple((n.index, n.dept, n.to, n.subject, n.sent_on, n.acked_on, n.reply) for n in story.notices),
    )  # fmt: skip


def dept_name(d: SiteData, dept: str) -> str:
    """The department's name, or its id when the content does not know it."""
    return d.depts[dept].name if dept in d.depts else dept


def entity_name(d: SiteData, code: str) -> str:
    """The business's name, or its code."""
    e = d.entities.get(code)
    return e.name if e is not None else code


CASE_FIELDS = (
    DataField("case_no", "案件编号", "string", "办案部门的立案文书号"),
    DataField("dept", "办案部门", "string", "办案部门标识（签署立案、查处进展、结案条目的部门）"),
    DataField("entity", "统一社会信用代码/注册号", "string", "被检查的市场主体"),
    DataField("entity_name", "企业名称", "string", "市场主体名称"),
    DataField("task_id", "任务编号", "string", "发现问题的抽查任务"),
    DataField("source_dept", "发现问题的检查部门", "string", "检查部门标识"),
    DataField("opened_on", "立案日期", "date", "立案日期"),
    DataField("summary", "案由", "string", "案由"),
    DataField("progress", "查处进展", "list", "查处进展，按时间顺序，每项以日期开头"),
    DataField("state", "案件状态", "string", "查处中 / 已结案"),
    DataField("closed_on", "结案日期", "date", "结案日期", nullable=True),
    DataField("outcome", "结案情况", "string", "结案情况；未结案为空"),
    DataField("decision_no", "行政处罚决定书文号", "string", "作出行政处罚时的决定书文号"),
    DataField("ledger_index", "账本序号", "integer", "立案记录在账本中的序号"),
)

NOTICE_FIELDS = (
    DataField("ledger_index", "账本序号", "integer", "抄告记录在账本中的序号"),
    DataField("task_id", "任务编号", "string", "发现问题的抽查任务"),
    DataField("entity", "统一社会信用代码/注册号", "string", "被检查的市场主体"),
    DataField("entity_name", "企业名称", "string", "市场主体名称"),
    DataField("dept", "抄告部门", "string", "发出抄告的检查部门标识"),
    DataField("to", "收件部门", "string", "收件部门标识（签署签收条目的部门）"),
    DataField("subject", "抄告事项", "string", "抄告事项"),
    DataField("sent_on", "抄告日期", "date", "抄告日期"),
    DataField("acked_on", "签收日期", "date", "收件部门签收日期；未签收为空", nullable=True),
    DataField("reply", "处理情况", "string", "收件部门签收时说明的处理情况"),
)


def case_record(d: SiteData, c: Case) -> dict[str, Value]:
    """The open-data record of a case."""
    return {
        "case_no": c.case_no,
        "dept": c.dept,
        "entity": c.entity,
        "entity_name": entity_name(d, c.entity),
        "task_id": c.task_id,
        "source_dept": c.source_dept,
        "opened_on": c.opened_on.isoformat(),
        "summary": c.summary,
        "progress": [f"{p.on.isoformat()} {p.text}" for p in c.progress],
        "state": c.state,
        "closed_on": c.closed_on.isoformat() if c.closed_on else None,
        "outcome": c.outcome,
        "decision_no": c.decision_no,
        "ledger_index": c.index,
    }


def notice_record(d: SiteData, n: Notice) -> dict[str, Value]:
    """The open-data record of a notice."""
    return {
        "ledger_index": n.index,
        "task_id": n.task_id,
        "entity": n.entity,
        "entity_name": entity_name(d, n.entity),
        "dept": n.dept,
        "to": n.to,
        "subject": n.subject,
        "sent_on": n.sent_on.isoformat(),
        "acked_on": n.acked_on.isoformat() if n.acked_on else None,
        "reply": n.reply,
    }


def datasets(d: SiteData) -> list[Dataset]:
    """``data/cases`` and ``data/notices`` (docs/site.md §3.2)."""
    return [
        Dataset(
            "cases",
            "立案查处情况",
            "对抽查发现问题立案查处的案件：立案、查处进展、结案情况（由办案部门签署）",
            CASE_FIELDS,
            lambda: [case_record(d, c) for c in all_cases(d)],
        ),
        Dataset(
            "notices",
            "抄告及签收情况",
            "检查部门向相关部门的抄告及收件部门的签收",
            NOTICE_FIELDS,
            lambda: [notice_record(d, n) for n in all_notices(d)],
        ),
    ]


def dataset_key(d: SiteData) -> tuple[object, ...]:
    """The inputs of both datasets (entity names included)."""
    return tuple((story_key(s), entity_name(d, code)) for code, s in sorted(stories(d).items()))


def feed_entries(d: SiteData) -> list[FeedEntry]:
    """Every step of every case and notice, newest first (by log index), for the feed."""
    out: list[tuple[int, FeedEntry]] = []
    for c in all_cases(d):
        page, name = f"entities/{c.entity}/", entity_name(d, c.entity)
        who, key = dept_name(d, c.dept), f"case-{c.index}"
        out.append(
            (
                c.index,
                FeedEntry(
                    page, f"{name}：立案 {c.case_no}", c.opened_on, f"{who}立案：{c.summary}", key
                ),
            )
        )
        for p in c.progress:
            out.append(
                (
                    p.index,
                    FeedEntry(
                        page, f"{name}：查处进展 {c.case_no}", p.on, p.text, f"{key}-{p.index}"
                    ),
                )
            )
        if c.closed_on is not None and c.close_index is not None:
            out.append(
                (
                    c.close_index,
                    FeedEntry(
                        page, f"{name}：结案 {c.case_no}", c.closed_on, c.outcome, f"{key}-close"
                    ),
                )
            )
    for n in all_notices(d):
        page, name = f"entities/{n.entity}/", entity_name(d, n.entity)
        text = f"{dept_name(d, n.dept)}抄告{dept_name(d, n.to)}：{n.subject}"
        out.append(
            (n.index, FeedEntry(page, f"{name}：抄告", n.sent_on, text, f"notice-{n.index}"))
        )
        if n.acked_on is not None and n.ack_index is not None:
            out.append(
                (
                    n.ack_index,
                    FeedEntry(
                        page,
                        f"{name}：抄告已签收",
                        n.acked_on,
                        f"{dept_name(d, n.to)}签收：{n.reply or '—'}",
                        f"notice-{n.index}-ack",
                    ),
                )
            )
    out.sort(key=lambda x: -x[0])
    return [e for _, e in out]
