"""Command line of the ledger auditor: ``python -m ledger verify DIR`` (docs/ledger.md §13.5,
§13.9).

Usage::

    python -m ledger verify DIR [--trust FILE] [--pin FILE] [--no-update-pin] [--json]
                                [--workers N] [--evidence FILE] [--allow-type TYPE ...]
    python3 gongkai-verify.pyz DIR [same options]        (the published zipapp)

Exit codes (``LedgerError.exit_code``; the table is in README): 0 verified; 2 usage error;
3 malformed input; 4 verification failed; 5 inconsistency (fork or rollback; the evidence is
printed and, with ``--evidence``, saved); 6 not a ledger directory, or a store/I/O error; 7 fatal
store error; 8 an interrupted append left files in the directory (docs/ledger.md §12.7);
12 cannot verify (a file the audit needs is missing, or the drand BLS library is not installed:
nothing was found wrong, but nothing was proven either); 1 any other ledger error.

A ledger signed with the public example keys (:mod:`ledger.examplekeys`) verifies — its
signatures are valid — but proves nothing: the report is followed by a warning on stderr.

Messages are in Chinese whatever the locale, argparse's own text included (``用法：``, ``选项：``,
``错误：``, ``缺少必填参数``; see :mod:`ledger.cli_text`). With ``--json`` the report (or the error
object) goes to stdout as JSON: success is :meth:`ledger.verify.VerifyReport.to_json`; failure is
``{"schema": "gongkai-verify-report/v1", "ok": false, "error": {"type", "message",
"exit_code", "evidence"}}``.

Runs with the standard library, ``cryptography`` and, for the BLS signatures of drand beacons,
``py-arkworks-bls12381`` (or ``py-ecc``), so the same module is the entry point of
``gongkai-verify.pyz`` (:data:`ledger.publish.VERIFIER_REQUIREMENTS`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ledger.cli_text import ARGPARSE_TEXT, ChineseArgumentParser
from ledger.errors import InconsistencyError, LedgerError, os_reason
from ledger.examplekeys import example_key_refs
from ledger.verify import REPORT_SCHEMA, VerifyReport, verify_directory

__all__ = ["main"]


def _parser(prog: str | None) -> argparse.ArgumentParser:
    """Build the parser; call inside ``ARGPARSE_TEXT.active()`` (argparse translates at build)."""
    parser = ChineseArgumentParser(
        prog=prog,
        description="gongkai 账本离线审计工具：验证签名、默克尔树、检查点、瓦片、回执与 blob。",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    verify = sub.add_parser("verify", help="验证账本目录或已发布的账本文件夹")
    verify.add_argument("directory", metavar="DIR", help="账本目录或已发布网站的 ledger 文件夹")
    verify.add_argument(
        "--trust",
        metavar="FILE",
        help="另行取得的信任锚 trust.txt（缺省使用 DIR/trust.txt，并给出警告）",
    )
    verify.add_argument(
        "--pin", metavar="FILE", help="固定文件：上次验证通过的签名检查点（不存在时首次写入）"
    )
    verify.add_argument("--no-update-pin", action="store_true", help="验证通过后不更新固定文件")
    verify.add_argument("--json", action="store_true", help="以 JSON 输出报告")
    verify.add_argument(
        "--workers",
        type=_workers,
        default=0,
        metavar="N",
        help="并行验证签名的进程数（缺省 0 = 全部 CPU 核心；1 = 单进程）",
    )
    verify.add_argument(
        "--evidence", metavar="FILE", help="发现分叉或回滚时，把可移交的证据写入此文件"
    )
    verify.add_argument(
        "--allow-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="接受本验证器未内置的部门条目类型（仍要求部门签名与授权范围；会给出警告）",
    )
    return parser


def _workers(text: str) -> int:
    """``--workers``: 0 (every core) to the number of CPU cores.

    Raises:
        argparse.ArgumentTypeError: with a Chinese message naming the value and the bounds.
    """
    cores = os.cpu_count() or 1
    value = text.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 6) or int(value) > cores:
        raise argparse.ArgumentTypeError(
            f"“{value[:20]}”无效：应为 0（全部 CPU 核心）到 {cores}（本机 CPU 核心数）之间的整数"
        )
    return int(value)


def _example_warning(report: VerifyReport) -> str | None:
    """A warning when the verified ledger is signed with the public example keys."""
    found = example_key_refs(
        [*report.root_keys, *report.log_keys_ever, *(k["vkey"] for k in report.keys)]
    )
    if not found:
        return None
    return (
        f"警告：本账本由公开的示例密钥签署（{'、'.join(found[:3])} 等 {len(found)} 个）。"
        "任何人都能推导出这些私钥并伪造签名，验证通过不能证明任何事；它只能作为示例数据，"
        "不是真实的抽查记录。"
    )


def _error_json(exc: LedgerError) -> str:
    evidence = exc.evidence if isinstance(exc, InconsistencyError) else None
    payload = {
        "schema": REPORT_SCHEMA,
        "ok": False,
        "error": {
            "type": type(exc).__name__,
            "message": str(exc),
            "exit_code": exc.exit_code,
            "evidence": evidence,
        },
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _verify(args: argparse.Namespace) -> int:
    from ledger.trust import parse_trust

    try:
        trust = None
        if args.trust is not None:
            try:
                data = Path(args.trust).read_bytes()
            except OSError as exc:
                from ledger.errors import StoreError

                raise StoreError(f"无法读取信任锚 {args.trust}：{os_reason(exc)}") from exc
            trust = parse_trust(data)
        workers = args.workers if args.workers > 0 else (os.cpu_count() or 1)
        report = verify_directory(
            args.directory,
            trust=trust,
            pin_path=Path(args.pin) if args.pin else None,
            update_pin=not args.no_update_pin,
            workers=workers,
            allow_types=args.allow_type,
        )
    except LedgerError as exc:
        evidence = exc.evidence if isinstance(exc, InconsistencyError) else None
        if evidence is not None and args.evidence:
            try:
                Path(args.evidence).write_text(evidence, encoding="utf-8")
            except OSError as write_error:
                print(f"无法写入证据文件 {args.evidence}：{write_error}", file=sys.stderr)
        if args.json:
            sys.stdout.write(_error_json(exc))
        else:
            head = "无法验证" if exc.exit_code in (6, 12) else "验证失败"
            print(f"{head}（{type(exc).__name__}，退出码 {exc.exit_code}）：{exc}", file=sys.stderr)
            if evidence is not None:
                print("\n—— 可移交的证据（任何人可独立复核）——", file=sys.stderr)
                print(evidence, file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(report.to_json() if args.json else report.to_text())
    warning = _example_warning(report)
    if warning is not None:
        print(warning, file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the CLI and return the exit code.

    Args:
        argv: Arguments without the program name (defaults to ``sys.argv[1:]``).
        prog: Program name for usage messages.

    Returns:
        0 on success, else the failing error's ``exit_code`` (2 for usage errors).

    Raises:
        SystemExit: from argparse, after printing the Chinese help (code 0) or a Chinese usage
            error (code 2).
    """
    with ARGPARSE_TEXT.active():
        args = _parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "verify":
        return _verify(args)
    return 2  # pragma: no cover - argparse enforces the sub-command


if __name__ == "__main__":
    raise SystemExit(main(prog="python -m ledger"))
