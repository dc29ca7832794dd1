"""``gongkai case`` (立案、查处进展、结案) and ``gongkai notice`` (抄告、签收): docs/workflow.md §7.

Thin shells over :mod:`generator.workflow.cases`: each opens the site's ledger, makes one library
call and echoes the new checkpoint. Registered on ``gongkai`` by :mod:`generator.cli`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import AT_TIME, OPTIONAL_TEXT, TEXT, BoundedInt
from generator.cli_text import GongkaiGroup
from generator.cli_workflow import (
    at_option,
    echo_checkpoint,
    key_or_request_option,
    log_key_option,
    notice,
    site_option,
)

if TYPE_CHECKING:
    from generator.workflow.site import SiteRepo
    from generator.workflow.status import Status

__all__ = ["case_group", "echo_cases", "notice_group"]

_DEPT_HELP = "本部门标识（departments.yaml 中的 id），用本部门私钥签署"
on_option = click.option(
    "--on", "on", type=AT_TIME, default=None, help="立案或结案日期（默认与 --at 同一天）"
)
_INDEX = BoundedInt(0, 2**63 - 2)


def _repo(site_root: Path) -> SiteRepo:
    from generator.workflow.site import SiteRepo

    return SiteRepo.open(site_root, notify=notice)


def _when(at: str | None, on: str | None) -> tuple[str, dt.date | None]:
    from generator.workflow.site import parse_at
    from ledger.tasks import china_date

    return parse_at(at), china_date(on) if on else None


@click.group("case", cls=GongkaiGroup)
def case_group() -> None:
    """案件：立案、查处进展、结案（由办案部门签署，向社会公示）。"""


@case_group.command("open")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="办案部门标识，" + _DEPT_HELP)
@click.option("--from-dept", "source_dept", type=TEXT, required=True, help="发现问题的检查部门")
@click.option("--case-no", type=TEXT, required=True, help="案件编号（立案文书号）")
@click.option("--summary", type=OPTIONAL_TEXT, default="", help="案由（不得含个人信息）")
@on_option
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def case_open(
    task_id: str, entity: str, dept: str, source_dept: str, case_no: str, summary: str,
    on: str | None, site_root: Path, at: str | None, key: Path | None, log_key: Path | None,
) -> None:  # fmt: skip
    """对发现问题的检查结果立案。"""
    from generator.workflow.cases import open_case

    ts, day = _when(at, on)
    cp = open_case(
        _repo(site_root), task_id, entity, source_dept=source_dept, dept=dept, case_no=case_no,
        opened_on=day, summary=summary, at=ts, key=key, log_key=log_key,
    )  # fmt: skip
    echo_checkpoint(f"已立案 {case_no}", cp)


@case_group.command("progress")
@click.argument("case_no", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help=_DEPT_HELP)
@click.option("--note", type=TEXT, required=True, help="查处进展")
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def case_progress(
    case_no: str, dept: str, note: str, site_root: Path, at: str | None, key: Path | None,
    log_key: Path | None,
) -> None:  # fmt: skip
    """记录案件的查处进展。"""
    from generator.workflow.cases import case_step

    ts, _ = _when(at, None)
    cp = case_step(
        _repo(site_root), case_no, dept=dept, text=note, closed_on=None, close=False,
        decision_no=None, at=ts, key=key, log_key=log_key,
    )  # fmt: skip
    echo_checkpoint(f"已记录 {case_no} 的查处进展", cp)


@case_group.command("close")
@click.argument("case_no", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help=_DEPT_HELP)
@click.option("--outcome", type=TEXT, required=True, help="结案情况")
@click.option("--decision-no", type=TEXT, default=None, help="行政处罚决定书文号（如有）")
@on_option
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def case_close(
    case_no: str, dept: str, outcome: str, decision_no: str | None, on: str | None,
    site_root: Path, at: str | None, key: Path | None, log_key: Path | None,
) -> None:  # fmt: skip
    """结案，记录结案情况。"""
    from generator.workflow.cases import case_step

    ts, day = _when(at, on)
    cp = case_step(
        _repo(site_root), case_no, dept=dept, text=outcome, closed_on=day, close=True,
        decision_no=decision_no, at=ts, key=key, log_key=log_key,
    )  # fmt: skip
    echo_checkpoint(f"{case_no} 已结案", cp)


@click.group("notice", cls=GongkaiGroup)
def notice_group() -> None:
    """抄告：向相关部门抄告检查发现的问题，收件部门签收。"""


@notice_group.command("copy")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="检查部门标识，" + _DEPT_HELP)
@click.option("--to", type=TEXT, required=True, help="收件部门标识")
@click.option("--subject", type=TEXT, required=True, help="抄告事项")
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def notice_copy(
    task_id: str, entity: str, dept: str, to: str, subject: str, site_root: Path,
    at: str | None, key: Path | None, log_key: Path | None,
) -> None:  # fmt: skip
    """把某户检查发现的问题抄告相关部门。"""
    from generator.workflow.cases import copy_notice

    ts, _ = _when(at, None)
    cp = copy_notice(
        _repo(site_root), task_id, entity, dept=dept, to=to, subject=subject, at=ts, key=key,
        log_key=log_key,
    )  # fmt: skip
    echo_checkpoint(f"已抄告 {to}", cp)


@notice_group.command("ack")
@click.argument("notice_index", type=_INDEX)
@click.option("--dept", type=TEXT, required=True, help="收件部门标识，" + _DEPT_HELP)
@click.option("--reply", type=OPTIONAL_TEXT, default="", help="处理情况")
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def notice_ack(
    notice_index: int, dept: str, reply: str, site_root: Path, at: str | None,
    key: Path | None, log_key: Path | None,
) -> None:  # fmt: skip
    """签收抄告（NOTICE_INDEX 为 gongkai status 列出的抄告条目序号）。"""
    from generator.workflow.cases import ack_notice

    ts, _ = _when(at, None)
    cp = ack_notice(
        _repo(site_root), notice_index, dept=dept, reply=reply, at=ts, key=key, log_key=log_key
    )
    echo_checkpoint(f"已签收第 {notice_index} 条抄告", cp)


def echo_cases(s: Status) -> None:
    """The 抄告 awaiting 签收 and the open cases of ``gongkai status``."""
    click.echo(f"待签收的抄告：{len(s.unacked_notices)}")
    for n in s.unacked_notices:
        click.echo(
            f"  第 {n.index} 条：{n.dept} 抄告 {n.to}，{n.task_id} {n.entity}，{n.subject}"
            f"（{n.sent_on}；签收：gongkai notice ack {n.index} --dept {n.to}）"
        )
    click.echo(f"查处中的案件：{len(s.open_cases)}")
    for c in s.open_cases:
        click.echo(f"  {c.case_no}（{c.dept}，{c.opened_on} 立案）：{c.task_id} {c.entity}")
