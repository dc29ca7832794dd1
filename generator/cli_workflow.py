"""The ``gongkai`` commands that write the ledger's workflow: plan, task, draw, results, followup.

Each command is a thin shell over :mod:`generator.workflow`: it opens the site's ledger, makes one
library call and echoes the new checkpoint. The groups are registered on ``gongkai`` by
:mod:`generator.cli`; the options and echo helpers here are shared with its other ledger commands.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator.cli_errors import workflow_errors as _workflow_errors
from generator.cli_options import AT_TIME, OPTIONAL_TEXT, ROUND, TEXT, Text
from generator.cli_request import (
    check_request_options,
    expires_option,
    key_option,
    key_or_request_option,
    request_option,
    write_batch,
)
from generator.cli_text import GongkaiGroup
from generator.errors import OptionError

if TYPE_CHECKING:
    from ledger.checkpoint import Checkpoint

__all__ = [
    "at_option",
    "draw",
    "echo_checkpoint",
    "followup_group",
    "key_option",
    "key_or_request_option",
    "log_key_option",
    "notice",
    "plan",
    "qr_text_option",
    "results_group",
    "site_option",
    "task",
]


F = TypeVar("F", bound=Callable[..., Any])

#: The site directory of every command that reads a site (environment variable GONGKAI_SITE_DIR).
SITE_ENV = "GONGKAI_SITE_DIR"
site_option = click.option(
    "--site",
    "site_root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    envvar=SITE_ENV,
    show_envvar=True,
    help="站点目录（含 content/ 与 draws/）",
)
at_option = click.option(
    "--at",
    type=AT_TIME,
    help=(
        "签署时间（默认当前时间）：2024-03-10、2024/3/10 或 2024年3月10日（当天 9:00），"
        "2024-03-10 10:30（北京时间），或带时区的 2024-03-10T10:30:00+08:00"
    ),
)
dept_keys_option = click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="部门=文件",
    help="部门私钥，格式 部门=文件（每个参与部门一个）",
)


def qr_text_option(help_text: str) -> Callable[[F], F]:
    """``--qr-text 文本`` (repeatable): the text of one QR code the phone app showed, as a
    scanner read it (docs/mobile.md §5.2; each is at most 1,427 characters, checked when read)."""
    option: Callable[[F], F] = click.option(
        "--qr-text", "qr_texts", type=Text(max_len=2000), multiple=True, metavar="文本",
        help=help_text,
    )  # fmt: skip
    return option


log_key_option = click.option(
    "--log-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="GONGKAI_LOG_KEY",
    help="日志密钥文件（环境变量 GONGKAI_LOG_KEY）",
)


def notice(message: str) -> None:
    """Tell the user what opening the ledger repaired (docs/ledger.md §12.6)."""
    click.echo(f"账本恢复：{message}", err=True)


def echo_checkpoint(what: str, checkpoint: Any) -> None:
    click.echo(f"{what}；账本现有 {checkpoint.size} 条条目，根哈希 {checkpoint.root.hex()[:16]}…")


@click.group(cls=GongkaiGroup)
def plan() -> None:
    """年度抽查工作计划。"""


@plan.command("publish")
@click.argument("plan_id", type=TEXT)
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def plan_publish(
    plan_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """发布年度抽查工作计划（组织部门签署）。"""
    from generator.workflow import actions
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    cp = actions.publish_plan(repo, plan_id, parse_at(at), key, log_key)
    echo_checkpoint(f"已发布年度计划 {plan_id}", cp)


@click.group(cls=GongkaiGroup)
def task() -> None:
    """抽查任务：邀约、应约、名单确认下发。"""


@task.command("invite")
@click.argument("task_id", type=TEXT)
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def task_invite(
    task_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """牵头部门向配合部门发出一业一查联合抽查邀约。"""
    from generator.workflow import actions
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    cp = actions.invite(repo, task_id, parse_at(at), key, log_key)
    echo_checkpoint(f"已向配合部门发出任务 {task_id} 的邀约", cp)


@task.command("reply")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="应约的配合部门标识")
@click.option("--accept", "decision", flag_value="accept", help="接受邀约")
@click.option("--decline", "decision", flag_value="decline", help="拒绝邀约（须 --reason）")
@click.option("--reason", type=TEXT, help="拒绝理由")
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def task_reply(
    task_id: str,
    dept: str,
    decision: str | None,
    reason: str | None,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """配合部门应约：--accept 接受，或 --decline --reason 拒绝。"""
    from generator.errors import OptionError
    from generator.workflow import actions
    from generator.workflow.site import SiteRepo, parse_at

    if decision is None:
        raise OptionError("缺少选项：请指定 --accept 或 --decline")
    repo = SiteRepo.open(site_root, notify=notice)
    cp = actions.reply(
        repo, task_id, dept, decision == "accept", reason, parse_at(at), key, log_key
    )
    word = "接受" if decision == "accept" else "拒绝"
    echo_checkpoint(f"部门 {dept} 已{word}任务 {task_id} 的邀约", cp)


secrets_option = click.option(
    "--secrets",
    "secrets_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="抽取秘密目录（须在仓库之外；默认用户配置目录下的 gongkai/secrets）",
)


def _secrets_dir(value: Path | None) -> Path:
    return value or Path(click.get_app_dir("gongkai")) / "secrets"


def _progress(message: str) -> None:
    click.echo(f"… {message}", err=True)


@click.group(cls=GongkaiGroup)
def draw() -> None:
    """随机抽取（DRAW-V1）：公告、揭示、取随机数、抽取、替补。"""


@draw.command("announce")
@click.argument("task_id", type=TEXT)
@click.option(
    "--round",
    "round_",
    type=ROUND,
    help="drand quicknet 轮次（须在公告 24 小时之后；与 --round-at 二选一）",
)
@click.option(
    "--round-at",
    type=AT_TIME,
    help="改用此时间 24 小时之后的第一个 drand 轮次（通常与 --at 相同；与 --round 二选一）",
)
@dept_keys_option
@site_option
@at_option
@log_key_option
@secrets_option
@_workflow_errors
def draw_announce(
    task_id: str,
    round_: int | None,
    round_at: str | None,
    keys: tuple[str, ...],
    site_root: Path,
    at: str | None,
    log_key: Path | None,
    secrets_dir: Path | None,
) -> None:
    """公告抽取：冻结名录库快照、各部门提交承诺、指定未来的 drand 轮次（由全部参与部门签署）。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.draw.algorithms import DRAW_ALGORITHMS

    picked = drawing.pick_round(round_, round_at)
    if round_ is None:
        when = drawing.format_china(drawing.round_datetime(picked))
        click.echo(f"按 --round-at 选定 drand 第 {picked} 轮：{when}")
    round_ = picked
    key_map = _key_map(keys)
    repo = SiteRepo.open(site_root, notify=notice)
    cp = drawing.announce(
        repo, task_id, round_, parse_at(at), key_map, log_key, _secrets_dir(secrets_dir), _progress,
        algorithms=DRAW_ALGORITHMS,
    )  # fmt: skip
    echo_checkpoint(f"已公告任务 {task_id} 的抽取，随机数取自 drand 第 {round_} 轮", cp)


