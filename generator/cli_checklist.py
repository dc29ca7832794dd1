"""``gongkai checklist publish`` and ``gongkai vocabulary publish``: record a version of a
department's 随机抽查事项清单 (docs/workflow.md §8) or of its own 检查结果用语 (§10) in the ledger.
Registered on ``gongkai`` by :mod:`generator.cli`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import TEXT
from generator.cli_text import GongkaiGroup
from generator.cli_workflow import (
    at_option,
    echo_checkpoint,
    key_or_request_option,
    log_key_option,
    notice,
    site_option,
)

__all__ = ["checklist_group", "vocabulary_group"]

_F = Callable[..., Any]


def _dept_publish(func: _F) -> _F:
    """The options of a department's versioned publication: ``--dept``, ``--site``, ``--at``,
    ``--key`` / ``--request``, ``--log-key``; refusals as exit codes (``workflow_errors``)."""
    func = workflow_errors(func)
    for option in (log_key_option, key_or_request_option, at_option, site_option):
        func = option(func)
    dept = click.option(
        "--dept", "dept", required=True, type=TEXT, help="本部门标识，用本部门私钥签署"
    )
    return dept(func)


@click.group("checklist", cls=GongkaiGroup)
def checklist_group() -> None:
    """随机抽查事项清单：发布到账本（每次修改为新版本）。"""


@checklist_group.command("publish")
@_dept_publish
def checklist_publish(
    dept: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """把本部门的抽查事项清单（事项、重点/一般、比例上下限、依据）记入账本，作为新的一版。"""
    from generator.workflow.bound import publish_checklist
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    cp, version = publish_checklist(repo, dept, parse_at(at), key, log_key)
    echo_checkpoint(f"已发布部门“{dept}”的抽查事项清单第 {version} 版", cp)


@click.group("vocabulary", cls=GongkaiGroup)
def vocabulary_group() -> None:
    """本部门检查结果用语：发布到账本（每次修改为新版本）。"""


@vocabulary_group.command("publish")
@_dept_publish
def vocabulary_publish(
    dept: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """把 content/vocabulary.yaml 中本部门的检查结果用语（用语、是否发现问题）记入账本，作为新的一版。"""
    from generator.workflow.site import SiteRepo, parse_at
    from generator.workflow.vocabularies import publish_vocabulary

    repo = SiteRepo.open(site_root, notify=notice)
    cp, version = publish_vocabulary(repo, dept, parse_at(at), key, log_key)
    echo_checkpoint(f"已发布部门“{dept}”的本部门检查结果用语第 {version} 版", cp)
