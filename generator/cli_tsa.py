"""``gongkai tsa``: install an RFC 3161 time-stamping authority and stamp checkpoints
(docs/ledger.md §15.5). Registered on ``gongkai`` by :mod:`generator.cli`."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli_errors import workflow_errors
from generator.cli_text import GongkaiGroup
from generator.cli_workflow import notice, site_option

__all__ = ["tsa_group"]


@click.group("tsa", cls=GongkaiGroup)
def tsa_group() -> None:
    """可信时间戳（RFC 3161）：登记时间戳机构，为检查点加盖时间戳。"""


@tsa_group.command("add")
@click.argument("name")
@click.option(
    "--chain",
    "chain",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="时间戳机构的证书链（PEM，含根证书），将发布为 draws/tsa/<名称>.pem",
)
@site_option
@workflow_errors
def tsa_add(name: str, chain: Path, site_root: Path) -> None:
    """登记时间戳机构 NAME：写入 draws/tsa/NAME.pem，并在 draws/trust.txt 中加入 tsa 行。

    示例时间戳机构的证书（私钥公开）只能登记在示例站点（gongkai.yaml 中 example: true）。"""
    from generator.content.loader import load_site_config
    from ledger.examplekeys import is_example_tsa_chain, refuse_example_tsa
    from ledger.tsa import add_tsa

    pem = chain.read_bytes()
    if is_example_tsa_chain(pem):  # docs/ledger.md §15.6.1
        example = load_site_config(site_root / "content").example
        refuse_example_tsa([name], example_site=example)
    trust = add_tsa(site_root / "draws", name, pem)
    digest = dict(trust.tsas)[name].hex()
    click.echo(
        f"已登记时间戳机构 {name}（证书链 SHA-256 {digest}）；draws/trust.txt 已更新，"
        "请通过原有渠道重新公布信任锚。另请在 content/gongkai.yaml 的 timestamping 中写明其网址"
    )


@tsa_group.command("stamp")
@site_option
@workflow_errors
def tsa_stamp(site_root: Path) -> None:
    """为最新的检查点补盖时间戳（每个已配置且尚未盖章的时间戳机构各一个）。"""
    from generator.timestamping import authorities
    from generator.workflow.site import SiteRepo
    from ledger.timestamp import token_name
    from ledger.tsa import stamp_all

    repo = SiteRepo.open(site_root, notify=notice)
    state = repo.store.read_state()
    if state.checkpoint is None:
        raise click.ClickException("账本尚无检查点")
    size = state.checkpoint.size
    lines = list(repo.store.iter_lines())[:size]
    todo = [
        a
        for a in authorities(repo.content.site, repo.trust, lines)
        if not (repo.draws / "checkpoints" / token_name(size, a.name)).exists()
    ]
    stamps, warnings = stamp_all(repo.draws, size, todo)
    for warning in warnings:
        click.echo(f"警告：{warning}", err=True)
    for stamp in stamps:
        click.echo(f"检查点 {size} 已由 {stamp.tsa} 加盖时间戳：{stamp.time.isoformat()}")
    if not todo:
        click.echo(f"检查点 {size} 已有全部已配置时间戳机构的时间戳")
