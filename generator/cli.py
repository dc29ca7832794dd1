"""``gongkai``: thin click commands over the ``generator`` and ``ledger`` libraries.

Errors become Chinese messages and exit codes in :mod:`generator.cli_errors` (table in README);
option values are checked by the types of :mod:`generator.cli_options`.

Every text is Chinese, click's own included (``用法：``, ``选项：``, ``错误：``, ``缺少选项`` …):
the command classes and catalog are in :mod:`generator.cli_text`.
"""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path
from typing import Any

import click

from generator.cli_errors import GongkaiError, handle_errors
from generator.cli_errors import workflow_errors as _workflow_errors
from generator.cli_options import AT_DATE, AT_TIME, OPTIONAL_TEXT, PORT, ROUND, TEXT, WORKERS
from generator.cli_text import VERSION_HELP, VERSION_MESSAGE, GongkaiGroup
from generator.content.errors import Problems
from generator.content.loader import load_content, load_site_config
from generator.content.model import Content
from ledger.errors import ExampleKeyError, LedgerError

content_option = click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("content"),
    show_default=True,
    help="内容目录",
)


@click.group(cls=GongkaiGroup)
@click.version_option(package_name="gongkai", message=VERSION_MESSAGE, help=VERSION_HELP)
def main() -> None:
    """gongkai：“双随机、一公开”随机抽查账本与公示网站工具。"""


def _summary(content: Content) -> str:
    tasks = sum(len(p.tasks) for p in content.plans)
    return (
        f"{len(content.departments)} 个部门、{len(content.items)} 项抽查事项、"
        f"{len(content.entities)} 户检查对象、{len(content.inspectors)} 名执法检查人员、"
        f"{len(content.plans)} 个年度计划（{tasks} 项任务）"
    )


def _echo_warnings(problems: Problems) -> None:
    for p in problems.warnings:
        click.echo(str(p), err=True)


@main.command()
@content_option
@handle_errors
def check(content_dir: Path) -> None:
    """检查内容目录：报告所有错误（文件:行: 字段），有错误时以非零状态退出。"""
    from generator.publishing import refuse_example_trust

    content, problems = load_content(content_dir)
    refuse_example_trust(content_dir.parent / "draws", example_site=content.site.example)
    _echo_warnings(problems)
    warn = f"；{len(problems.warnings)} 条警告" if problems.warnings else ""
    click.echo(f"检查通过：{_summary(content)}{warn}")


@main.command()
@content_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("_site"),
    show_default=True,
    help="输出目录",
)
@click.option(
    "--preview",
    is_flag=True,
    help="预览：包含尚未记入账本的年度计划，每页标注“预览（未发布）”，不得发布",
)
@handle_errors
def build(content_dir: Path, output: Path, preview: bool) -> None:
    """先验证账本（失败则停止并说明原因），再校验内容并生成公示网站。

    网站只公开账本记录的年度计划（plan publish）；发布后被修改的计划使生成失败。"""
    from generator.publishing import ledger_inputs
    from generator.site.build import build_site
    from generator.site.data import LedgerRecord

    draws = content_dir.parent / "draws"
    results: tuple[Any, ...] = ()
    facts = None
    record = LedgerRecord(plans={}, preview=preview)
    if (draws / "trust.txt").is_file():
        example = load_site_config(content_dir).example
        try:
            inputs = ledger_inputs(draws, example_site=example)
        except LedgerError as exc:
            what = "未生成网站" if isinstance(exc, ExampleKeyError) else "账本验证失败，未生成网站"
            raise GongkaiError(f"{what}：{exc}", exc.exit_code) from exc
        click.echo(
            f"账本验证通过：{inputs.report.size} 条条目，重新运行抽取 {inputs.report.draws_checked} 次"
        )
        results, facts = inputs.results, inputs.facts
        record = LedgerRecord(inputs.as_of, inputs.plans, preview)
    report = build_site(content_dir, output, results=results, task_facts=facts, record=record)
    kind = "预览（未发布，不得作为公示网站发布）" if preview else "网站"
    click.echo(f"已生成{kind}：{report.output}（{report.pages} 个页面，{report.files} 个文件）")


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("_site"),
    show_default=True,
)
@click.option("--port", type=PORT, default=8000, show_default=True)
@handle_errors
def serve(directory: Path, port: int) -> None:
    """在 127.0.0.1 上预览已生成的网站。"""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        click.echo(f"预览地址：http://127.0.0.1:{port}/ （按 Ctrl+C 停止）")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            click.echo("已停止")