@draw.command("reveal")
@click.argument("task_id", type=TEXT)
@click.option(
    "--dept", type=TEXT, required=True, help="揭示秘密的部门标识（departments.yaml 中的 id）"
)
@click.option(
    "--ledger",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="在本部门计算机上揭示：本部门的已公布账本副本（与 --out 一起用，不需要站点和日志密钥）",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="在本部门计算机上揭示：揭示申请和签名文件的输出目录，交运维人员追加",
)
@site_option
@at_option
@key_option
@log_key_option
@secrets_option
@_workflow_errors
def draw_reveal(
    task_id: str,
    dept: str,
    ledger: Path | None,
    out: Path | None,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
    secrets_dir: Path | None,
) -> None:
    """揭示本部门在公告时承诺的秘密（用本部门私钥和本部门保存的秘密）。

    加 --ledger 和 --out 时在本部门计算机上完成：生成并签署揭示申请，运维人员用
    gongkai request append 追加（docs/signing.md §4.1）。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at

    if ledger is not None or out is not None:
        _reveal_on_own_machine(task_id, dept, ledger, out, at, key, _secrets_dir(secrets_dir))
        return
    repo = SiteRepo.open(site_root, notify=notice)
    cp = drawing.reveal(repo, task_id, dept, parse_at(at), key, log_key, _secrets_dir(secrets_dir))
    echo_checkpoint(f"部门 {dept} 已揭示任务 {task_id} 的秘密", cp)


def _reveal_on_own_machine(
    task_id: str,
    dept: str,
    ledger: Path | None,
    out: Path | None,
    at: str | None,
    key: Path | None,
    secrets_dir: Path,
) -> None:
    from generator.errors import OptionError
    from generator.ownreveal import reveal_on_own_machine
    from generator.workflow.site import parse_at

    if ledger is None or out is None or key is None:
        raise OptionError("在本部门计算机上揭示须同时指定 --ledger、--out 和 --key")
    made = reveal_on_own_machine(
        task_id, dept, key=key, secrets_dir=secrets_dir, ledger_dir=ledger, trust_path=None,
        out_dir=out, at=parse_at(at),
    )  # fmt: skip
    click.echo(f"部门 {dept} 已签署揭示申请：{made.request}，签名文件：{made.signed.path}")
    click.echo("把这两个文件交运维人员，用 gongkai request append 追加")


@draw.command("beacon")
@click.argument("task_id", type=TEXT)
@click.option("--signature", type=TEXT, required=True, help="drand 该轮的签名（十六进制）")
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def draw_beacon(
    task_id: str,
    signature: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """记录 drand 随机数（离线验证 BLS 签名后才写入）。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    cp = drawing.beacon(repo, task_id, signature, parse_at(at), key, log_key)
    echo_checkpoint(f"已记录任务 {task_id} 的 drand 随机数", cp)


