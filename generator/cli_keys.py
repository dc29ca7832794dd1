"""``gongkai keys add|revoke|rotate-root|rotate-log``: key lifecycle through signing requests.

Each command only prepares an unsigned request file (``docs/signing.md`` §9); the root holders
(and, where the rules need it, the key the entry is about) sign it on their own machines with
``gongkai sign``, and the operator appends it with ``gongkai request append``. No command here
reads a private key. Thin shells over :mod:`generator.keyrequests`; registered by
:mod:`generator.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import TEXT, BoundedInt
from generator.cli_request import expires_option, write_request
from generator.cli_text import GongkaiCommand
from generator.cli_workflow import at_option, notice, site_option

if TYPE_CHECKING:
    from generator.workflow.site import SiteRepo

__all__ = ["register"]

_PUB = click.Path(dir_okay=False, exists=True, path_type=Path)
_POSITIVE = BoundedInt(1, 2**63 - 1)
request_out_option = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="签署申请文件，交根密钥持有人（和所涉密钥的持有人）签署",
)


def _prepare(repo: SiteRepo, body: dict[str, Any], expires: str | None, out: Path) -> None:
    from generator.cli_request import expiry
    from generator.signing import prepare

    write_request(prepare(repo, body, (), expiry(expires)), out)


def _key_ref(value: str) -> str:
    """A key reference, or the reference of the public key file ``value`` names."""
    from ledger.keys import read_public_key

    path = Path(value)
    return read_public_key(path).key_ref if path.is_file() else value


@click.command("add", cls=GongkaiCommand)
@click.argument("public_key", type=_PUB, metavar="公钥文件")
@click.option("--dept", type=TEXT, required=True, help="部门标识（departments.yaml 中的 id）")
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def keys_add(
    public_key: Path, dept: str, out: Path, expires: str | None, site_root: Path, at: str | None
) -> None:
    """生成登记部门密钥（key.add）的签署申请：由根密钥持有人和该部门分别签署（持有证明）。"""
    from generator.errors import OptionError
    from generator.keyrequests import key_add_body
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.examplekeys import refuse_example_key
    from ledger.keys import read_public_key

    repo = SiteRepo.open(site_root, notify=notice)
    if dept not in {d.id for d in repo.content.departments}:
        raise OptionError(f"--dept：未知部门“{dept}”")
    verifier = read_public_key(public_key)
    refuse_example_key(verifier, example_site=repo.content.site.example)
    body = key_add_body(repo.state().registry, verifier, dept, parse_at(at))
    _prepare(repo, body, expires, out)


@click.command("revoke", cls=GongkaiCommand)
@click.argument("key", type=TEXT, metavar="密钥")
@click.option(
    "--reason",
    type=click.Choice(["rotated", "compromised"]),
    required=True,
    help="rotated：更换密钥；compromised：私钥泄露或丢失",
)
@click.option(
    "--compromised-from",
    type=_POSITIVE,
    help="自该条目序号起，此密钥签署的条目标记为可疑（只与 --reason compromised 一起使用）",
)
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def keys_revoke(
    key: str,
    reason: str,
    compromised_from: int | None,
    out: Path,
    expires: str | None,
    site_root: Path,
    at: str | None,
) -> None:
    """生成撤销部门密钥（key.revoke）的签署申请；密钥可写密钥引用（名称+8位ID）或公钥文件。

    撤销之后该密钥的签名一律无效；撤销之前它签署的条目仍然有效（docs/ledger.md §13.3）。
    由门限数量的根密钥持有人或该密钥的部门本身签署。"""
    from generator.keyrequests import revoke_body
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    body = revoke_body(repo.state().registry, _key_ref(key), reason, compromised_from, parse_at(at))
    _prepare(repo, body, expires, out)


@click.command("rotate-root", cls=GongkaiCommand)
@click.option(
    "--root-pub",
    "root_pubs",
    type=_PUB,
    multiple=True,
    required=True,
    help="新根密钥组的每一把公钥（各持有人在自己的介质上生成，可重复）",
)
@click.option("--threshold", type=_POSITIVE, required=True, help="新的门限")
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def keys_rotate_root(
    root_pubs: tuple[Path, ...],
    threshold: int,
    out: Path,
    expires: str | None,
    site_root: Path,
    at: str | None,
) -> None:
    """生成更换根密钥（root.update）的签署申请：门限数量的现任根密钥和每一把新根密钥分别签署。"""
    from generator.keyrequests import root_update_body
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.keys import read_public_key

    repo = SiteRepo.open(site_root, notify=notice)
    roots = [read_public_key(p) for p in root_pubs]
    _prepare(repo, root_update_body(roots, threshold, parse_at(at)), expires, out)


@click.command("rotate-log", cls=GongkaiCommand)
@click.option(
    "--log-pub",
    "log_pubs",
    type=_PUB,
    multiple=True,
    required=True,
    help="新日志密钥组的每一把公钥（可重复）",
)
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def keys_rotate_log(
    log_pubs: tuple[Path, ...], out: Path, expires: str | None, site_root: Path, at: str | None
) -> None:
    """生成更换日志密钥（logkey.rotate）的签署申请：由门限数量的现任根密钥分别签署。

    追加时用 request append 的 --new-log-key 指定新的日志私钥。"""
    from generator.keyrequests import logkey_rotate_body
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.keys import read_public_key

    repo = SiteRepo.open(site_root, notify=notice)
    log_keys = [read_public_key(p) for p in log_pubs]
    _prepare(repo, logkey_rotate_body(log_keys, parse_at(at)), expires, out)


def register(keys: click.Group) -> None:
    """Add the lifecycle commands to the ``keys`` group."""
    for command in (keys_add, keys_revoke, keys_rotate_root, keys_rotate_log):
        keys.add_command(command)