def _default_key_dir() -> Path:
    return Path(click.get_app_dir("gongkai")) / "keys"


@main.group()
def keys() -> None:
    """签名密钥：新建部门密钥、根密钥和日志密钥（私钥不进入仓库，也不会显示）。"""


@keys.command("new")
@content_option
@click.option("--dept", type=TEXT, help="部门标识（departments.yaml 中的 id），生成部门密钥")
@click.option("--name", "key_name", type=TEXT, help="直接指定密钥名称（根密钥、日志密钥）")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="私钥目录（默认为用户配置目录下的 gongkai/keys）",
)
@handle_errors
def keys_new(content_dir: Path, dept: str | None, key_name: str | None, out: Path | None) -> None:
    """新建 Ed25519 签名密钥：私钥文件权限 0600，公钥文件可公开。"""
    from generator.keyfiles import new_key_files

    created = new_key_files(content_dir, out or _default_key_dir(), dept=dept, name=key_name)
    click.echo(f"已生成私钥：{created.private_path}（权限 0600，切勿提交到仓库或发给他人）")
    click.echo(f"已生成公钥：{created.public_path}")
    click.echo(f"验证密钥：{created.vkey}")


site_option = click.option(
    "--site",
    "site_root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="站点目录（含 content/ 与 draws/）",
)
at_option = click.option(
    "--at",
    type=AT_TIME,
    help="签署时间（默认当前时间），如 2024-02-22 或 2024-02-22T10:00:00+08:00",
)
key_option = click.option(
    "--key", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="本部门私钥文件"
)
log_key_option = click.option(
    "--log-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="GONGKAI_LOG_KEY",
    help="日志密钥文件（环境变量 GONGKAI_LOG_KEY）",
)


def _notice(message: str) -> None:
    """Tell the user what opening the ledger repaired (docs/ledger.md §12.6)."""
    click.echo(f"账本恢复：{message}", err=True)


def _echo_checkpoint(what: str, checkpoint: Any) -> None:
    click.echo(f"{what}；账本现有 {checkpoint.size} 条条目，根哈希 {checkpoint.root.hex()[:16]}…")


@main.group()
def plan() -> None:
    """年度抽查工作计划。"""


