"""Durable file primitives: the only low-level writes the ledger performs (docs/ledger.md §12.2).

Every write of the ledger store goes through one of these helpers, so that the crash-safety
argument of docs/ledger.md §12 needs to be made only once:

- :func:`append_durable` appends bytes with ``O_APPEND`` and ``fsync``\\ s them (and the
  directory, when the file was created);
- :func:`write_atomic` replaces a file atomically (temp file in the same directory, ``fsync``,
  ``rename``, ``fsync`` of the directory);
- :func:`create_immutable` creates a write-once file with ``link(2)``, which cannot overwrite:
  if the name already exists, identical bytes are accepted and different bytes are fatal
  ("would fork");
- :func:`truncate_durable` cuts a torn tail off a file and ``fsync``\\ s it;
- :func:`remove_durable` deletes a file and ``fsync``\\ s its directory;
- :func:`mkdirs_durable` creates missing directories and ``fsync``\\ s each parent it changed;
- :class:`LedgerLock` is the ``flock(2)`` single-writer lock on ``<dir>/LOCK``.

Error policy (PostgreSQL "fsyncgate", docs/ledger.md §12.2): after ``fsync`` fails, Linux may have
dropped the dirty pages and cleared the error, so a retried ``fsync`` can succeed although the
data never reached the disk. An ``OSError`` from ``fsync``, ``rename``/``replace``, ``link`` or
``ftruncate`` is therefore raised as :class:`~ledger.errors.FatalStoreError`: the caller must
not retry in-process; it must exit and let the next process recover from what is really on
disk. Errors that happen before anything could have reached the file (``open``, ``mkdir``) or
from ``write(2)`` itself (typically ``ENOSPC``) are raised as :class:`~ledger.errors.StoreError`;
at worst they leave a torn tail, which the store's recovery removes. No raw ``OSError`` escapes.

Platform: Linux only. We rely on directory ``fsync`` (Windows has none), on ``flock(2)``
semantics (one lock per open file description, so two descriptors of one process conflict),
and on ``fsync`` being a full flush (macOS would need ``F_FULLFSYNC``).

All system calls are made through the module attribute (``os.write``, ``os.fsync`` ...) rather
than imported names, so that tests can monkeypatch them to inject failures, and every call that
can change the disk (``open``, ``write``, ``fsync``, ``replace``, ``link``, ``unlink``,
``ftruncate``, ``mkdir``) first passes the fault-injection seam :func:`set_fault_hook` (enabled in
a child process by the environment variable ``GONGKAI_FAULT_INJECT``; docs/ledger.md §12.8).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from ledger.errors import FatalStoreError, LockBusyError, StoreError, os_reason

__all__ = [
    "FAULT_ENV",
    "LOCK_NAME",
    "TEMP_PREFIX",
    "LedgerLock",
    "append_durable",
    "create_immutable",
    "mkdirs_durable",
    "read_file",
    "remove_durable",
    "set_fault_hook",
    "truncate_durable",
    "write_atomic",
]

LOCK_NAME: Final = "LOCK"
"""Name of the lock file inside a ledger directory."""

TEMP_PREFIX: Final = ".tmp."
"""Prefix of every temporary file these helpers create (``.tmp.<name>.<random>``).

A crash can leave such files behind; they are never part of the ledger, readers ignore them,
and the store's recovery deletes them under the exclusive lock.
"""

_FATAL_HINT: Final = (
    "致命错误：页缓存已不可信，不要在本进程中重试；"
    "请重新启动，由恢复流程重新读取磁盘（docs/ledger.md §12.2）"
)

FAULT_ENV: Final = "GONGKAI_FAULT_INJECT"
"""Environment variable of the fault-injection seam, for crash tests only (docs/ledger.md §12.8).