@draw.command("run")
@click.argument("task_id", type=TEXT)
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def draw_run(
    task_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """执行抽取：任何人都可以用同样的公开输入重算出同样的结果。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.draw.algorithms import DRAW_ALGORITHMS

    repo = SiteRepo.open(site_root, notify=notice)
    steps = [
        "校验名录库快照",
        "验证 drand 签名并计算种子",
        "抽取检查对象",
        "匹配执法检查人员",
        "保存抽取结果并记入账本",
    ]
    with click.progressbar(length=len(steps), label="抽取中", file=sys.stderr) as bar:

        def step(message: str) -> None:
            bar.label = message
            bar.update(1)

        cp = drawing.run(
            repo, task_id, parse_at(at), key, log_key, step, algorithms=DRAW_ALGORITHMS
        )
    record = repo.state().tasks.tasks[task_id]
    echo_checkpoint(f"任务 {task_id} 已抽取 {len(record.drawn)} 户检查对象", cp)


@draw.command("replace")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--reason", type=TEXT, required=True, help="替补理由（如 已注销、无法联系）")
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def draw_replace(
    task_id: str,
    entity: str,
    reason: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """用同一层级的下一个备选主体替补无效的抽中主体（记录理由）。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at
    from ledger.draw.algorithms import DRAW_ALGORITHMS

    repo = SiteRepo.open(site_root, notify=notice)
    cp = drawing.replace_entity(
        repo, task_id, entity, reason, parse_at(at), key, log_key, algorithms=DRAW_ALGORITHMS
    )
    echo_checkpoint(f"已替补任务 {task_id} 中的 {entity}", cp)


def _key_map(keys: tuple[str, ...]) -> dict[str, Path | None]:
    from generator.errors import OptionError

    out: dict[str, Path | None] = {}
    for item in keys:
        dept, sep, path = item.partition("=")
        if not sep:
            raise OptionError(f"--key 应写成 部门=文件，而不是“{item}”")
        out[dept] = Path(path)
    return out


forms_out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("forms"),
    show_default=True,
    help="结果录入表输出目录",
)


