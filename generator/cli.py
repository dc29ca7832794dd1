"""``gongkai``: thin click commands over the ``generator`` and ``ledger`` libraries.

Errors become Chinese messages and exit codes in :mod:`generator.cli_errors` (table in README);
option values are checked by the types of :mod:`generator.cli_options`. The commands that write
the workflow (plan, task, draw, results, followup) are in :mod:`generator.cli_workflow`.

Every text is Chinese, click's own included (``用法：``, ``选项：``, ``错误：``, ``缺少选项`` …):
the command classes and catalog are in :mod:`generator.cli_text`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from generator import cli_keys, cli_mobile, cli_sign
from generator.cli_case import case_group, echo_cases, notice_group
from generator.cli_checklist import checklist_group, vocabulary_group
from generator.cli_errors import EXIT_CODES, IO_EXIT, LISTEN_EXIT, GongkaiError, handle_errors
from generator.cli_errors import workflow_errors as _workflow_errors
from generator.cli_library import library_group
from generator.cli_options import AT_DATE, PORT, TEXT, WORKERS, BoundedInt
from generator.cli_text import VERSION_HELP, VERSION_MESSAGE, GongkaiGroup
from generator.cli_tsa import tsa_group
from generator.cli_workflow import (
    at_option,
    draw,
    echo_checkpoint,
    followup_group,
    log_key_option,
    notice,
    plan,
    results_group,
    site_option,
    task,
)
from generator.content.drawsize import content_figures
from generator.content.errors import Problems
from generator.content.loader import load_content, load_site_config
from generator.content.model import Content
from generator.progress import Progress
from generator.serve import LOOPBACK
from ledger.errors import ExampleKeyError, LedgerError

F = TypeVar("F", bound=Callable[..., Any])


def content_option(func: F) -> F:
    """``--site`` (environment variable ``GONGKAI_SITE_DIR``), as on every ledger command, and the
    older ``--content`` (hidden; still accepted): the command receives ``content_dir``, which is
    ``--content`` when given, else ``<site>/content``. ``draws/`` and ``_site/`` are its siblings."""

    @functools.wraps(func)
    def wrapper(*args: Any, site_root: Path, content_dir: Path | None, **kwargs: Any) -> Any:
        return func(*args, content_dir=content_dir or site_root / "content", **kwargs)

    hidden = click.option(
        "--content",
        "content_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        hidden=True,
        help="内容目录（旧选项，等同于 --site 内容目录的上一级）",
    )
    return site_option(hidden(wrapper))  # type: ignore[return-value]


@click.group(cls=GongkaiGroup, exit_codes=EXIT_CODES)
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
    from generator.publishing import check_against_ledger, refuse_example_trust

    content, problems = load_content(content_dir)
    refuse_example_trust(content_dir.parent / "draws", example_site=content.site.example)
    # The published plans, checklists, libraries and vocabularies are the ledger's
    # (docs/site.md §8.1, docs/workflow.md §9, §10).
    check_against_ledger(content, content_dir.parent / "draws", problems)
    _echo_warnings(problems)
    warn = f"；{len(problems.warnings)} 条警告" if problems.warnings else ""
    click.echo(f"检查通过：{_summary(content)}{warn}")
    for figures in content_figures(content):  # drawn / pool / limits (docs/content.md §10.3)
        click.echo(f"  {figures.summary()}")


progress_option = click.option(
    "--progress",
    "show_progress",
    is_flag=True,
    help="在标准错误输出显示进度（是终端时总是显示）；不改变标准输出和生成的文件",
)


@main.command()
@content_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="输出目录（默认为站点目录下的 _site/）",
)
@click.option(
    "--preview",
    is_flag=True,
    help="预览：包含尚未记入账本的年度计划，每页标注“预览（未发布）”，不得发布",
)
@progress_option
@handle_errors
def build(content_dir: Path, output: Path | None, preview: bool, show_progress: bool) -> None:
    """先验证账本（失败则停止并说明原因），再校验内容并生成公示网站。

    网站只公开账本记录的年度计划（plan publish）；发布后被修改的计划使生成失败。"""
    from generator.publishing import ledger_inputs
    from generator.site.build import build_site
    from generator.site.data import LedgerRecord

    progress = Progress(forced=show_progress)
    draws = content_dir.parent / "draws"
    output = output if output is not None else content_dir.parent / "_site"
    results: tuple[Any, ...] = ()
    facts = None
    record = LedgerRecord(plans={}, preview=preview, checklists={})
    if (draws / "trust.txt").is_file():
        example = load_site_config(content_dir).example
        try:
            with progress.phase("验证账本（重新运行每一次抽取）"):
                inputs = ledger_inputs(draws, example_site=example)
        except LedgerError as exc:
            what = "未生成网站" if isinstance(exc, ExampleKeyError) else "账本验证失败，未生成网站"
            raise GongkaiError(f"{what}：{exc}", exc.exit_code) from exc
        click.echo(
            f"账本验证通过：{inputs.report.size} 条条目，重新运行抽取 {inputs.report.draws_checked} 次"
        )
        results, facts = inputs.results, inputs.facts
        record = LedgerRecord(
            inputs.as_of,
            inputs.plans,
            preview,
            inputs.plan_history,
            inputs.checklists,
            library=inputs.library,
            vocabularies=inputs.vocabularies,
            verified=inputs.verified,  # the one audit: the site and ledger/ are made from it
        )
    from generator.site.search import pagefind_available

    if not pagefind_available():
        click.echo(
            "警告：未安装站内搜索索引程序 Pagefind（pip install 'gongkai[search]'），本次生成的"
            "网站只能搜索市场主体，不能搜索抽查事项、计划和任务",
            err=True,
        )
    with progress.phase("校验内容并生成网站"):
        report = build_site(content_dir, output, results=results, task_facts=facts, record=record)
    kind = "预览（未发布，不得作为公示网站发布）" if preview else "网站"
    click.echo(f"已生成{kind}：{report.output}（{report.pages} 个页面，{report.files} 个文件）")


@main.command()
@site_option
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="已生成的网站目录（gongkai build 的输出；默认为站点目录下的 _site/）",
)
@click.option(
    "--bind",
    type=TEXT,
    default=LOOPBACK,
    show_default=True,
    metavar="地址",
    help="监听地址；0.0.0.0 允许局域网内其他电脑访问",
)
@click.option("--port", type=PORT, default=8000, show_default=True, metavar="端口", help="监听端口")
@handle_errors
def serve(site_root: Path, directory: Path | None, bind: str, port: int) -> None:
    """在本机预览已生成的网站（缺少的页面返回网站的 404 页面）；正式发布见 docs/deploy.md。

    端口已被占用或无法监听时以退出码 13 退出。"""
    from generator.serve import ServeError, open_server, url_for

    directory = directory if directory is not None else site_root / "_site"
    if not directory.is_dir():
        raise GongkaiError(f"网站目录 {directory} 不存在：请先运行 gongkai build", IO_EXIT)
    try:
        server = open_server(directory, bind, port)
    except ServeError as exc:
        raise GongkaiError(str(exc), LISTEN_EXIT) from exc
    with server:
        if bind != LOOPBACK:
            click.echo(
                f"注意：正在监听 {bind}，其他电脑也可能访问；gongkai serve 只用于预览，"
                "正式发布请用 nginx 等网站服务器（docs/deploy.md）",
                err=True,
            )
        click.echo(f"预览地址：{url_for(bind, port)} （按 Ctrl+C 停止）")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("已停止")


_PUB_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)
_COUNT = BoundedInt(1, 64)


def _default_key_dir() -> Path:
    return Path(click.get_app_dir("gongkai")) / "keys"


@main.group()
def keys() -> None:
    """签名密钥：新建部门密钥、根密钥和日志密钥（私钥不进入仓库，也不会显示）。"""


@keys.command("new")
@content_option
@click.option("--dept", type=TEXT, help="部门标识（departments.yaml 中的 id），生成部门密钥")
@click.option("--root", "root_n", type=_COUNT, help="根密钥编号（与 --origin 一起用），生成根密钥")
@click.option("--log", "log_key", is_flag=True, help="生成日志密钥（与 --origin 一起用）")
@click.option("--origin", type=TEXT, help="账本来源（新建站点之前生成根密钥、日志密钥时用）")
@click.option("--name", "key_name", type=TEXT, help="直接指定密钥名称")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="私钥目录（默认为用户配置目录下的 gongkai/keys）",
)
@handle_errors
def keys_new(
    content_dir: Path,
    dept: str | None,
    root_n: int | None,
    log_key: bool,
    origin: str | None,
    key_name: str | None,
    out: Path | None,
) -> None:
    """新建 Ed25519 签名密钥：私钥文件权限 0600，公钥文件可公开。"""
    from generator.keyfiles import ceremony_key_name, new_key_files

    if root_n is not None or log_key or origin is not None:
        key_name = ceremony_key_name(origin, root_n, log=log_key, name=key_name, dept=dept)
    created = new_key_files(content_dir, out or _default_key_dir(), dept=dept, name=key_name)
    click.echo(f"已生成私钥：{created.private_path}（权限 0600，切勿提交到仓库或发给他人）")
    click.echo(f"已生成公钥：{created.public_path}")
    click.echo(f"验证密钥：{created.vkey}")


def _today(at: str | None) -> Any:
    from generator.workflow.site import parse_at
    from ledger.tasks import china_date

    return china_date(parse_at(at, allow_future=True))


report_at_option = click.option(
    "--at", type=AT_DATE, help="按此日期统计（默认今天），如 2024-03-10、2024/3/10、2024年3月10日"
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="输出机器可读的 JSON（UTF-8，日期为 ISO 8601）"
)


def _echo_json(record: object) -> None:
    import json

    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.command()
@site_option
@report_at_option
@json_option
@click.option("--dept", type=TEXT, default=None, help="只列出发给本部门的抄告和本部门办理的案件")
@_workflow_errors
def status(site_root: Path, at: str | None, as_json: bool, dept: str | None) -> None:
    """待办事项：待应约的邀约、待取随机数的抽取、应公示与逾期的结果、未完结的后续处置、待签收的抄告。"""
    from generator.workflow.site import SiteRepo
    from generator.workflow.status import compute_status, status_record

    repo = SiteRepo.open(site_root, notify=notice)
    today = _today(at)
    s = compute_status(repo.content, repo.state(), today, dept)
    if as_json:
        _echo_json(status_record(s, today))
        return
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
    for task_id, by, entity in s.open_followups:
        click.echo(f"  {task_id} {by} {entity}")
    echo_cases(s)
    _calendar_notes(s.calendar_notes)


@main.command()
@site_option
@report_at_option
@json_option
@_workflow_errors
def metrics(site_root: Path, at: str | None, as_json: bool) -> None:
    """“两个100%”：抽查完成率、按时公示率，以及后续处置完结率和每户年检查次数。"""
    from generator.workflow.site import SiteRepo
    from generator.workflow.status import figures, figures_record

    repo = SiteRepo.open(site_root, notify=notice)
    today = _today(at)
    m = figures(repo.content, repo.state(), today)
    if as_json:
        _echo_json(figures_record(m))
        return
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
    _calendar_notes(m.calendar_notes)


def _calendar_notes(notes: Sequence[str]) -> None:
    """Print the notes on unknown deadlines, and how to supply a year's holidays (§7)."""
    for note in notes:
        click.echo(f"注意：{note}")
    if notes:
        click.echo(
            "国务院公布该年节假日安排后，可按通知编写 content/holidays/<年份>.yaml"
            "（格式见 docs/content.md §7），或升级 chinese-calendar"
        )


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
    "--root-pub",
    "root_pubs",
    type=_PUB_FILE,
    multiple=True,
    required=True,
    help="每位根密钥持有人在自己的介质上生成的根公钥（可重复）",
)
@click.option(
    "--threshold", type=_COUNT, required=True, help="登记、撤销密钥所需的根密钥数（门限）"
)
@click.option(
    "--log-pub", "log_pubs", type=_PUB_FILE, multiple=True, required=True, help="日志公钥"
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="新建账本（log.init）的签署申请文件，交每位根密钥持有人签署",
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
    root_pubs: tuple[Path, ...],
    threshold: int,
    log_pubs: tuple[Path, ...],
    out: Path,
    at: str | None,
) -> None:
    """新建站点目录（内容骨架）和新建账本的签署申请；不读取、不生成任何私钥。

    每位根密钥持有人先在自己的介质上运行 gongkai keys new --root 编号 --origin …，只交出公钥；
    各自签署申请后，运维人员用 gongkai request append 申请 --signatures 签名目录 --site 目录
    --log-key 日志私钥 建立账本和 trust.txt（docs/signing.md §10）。"""
    from generator.cli_request import echo_request
    from generator.workflow.setup import init_site
    from generator.workflow.site import parse_at
    from ledger.draw.algorithms import DRAW_ALGORITHMS
    from ledger.keys import read_public_key

    report = init_site(
        directory, name=name, region_code=region_code, region_name=region_name, origin=origin,
        base_url=base_url, roots=[read_public_key(p) for p in root_pubs], threshold=threshold,
        log_keys=[read_public_key(p) for p in log_pubs], ts=parse_at(at), out=out,
        algorithms=DRAW_ALGORITHMS,
    )  # fmt: skip
    click.echo(f"已创建站点内容骨架：{report.site / 'content'}")
    echo_request(report.request, out)


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

    repo = SiteRepo.open(site_root, notify=notice)
    cp = register_key(repo, public_key, dept, new_key, list(root_keys), parse_at(at), log_key)
    echo_checkpoint(f"已登记部门 {dept} 的密钥", cp)


