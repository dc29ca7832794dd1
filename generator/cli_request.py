"""Writing signing requests from ``gongkai`` commands (``docs/signing.md`` §2, §11).

:func:`write_request` writes a request file and shows its summary (``request announce|confirm``,
``keys …``); :func:`key_or_request_option` gives every command that appends one entry signed by
one department the choice of signing here (``--key``) or writing that entry as an unsigned
request (``--request OUT``), which the department signs on its own machine with
``gongkai sign`` and the operator appends with ``gongkai request append``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator.cli_errors import workflow_errors
from generator.cli_options import AT_TIME

if TYPE_CHECKING:
    from generator.signing import Request
    from ledger.registry import TrustAnchor
    from ledger.store import LedgerStore

__all__ = [
    "check_request_options",
    "echo_request",
    "expires_option",
    "expiry",
    "key_option",
    "key_or_request_option",
    "request_option",
    "write_batch",
    "write_request",
]

F = TypeVar("F", bound=Callable[..., Any])

key_option = click.option(
    "--key", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="本部门私钥文件"
)
expires_option = click.option(
    "--expires",
    type=AT_TIME,
    help="申请的有效期限（默认条目时间之后 3 天；抽取公告不晚于揭示截止时间）",
)
request_option = click.option(
    "--request",
    "request_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="不在本机签署：把要写入的条目生成签署申请文件（与 --key 二选一），"
    "交该部门用 gongkai sign 签署后，用 gongkai request append 追加（docs/signing.md §11）",
)


def expiry(expires: str | None) -> str | None:
    """``--expires`` as the ledger's UTC timestamp (a date in the future is allowed).

    Raises:
        WorkflowError: if the time is not valid.
    """
    from generator.workflow.site import parse_at

    return parse_at(expires, allow_future=True) if expires is not None else None


def write_request(request: Request, out: Path) -> None:
    """Write the request file and show what it asks."""
    out.write_bytes(request.dumps())
    echo_request(request, out)


def echo_request(request: Request, out: Path) -> None:
    """Show the summary of the request written to ``out``, its expiry and who must sign."""
    from generator.keyrequests import KEY_TYPES

    click.echo(request.summary)
    who = "须签署的部门"
    if request.body["type"] == "log.init":
        who = "须由以下每一把根密钥签署"
    elif request.body["type"] in KEY_TYPES:
        who = "须由门限数量的现任根密钥签署（见摘要），另须由以下密钥本身签署"
    signers = "、".join(request.signers) or "（无）"
    click.echo(f"已写出签署申请 {out}（有效期至 {request.expires}）；{who}：{signers}")


def check_request_options(key: Path | None, request_out: Path | None, expires: str | None) -> None:
    """Refuse ``--request`` with ``--key``, and ``--expires`` without ``--request``.

    Raises:
        OptionError: for either (exit code 2).
    """
    from generator.errors import OptionError

    if request_out is None and expires is not None:
        raise OptionError("--expires 只能与 --request 一起使用")
    if request_out is not None and key is not None:
        raise OptionError("--request 与 --key 不能同时使用：生成签署申请时本机不签署")


def write_batch(
    store: LedgerStore,
    trust: TrustAnchor,
    bodies: Sequence[object],
    out: Path,
    expires: str | None,
) -> None:
    """Write the entries ``bodies`` (payloads, in append order) as a batch request
    (``docs/signing.md`` §13) against the ledger ``store`` as it is now, and show its summary
    and what to do with it; with no entries, say so and write nothing.

    Raises:
        SigningError / WorkflowError: as :func:`generator.signing_batch.prepare_batch`.
    """
    from generator.signing_batch import prepare_batch
    from ledger.schema import encode

    if not bodies:
        click.echo("没有要写入账本的条目，未生成签署申请")
        return
    batch = prepare_batch(store, trust, [encode(b) for b in bodies], expiry(expires))
    out.write_bytes(batch.dumps())
    click.echo(batch.summary)
    dept = "、".join(batch.signers)
    click.echo(
        f"已写出批量签署申请 {out}（{len(batch.entries)} 条条目，有效期至 {batch.expires}）；"
        f"须签署的部门：{dept}"
    )
    click.echo(
        f"未写入账本。请把申请文件交部门 {dept}，在本部门计算机上用 gongkai sign {out.name} "
        "--key 本部门私钥 --ledger 本部门账本副本 签署（一次签署全部条目），再把签名文件"
        f"（.sigs）放入一个目录，用 gongkai request append {out.name} --signatures 签名目录 追加"
    )


def key_or_request_option(command: F) -> F:
    """Add ``--key``, ``--request`` and ``--expires`` to a command that appends one entry signed
    by one department (its ``--key`` parameter).

    Without ``--request`` the command runs as before. With it, the command runs in drafting mode
    (:func:`generator.drafting.draft`): every check it makes runs, no key is read and nothing
    is appended; the entry it would have appended is written as a request (``docs/signing.md``
    §2) against the site's ledger as it is now. Refused with exit code 2: ``--request`` with
    ``--key``, or ``--expires`` without ``--request``; with exit code 11, whatever the command
    itself refuses.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, request_out: Path | None, expires: str | None, **kwargs: Any) -> Any:
        check_request_options(kwargs.get("key"), request_out, expires)
        if request_out is None:
            return command(*args, **kwargs)
        _write_drafted(lambda: command(*args, **kwargs), request_out, expires)
        return None

    wrapped = workflow_errors(wrapper)
    for option in (expires_option, request_option, key_option):
        wrapped = option(wrapped)
    return wrapped  # type: ignore[return-value]  # the wrapper takes two more keywords


def _write_drafted(run: Callable[[], object], out: Path, expires: str | None) -> None:
    from generator.drafting import draft
    from generator.signing import prepare_on

    drafted = draft(run)
    request = prepare_on(drafted.store, drafted.trust, drafted.body, drafted.blobs, expiry(expires))
    write_request(request, out)
    click.echo(
        f"未写入账本。请把申请文件交部门 {'、'.join(request.signers)}，在本部门计算机上用 "
        f"gongkai sign {out.name} --key 本部门私钥 --ledger 本部门账本副本 签署，"
        f"再把签名文件放入一个目录，用 gongkai request append {out.name} --signatures 签名目录 追加"
    )
