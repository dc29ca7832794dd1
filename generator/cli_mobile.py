"""The ``gongkai`` commands of mobile inspection (docs/mobile.md §6).

``inspector enroll`` / ``inspector revoke``: the department's inspector keys; ``task app``: the
offline phone app of a confirmed task. The bundle form of
``results import`` is in :mod:`generator.cli_workflow`. Thin shells over :mod:`generator.mobile`.
"""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import TEXT, BoundedInt
from generator.cli_text import GongkaiGroup
from generator.cli_workflow import (
    at_option,
    echo_checkpoint,
    key_or_request_option,
    log_key_option,
    notice,
    qr_text_option,
    site_option,
    task,
)

__all__ = ["register"]


@click.group("inspector", cls=GongkaiGroup)
def inspector_group() -> None:
    """检查人员的手机密钥：登记、撤销（docs/mobile.md）。"""


@inspector_group.command("enroll")
@click.argument(
    "file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--dept", type=TEXT, required=True, help="检查人员所属部门（用本部门密钥签署登记）")
@qr_text_option("扫描手机显示的登记二维码得到的文字（代替登记文件；有几张二维码就给几次）")
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def inspector_enroll(
    file: Path | None, dept: str, qr_texts: tuple[str, ...], site_root: Path, at: str | None,
    key: Path | None, log_key: Path | None,
) -> None:  # fmt: skip
    """登记检查人员手机导出的密钥登记文件（.enrol.json，或用 --qr-text 给出手机显示的登记二维码），
    记入账本。"""
    from generator.errors import BundleError, OptionError
    from generator.mobile import importer, qrparts
    from generator.mobile.formats import Source
    from generator.workflow.site import SiteRepo, parse_at

    if (file is None) == (not qr_texts):
        raise OptionError("请给出登记文件，或用 --qr-text 给出扫描登记二维码得到的文字（二者选一）")
    if file is not None:
        source = Source.read(file, "登记文件")
    else:
        scanned = qrparts.decode(qr_texts)
        if len(scanned) != 1:
            raise BundleError(
                f"--qr-text：扫码文字属于 {len(scanned)} 个不同的文件"
                f"（{'；'.join(s.where for s in scanned)}），一次只能登记一个登记文件"
            )
        source = scanned[0]
    repo = SiteRepo.open(site_root, notify=notice)
    checkpoint, ref = importer.enrol(repo, source, dept, parse_at(at), key, log_key)
    echo_checkpoint(f"已登记检查人员密钥 {ref}", checkpoint)


@inspector_group.command("revoke")
@click.argument("key_ref", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="登记该密钥的部门")
@click.option(
    "--reason",
    type=click.Choice(["rotated", "compromised", "left"]),
    metavar="原因",
    required=True,
    help="撤销原因：rotated 换用新手机，compromised 手机丢失或密钥泄露，left 人员调离",
)
@click.option(
    "--compromised-from",
    type=BoundedInt(1, 2**63 - 1),
    metavar="条目序号",
    default=None,
    help="自该条目序号起用此密钥签名的检查结果标记为可疑（只与 --reason compromised 一起使用）",
)
@site_option
@at_option
@key_or_request_option
@log_key_option
@workflow_errors
def inspector_revoke(
    key_ref: str,
    dept: str,
    reason: str,
    compromised_from: int | None,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """撤销检查人员密钥：此后用它签名的结果不能导入，验证也不接受。

    声明泄露（--compromised-from）时，该密钥在该条目及以后签名的已公示结果标记为可疑（不删除）。"""
    from generator.mobile import importer
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    done = importer.revoke(
        repo, key_ref, dept, reason, compromised_from, parse_at(at), key, log_key
    )
    echo_checkpoint(f"已撤销检查人员密钥 {key_ref}", done.checkpoint)
    if compromised_from is not None:
        shown = "、".join(f"第 {i} 条" for i in done.flagged) or "无"
        click.echo(
            f"该密钥自账本第 {compromised_from} 条起签名的检查结果 {len(done.flagged)} 条"
            f"已标记为可疑（仍保留在账本中）：{shown}"
        )


@task.command("app")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, default=None, help="只生成此部门的应用（默认每个参与部门）")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("apps"),
    show_default=True,
    help="输出目录",
)
@site_option
@workflow_errors
def task_app(task_id: str, dept: str | None, out: Path, site_root: Path) -> None:
    """生成已确认下发任务的离线移动检查应用（每个部门检查组一个 HTML 文件，可在手机上离线使用；
    旁边的 service worker、清单和图标供通过 HTTPS 提供时断网打开、添加到主屏幕）。"""
    from generator.mobile.app import write_apps
    from generator.workflow.site import SiteRepo

    repo = SiteRepo.open(site_root, notify=notice)
    for path in write_apps(repo, task_id, dept, out):
        click.echo(f"已生成：{path}")


def register(main: click.Group) -> None:
    """Add ``inspector`` to ``main`` (``task app`` joins ``task`` on import)."""
    main.add_command(inspector_group)
