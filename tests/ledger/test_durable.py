"""Tests for ledger.durable: the durable file primitives and the flock lock (docs/ledger.md §12.2)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ledger import durable
from ledger.durable import (
    TEMP_PREFIX,
    LedgerLock,
    append_durable,
    create_immutable,
    mkdirs_durable,
    truncate_durable,
    write_atomic,
)
from ledger.errors import FatalStoreError, LedgerError, LockBusyError, StoreError

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """Record the arguments of every call of ``os.<name>`` (the call still happens)."""
    calls: list[tuple[Any, ...]] = []
    real: Callable[..., Any] = getattr(os, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, name, wrapper)
        yield calls


def failing(name: str, *, persist: bool = False, err: int = errno.EIO) -> Callable[..., Any]:
    """A replacement for ``os.<name>`` that always fails (after the real call if ``persist``)."""
    real: Callable[..., Any] = getattr(os, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if persist:
            result = real(*args, **kwargs)
            if name == "open":
                os.close(result)
        raise OSError(err, f"injected {name} failure")

    return wrapper


def temps(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if n.startswith(TEMP_PREFIX)]


# --------------------------------------------------------------------------- append_durable


def test_append_durable_creates_appends_and_syncs_dir_only_on_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    with counting(monkeypatch, "fsync") as fsyncs:
        append_durable(path, b"a\n")
    assert path.read_bytes() == b"a\n"
    assert len(fsyncs) == 2  # the file, then its directory (new name)
    assert path.stat().st_mode & 0o777 == 0o644 & ~_umask()
    with counting(monkeypatch, "fsync") as fsyncs:
        append_durable(path, b"b\n")
    assert path.read_bytes() == b"a\nb\n"
    assert len(fsyncs) == 1  # existing file: no directory sync needed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_append_durable_loops_over_short_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.write
    sizes: list[int] = []

    def short_write(fd: int, data: Any) -> int:
        n = real(fd, bytes(data)[:3])
        sizes.append(n)
        return n

    monkeypatch.setattr(os, "write", short_write)
    data = b'{"body":{"i":1},"v":1}\n' * 3
    append_durable(tmp_path / "f", data)
    assert (tmp_path / "f").read_bytes() == data
    assert sum(sizes) == len(data)
    assert len(sizes) == -(-len(data) // 3)


def test_append_durable_zero_progress_write_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    with pytest.raises(StoreError, match="返回 0"):
        append_durable(tmp_path / "f", b"x")


@pytest.mark.parametrize("persist", [False, True])
def test_append_durable_fsync_failure_is_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persist: bool
) -> None:
    monkeypatch.setattr(os, "fsync", failing("fsync", persist=persist))
    with pytest.raises(FatalStoreError, match=r"对 .*/f 执行 fsync 失败.*不要在本进程中重试"):
        append_durable(tmp_path / "f", b"x\n")


@pytest.mark.parametrize("name", ["write", "open"])
def test_append_durable_write_or_open_failure_is_a_plain_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(os, name, failing(name, err=errno.ENOSPC))
    with pytest.raises(StoreError) as info:
        append_durable(tmp_path / "f", b"x\n")
    assert not isinstance(info.value, FatalStoreError)
    assert "磁盘空间不足 [ENOSPC]" in str(info.value)  # the reason in Chinese, errno kept
    assert str(tmp_path / "f") in str(info.value)


def test_append_durable_in_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"文件或目录不存在 \[ENOENT\]"):
        append_durable(tmp_path / "missing" / "f", b"x")


# --------------------------------------------------------------------------- write_atomic


def test_write_atomic_replaces_and_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint"
    write_atomic(path, b"one")
    with counting(monkeypatch, "fsync") as fsyncs, counting(monkeypatch, "replace") as reps:
        write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert len(fsyncs) == 2  # temp file, then the directory
    assert len(reps) == 1
    assert temps(tmp_path) == []


def test_write_atomic_mode(tmp_path: Path) -> None:
    write_atomic(tmp_path / "k", b"secret", mode=0o600)
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("persist", [False, True])
@pytest.mark.parametrize("name", ["fsync", "replace"])
def test_write_atomic_fsync_or_replace_failure_is_fatal_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, persist: bool
) -> None:
    path = tmp_path / "checkpoint"
    write_atomic(path, b"old")
    monkeypatch.setattr(os, name, failing(name, persist=persist))
    with pytest.raises(FatalStoreError):
        write_atomic(path, b"new")
    monkeypatch.undo()
    # All or nothing: the old or the new contents, never a mixture.
    assert path.read_bytes() in (b"old", b"new")
    if not persist and name == "replace":
        assert path.read_bytes() == b"old"
    assert temps(tmp_path) == []


@pytest.mark.parametrize("name", ["write", "open"])
def test_write_atomic_write_failure_keeps_old_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / "checkpoint"
    write_atomic(path, b"old")
    calls = 0
    real: Callable[..., Any] = getattr(os, name)

    def second_call_fails(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # for open: the directory is call 1, the temp file call 2
            raise OSError(errno.EIO, "injected")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, second_call_fails if name == "open" else failing(name))
    with pytest.raises(StoreError):
        write_atomic(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert temps(tmp_path) == []


# --------------------------------------------------------------------------- create_immutable


def test_create_immutable_creates_and_accepts_identical(tmp_path: Path) -> None:
    path = tmp_path / "7"
    create_immutable(path, b"note")
    create_immutable(path, b"note")
    assert path.read_bytes() == b"note"
    assert temps(tmp_path) == []


@pytest.mark.parametrize("other", [b"notE", b"not", b"note!", b""])
def test_create_immutable_with_different_bytes_is_fatal(tmp_path: Path, other: bytes) -> None:
    path = tmp_path / "7"
    create_immutable(path, b"note")
    with pytest.raises(FatalStoreError, match=r"不可变文件不一致：.*/7 .*分叉"):
        create_immutable(path, other)
    assert path.read_bytes() == b"note"
    assert temps(tmp_path) == []


def test_create_immutable_never_overwrites_even_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "7"
    path.write_bytes(b"x" * 200_000)
    with pytest.raises(FatalStoreError, match="第 0 字节起不同"):
        create_immutable(path, b"note")
    assert path.read_bytes() == b"x" * 200_000


@pytest.mark.parametrize("persist", [False, True])
@pytest.mark.parametrize("name", ["fsync", "link"])
def test_create_immutable_fsync_or_link_failure_is_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, persist: bool
) -> None:
    path = tmp_path / "7"
    monkeypatch.setattr(os, name, failing(name, persist=persist))
    with pytest.raises(FatalStoreError):
        create_immutable(path, b"note")
    monkeypatch.undo()
    assert temps(tmp_path) == []
    if path.exists():  # persisted: whatever exists is complete
        assert path.read_bytes() == b"note"
    create_immutable(path, b"note")  # a later process can complete it idempotently
    assert path.read_bytes() == b"note"


# --------------------------------------------------------------------------- truncate, mkdirs


def test_truncate_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc\ndef")
    with counting(monkeypatch, "fsync") as fsyncs:
        truncate_durable(path, 4)
    assert path.read_bytes() == b"abc\n"
    assert len(fsyncs) == 1
    with pytest.raises(StoreError, match="只有 4 字节"):
        truncate_durable(path, 10)
    monkeypatch.setattr(os, "ftruncate", failing("ftruncate"))
    with pytest.raises(FatalStoreError):
        truncate_durable(path, 0)


def test_mkdirs_durable_syncs_each_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a" / "b" / "c"
    with counting(monkeypatch, "fsync") as fsyncs:
        mkdirs_durable(target)
    assert target.is_dir()
    assert len(fsyncs) == 3  # tmp_path, a, b each gained an entry
    with counting(monkeypatch, "fsync") as fsyncs:
        mkdirs_durable(target)
    assert fsyncs == []


def test_mkdirs_durable_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StoreError, match=r"不是目录|ENOTDIR"):
        mkdirs_durable(tmp_path / "file")
    with pytest.raises(StoreError):
        mkdirs_durable(tmp_path / "file" / "sub")
    monkeypatch.setattr(os, "fsync", failing("fsync"))
    with pytest.raises(FatalStoreError):
        mkdirs_durable(tmp_path / "new")


@pytest.mark.parametrize("name", ["open", "write", "fsync", "replace", "link", "ftruncate"])
def test_no_raw_oserror_escapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    (tmp_path / "t").write_bytes(b"abc")
    monkeypatch.setattr(os, name, failing(name))
    ops: list[Callable[[], None]] = [
        lambda: append_durable(tmp_path / "a", b"x"),
        lambda: write_atomic(tmp_path / "w", b"x"),
        lambda: create_immutable(tmp_path / "i", b"x"),
        lambda: truncate_durable(tmp_path / "t", 1),
        lambda: mkdirs_durable(tmp_path / "d" / "e"),
    ]
    for op in ops:
        with contextlib.suppress(LedgerError):  # anything else (a raw OSError) fails the test
            op()


# --------------------------------------------------------------------------- LedgerLock


def test_second_exclusive_lock_fails_at_once(tmp_path: Path) -> None:
    with LedgerLock(tmp_path) as first:
        assert first.held
        start = time.monotonic()
        with pytest.raises(LockBusyError, match=r"另一个进程持有 .*LOCK.*只能有一个写入者"):
            LedgerLock(tmp_path).acquire()
        assert time.monotonic() - start < 0.5
        with pytest.raises(LockBusyError, match="写入者持有"):
            LedgerLock(tmp_path, exclusive=False).acquire()
    with LedgerLock(tmp_path):  # released on exit
        pass


def test_shared_locks_coexist_and_exclude_a_writer(tmp_path: Path) -> None:
    (tmp_path / "LOCK").write_bytes(b"")
    with (
        LedgerLock(tmp_path, exclusive=False),
        LedgerLock(tmp_path, exclusive=False),
        pytest.raises(LockBusyError),
    ):
        LedgerLock(tmp_path).acquire()


def test_reader_lock_never_creates_the_lock_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="无法打开锁文件"):
        LedgerLock(tmp_path, exclusive=False).acquire()
    assert not (tmp_path / "LOCK").exists()


def test_lock_is_not_reentrant(tmp_path: Path) -> None:
    lock = LedgerLock(tmp_path)
    with lock, pytest.raises(StoreError, match="已由本 LedgerLock 持有"):
        lock.acquire()
    assert not lock.held


def test_lock_timeout_waits_for_release(tmp_path: Path) -> None:
    holder = LedgerLock(tmp_path)
    holder.acquire()
    timer = threading.Timer(0.1, holder.release)
    timer.start()
    try:
        with LedgerLock(tmp_path, timeout=5.0):
            pass
    finally:
        timer.cancel()
        holder.release()
    holder.acquire()
    try:
        with pytest.raises(LockBusyError, match=r"已等待 0\.05 秒"):
            LedgerLock(tmp_path, timeout=0.05).acquire()
    finally:
        holder.release()


def test_lock_held_by_another_process_and_released_when_it_dies(tmp_path: Path) -> None:
    code = (
        "import sys; from ledger.durable import LedgerLock\n"
        "lock = LedgerLock(sys.argv[1]); lock.acquire()\n"
        "print('locked', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"locked\n"
        start = time.monotonic()
        with pytest.raises(LockBusyError):
            LedgerLock(tmp_path).acquire()
        assert time.monotonic() - start < 0.5
        proc.kill()  # SIGKILL: the kernel drops the flock with the process
        proc.wait(10)
        with LedgerLock(tmp_path):
            pass
    finally:
        proc.kill()
        proc.wait(10)


def test_lock_fd_is_not_inherited(tmp_path: Path) -> None:
    with LedgerLock(tmp_path) as lock:
        assert lock._fd is not None
        assert not os.get_inheritable(lock._fd)


def test_module_uses_os_attribute_calls() -> None:
    # Failure injection relies on durable calling os.<name> at call time, through the seam.
    source = Path(durable.__file__).read_text(encoding="utf-8")
    for name in ("write", "fsync", "replace", "link", "open", "unlink", "ftruncate", "mkdir"):
        assert f"from os import {name}" not in source
        assert f'"{name}",\n' in source or f'_sys("{name}", os.{name}' in source
        if name != "open":  # the one raw os.open is the read-only one of _compare_existing
            assert f"os.{name}(" not in source.replace(f"``os.{name}(", "")


def test_remove_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    with counting(monkeypatch, "fsync") as fsyncs:
        assert durable.remove_durable(path) is True
    assert not path.exists()
    assert len(fsyncs) == 1  # the directory
    assert durable.remove_durable(path) is False  # idempotent
    assert durable.remove_durable(tmp_path / "missing-dir" / "f") is False


@pytest.mark.parametrize(
    ("action", "code"), [("EIO", errno.EIO), ("ENOSPC", errno.ENOSPC)], ids=["EIO", "ENOSPC"]
)
def test_fault_seam_fails_the_kth_disk_call(tmp_path: Path, action: str, code: int) -> None:
    hook = durable._hook_from_env(f"3:{action}")
    previous = durable.set_fault_hook(hook)
    try:
        # append_durable: open(O_EXCL) #1, write #2, fsync #3 (fatal), ...
        with pytest.raises(FatalStoreError, match=rf"\[{errno.errorcode[code]}\]"):
            durable.append_durable(tmp_path / "f", b"data")
    finally:
        durable.set_fault_hook(previous)
    assert (tmp_path / "f").read_bytes() == b"data"


def test_fault_seam_kills_in_a_child(tmp_path: Path) -> None:
    env = {**os.environ, durable.FAULT_ENV: "2:kill"}
    code = (
        "import sys; from ledger import durable; "
        f"durable.append_durable({str(tmp_path / 'f')!r}, b'data'); print('survived')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout == ""
    assert (tmp_path / "f").read_bytes() == b""  # killed before its first write
    with pytest.raises(ValueError, match="unknown action"):
        durable._hook_from_env("1:explode")
