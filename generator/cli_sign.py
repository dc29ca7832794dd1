"""``gongkai`` commands for signing on separate machines (``docs/signing.md``).

``draw commit`` (each department, its own secret), ``request announce`` / ``request confirm``
(the lead prepares an unsigned request), ``sign`` (each department, its own key) and
``request append`` (the lead, with the collected signature files). Thin shells over
:mod:`generator.drawsecret` and :mod:`generator.signing`; registered by :mod:`generator.cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import AT_TIME, ROUND, TEXT, Text
from generator.cli_request import expires_option, expiry, write_request
from generator.cli_text import GongkaiCommand, GongkaiGroup
from generator.cli_workflow import _secrets_dir as _secrets_dir
from generator.cli_workflow import (
    at_option,
    draw,
    echo_checkpoint,
    log_key_option,
    notice,
    secrets_option,
    site_option,
)

__all__ = ["register", "request_out_option"]

request_out_option = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="签署申请文件（如 2024-XX.announce.json），交各部门签署",
)


@draw.command("commit")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="本部门标识（departments.yaml 中的 id）")
@secrets_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="承诺文件（如 scjg.commitment），交牵头部门",
)
@workflow_errors
def draw_commit(task_id: str, dept: str, secrets_dir: Path | None, out: Path) -> None:
    """在本部门的计算机上生成本部门的抽取秘密（只保存在本机），输出只含承诺值的承诺文件。"""
    from generator.drawsecret import commit

    item = commit(_secrets_dir(secrets_dir), task_id, dept)
    out.write_bytes(item.dumps())
    click.echo(f"部门 {dept} 对任务 {task_id} 的承诺：{item.commitment}")
    click.echo(f"已写出承诺文件 {out}；抽取秘密留在本机，揭示前不要交给任何人")


@click.group("request", cls=GongkaiGroup)
def request_group() -> None:
    """签署申请：牵头部门生成，各部门分别签署，牵头部门追加。"""


@request_group.command("announce")
@click.argument("task_id", type=TEXT)
@click.option("--round", "round_", type=ROUND, help="drand quicknet 轮次（与 --round-at 二选一）")
@click.option("--round-at", type=AT_TIME, help="取此时间 24 小时之后的第一个 drand 轮次")
@click.option(
    "--commitments",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    required=True,
    help="各参与部门承诺文件（*.commitment）所在目录",
)
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def request_announce(
    task_id: str,
    round_: int | None,
    round_at: str | None,
    commitments: Path,
    out: Path,
    expires: str | None,
    site_root: Path,
    at: str | None,
) -> None:
    """生成抽取公告的签署申请：冻结快照，写入各部门的承诺，不含任何私钥或秘密。"""
    from generator.drawsecret import read_commitments
    from generator.signing import prepare
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.draw.algorithms import DRAW_ALGORITHMS
    from ledger.schema import encode

    picked = drawing.pick_round(round_, round_at)
    repo = SiteRepo.open(site_root, notify=notice)
    body, blobs = drawing.announce_body(
        repo, task_id, picked, parse_at(at), _secrets_dir(None),
        commitments=read_commitments(commitments, task_id), algorithms=DRAW_ALGORITHMS,
    )  # fmt: skip
    write_request(prepare(repo, encode(body), blobs, expiry(expires)), out)


@request_group.command("confirm")
@click.argument("task_id", type=TEXT)
@click.option(
    "--forms",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("forms"),
    show_default=True,
    help="结果录入表输出目录",
)
@request_out_option
@expires_option
@site_option
@at_option
@workflow_errors
def request_confirm(
    task_id: str, forms: Path, out: Path, expires: str | None, site_root: Path, at: str | None
) -> None:
    """生成名单确认下发的签署申请，并为每个参与部门生成检查结果录入表。"""
    from generator.signing import prepare
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.schema import encode

    repo = SiteRepo.open(site_root, notify=notice)
    body, written = results.confirm_body(repo, task_id, parse_at(at), forms)
    for path in written:
        click.echo(f"已生成：{path}")
    write_request(prepare(repo, encode(body), (), expiry(expires)), out)


@request_group.command("append")
@click.argument(
    "request", type=click.Path(dir_okay=False, exists=True, path_type=Path), metavar="申请文件"
)
@click.option(
    "--signatures",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="各部门签名文件（*.sig）所在目录",
)
@click.option(
    "--qr-text",
    "qr_texts",
    type=Text(max_len=2000),
    multiple=True,
    metavar="文本",
    help="扫描签名二维码得到的文字（gongkai sign --qr），每个签名一次；可与 --signatures 同用",
)
@click.option(
    "--new-log-key",
    "new_log_keys",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    multiple=True,
    help="新的日志私钥（只用于更换日志密钥 logkey.rotate 的申请）",
)
@site_option
@at_option
@log_key_option
@workflow_errors
def request_append(
    request: Path,
    signatures: Path | None,
    qr_texts: tuple[str, ...],
    new_log_keys: tuple[Path, ...],
    site_root: Path,
    at: str | None,
    log_key: Path | None,
) -> None:
    """收齐各部门（或根密钥持有人）的签名后，把签署申请中的条目追加到账本。"""
    from generator.errors import OptionError
    from generator.signing import Inbox, append_request, is_initial
    from generator.signing_batch import is_batch
    from generator.workflow.site import SiteRepo, parse_at

    if signatures is None and not qr_texts:
        raise OptionError(
            "请用 --signatures 指定签名文件所在目录，或用 --qr-text 给出扫码得到的签名"
        )
    if is_batch(request):  # many entries of one department (docs/signing.md §13)
        _append_batch(request, signatures, bool(qr_texts or new_log_keys), site_root, at, log_key)
        return
    if is_initial(request):  # the key ceremony of a new site (docs/signing.md §10)
        if signatures is None:
            raise OptionError("新建账本须用 --signatures 指定根密钥持有人的签名文件所在目录")
        _finish_init(request, signatures, site_root, log_key, parse_at(at))
        return
    repo = SiteRepo.open(site_root, notify=notice)
    inbox = Inbox(signatures, qr_texts)
    cp = append_request(repo, request, inbox, log_key, parse_at(at), new_log_keys)
    echo_checkpoint(f"已追加签署申请 {request.name} 中的条目", cp)


def _append_batch(
    request: Path, signatures: Path | None, other: bool, site_root: Path, at: str | None,
    log_key: Path | None,
) -> None:  # fmt: skip
    """``request append`` of a batch request: its ``.sigs`` files, every entry or none."""
    from generator.errors import OptionError
    from generator.signing_batch import append_batch
    from generator.workflow.site import SiteRepo, parse_at

    if other or signatures is None:
        raise OptionError(
            "批量签署申请只能用 --signatures 指定签名文件（.sigs）所在目录追加"
            "（不用 --qr-text 或 --new-log-key）"
        )
    repo = SiteRepo.open(site_root, notify=notice)
    before = repo.store.read_state().checkpoint
    cp = append_batch(repo, request, signatures, log_key, parse_at(at))
    added = cp.size - (before.size if before is not None else 0)
    echo_checkpoint(f"已追加批量签署申请 {request.name} 中的 {added} 条条目", cp)


def _finish_init(
    request: Path, signatures: Path, site_root: Path, log_key: Path | None, now: str
) -> None:
    from generator.errors import OptionError
    from generator.workflow.setup import finish_init

    if log_key is None:
        raise OptionError("缺少选项 --log-key：新建账本须用日志私钥签署第一个检查点")
    trust = finish_init(site_root, request, signatures, log_key, now)
    click.echo(f"已新建账本 {site_root / 'draws'}（第 0 条 log.init，全部根密钥已签署）")
    click.echo(
        f"信任锚：{site_root / 'draws' / 'trust.txt'}（请通过政府网站、公告等其他渠道同时公布）"
    )
    click.echo(f"根密钥 {len(trust.roots)} 把，门限 {trust.threshold}")


@click.command("sign", cls=GongkaiCommand)
@click.argument(
    "request", type=click.Path(dir_okay=False, exists=True, path_type=Path), metavar="申请文件"
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="本部门私钥文件",
)
@click.option(
    "--ledger",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="本部门保存的已公布账本副本（账本目录或公布目录，含 checkpoint 与 trust.txt）；"
    "只有新建账本（log.init）的申请不需要",
)
@click.option(
    "--trust",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="另行取得的信任锚 trust.txt（默认用账本副本中的）",
)
@secrets_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="签名文件输出目录（默认与申请文件同一目录）",
)
@click.option(
    "--qr",
    is_flag=True,
    help="另把签名生成二维码：写出同名 .svg 图片并在终端显示（docs/signing.md §12）",
)
@at_option
@workflow_errors
def sign_cmd(
    request: Path,
    key: Path,
    ledger: Path | None,
    trust: Path | None,
    secrets_dir: Path | None,
    out: Path | None,
    qr: bool,
    at: str | None,
) -> None:
    """用本部门私钥（或本人的根密钥）签署申请文件（先显示摘要，并与本部门的账本副本核对）。"""
    from generator.errors import OptionError
    from generator.signing import sign_request
    from generator.signing_batch import is_batch, sign_batch
    from generator.workflow.site import parse_at

    if is_batch(request):  # many entries of one department (docs/signing.md §13)
        if qr:
            raise OptionError("批量签署申请的签名文件含多个签名，不能生成二维码：请去掉 --qr")
        signed = sign_batch(
            request, key, ledger, out or request.parent, parse_at(at), trust_path=trust,
            show=click.echo,
        )  # fmt: skip
        click.echo(
            f"部门 {signed.dept} 已签署全部条目；签名文件：{signed.path}（交牵头部门或运维人员）"
        )
        return
    signed = sign_request(
        request, key, ledger, out or request.parent, parse_at(at),
        trust_path=trust, secrets_dir=_secrets_dir(secrets_dir), show=click.echo,
    )  # fmt: skip
    who = "根密钥持有人" if signed.dept == "root" else f"部门 {signed.dept} "
    click.echo(f"{who}已签署；签名文件：{signed.path}（交牵头部门或运维人员）")
    if qr:
        _show_qr(signed.path)


def _show_qr(sig_path: Path) -> None:
    from generator.sigqr import terminal_text, write_svg

    data = sig_path.read_bytes()
    svg = sig_path.with_suffix(".svg")
    write_svg(data, svg)
    click.echo(terminal_text(data), nl=False)
    click.echo(
        f"签名二维码：{svg}（扫码得到的文字即签名文件内容；运维人员可用 "
        "gongkai request append 申请文件 --qr-text 扫码文字 追加）"
    )


def register(main: click.Group) -> None:
    """Add ``request`` and ``sign`` to ``main`` (``draw commit`` joins ``draw`` on import)."""
    main.add_command(request_group)
    main.add_command(sign_cmd)
