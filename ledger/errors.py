"""The ledger's exception family, split by meaning.

Every error raised by ``ledger`` on untrusted input is a :class:`LedgerError`. Callers can tell
garbage (:class:`MalformedError`) from well-formed input that fails a cryptographic or
structural check (:class:`VerificationError`), from evidence of a rewritten history
(:class:`InconsistencyError`), and from problems of the local store (:class:`StoreError`).
The CLI maps them to exit codes in one place.
"""

from __future__ import annotations

import errno


class LedgerError(Exception):
    """Root of every error the ledger raises on untrusted input or store state."""

    exit_code = 1


class MalformedError(LedgerError):
    """Input bytes do not parse under the strict grammar (note, checkpoint, entry, tile ...)."""

    exit_code = 3


class VerificationError(LedgerError):
    """Well-formed input failed a signature, proof, hash or replay check."""

    exit_code = 4


class InconsistencyError(VerificationError):
    """Two signed statements contradict each other (fork, rollback, rewritten history).

    ``evidence`` holds a self-contained, portable report when one could be built.
    """

    exit_code = 5

    def __init__(self, message: str, evidence: str | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence


class StoreError(LedgerError):
    """The local ledger directory cannot be used (lock held, I/O failure)."""

    exit_code = 6


class LockBusyError(StoreError):
    """Another writer holds the ledger lock."""


class FatalStoreError(StoreError):
    """The store cannot be trusted to continue: corruption or tampering inside the checkpointed
    range (nothing was modified), a checkpoint that would fork, or a failed fsync/rename/link
    (after which the page cache may lie). The process must stop; the operator investigates and a
    fresh process recovers from the disk. Never auto-repaired.
    """

    exit_code = 7


class UnverifiableError(VerificationError):
    """Verification could not be completed although nothing was found wrong: a library the check
    needs is not installed (drand BLS), or a file the ledger refers to is not there (a blob).

    A :class:`VerificationError` so that every caller still fails closed (nothing unverified is
    accepted); its own exit code tells an auditor "cannot verify" from "verification failed".
    """

    exit_code = 12


class ExampleKeyError(LedgerError):
    """A public example key (derivable by anyone, see :mod:`ledger.examplekeys`) would be used,
    or a ledger signed with them would be published, for a site that is not marked as example.
    """

    exit_code = 9


class InterruptedAppendError(StoreError):
    """The ledger directory holds an append that a crash interrupted and no writer has finished
    or undone yet (docs/ledger.md §12.6). Reported by the auditor after the checkpointed part
    verified; any writer command repairs it. Nothing is wrong with what was published.
    """

    exit_code = 8


_ERRNO_TEXT = {
    errno.ENOENT: "文件或目录不存在",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "不允许的操作",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.ENOTDIR: "路径中有一项不是目录",
    errno.EISDIR: "是目录而不是文件",
    errno.EEXIST: "已存在",
    errno.EADDRINUSE: "端口已被占用",
    errno.EIO: "输入输出错误",
    errno.EDQUOT: "超出磁盘配额",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ELOOP: "符号链接层数过多",
    errno.EMFILE: "打开的文件过多",
}


def os_reason(exc: OSError) -> str:
    """The reason of an operating-system error in Chinese, for every message that reports one
    (the ledger's :class:`StoreError` and the CLI's), followed by the errno name for the
    operator (``文件或目录不存在 [ENOENT]``); the system's own text for a reason not in the
    table."""
    name = errno.errorcode.get(exc.errno or 0, "")
    text = _ERRNO_TEXT.get(exc.errno or 0) or exc.strerror or str(exc)
    return f"{text} [{name}]" if name else text