@task.command("confirm")
@click.argument("task_id", type=TEXT)
@dept_keys_option
@forms_out_option
@site_option
@at_option
@log_key_option
@_workflow_errors
def task_confirm(
    task_id: str,
    keys: tuple[str, ...],
    out: Path,
    site_root: Path,
    at: str | None,
    log_key: Path | None,
) -> None:
    """名单确认下发：为每个参与部门生成检查结果录入表（XLSX 与 CSV），并由全部参与部门签署确认。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    report = results.confirm(repo, task_id, parse_at(at), _key_map(keys), log_key, out)
    for path in report.forms:
        click.echo(f"已生成：{path}")
    echo_checkpoint(f"任务 {task_id} 的名单已确认下发", report.checkpoint)


@task.command("reissue")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, default=None, help="只补发此部门的录入表（默认全部参与部门）")
@forms_out_option
@site_option
@_workflow_errors
def task_reissue(task_id: str, dept: str | None, out: Path, site_root: Path) -> None:
    """补发检查结果录入表：按账本重新生成，与名单确认下发时的原表逐字节相同（核对账本中的哈希）。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo

    repo = SiteRepo.open(site_root, notify=notice)
    for path in results.reissue(repo, task_id, dept, out):
        click.echo(f"已补发：{path}")


@click.group("results", cls=GongkaiGroup)
def results_group() -> None:
    """检查结果：导入录入表（谁检查、谁录入、谁公开）。"""