``<k>:<action>``: at the k-th disk-changing system call of the process (counting from 1),
``kill`` sends SIGKILL to the process before the call, ``kill-after`` right after it, and
``EIO`` / ``ENOSPC`` make the call fail with that errno instead of running it.
"""

FaultHook = Callable[[str, str, tuple[Any, ...]], None]
"""``hook(op, phase, args)``, called with phase ``"before"`` and ``"after"`` around each call
(``args``: the call's positional arguments, for example the descriptor of an ``fsync``)."""

_fault_hook: FaultHook | None = None


def set_fault_hook(hook: FaultHook | None) -> FaultHook | None:
    """Install (or, with ``None``, remove) the fault-injection hook; return the previous one.

    For tests only. The hook may raise ``OSError`` (handled exactly like a failure of the real
    call) or end the process.
    """
    global _fault_hook
    previous, _fault_hook = _fault_hook, hook
    return previous


def _hook_from_env(spec: str | None) -> FaultHook | None:
    """Build the hook described by :data:`FAULT_ENV` (``None`` when unset or empty)."""
    if not spec:
        return None
    count, _, action = spec.partition(":")
    target = int(count)
    if action not in ("kill", "kill-after", "EIO", "ENOSPC"):
        raise ValueError(f"{FAULT_ENV}: unknown action {action!r}")
    calls = 0

    def hook(op: str, phase: str, args: tuple[Any, ...]) -> None:
        nonlocal calls
        if phase == "before":
            calls += 1
        if calls != target:
            return
        if (action == "kill" and phase == "before") or (
            action == "kill-after" and phase == "after"
        ):
            os.kill(os.getpid(), signal.SIGKILL)
        if action in ("EIO", "ENOSPC") and phase == "before":
            code = getattr(errno, action)
            raise OSError(code, f"{os.strerror(code)} (injected at {op} #{target})")

    return hook


def _sys(op: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` (an ``os`` function that may change the disk) through the fault seam."""
    hook = _fault_hook
    if hook is None:
        return func(*args, **kwargs)
    hook(op, "before", args)
    try:
        return func(*args, **kwargs)
    finally:
        hook(op, "after", args)  # also after a failed call (for example EEXIST of O_EXCL)


_fault_hook = _hook_from_env(os.environ.get(FAULT_ENV))

# O_CLOEXEC everywhere: a child process (for example a hook) must never inherit a descriptor
# of the store, least of all the lock.
_O_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY: Final = getattr(os, "O_DIRECTORY", 0)


def _store_error(op: str, path: str | os.PathLike[str], exc: OSError) -> StoreError:
    return StoreError(f"{op} {os.fspath(path)}：{os_reason(exc)}")


def _fatal_error(op: str, path: str | os.PathLike[str], exc: OSError) -> FatalStoreError:
    return FatalStoreError(f"对 {os.fspath(path)} 执行 {op} 失败：{os_reason(exc)}；{_FATAL_HINT}")


def _close_quietly(fd: int) -> None:
    """Close ``fd`` on an error path, never masking the original exception."""
    with contextlib.suppress(OSError):
        os.close(fd)


def _write_all(fd: int, data: bytes, path: str | os.PathLike[str]) -> None:
    """Write every byte of ``data`` to ``fd``, looping over short writes.

    Raises:
        StoreError: If ``write(2)`` fails or makes no progress.
    """
    view = memoryview(data)
    while view:
        try:
            written = _sys("write", os.write, fd, view)
        except OSError as exc:
            raise _store_error("无法写入", path, exc) from exc
        if written <= 0:  # never happens for regular files; guard against an endless loop
            raise StoreError(f"无法写入 {os.fspath(path)}：write(2) 返回 {written}")
        view = view[written:]


def _fsync(fd: int, path: str | os.PathLike[str]) -> None:
    """``fsync`` a descriptor; any failure is fatal (fsyncgate)."""
    try:
        _sys("fsync", os.fsync, fd)
    except OSError as exc:
        raise _fatal_error("fsync", path, exc) from exc


def _open_dir(path: str | os.PathLike[str]) -> int:
    """Open a directory read-only, to ``fsync`` it and to use it as ``dir_fd``."""
    try:
        fd: int = _sys("open", os.open, path, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        return fd
    except OSError as exc:
        raise _store_error("无法打开目录", path, exc) from exc


def _fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make the entries of a directory (created, renamed, linked names) durable."""
    fd = _open_dir(path)
    try:
        _fsync(fd, path)
    finally:
        _close_quietly(fd)


def _split(path: str | os.PathLike[str]) -> tuple[Path, str]:
    p = Path(os.path.abspath(os.fspath(path)))
    if not p.name:
        raise StoreError(f"不是文件路径：{os.fspath(path)}")
    return p.parent, p.name


def _temp_name(name: str) -> str:
    # Random suffix plus O_EXCL: two writers (or a crashed one) never share a temp file.
    return f"{TEMP_PREFIX}{name}.{os.getpid()}.{secrets.token_hex(6)}"


def _create_temp(dirfd: int, parent: Path, name: str, data: bytes, mode: int) -> str:
    """Create a temp file next to ``name``, write ``data``, ``fsync`` and close it.

    Returns:
        The temp file's name, relative to ``dirfd``. On error it has been removed.

    Raises:
        StoreError: If the file cannot be created or written.
        FatalStoreError: If ``fsync`` fails.
    """
    tmp = _temp_name(name)
    try:
        fd = _sys(
            "open",
            os.open,
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC,
            mode,
            dir_fd=dirfd,
        )
    except OSError as exc:
        raise _store_error("无法创建临时文件", parent / tmp, exc) from exc
    try:
        _write_all(fd, data, parent / tmp)
        _fsync(fd, parent / tmp)
    except BaseException:
        _close_quietly(fd)
        _unlink_quietly(dirfd, tmp)
        raise
    try:
        os.close(fd)
    except OSError as exc:
        _unlink_quietly(dirfd, tmp)
        raise _store_error("无法关闭", parent / tmp, exc) from exc
    return tmp


def _unlink_quietly(dirfd: int, name: str) -> None:
    # Best effort: a stale temp file is harmless, readers ignore it and recovery removes it.
    with contextlib.suppress(OSError):
        _sys("unlink", os.unlink, name, dir_fd=dirfd)


def read_file(path: str | os.PathLike[str]) -> bytes:
    """Read a whole file, mapping I/O errors to :class:`StoreError`.

    Args:
        path: The file to read.

    Returns:
        Its bytes.

    Raises:
        StoreError: If it cannot be read (``FileNotFoundError`` included).
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise _store_error("无法读取", path, exc) from exc


def append_durable(path: str | os.PathLike[str], data: bytes) -> None:
    """Append ``data`` to ``path`` and make it durable before returning.

    Opens with ``O_WRONLY|O_APPEND|O_CREAT`` (mode 0o644, less the umask), loops over
    ``os.write`` until every byte is written, ``fsync``\\ s and closes. If this call created
    the file, the parent directory is ``fsync``\\ ed too, or the new name could vanish on power
    loss even though its data was synced.

    Args:
        path: The file to append to.
        data: The bytes to append (for the ledger, whole lines ending in ``\\n``).

    Raises:
        StoreError: If the file cannot be opened or written (the file may now end with a
            prefix of ``data``, a torn tail).
        FatalStoreError: If ``fsync`` fails.
    """
    flags = os.O_WRONLY | os.O_APPEND | _O_CLOEXEC
    created = True
    try:
        try:
            # O_EXCL first tells us, race-free, whether we created the file.
            fd = _sys("open", os.open, path, flags | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            created = False
            fd = _sys("open", os.open, path, flags)
    except OSError as exc:
        raise _store_error("无法以追加方式打开", path, exc) from exc
    try:
        _write_all(fd, data, path)
        _fsync(fd, path)
    except BaseException:
        _close_quietly(fd)
        raise
    try:
        os.close(fd)
    except OSError as exc:
        raise _store_error("无法关闭", path, exc) from exc
    if created:
        _fsync_dir(_split(path)[0])


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Atomically replace ``path`` with ``data``.

    Holds a descriptor of the parent directory for the whole operation (so a concurrent rename
    of the directory cannot redirect any step), creates ``.tmp.<name>.<random>`` there,
    writes, ``fsync``\\ s, closes, ``os.replace``\\ s it over ``path`` and ``fsync``\\ s the
    directory. Readers see either the old or the new contents, never a mixture; after a crash
    the file holds one of the two. The temp file is removed on any error.

    Args:
        path: The destination.
        data: The complete new contents.
        mode: Permission bits for a newly created file (the umask applies).

    Raises:
        StoreError: If the temp file cannot be created or written.
        FatalStoreError: If ``fsync`` or ``replace`` fails.
    """
    parent, name = _split(path)
    dirfd = _open_dir(parent)
    try:
        tmp = _create_temp(dirfd, parent, name, data, mode)
        try:
            _sys("replace", os.replace, tmp, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        except OSError as exc:
            _unlink_quietly(dirfd, tmp)
            raise _fatal_error("replace", parent / name, exc) from exc
        _fsync(dirfd, parent)
    finally:
        _close_quietly(dirfd)


def create_immutable(path: str | os.PathLike[str], data: bytes) -> None:
    """Create a write-once file, or accept it if it already holds exactly ``data``.

    The file is written in full to a temp file, ``fsync``\\ ed, then published with
    ``os.link(tmp, path)``, which fails with ``EEXIST`` instead of overwriting, so a published
    file is never replaced and never seen half-written. If ``path`` exists, its bytes are
    compared: identical bytes are fine (an idempotent retry after a crash), different bytes
    mean the caller is about to contradict what it published before, which is fatal ("would
    fork"). Finally the directory is ``fsync``\\ ed (also when the file already existed: a
    crashed predecessor may have linked it without syncing the directory).

    Args:
        path: The destination, which must not be replaced once it exists.
        data: The contents.

    Raises:
        StoreError: If the temp file cannot be created or written, or the existing file cannot
            be read.
        FatalStoreError: If ``path`` exists with different bytes, or ``fsync``/``link`` fails.
    """
    parent, name = _split(path)
    dirfd = _open_dir(parent)
    try:
        tmp = _create_temp(dirfd, parent, name, data, 0o644)
        try:
            try:
                _sys(
                    "link",
                    os.link,
                    tmp,
                    name,
                    src_dir_fd=dirfd,
                    dst_dir_fd=dirfd,
                    follow_symlinks=False,
                )
            except FileExistsError:
                _compare_existing(dirfd, parent / name, name, data)
            except OSError as exc:
                raise _fatal_error("link", parent / name, exc) from exc
        finally:
            _unlink_quietly(dirfd, tmp)
        _fsync(dirfd, parent)
    finally:
        _close_quietly(dirfd)


def _compare_existing(dirfd: int, full: Path, name: str, data: bytes) -> None:
    """Check that the existing immutable file ``name`` holds ``data``; make it durable."""
    try:
        fd = os.open(name, os.O_RDONLY | _O_CLOEXEC | os.O_NOFOLLOW, dir_fd=dirfd)
    except OSError as exc:
        raise _store_error("无法打开已有的不可变文件", full, exc) from exc
    try:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, max(65536, len(data) + 1 - total))
            except OSError as exc:
                raise _store_error("无法读取已有的不可变文件", full, exc) from exc
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > len(data):
                break  # already longer than ours: differs; no need to read a huge file
        existing = b"".join(chunks)
        if existing != data:
            raise FatalStoreError(
                f"不可变文件不一致：{full} 已存在且内容不同"
                f"（{_first_difference(existing, data)}）；写入会使已发布的记录分叉，"
                "拒绝写入"
            )
        # The bytes are right, but a crashed writer may not have synced them: do it now.
        _fsync(fd, full)
    finally:
        _close_quietly(fd)


def _first_difference(old: bytes, new: bytes) -> str:
    common = min(len(old), len(new))
    for i in range(common):
        if old[i] != new[i]:
            return f"第 {i} 字节起不同：已有 {old[i]:#04x}，新 {new[i]:#04x}"
    return f"已有文件 {len(old)} 字节，新内容 {len(new)} 字节"


def truncate_durable(path: str | os.PathLike[str], length: int) -> None:
    """Truncate ``path`` to ``length`` bytes and ``fsync`` it.

    Used only by recovery, to cut off a torn tail after it was saved elsewhere.

    Args:
        path: An existing file.
        length: The new length; must not exceed the current one.

    Raises:
        StoreError: If the file cannot be opened or is shorter than ``length``.
        FatalStoreError: If ``ftruncate`` or ``fsync`` fails.
    """
    try:
        fd = _sys("open", os.open, path, os.O_WRONLY | _O_CLOEXEC)
    except OSError as exc:
        raise _store_error("无法打开待截断的文件", path, exc) from exc
    try:
        try:
            current = os.fstat(fd).st_size
        except OSError as exc:
            raise _store_error("无法获取文件状态", path, exc) from exc
        if current < length:
            raise StoreError(
                f"无法把 {os.fspath(path)} 截断为 {length} 字节：文件只有 {current} 字节"
            )
        try:
            _sys("ftruncate", os.ftruncate, fd, length)
        except OSError as exc:
            raise _fatal_error("ftruncate", path, exc) from exc
        _fsync(fd, path)
    finally:
        _close_quietly(fd)


def remove_durable(path: str | os.PathLike[str]) -> bool:
    """Delete ``path`` (if it exists) and ``fsync`` its directory, so the deletion is durable.

    Args:
        path: The file to delete.

    Returns:
        True if it existed.

    Raises:
        StoreError: If it cannot be deleted.
        FatalStoreError: If ``fsync`` of the directory fails.
    """
    parent, name = _split(path)
    if not os.path.lexists(path):
        return False  # also when the directory is missing: nothing to delete
    dirfd = _open_dir(parent)
    try:
        try:
            _sys("unlink", os.unlink, name, dir_fd=dirfd)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _store_error("无法删除", parent / name, exc) from exc
        _fsync(dirfd, parent)
        return True
    finally:
        _close_quietly(dirfd)


def mkdirs_durable(path: str | os.PathLike[str]) -> None:
    """Create ``path`` and any missing parents (mode 0o755), durably.

    After each ``mkdir`` the parent directory is ``fsync``\\ ed, so a new directory cannot
    vanish on power loss while files inside it were synced.

    Args:
        path: The directory to create; it is fine if it already exists.

    Raises:
        StoreError: If a directory cannot be created, or a component is not a directory.
        FatalStoreError: If ``fsync`` of a parent fails.
    """
    target = Path(os.path.abspath(os.fspath(path)))
    missing: list[Path] = []
    current = target
    while not os.path.lexists(current):
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            _sys("mkdir", os.mkdir, directory, 0o755)
        except FileExistsError:
            continue  # created concurrently; its creator syncs its parent
        except OSError as exc:
            raise _store_error("无法创建目录", directory, exc) from exc
        _fsync_dir(directory.parent)
    if not os.path.isdir(target):
        raise StoreError(f"不是目录：{target}")


class LedgerLock:
    """The single-writer lock: ``flock(2)`` on ``<directory>/LOCK``.

    Exclusive for writers, shared for readers that want a stable view. The lock never waits
    silently: with the default ``timeout=0`` a busy lock raises :class:`LockBusyError` at once;
    a positive ``timeout`` polls until it expires. ``flock`` locks belong to the open file
    description, so a second :class:`LedgerLock` in the same process conflicts exactly like
    one in another process, and the kernel releases the lock if the holder dies (SIGKILL
    included), so a crash never leaves a stale lock behind.

    Usage::

        with LedgerLock(directory):               # exclusive, fail at once if busy
            ...
        with LedgerLock(directory, exclusive=False, timeout=5.0):
            ...

    Args:
        directory: The ledger directory (must exist).
        exclusive: ``True`` for a writer (``LOCK_EX``), ``False`` for a reader (``LOCK_SH``).
        timeout: Seconds to keep retrying a busy lock; ``0`` means fail at once.

    Raises:
        LockBusyError: On entry, if the lock is held in a conflicting mode.
        StoreError: On entry, if the lock file cannot be opened (a reader never creates it).
    """

    def __init__(
        self, directory: str | os.PathLike[str], exclusive: bool = True, timeout: float = 0.0
    ) -> None:
        self.path = Path(directory) / LOCK_NAME
        self.exclusive = exclusive
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (see the class docstring for errors)."""
        if self._fd is not None:
            raise StoreError(f"{self.path} 已由本 LedgerLock 持有")
        # A writer creates LOCK; a reader opens it read-only so that reading never modifies the
        # directory (it may be a read-only copy).
        flags = (os.O_RDWR | os.O_CREAT) if self.exclusive else os.O_RDONLY
        try:
            fd = _sys("open", os.open, self.path, flags | _O_CLOEXEC, 0o644)
        except OSError as exc:
            raise _store_error("无法打开锁文件", self.path, exc) from exc
        # Imported here, not at the top: only writers lock, and the readers that import this
        # module (the standalone verifier) must start where ``fcntl`` does not exist (Windows).
        import fcntl

        op = (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, op)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    _close_quietly(fd)
                    raise LockBusyError(self._busy_message()) from None
                time.sleep(0.01)
            except OSError as exc:
                _close_quietly(fd)
                raise _store_error("无法加锁", self.path, exc) from exc
        self._fd = fd

    def _busy_message(self) -> str:
        waited = f"（已等待 {self.timeout:g} 秒）" if self.timeout > 0 else ""
        if self.exclusive:
            return (
                f"账本正被占用：另一个进程持有 {self.path}{waited}（另一个写入者或读取者）；"
                "同一时间只能有一个写入者。不会等待，请待其完成后重试。"
            )
        return f"账本正被占用：写入者持有 {self.path}{waited}；请待其完成后重试"

    def release(self) -> None:
        """Release the lock (closing the descriptor releases the ``flock``)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            _close_quietly(fd)

    def __enter__(self) -> LedgerLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