@plan.command("publish")
@click.argument("plan_id", type=TEXT)
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def plan_publish(
    plan_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """发布年度抽查工作计划（组织部门签署）。"""
    from generator.workflow import actions
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = actions.publish_plan(repo, plan_id, parse_at(at), key, log_key)
    _echo_checkpoint(f"已发布年度计划 {plan_id}", cp)


@main.group()
def task() -> None:
    """抽查任务：邀约、应约、名单确认下发。"""


@task.command("invite")
@click.argument("task_id", type=TEXT)
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def task_invite(
    task_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """牵头部门向配合部门发出一业一查联合抽查邀约。"""
    from generator.workflow import actions
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = actions.invite(repo, task_id, parse_at(at), key, log_key)
    _echo_checkpoint(f"已向配合部门发出任务 {task_id} 的邀约", cp)


@task.command("reply")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, required=True, help="应约的配合部门标识")
@click.option("--accept", "decision", flag_value="accept", help="接受邀约")
@click.option("--decline", "decision", flag_value="decline", help="拒绝邀约（须 --reason）")
@click.option("--reason", type=TEXT, help="拒绝理由")
@site_option
@at_option
@key_option
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
    from generator.workflow import actions
    from generator.workflow.site import OptionError, SiteRepo, parse_at

    if decision is None:
        raise OptionError("缺少选项：请指定 --accept 或 --decline")
    repo = SiteRepo.open(site_root, notify=_notice)
    cp = actions.reply(
        repo, task_id, dept, decision == "accept", reason, parse_at(at), key, log_key
    )
    word = "接受" if decision == "accept" else "拒绝"
    _echo_checkpoint(f"部门 {dept} 已{word}任务 {task_id} 的邀约", cp)


def _today(at: str | None) -> Any:
    from generator.workflow.site import parse_at
    from ledger.tasks import china_date

    return china_date(parse_at(at, allow_future=True))


@main.command()
@site_option
@click.option("--at", type=AT_DATE, help="按此日期统计（默认今天）")
@_workflow_errors
def status(site_root: Path, at: str | None) -> None:
    """待办事项：待应约的邀约、待取随机数的抽取、应公示与逾期的结果、未完结的后续处置。"""
    from generator.workflow.site import SiteRepo
    from generator.workflow.status import compute_status

    repo = SiteRepo.open(site_root, notify=_notice)
    today = _today(at)
    s = compute_status(repo.content, repo.state(), today)
    click.echo(f"截至 {today}：")
    click.echo(f"邀约中的任务：{len(s.inviting)}")
    for task_id, closes, missing in s.inviting:
        click.echo(f"  {task_id}：截止 {closes}，尚未应约：{'、'.join(missing) or '无'}")
    click.echo(f"等待 drand 随机数的抽取：{len(s.awaiting_beacon)}")
    for task_id, round_ in s.awaiting_beacon:
        click.echo(f"  {task_id}：第 {round_} 轮")
    click.echo(f"待公示的检查结果：{len(s.results_due)}")
    click.echo(f"逾期未公示的检查结果（超过20个工作日）：{len(s.overdue)}")
    for p in s.overdue:
        click.echo(f"  {p.task_id} {p.dept} {p.entity}：应于 {p.deadline} 前公示")
    click.echo(f"未完结的后续处置：{len(s.open_followups)}（可直接 gongkai followup close 办结）")
    for task_id, dept, entity in s.open_followups:
        click.echo(f"  {task_id} {dept} {entity}")
    for note in s.calendar_notes:
        click.echo(f"注意：{note}")


@main.command()
@site_option
@click.option("--at", type=AT_DATE, help="按此日期统计（默认今天）")
@_workflow_errors
def metrics(site_root: Path, at: str | None) -> None:
    """“两个100%”：抽查完成率、按时公示率，以及后续处置完结率和每户年检查次数。"""
    from generator.workflow.site import SiteRepo
    from generator.workflow.status import figures

    repo = SiteRepo.open(site_root, notify=_notice)
    today = _today(at)
    m = figures(repo.content, repo.state(), today)
    click.echo(f"截至 {today}（定义见 docs/workflow.md 第4.2节）：")
    for line in m.summary_lines():
        click.echo(line)
    for year, hist in m.histogram().items():
        parts = "，".join(f"{n} 次 {count} 户" for n, count in hist.items())
        click.echo(f"{year} 年每户入户检查次数（一次联合检查计 1 次）：{parts}")
    if m.repeat_warnings:
        click.echo(
            f"警告：{len(m.repeat_warnings)} 户在同一期间被不同任务重复抽中（应合并为一业一查联合检查）："
        )
        for entity, a, b in m.repeat_warnings:
            click.echo(f"  {entity}：{a} 与 {b}")
    for note in m.calendar_notes:
        click.echo(f"注意：{note}")


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", type=TEXT, required=True, help="网站名称")
@click.option("--region-code", type=TEXT, required=True, help="6位行政区划代码")
@click.option("--region-name", type=TEXT, required=True, help="行政区划名称")
@click.option(
    "--origin", type=TEXT, required=True, help="账本来源，如 scjg.example.gov.cn/gongkai/ledger"
)
@click.option(
    "--base-url",
    type=TEXT,
    required=True,
    help="网站的公开网址（https:// 开头，以 / 结尾），如 https://scjg.example.gov.cn/gongkai/",
)
@click.option(
    "--keys",
    "key_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="私钥目录（须在仓库之外）",
)
@at_option
@_workflow_errors
def init_cmd(
    directory: Path,
    name: str,
    region_code: str,
    region_name: str,
    origin: str,
    base_url: str,
    key_dir: Path | None,
    at: str | None,
) -> None:
    """新建站点目录：内容骨架、账本（log.init）和 trust.txt；根密钥与日志密钥保存在站点之外。"""
    from generator.workflow.setup import init_site
    from generator.workflow.site import parse_at

    report = init_site(
        directory, name=name, region_code=region_code, region_name=region_name, origin=origin,
        base_url=base_url, key_dir=key_dir or _default_key_dir(), ts=parse_at(at),
    )  # fmt: skip
    click.echo(f"已创建站点：{report.site}")
    for key in report.keys:
        click.echo(f"  私钥 {key.private_path}（权限 0600，请离线妥善保管）")
    click.echo(
        f"信任锚：{report.site / 'draws' / 'trust.txt'}（请通过政府网站、公告等其他渠道同时公布）"
    )


@keys.command("register")
@click.argument("public_key", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dept", type=TEXT, required=True, help="部门标识")
@click.option(
    "--new-key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="新密钥的私钥文件（用于持有证明签名）",
)
@click.option(
    "--root-key",
    "root_keys",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="根密钥私钥文件（达到门限数量）",
)
@site_option
@at_option
@log_key_option
@_workflow_errors
def keys_register(
    public_key: Path,
    dept: str,
    new_key: Path,
    root_keys: tuple[Path, ...],
    site_root: Path,
    at: str | None,
    log_key: Path | None,
) -> None:
    """在账本中登记部门密钥（key.add：根密钥达到门限并附新密钥的持有证明）。"""
    from generator.workflow.setup import register_key
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = register_key(repo, public_key, dept, new_key, list(root_keys), parse_at(at), log_key)
    _echo_checkpoint(f"已登记部门 {dept} 的密钥", cp)


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


@main.group()
def draw() -> None:
    """随机抽取（DRAW-V1）：公告、揭示、取随机数、抽取、替补。"""


@draw.command("announce")
@click.argument("task_id", type=TEXT)
@click.option(
    "--round",
    "round_",
    type=ROUND,
    required=True,
    help="drand quicknet 轮次（须在公告 24 小时之后）",
)
@click.option("--key", "keys", multiple=True, help="部门私钥，格式 部门=文件（每个参与部门一个）")
@site_option
@at_option
@log_key_option
@secrets_option
@_workflow_errors
def draw_announce(
    task_id: str,
    round_: int,
    keys: tuple[str, ...],
    site_root: Path,
    at: str | None,
    log_key: Path | None,
    secrets_dir: Path | None,
) -> None:
    """公告抽取：冻结名录库快照、各部门提交承诺、指定未来的 drand 轮次（由全部参与部门签署）。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at

    key_map = _key_map(keys)
    repo = SiteRepo.open(site_root, notify=_notice)
    cp = drawing.announce(
        repo, task_id, round_, parse_at(at), key_map, log_key, _secrets_dir(secrets_dir), _progress
    )
    _echo_checkpoint(f"已公告任务 {task_id} 的抽取，随机数取自 drand 第 {round_} 轮", cp)


@draw.command("reveal")
@click.argument("task_id", type=TEXT)
@click.option("--dept", type=TEXT, required=True)
@site_option
@at_option
@key_option
@log_key_option
@secrets_option
@_workflow_errors
def draw_reveal(
    task_id: str,
    dept: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
    secrets_dir: Path | None,
) -> None:
    """揭示本部门在公告时承诺的秘密。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = drawing.reveal(repo, task_id, dept, parse_at(at), key, log_key, _secrets_dir(secrets_dir))
    _echo_checkpoint(f"部门 {dept} 已揭示任务 {task_id} 的秘密", cp)


@draw.command("beacon")
@click.argument("task_id", type=TEXT)
@click.option("--signature", type=TEXT, required=True, help="drand 该轮的签名（十六进制）")
@site_option
@at_option
@key_option
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

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = drawing.beacon(repo, task_id, signature, parse_at(at), key, log_key)
    _echo_checkpoint(f"已记录任务 {task_id} 的 drand 随机数", cp)


@draw.command("run")
@click.argument("task_id", type=TEXT)
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def draw_run(
    task_id: str, site_root: Path, at: str | None, key: Path | None, log_key: Path | None
) -> None:
    """执行抽取：任何人都可以用同样的公开输入重算出同样的结果。"""
    from generator.workflow import drawing
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
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

        cp = drawing.run(repo, task_id, parse_at(at), key, log_key, step)
    record = repo.state().tasks.tasks[task_id]
    _echo_checkpoint(f"任务 {task_id} 已抽取 {len(record.drawn)} 户检查对象", cp)


@draw.command("replace")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--reason", type=TEXT, required=True, help="替补理由（如 已注销、无法联系）")
@site_option
@at_option
@key_option
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

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = drawing.replace_entity(repo, task_id, entity, reason, parse_at(at), key, log_key)
    _echo_checkpoint(f"已替补任务 {task_id} 中的 {entity}", cp)


@main.command()
@click.argument(
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("draws"),
)
@click.option(
    "--trust",
    "trust_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="信任锚 trust.txt（默认使用目录中的文件）",
)
@click.option(
    "--pin",
    "pin_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="固定检查点文件：发现回滚或分叉时报错并输出证据",
)
@click.option("--json", "as_json", is_flag=True, help="输出机器可读的 JSON 报告")
@click.option("--workers", type=WORKERS, default=1, show_default=True, help="并行验证签名的进程数")
@handle_errors
def verify(
    directory: Path, trust_file: Path | None, pin_file: Path | None, as_json: bool, workers: int
) -> None:
    """离线验证账本目录或已生成网站中的账本（签名、默克尔树、检查点，并重新运行每一次抽取）。"""
    from ledger.__main__ import main as ledger_main

    argv = ["verify", str(directory), "--workers", str(workers)]
    if trust_file is not None:
        argv += ["--trust", str(trust_file)]
    if pin_file is not None:
        argv += ["--pin", str(pin_file)]
    if as_json:
        argv.append("--json")
    code = ledger_main(argv, prog="gongkai")
    if code:
        raise SystemExit(code)


def _key_map(keys: tuple[str, ...]) -> dict[str, Path | None]:
    from generator.workflow.site import OptionError

    out: dict[str, Path | None] = {}
    for item in keys:
        dept, sep, path = item.partition("=")
        if not sep:
            raise OptionError(f"--key 应写成 部门=文件，而不是“{item}”")
        out[dept] = Path(path)
    return out


@task.command("confirm")
@click.argument("task_id", type=TEXT)
@click.option("--key", "keys", multiple=True, help="部门私钥，格式 部门=文件（每个参与部门一个）")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("forms"),
    show_default=True,
    help="结果录入表输出目录",
)
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

    repo = SiteRepo.open(site_root, notify=_notice)
    report = results.confirm(repo, task_id, parse_at(at), _key_map(keys), log_key, out)
    for path in report.forms:
        click.echo(f"已生成：{path}")
    _echo_checkpoint(f"任务 {task_id} 的名单已确认下发", report.checkpoint)


@main.group("results")
def results_group() -> None:
    """检查结果：导入录入表（谁检查、谁录入、谁公开）。"""


@results_group.command("import")
@click.argument("task_id", type=TEXT)
@click.argument("form", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dept", type=TEXT, required=True, help="录入部门（须为表单所属部门）")
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def results_import(
    task_id: str,
    form: Path,
    dept: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """导入填好的检查结果录入表：新结果公示，修改过的结果记为更正，未改动的跳过。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    report = results.import_results(repo, task_id, dept, form, parse_at(at), key, log_key)
    for warning in report.warnings:
        click.echo(f"警告：{warning}", err=True)
    click.echo(
        f"新公示 {report.published} 条，更正 {report.corrected} 条，未改动 {report.unchanged} 条"
    )
    if report.checkpoint is not None:
        _echo_checkpoint("已记入账本", report.checkpoint)


@main.group("followup")
def followup_group() -> None:
    """后续处置：记录处置措施、完结。"""


@followup_group.command("record")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--dept", type=TEXT, required=True)
@click.option("--measure", type=TEXT, required=True, help="后续处置措施（录入表中的选项原文）")
@click.option("--note", type=OPTIONAL_TEXT, default="", help="处置说明")
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def followup_record(
    task_id: str,
    entity: str,
    dept: str,
    measure: str,
    note: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """记录对某户检查结果采取的后续处置措施。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = results.followup(
        repo,
        task_id,
        dept,
        entity,
        close=False,
        note=note,
        measure=measure,
        at=parse_at(at),
        key=key,
        log_key=log_key,
    )
    _echo_checkpoint(f"已记录 {entity} 的后续处置", cp)


@followup_group.command("close")
@click.argument("task_id", type=TEXT)
@click.argument("entity", type=TEXT)
@click.option("--dept", type=TEXT, required=True)
@click.option("--note", type=OPTIONAL_TEXT, default="", help="完结说明")
@site_option
@at_option
@key_option
@log_key_option
@_workflow_errors
def followup_close(
    task_id: str,
    entity: str,
    dept: str,
    note: str,
    site_root: Path,
    at: str | None,
    key: Path | None,
    log_key: Path | None,
) -> None:
    """后续处置完结。"""
    from generator.workflow import results
    from generator.workflow.site import SiteRepo, parse_at

    repo = SiteRepo.open(site_root, notify=_notice)
    cp = results.followup(
        repo,
        task_id,
        dept,
        entity,
        close=True,
        note=note,
        measure=None,
        at=parse_at(at),
        key=key,
        log_key=log_key,
    )
    _echo_checkpoint(f"{entity} 的后续处置已完结", cp)


_KIND = click.Choice(["entities", "inspectors"])
_KIND_NAME = {"entities": "检查对象名录库", "inspectors": "执法检查人员名录库"}


@main.command("import")
@click.argument("kind", type=_KIND)
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--remove-missing",
    is_flag=True,
    help="删除导入文件中没有的记录（以导入文件整体替换名录库）；默认按代码合并、保留其余记录",
)
@content_option
@handle_errors
def import_cmd(kind: str, source: Path, remove_missing: bool, content_dir: Path) -> None:
    """导入名录库（entities 检查对象 / inspectors 执法检查人员），来源可为 .xlsx、.csv、.yaml。

    默认按统一社会信用代码（人员按执法证号）合并：新增、更新同代码的记录，其余记录保留；
    只有加 --remove-missing 才删除导入文件中没有的记录。导入后的内容须通过 gongkai check，
    有任何错误时逐条报告（文件:行: 列）且不写入任何文件。
    """
    from generator.workflow.libraries_io import import_library

    report = import_library(kind, source, content_dir, remove_missing=remove_missing)
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    for line in report.summary():
        click.echo(line)


@main.command("export")
@click.argument("kind", type=_KIND)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@content_option
@handle_errors
def export_cmd(kind: str, out: Path, content_dir: Path) -> None:
    """导出名录库为 .xlsx 或 .csv（由文件扩展名决定），可再次导入。"""
    from generator.workflow.libraries_io import export_library

    count = export_library(kind, content_dir, out)
    click.echo(f"已导出{_KIND_NAME[kind]} {count} 条到 {out}")
