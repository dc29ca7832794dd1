"""``gongkai library publish``: record the 检查对象名录库 in the ledger (docs/workflow.md §9).
Registered on ``gongkai`` by :mod:`generator.cli`."""

from __future__ import annotations

from pathlib import Path

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

__all__ = ["library_group"]


@click.group("library", cls=GongkaiGroup)
def library_group() -> None:
    """两库：把检查对象名录库和执法检查人员名录库发布到账本（每次修改为新版本；抽取前须发布）。"""


@library_group.command("publish")
@click.argument(
    "kind", metavar="entities|inspectors", type=click.Choice(["entities", "inspectors"])
)
@click.option("--dept", "dept", required=True, type=TEXT, help="名录库的维护部门，用本部门私钥签署")
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def library_publish(
    kind: str, dept: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """把 content/ 中的检查对象名录库（entities）或执法检查人员名录库（inspectors）记入账本，作为新的一版。"""
    from generator.workflow.library_ledger import LIBRARY_NAMES, publish_library
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    cp, version, count = publish_library(repo, kind, dept, parse_at(at), key, log_key)
    name, unit = LIBRARY_NAMES[kind]
    echo_checkpoint(f"已发布{name}第 {version} 版（{count} {unit}）", cp)
