"""How ``gongkai`` reports failures: one Chinese message and one exit code per error, never a
traceback (the table of codes is in README).

Exit codes: 0 success; 1 unexpected error (a bug; ``GONGKAI_DEBUG=1`` shows the traceback);
2 usage error (a missing or invalid option, :mod:`generator.cli_options`); 3 malformed ledger
input; 4 verification failed; 5 inconsistent ledger (fork/rollback); 6 ledger store or file
unusable (not a ledger directory, cannot read or write); 7 ledger store corrupt; 8 an interrupted
append awaits recovery (docs/ledger.md §12.7); 9 example key on a real site; 10 content errors;
11 refused by the workflow; 12 cannot verify (a missing file or library); 13 ``serve`` cannot
listen (the port is in use, needs privileges, or the address is not this machine's); 14 a
signing request cannot be signed or appended (docs/signing.md). Ledger errors carry
their own code (:mod:`ledger.errors`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from generator.content.errors import ContentError
from generator.errors import OptionError, WorkflowError
from ledger.errors import LedgerError, os_reason

CONTENT_EXIT = 10
#: A file outside the ledger cannot be read or written (an output directory, a key file …):
#: the same code as an unusable ledger directory (README).
IO_EXIT = 6
INTERNAL_EXIT = 1

F = TypeVar("F", bound=Callable[..., Any])
WORKFLOW_EXIT = 11
#: ``gongkai serve`` cannot listen on its address and port.
LISTEN_EXIT = 13
USAGE_EXIT = 2

#: Every exit code of ``gongkai`` with its meaning (README's table; listed by ``gongkai -h``).
EXIT_CODES: dict[int, str] = {
    0: "成功 / 验证通过",
    1: "程序内部错误（设置 GONGKAI_DEBUG=1 重新运行可看到详细信息，请报告问题）",
    2: "命令行用法错误：缺少或无效的选项、参数",
    3: "账本输入格式错误",
    4: "验证失败：签名、哈希、证明或流程规则不成立",
    5: "账本不一致：回滚或分叉（同时输出可移交的证据）",
    6: "账本目录或文件不可用：不是账本目录、无法读写或被锁定",
    7: "账本已损坏，须人工检查",
    8: "账本目录中有被中断的追加",
    9: "示例密钥不能用于真实站点",
    10: "内容错误（同时列出每处错误的“文件:行: 字段”）",
    11: "流程不允许该操作",
    12: "无法验证：缺少验证所需的文件或程序库",
    13: "gongkai serve 无法监听：端口已被占用、需要管理员权限，或本机没有该地址",
    14: "签署申请不能签署或追加：已过期、与本部门的账本副本不符，或缺少部门签名",
    15: "检查人员密钥登记文件或手机签名的检查结果包被拒绝",
}


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
        except WorkflowError as exc:  # OptionError (2) included
            raise GongkaiError(str(exc), exc.exit_code) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ModuleNotFoundError as exc:
            if exc.name != "fcntl":
                raise _internal(exc) from exc
            raise GongkaiError(
                "本命令需要读写账本，要用 POSIX 文件锁（Linux、macOS）；本系统没有（如 Windows）。"
                "Windows 上可以运行 check、build、verify、serve，其余命令请在 WSL 中运行",
                IO_EXIT,
            ) from exc
        except OSError as exc:
            where = f"{exc.filename}：" if exc.filename else ""
            raise GongkaiError(f"无法读写文件 {where}{os_reason(exc)}", IO_EXIT) from exc
        except Exception as exc:
            raise _internal(exc) from exc

    return wrapper  # type: ignore[return-value]


def _internal(exc: Exception) -> GongkaiError:
    """An unexpected error as exit code 1; re-raised as is with ``GONGKAI_DEBUG`` set."""
    if os.environ.get("GONGKAI_DEBUG"):
        raise exc
    return GongkaiError(
        f"程序内部错误（{type(exc).__name__}：{exc}）；请设置环境变量 GONGKAI_DEBUG=1 "
        "重新运行并报告问题",
        INTERNAL_EXIT,
    )


def workflow_errors(func: F) -> F:
    """Map workflow refusals to exit code 11 and missing values (:class:`OptionError`) to 2, with
    the reason; everything else as :func:`handle_errors`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OptionError as exc:
            raise GongkaiError(f"{exc}；未写入任何条目", USAGE_EXIT) from exc
        except WorkflowError as exc:
            raise GongkaiError(f"{exc}；未写入任何条目", exc.exit_code) from exc

    return handle_errors(wrapper)  # type: ignore[return-value]
