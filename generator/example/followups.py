"""The example year's cases (立案 → 查处进展 → 结案) and notices (抄告 → 签收), docs/workflow.md §7.

:func:`case_events` turns the example's planned results into ``gongkai case …`` and ``gongkai
notice …`` commands dated on working days after the result is published: three of 市场监管's own
findings become cases (two closed, one still 查处中), and two single-department inspections each
notify another department of what they saw under its rules (消防 signs for its 抄告; 生态环境's
is still waiting, so ``gongkai status --dept sthj`` lists it). Choices are made by hashes of fixed
labels, so the bytes are reproducible.

A ``notice ack`` names the notice by its log index, which exists only once the notice is
written: its command carries a placeholder that :func:`resolve` replaces when it runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from generator.content.workdays import add_workdays
from generator.workflow import forms

#: (task, dept) → [(form row, publication day, form cells, entity)] as the example plans them.
Planned = Mapping[tuple[str, str], Sequence[tuple[int, dt.date, Mapping[str, object], str]]]
Event = tuple[str, list[str]]
ImportDay = Callable[[dt.date], dt.date]

#: 市场监管's own finding in the example (generator/example/year.py VIOLATIONS).
FINDING = "违反市场监管相关规定"
CASES = (  # (task, case no, summary, [(workdays after opening, 查处进展)], close or None)
    ("2024-YYYC-CY", "崇市监立〔2024〕21号", "未按规定履行食品进货查验和记录义务",
     [(5, "已调查取证，当事人已提交进货凭证和整改报告。")],
     (25, "当事人首次违法且已及时改正，依法不予行政处罚，责令改正。", None)),
    ("2024-YYYC-YD", "崇市监立〔2024〕27号", "未按规定建立并执行药品购进验收记录制度",
     [(5, "已调查取证，当事人承认部分药品未做购进验收记录。"),
      (15, "已送达行政处罚告知书，当事人未要求陈述申辩和听证。")],
     (30, "警告，并处罚款五千元。", "崇市监处罚〔2024〕16号")),
    ("2024-YYYC-CY", "崇市监立〔2024〕33号", "涉嫌使用超过保质期的食品原料",
     [(6, "已抽样送检，等待检验报告。")], None),
)  # fmt: skip
#: (task, inspecting dept, addressee, 抄告事项, 签收 reply or None: never signed for).
NOTICES = (
    ("2024-WL-YL", "whly", "xfjy", "安全出口指示标志损坏、疏散通道堆放杂物，涉嫌违反消防安全管理规定",
     "已列入消防监督检查计划，将于近期现场核查。"),
    ("2024-JT-WX", "jtys", "sthj", "废机油等危险废物未按规定分类贮存、未见转移联单", None),
)  # fmt: skip
_CLEAN = ("未发现问题", "发现问题经责令已改正")
_NOTICE_REF = "@notice:"


def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _at(day: dt.date) -> str:
    return f"{day.isoformat()}T11:00:00+08:00"


def _published(
    planned: Planned,
    dept: str,
    categories: Sequence[str],
    import_day: ImportDay,
    task: str | None = None,
) -> list[tuple[int, str, str, dt.date]]:
    """(hash, task, entity, import day) of ``dept``'s planned results in ``categories`` (of
    ``task`` only, if given), in the order of their hashes."""
    return sorted(
        (_h("followup-story", t, entity), t, entity, import_day(day))
        for (t, d), rows in planned.items()
        if d == dept and task in (None, t)
        for _, day, cells, entity in rows
        if cells.get(forms.COL_CATEGORIES[0]) in categories
    )


def case_events(planned: Planned, import_day: ImportDay) -> list[Event]:
    """The commands of the example's cases and notices, each with its ``--at`` time.

    Args:
        planned: the results the example year publishes, by task and department.
        import_day: the day a result completed for publication on a day is imported.

    Raises:
        ValueError: if the example has too few results of the kinds chosen (a changed example).
    """
    events: list[Event] = []
    used: set[str] = set()
    for task, case_no, summary, steps, close in CASES:
        findings = _published(planned, "scjg", (FINDING,), import_day, task)
        _, _, entity, day = next((f for f in findings if f[2] not in used), (0, "", "", None))
        if day is None:
            raise ValueError(f"示例任务 {task} 中市场监管发现问题的结果不足以生成示例案件")
        used.add(entity)
        opened = add_workdays(day, 3)
        events.append((_at(opened), ["case", "open", task, entity, "--dept", "scjg",
                       "--from-dept", "scjg", "--case-no", case_no, "--summary", summary]))  # fmt: skip
        for after, note in steps:
            when = add_workdays(opened, after)
            events.append(
                (_at(when), ["case", "progress", case_no, "--dept", "scjg", "--note", note])
            )
        if close is not None:
            after, outcome, decision = close
            extra = ["--decision-no", decision] if decision else []
            events.append((_at(add_workdays(opened, after)), ["case", "close", case_no, "--dept",
                           "scjg", "--outcome", outcome, *extra]))  # fmt: skip
    for task, dept, to, subject, reply in NOTICES:
        candidates = _published(planned, dept, _CLEAN, import_day, task)
        if not candidates:
            raise ValueError(f"示例任务 {task} 没有可用于抄告的检查结果")
        _, _, entity, day = candidates[0]
        sent = add_workdays(day, 2)
        events.append((_at(sent), ["notice", "copy", task, entity, "--dept", dept, "--to", to,
                       "--subject", subject]))  # fmt: skip
        if reply is not None:
            token = f"{_NOTICE_REF}{task}/{entity}"
            events.append((_at(add_workdays(sent, 3)), ["notice", "ack", token, "--dept", to,
                           "--reply", reply]))  # fmt: skip
    return events


def resolve(args: Sequence[str], site: Path) -> list[str]:
    """``args`` with a notice placeholder replaced by that notice's log index in ``site``.

    Raises:
        ValueError: if the placeholder names a notice the ledger does not hold (yet).
    """
    if not any(a.startswith(_NOTICE_REF) for a in args):
        return list(args)
    from generator.workflow.cases import read_notices
    from generator.workflow.site import SiteRepo

    notices = read_notices(SiteRepo.open(site).state().entries)
    out = []
    for arg in args:
        if arg.startswith(_NOTICE_REF):
            task, entity = arg[len(_NOTICE_REF) :].split("/", 1)
            found = [n.index for n in notices if (n.task_id, n.entity) == (task, entity)]
            if not found:
                raise ValueError(f"账本中没有任务 {task} 主体 {entity} 的抄告")
            arg = str(found[0])
        out.append(arg)
    return out
