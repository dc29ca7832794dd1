"""``gongkai``: thin click commands over the ``generator`` and ``ledger`` libraries.

Exit codes (one place, documented in README): 0 success; 1 unexpected error; 2 usage error;
3 malformed ledger input; 4 verification failed; 5 inconsistent ledger (fork/rollback);
6 ledger store unusable; 7 ledger store corrupt; 10 content errors.
"""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator.content.errors import ContentError, Problems
from generator.content.loader import load_content
from generator.content.model import Content
from ledger.errors import LedgerError

CONTENT_EXIT = 10

F = TypeVar("F", bound=Callable[..., Any])


class GongkaiError(click.ClickException):
    """A user-facing failure with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        """Print the message in Chinese (click's default prefix is English)."""
        click.echo(f"错误：{self.format_message()}", err=True)


def handle_errors(func: F) -> F:
    """Map library errors to messages and exit codes (the only place that does so)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ContentError as exc:
            click.echo(exc.report(), err=True)
            raise GongkaiError(str(exc) + "；未写入任何文件", CONTENT_EXIT) from exc
        except LedgerError as exc:
            raise GongkaiError(str(exc), exc.exit_code) from exc

    return wrapper  # type: ignore[return-value]


content_option = click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("content"),
    show_default=True,
    help="内容目录",
)


@click.group()
@click.version_option(package_name="gongkai")
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
    content, problems = load_content(content_dir)
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
@handle_errors
def build(content_dir: Path, output: Path) -> None:
    """校验内容并生成公示网站（先在临时目录生成，成功后整体替换）。"""
    from generator.site.build import build_site

    report = build_site(content_dir, output)
    click.echo(f"已生成网站：{report.output}（{report.pages} 个页面，{report.files} 个文件）")


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("_site"),
    show_default=True,
)
@click.option("--port", type=int, default=8000, show_default=True)
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
@click.option("--dept", help="部门标识（departments.yaml 中的 id），生成部门密钥")
@click.option("--name", "key_name", help="直接指定密钥名称（根密钥、日志密钥）")
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