@results_group.command("import")
@click.argument("args", nargs=-1, type=TEXT, metavar="[任务编号 录入表] | 结果包…")
@click.option("--dept", type=TEXT, required=True, help="录入部门（须为表单或结果包所属部门）")
@qr_text_option(
    "扫描手机显示的结果包二维码得到的文字，每张二维码一次（顺序不限；可与结果包文件同用）"
)
@site_option
@at_option
@key_option
@request_option
@expires_option
@log_key_option
@_workflow_errors
def results_import(
    args: tuple[str, ...],
    dept: str,
    qr_texts: tuple[str, ...],
    site_root: Path,
    at: str | None,
    key: Path | None,
    request_out: Path | None,
    expires: str | None,
    log_key: Path | None,
) -> None:
    """导入检查结果：任务编号 加 填好的录入表（XLSX/CSV；新结果公示，修改过的记为更正，未改动的跳过），
    或 检查人员手机导出的一个或多个签名结果包（.json 文件，或用 --qr-text 给出手机显示的二维码；
    docs/mobile.md；同一主体的共同签名合并）。
    用 --request 时不在本机签署，生成批量签署申请，交该部门签署（docs/signing.md §13）。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    check_request_options(key, request_out, expires)
    if not args and not qr_texts:
        raise OptionError(
            "请给出 任务编号 和 录入表文件，或结果包文件，或用 --qr-text 给出扫码文字"
        )
    if all(a.lower().endswith(".json") for a in args):
        bundles = [_existing(a) for a in args]
        _import_bundles(bundles, qr_texts, dept, site_root, at, key, log_key, request_out, expires)
        return
    if qr_texts:
        raise OptionError("--qr-text 只用于导入结果包，不能与录入表同用")
    if len(args) != 2:
        raise OptionError("参数应为 任务编号 和 录入表文件，或一个或多个结果包文件（.json）")
    task_id, form = args[0], _existing(args[1])
    repo = SiteRepo.open(site_root, notify=notice)
    if request_out is not None:
        plan = results.plan_import(repo, task_id, dept, form, parse_at(at))
        _warn(plan.warnings)
        click.echo(
            f"待签署：新公示 {plan.published} 条，更正 {plan.corrected} 条；"
            f"未改动 {plan.unchanged} 条"
        )
        write_batch(repo.store, repo.trust, plan.bodies, request_out, expires)
        return
    report = results.import_results(repo, task_id, dept, form, parse_at(at), key, log_key)
    _warn(report.warnings)
    click.echo(
        f"新公示 {report.published} 条，更正 {report.corrected} 条，未改动 {report.unchanged} 条"
    )
    if report.checkpoint is not None:
        echo_checkpoint("已记入账本", report.checkpoint)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(f"警告：{warning}", err=True)


def _import_bundles(
    paths: list[Path], qr_texts: tuple[str, ...], dept: str, site_root: Path, at: str | None,
    key: Path | None, log_key: Path | None, request_out: Path | None, expires: str | None,
) -> None:  # fmt: skip
    """``results import BUNDLE… [--qr-text 文本…] --dept D``: publish signed result bundles
    (docs/mobile.md §6.3), or write their entries as a batch request (``--request``)."""
    from generator.mobile import importer, qrparts
    from generator.mobile.formats import Source
    from generator.workflow.site import SiteRepo, parse_at

    bundles = [Source.read(path, "检查结果包") for path in paths]
    bundles += qrparts.decode(qr_texts)
    repo = SiteRepo.open(site_root, notify=notice)
    if request_out is not None:
        plan = importer.plan_bundles(repo, bundles, dept, parse_at(at))
        click.echo(
            f"检查人员 {'、'.join(plan.inspectors)} 签名的结果：待签署 {len(plan.bodies)} 条"
            f"（其中多人共同签名 {plan.cosigned} 条），已公示未改动 {plan.unchanged} 条"
        )
        _not_added(plan.not_added)
        write_batch(repo.store, repo.trust, plan.bodies, request_out, expires)
        return
    report = importer.import_bundles(repo, bundles, dept, parse_at(at), key, log_key)
    plan = report.plan
    click.echo(
        f"检查人员 {'、'.join(plan.inspectors)} 签名的结果：新公示 {report.published} 条"
        f"（其中多人共同签名 {plan.cosigned} 条），已公示未改动 {plan.unchanged} 条"
    )
    _not_added(plan.not_added)
    if report.checkpoint is not None:
        echo_checkpoint("已记入账本", report.checkpoint)


def _not_added(count: int) -> None:
    if count:
        click.echo(
            f"警告：{count} 个签名所签的结果此前已公示，账本条目不能再改动，这些签名"
            "未加入（共同签名的结果包须在公示前一并导入，docs/mobile.md §6.3）",
            err=True,
        )


def _existing(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise OptionError(f"文件“{text}”不存在或不是文件")
    return path


@click.group("followup", cls=GongkaiGroup)
def followup_group() -> None:
    """后续处置：记录处置措施、完结。"""


@followup_group.command("record")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option(
    "--dept", type=TEXT, required=True, help="检查实施部门标识（departments.yaml 中的 id）"
)
@click.option("--measure", type=TEXT, required=True, help="后续处置措施（录入表中的选项原文）")
@click.option("--note", type=OPTIONAL_TEXT, default="", help="处置说明")
@click.option(
    "--deadline", type=AT_TIME, default=None, help="整改期限（责令改正时），如 2024-03-31"
)
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def followup_record(
    task_id: str,
    entity: str,
    dept: str,
    measure: str,
    note: str,
    deadline: str | None,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """记录对某户检查结果采取的后续处置措施（责令改正时可附整改期限）。"""
    from ledger.tasks import china_date

    day = china_date(deadline) if deadline else None
    cp = _followup(site_root, task_id, dept, entity, measure, note, at, key, log_key, day)
    echo_checkpoint(f"已记录 {entity} 的后续处置", cp)


@followup_group.command("close")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option(
    "--dept", type=TEXT, required=True, help="检查实施部门标识（departments.yaml 中的 id）"
)
@click.option("--note", type=OPTIONAL_TEXT, default="", help="完结说明")
@click.option("--recheck", type=TEXT, default=None, help="复查结果（整改期满复查时）")
@site_option
@at_option
@key_or_request_option
@log_key_option
@_workflow_errors
def followup_close(
    task_id: str,
    entity: str,
    dept: str,
    note: str,
    recheck: str | None,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """后续处置完结（可附复查结果）。"""
    cp = _followup(site_root, task_id, dept, entity, None, note, at, key, log_key, recheck=recheck)
    echo_checkpoint(f"{entity} 的后续处置已完结", cp)


def _followup(
    site_root: Path,
    task_id: str,
    dept: str,
    entity: str,
    measure: str | None,
    note: str,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
    deadline: dt.date | None = None,
    recheck: str | None = None,
) -> Checkpoint:
    """``followup record`` (a measure) or ``followup close`` (``measure`` None) on one result."""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=notice)
    return results.followup(
        repo,
        task_id,
        dept,
        entity,
        close=measure is None,
        note=note,
        measure=measure,
        at=parse_at(at),
        key=key,
        log_key=log_key,
        deadline=deadline,
        recheck=recheck,
    )