@main.command()
@click.argument(
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("draws"),
    metavar="[账本目录]",
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
    help="固定文件：上次验证通过的签名检查点（不存在时首次写入）；发现回滚或分叉时报错",
)
@click.option("--no-update-pin", is_flag=True, help="验证通过后不更新固定文件")
@click.option("--json", "as_json", is_flag=True, help="输出机器可读的 JSON 报告")
@click.option(
    "--workers",
    type=WORKERS,
    default=0,
    show_default=True,
    help="并行验证签名的进程数（0 = 全部 CPU 核心；1 = 单进程）",
)
@click.option(
    "--evidence",
    "evidence_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="发现分叉或回滚时，把可移交的证据写入此文件",
)
@click.option(
    "--allow-type",
    "allow_types",
    type=TEXT,
    multiple=True,
    metavar="类型",
    help="接受本验证器未内置的部门条目类型（仍要求部门签名与授权范围；会给出警告）",
)
@handle_errors
def verify(
    directory: Path,
    trust_file: Path | None,
    pin_file: Path | None,
    no_update_pin: bool,
    as_json: bool,
    workers: int,
    evidence_file: Path | None,
    allow_types: tuple[str, ...],
) -> None:
    """离线验证账本目录或已生成网站中的账本（签名、默克尔树、检查点，重新运行每一次抽取，并核对抽查对象快照、抽查频次和抽查比例）。

    选项与默认值和独立验证程序（gongkai-verify.pyz、python -m ledger verify）相同。"""
    from ledger.__main__ import main as ledger_main

    argv = ["verify", str(directory), "--workers", str(workers)]
    for flag, value in (
        ("--trust", trust_file),
        ("--pin", pin_file),
        ("--evidence", evidence_file),
    ):
        if value is not None:
            argv += [flag, str(value)]
    for kind in allow_types:
        argv += ["--allow-type", kind]
    argv += ["--no-update-pin"] * no_update_pin + ["--json"] * as_json
    code = ledger_main(argv, prog="gongkai")
    if code:
        raise SystemExit(code)


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
@progress_option
@handle_errors
def import_cmd(
    kind: str, source: Path, remove_missing: bool, content_dir: Path, show_progress: bool
) -> None:
    """导入名录库（entities 检查对象 / inspectors 执法检查人员），来源可为 .xlsx、.csv、.yaml。

    默认按统一社会信用代码（人员按执法证号）合并：新增、更新同代码的记录，其余记录保留；
    只有加 --remove-missing 才删除导入文件中没有的记录。导入后的内容须通过 gongkai check，
    有任何错误时逐条报告（文件:行: 列）且不写入任何文件。
    """
    from generator.workflow.libraries_io import import_library

    report = import_library(
        kind,
        source,
        content_dir,
        remove_missing=remove_missing,
        progress=Progress(forced=show_progress),
    )
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


for _group in (
    plan,
    checklist_group,
    vocabulary_group,
    library_group,
    task,
    draw,
    results_group,
    followup_group,
    case_group,
    notice_group,
    tsa_group,
):
    main.add_command(_group)
cli_sign.register(main)  # request, sign; draw commit (docs/signing.md)
cli_keys.register(keys)  # keys add|revoke|rotate-root|rotate-log (docs/signing.md §9)
cli_mobile.register(main)  # inspector; task app (docs/mobile.md)
