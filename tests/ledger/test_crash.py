"""Crash consistency and concurrency of the ledger store (docs/ledger.md §12.8).

Mirrors Sunlight's ``TestSequenceErrors`` (every storage step × {fail and not persist, fail but
persist}) and Tessera's POSIX fault test: every ``os.open``/``write``/``fsync``/``replace``/
``link`` (and ``ftruncate``) call on the append path fails in turn; a fresh store then
recovers and the invariants must hold. Then, through the fault-injection seam of
``ledger.durable``, a forked child appending is SIGKILLed before and after *every* disk-changing
system call of one append (and of the recovery of an interrupted one), or sees EIO/ENOSPC
there; then torn payloads at every byte offset, SIGKILL of a real appender process at random
moments, a second writer, and a would-fork immutable file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import canonical, durable
from ledger import store as store_module
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.durable import TEMP_PREFIX
from ledger.errors import (
    FatalStoreError,
    LedgerError,
    LockBusyError,
    StoreError,
    VerificationError,
)
from ledger.merkle import MerkleTree, leaf_hash
from ledger.note import Signer
from ledger.store import LedgerStore

ORIGIN = "example.gov.cn/gongkai/crash-log"
SEED = bytes(range(100, 132))
SIGNER = Signer.from_seed(ORIGIN, SEED)
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FAULT_OPS = ("open", "write", "fsync", "replace", "link", "ftruncate")
# fsyncgate (docs/ledger.md §12.2): these failures must be fatal; the others are plain StoreErrors.
FATAL_OPS = frozenset({"fsync", "replace", "link", "ftruncate"})
_REAL_CLOSE = os.close


def entry(i: int) -> bytes:
    return canonical.dumps({"body": {"i": i}, "v": 1})


def check_indices(first: int, lines: Sequence[bytes]) -> None:
    """Validator used everywhere: entry n must carry ``"i": n``."""
    for j, line in enumerate(lines):
        if canonical.loads(line)["body"]["i"] != first + j:
            raise VerificationError(f"entry {first + j} carries the wrong index")


def new_store(directory: Path) -> LedgerStore:
    return LedgerStore(directory, ORIGIN, [SIGNER.verifier()])


def lines_of(directory: Path) -> list[bytes]:
    path = directory / "entries.jsonl"
    if not path.exists():
        return []
    return path.read_bytes().split(b"\n")[:-1]


def archive_of(directory: Path) -> dict[int, bytes]:
    archive = directory / "checkpoints"
    if not archive.exists():
        return {}
    return {int(p.name): p.read_bytes() for p in archive.iterdir() if not p.name.startswith(".")}


def temp_files(directory: Path) -> list[str]:
    return [
        str(Path(root) / name)
        for root, _, files in os.walk(directory)
        for name in files
        if name.startswith(TEMP_PREFIX)
    ]


def assert_invariants(directory: Path, archive_before: dict[int, bytes]) -> list[bytes]:
    """The invariants after recovery; returns the lines.

    - every line carries its own index (nothing lost in the middle, nothing duplicated);
    - every archived checkpoint verifies and equals MTH of the matching prefix;
    - ``checkpoint`` is byte-identical to the largest archived one, which covers every line;
    - archived checkpoints that existed before are byte-identical (no size was re-signed
      differently: no fork);
    - no temp file is left behind.
    """
    lines = lines_of(directory)
    check_indices(0, lines)
    archive = archive_of(directory)
    for size, note in archive_before.items():
        assert archive.get(size) == note, f"checkpoints/{size} changed"
    if not lines:
        assert archive == {}
        assert not (directory / "checkpoint").exists()
    else:
        tree = MerkleTree([leaf_hash(x) for x in lines])
        for size, note in archive.items():
            cp, _ = open_checkpoint(note, ORIGIN, [SIGNER.verifier()])
            assert cp == Checkpoint(ORIGIN, size, tree.root_at(size))
        assert max(archive) == len(lines)
        assert (directory / "checkpoint").read_bytes() == archive[len(lines)]
    assert temp_files(directory) == []
    state = new_store(directory).read_state()
    assert not state.needs_recovery
    assert state.size == len(lines)
    return lines


# --------------------------------------------------------------------------- fault injection


@dataclass
class Fault:
    """Fail the k-th call of ``os.<op>``: before it (not persisted) or after it (persisted)."""

    op: str
    k: int
    persist: bool
    calls: int = 0
    fired: bool = False

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls != self.k:
                return real(*args, **kwargs)
            self.fired = True
            if self.persist:
                try:
                    result = real(*args, **kwargs)
                except OSError:
                    pass  # the real call failed by itself (O_EXCL on an existing file): no effect
                else:
                    if self.op == "open":
                        _REAL_CLOSE(result)  # the caller never sees the descriptor
            raise OSError(errno.EIO, f"injected {self.op} failure at call {self.k}")

        return wrapper


@contextmanager
def patched(op: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    real = getattr(os, op)
    setattr(os, op, make(real))
    try:
        yield
    finally:
        setattr(os, op, real)


def count_calls(op: str, action: Callable[[], object]) -> int:
    calls = 0

    def make(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return real(*args, **kwargs)

        return wrapper

    with patched(op, make):
        action()
    return calls


def build_steady(directory: Path) -> None:
    store = new_store(directory)
    for first, n in ((0, 2), (2, 1), (3, 3)):
        store.append([entry(i) for i in range(first, first + n)], [SIGNER], check_indices)


BLOB = b"snapshot " * 300


def interrupted(directory: Path, batch: Sequence[bytes], cut: int) -> None:
    """Leave ``directory`` as an append of ``batch`` killed after ``cut`` payload bytes: the
    journal is written, its blob too, and ``entries.jsonl`` holds ``cut`` bytes of the batch."""
    payload = b"".join(line + b"\n" for line in batch)

    def write_some(path: Path, data: bytes) -> None:
        with path.open("ab") as f:
            f.write(payload[:cut])
        raise StoreError("injected: killed while appending")

    real = store_module.append_durable
    store_module.append_durable = write_some  # type: ignore[assignment]
    try:
        with pytest.raises(StoreError, match="injected"):
            new_store(directory).append(list(batch), [SIGNER], check_indices, [BLOB])
    finally:
        store_module.append_durable = real


def build_recovering(directory: Path) -> None:
    """Checkpointed 0..5, then an append of 6..7 interrupted mid-line (a journal, its blob and
    a torn prefix of the new lines), plus a stale temp file in the archive."""
    build_steady(directory)
    interrupted(directory, [entry(6), entry(7)], len(entry(6)) + 9)
    (directory / "checkpoints" / ".tmp.8.1.stale").write_bytes(b"half")


def recovered_lines(template: Path, scratch: Path) -> list[bytes]:
    """The lines ``template`` holds once recovered (on a copy)."""
    _prepare(template, scratch)
    if scratch.exists():
        new_store(scratch).recover()
    return lines_of(scratch)


@pytest.fixture(scope="module")
def fast_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory on tmpfs when there is one: these tests run hundreds of appends, and the
    crash semantics they check do not depend on fsync latency (a killed process never loses
    what it wrote to the page cache; failures are injected, not real)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("crash")
        return
    path = Path(tempfile.mkdtemp(prefix="gongkai-crash-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fast_path(fast_root: Path) -> Path:
    """A fresh directory below :func:`fast_root`."""
    return Path(tempfile.mkdtemp(dir=fast_root))


SCENARIOS: dict[str, Callable[[Path], None] | None] = {
    "first append into a missing directory": None,
    "steady append": build_steady,
    "append that must first recover": build_recovering,
}


@pytest.fixture(scope="module")
def templates(fast_root: Path) -> dict[str, Path]:
    built: dict[str, Path] = {}
    for name, build in SCENARIOS.items():
        path = Path(tempfile.mkdtemp(dir=fast_root)) / "draws"
        if build is not None:
            build(path)
        built[name] = path
    return built


def _prepare(template: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    if template.exists():
        shutil.copytree(template, target)


@pytest.mark.parametrize("persist", [False, True], ids=["not-persisted", "persisted"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_syscall_failure_on_the_append_path(
    fast_path: Path, templates: dict[str, Path], scenario: str, persist: bool
) -> None:
    template = templates[scenario]
    d = fast_path / "draws"
    base = recovered_lines(template, fast_path / "scratch")  # the interrupted append completed
    batch = [entry(len(base)), entry(len(base) + 1)]
    archive_before = archive_of(template)

    def run_append() -> None:
        new_store(d).append(batch, [SIGNER], check_indices)

    totals: dict[str, int] = {}
    for op in FAULT_OPS:
        _prepare(template, d)
        totals[op] = count_calls(op, run_append)
    assert totals["open"] > 0
    assert totals["write"] > 0
    assert totals["fsync"] > 0
    assert totals["link"] > 0
    assert totals["replace"] > 0

    outcomes: dict[str, int] = {"rolled back": 0, "rolled forward": 0}
    for op in FAULT_OPS:
        for k in range(1, totals[op] + 1):
            _prepare(template, d)
            fault = Fault(op, k, persist)
            store = new_store(d)
            where = f"{scenario}: {op} call {k}/{totals[op]} persist={persist}"
            error: LedgerError | None = None
            with patched(op, fault.wrap):
                try:
                    store.append(batch, [SIGNER], check_indices)
                except LedgerError as exc:  # anything else (a raw OSError) fails the test
                    error = exc
            assert fault.fired, where
            assert error is not None, f"no error surfaced: {where}"
            assert isinstance(error, StoreError), where
            assert isinstance(error, FatalStoreError) == (op in FATAL_OPS), (where, error)
            if op in FATAL_OPS:
                # fsyncgate: the object refuses to go on; only a new process may recover.
                with pytest.raises(FatalStoreError, match="因致命错误已停止"):
                    store.append(batch, [SIGNER], check_indices)

            fresh = new_store(d)
            fresh.recover()
            lines = assert_invariants(d, archive_before)
            # All or nothing: the batch is either absent or complete (rolled forward).
            assert lines in (base, base + batch), where
            outcomes["rolled forward" if lines == base + batch else "rolled back"] += 1
            assert [p for p in d.iterdir() if p.name.startswith("torn-")] == [], where
            # And the store is usable again.
            more = entry(len(lines))
            assert fresh.append([more], [SIGNER], check_indices).size == len(lines) + 1
            assert_invariants(d, archive_before)
    # Both outcomes occur: failures before the write roll back, after it roll forward.
    assert outcomes["rolled back"] > 0
    assert outcomes["rolled forward"] > 0


# --------------------------------------------------------------------------- torn tails


def test_interrupted_payload_at_every_byte_offset_is_rolled_forward(fast_path: Path) -> None:
    template = fast_path / "template"
    build_steady(template)
    committed = lines_of(template)
    archive_before = archive_of(template)
    batch = [entry(6), canonical.dumps({"body": {"i": 7, "s": "中文"}, "v": 1})]
    payload = b"".join(line + b"\n" for line in batch)
    d = fast_path / "draws"
    for cut in range(len(payload) + 1):
        _prepare(template, d)
        interrupted(d, batch, cut)
        store = new_store(d)
        state = store.read_state()
        assert state.journal is not None
        assert state.needs_recovery
        assert state.size == 6 + payload[:cut].count(b"\n")
        recovery = store.recover()
        assert recovery.actions == (
            "上次追加中断：已完成第 6–7 条的写入并发布中断前已签署的检查点"
            f"（大小 8，此前写入了 {cut} / {len(payload)} 字节）",
        )
        # Roll forward, never back: the journal held the signed checkpoint over all of it.
        assert assert_invariants(d, archive_before) == committed + batch
        assert store.get_blob(hashlib.sha256(BLOB).hexdigest()) == BLOB
        assert store.recover().actions == ()  # idempotent


def test_interrupted_append_without_its_blob_is_rolled_back(fast_path: Path) -> None:
    d = fast_path / "draws"
    build_steady(d)
    before = lines_of(d)
    archive_before = archive_of(d)

    def fail(path: Path, data: bytes) -> None:
        raise StoreError("injected: killed before the blob")

    real = store_module.create_immutable
    store_module.create_immutable = fail  # type: ignore[assignment]
    try:
        with pytest.raises(StoreError, match="injected"):
            new_store(d).append([entry(6)], [SIGNER], check_indices, [BLOB])
    finally:
        store_module.create_immutable = real
    assert (d / "journal").exists()
    recovery = new_store(d).recover()
    assert recovery.actions == (
        "上次追加（第 6–6 条）在写入条目之前中断：已撤销未完成的追加（删除追加日志），账本仍为 6 条",
    )
    assert assert_invariants(d, archive_before) == before
    assert not (d / "blobs" / "sha256" / hashlib.sha256(BLOB).hexdigest()).exists()


# --------------------------------------------------------------------------- SIGKILL


def test_sigkill_appender_at_random_points(fast_path: Path) -> None:
    d = fast_path / "draws"
    rng = random.Random(20261128)
    archive_before: dict[int, bytes] = {}
    sizes: list[int] = []
    for iteration in range(20):
        proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "crash_appender.py"),
                str(d),
                ORIGIN,
                SEED.hex(),
                str(iteration),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.0, 0.12))
        finally:
            proc.send_signal(signal.SIGKILL)
            _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, stderr.decode(errors="replace")
        store = new_store(d)
        store.recover()
        lines = assert_invariants(d, archive_before)
        archive_before = archive_of(d)
        sizes.append(len(lines))
        for blob in (d / "blobs" / "sha256").glob("*") if (d / "blobs").exists() else []:
            assert store.get_blob(blob.name)  # every stored blob is complete
    assert sizes == sorted(sizes)  # never rolled back
    assert sizes[-1] > 0


# --------------------------------------------------------------------------- second writer


WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from ledger import canonical
from ledger.note import Signer
from ledger.store import LedgerStore
signer = Signer.from_seed(sys.argv[2], bytes.fromhex(sys.argv[4]))
store = LedgerStore(Path(sys.argv[1]), sys.argv[2], [signer.verifier()])
def validate(first, lines):
    print("inside", first, flush=True)  # holding the exclusive lock, mid-transaction
    sys.stdin.readline()
n = store.read_state().size
store.append([canonical.dumps({"body": {"i": n}, "v": 1})], [signer], validate)
print("done", flush=True)
"""


def test_second_writer_gets_lock_busy_at_once(tmp_path: Path) -> None:
    d = tmp_path / "draws"
    build_steady(d)
    before = {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(d), ORIGIN, str(REPO), SEED.hex()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        assert proc.stdout.readline() == b"inside 6\n"
        store = new_store(d)
        start = time.monotonic()
        with pytest.raises(LockBusyError, match="只能有一个写入者"):
            store.append([entry(6)], [SIGNER], check_indices)
        with pytest.raises(LockBusyError):
            store.recover()
        with pytest.raises(LockBusyError):
            store.read_state(lock_timeout=0)  # a reader never sees the half-done transaction
        assert time.monotonic() - start < 1.0
        assert {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()} == before
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == b"done\n"
        assert proc.wait(30) == 0
    finally:
        proc.kill()
        proc.wait(30)
    assert new_store(d).read_state(lock_timeout=0).size == 7
    assert_invariants(d, {})


# --------------------------------------------------------------------------- would fork


def test_recreating_an_archived_checkpoint_with_other_bytes_is_fatal(tmp_path: Path) -> None:
    d = tmp_path / "draws"
    build_steady(d)
    forged = sign_checkpoint(Checkpoint(ORIGIN, 8, MerkleTree([leaf_hash(b"{}")]).root), [SIGNER])

    def make(real: Callable[..., Any]) -> Callable[..., Any]:
        def racing_link(src: Any, dst: Any, **kwargs: Any) -> Any:
            if dst == "8":  # someone else signed a different tree of size 8 in between
                (d / "checkpoints" / "8").write_bytes(forged)
            return real(src, dst, **kwargs)

        return racing_link

    with patched("link", make), pytest.raises(FatalStoreError, match="分叉"):
        new_store(d).append([entry(6), entry(7)], [SIGNER], check_indices)
    assert (d / "checkpoints" / "8").read_bytes() == forged  # never overwritten
    assert (d / "checkpoint").read_bytes() == (d / "checkpoints" / "6").read_bytes()
    # From now on the store is fatal (two different trees of size 8): never auto-repaired.
    with pytest.raises(FatalStoreError, match=r"checkpoints/8：签名的根"):
        new_store(d).recover()
    with pytest.raises(StoreError):
        new_store(d).append([entry(8)], [SIGNER])


# --------------------------------------------------------------------------- every system call


def _count_disk_calls(action: Callable[[], object]) -> list[str]:
    """The disk-changing system calls ``action`` makes, in order, through the seam."""
    calls: list[str] = []

    def hook(op: str, phase: str, args: tuple[Any, ...]) -> None:
        if phase == "before":
            calls.append(op)

    previous = durable.set_fault_hook(hook)
    try:
        action()
    finally:
        durable.set_fault_hook(previous)
    return calls


def _fault_hook(k: int, action: str) -> durable.FaultHook:
    """What ``GONGKAI_FAULT_INJECT=<k>:<action>`` installs in a child process."""
    hook = durable._hook_from_env(f"{k}:{action}")
    assert hook is not None
    return hook


def _in_child(k: int, action: str, work: Callable[[], object]) -> int:
    """Run ``work`` in a forked child with the fault at call ``k``; return its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            durable.set_fault_hook(_fault_hook(k, action))
            work()
        except LedgerError:
            code = 3
        except BaseException:
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def _check_after_crash(
    d: Path,
    base: list[bytes],
    batch: list[bytes],
    archive_before: dict[int, bytes],
    where: str,
    with_blob: bool = True,
) -> bool:
    """The next writer recovers; every invariant holds; return whether the batch made it."""
    store = new_store(d)
    recovery = store.recover()
    lines = assert_invariants(d, archive_before)  # no fork, no temp file, checkpoint current
    assert lines in (base, base + batch), where  # nothing checkpointed lost; all or nothing
    blob = d / "blobs" / "sha256" / hashlib.sha256(BLOB).hexdigest()
    assert blob.exists() == (with_blob and lines == base + batch), where  # goes with its entries
    assert store.recover().actions == (), where  # idempotent: nothing left to do
    assert recovery.state.size == len(lines)
    more = entry(len(lines))
    assert store.append([more], [SIGNER], check_indices).size == len(lines) + 1, where
    assert_invariants(d, archive_before)
    return lines == base + batch


def test_kill_or_fail_at_every_system_call_of_an_append(fast_path: Path) -> None:
    """SIGKILL before and after, and EIO/ENOSPC instead of, each disk-changing system call of
    one append (journal, blob, lines, archive, checkpoint, journal removal)."""
    template = fast_path / "template"
    build_steady(template)
    base, archive_before = lines_of(template), archive_of(template)
    batch = [entry(6), entry(7)]
    d = fast_path / "draws"

    def append() -> None:
        new_store(d).append(batch, [SIGNER], check_indices, [BLOB])

    _prepare(template, d)
    calls = _count_disk_calls(append)
    assert {"open", "write", "fsync", "replace", "link", "unlink", "mkdir"} <= set(calls)
    outcomes = {False: 0, True: 0}
    for action in ("kill", "kill-after", "EIO", "ENOSPC"):
        for k in range(1, len(calls) + 1):
            where = f"{action} at call {k}/{len(calls)} ({calls[k - 1]})"
            _prepare(template, d)
            status = _in_child(k, action, append)
            if action.startswith("kill"):
                assert os.WIFSIGNALED(status), where
                assert os.WTERMSIG(status) == signal.SIGKILL, where
            else:
                # 3: the append failed with a LedgerError; 0: the failing call was a best-effort
                # cleanup of a temp file (which the next recovery removes).
                assert os.WIFEXITED(status), where
                assert os.WEXITSTATUS(status) in (0, 3), where
            outcomes[_check_after_crash(d, base, batch, archive_before, where)] += 1
    assert outcomes[False]
    assert outcomes[True]


def test_kill_at_every_system_call_of_a_recovery(fast_path: Path) -> None:
    """Recovery is idempotent: killed anywhere, the next recovery still finishes the append."""
    template = fast_path / "template"
    build_steady(template)
    base, archive_before = lines_of(template), archive_of(template)
    batch = [entry(6), entry(7)]
    interrupted(template, batch, 9)
    d = fast_path / "draws"
    _prepare(template, d)
    calls = _count_disk_calls(lambda: new_store(d).recover())
    assert len(calls) > 10
    for action in ("kill", "kill-after"):
        for k in range(1, len(calls) + 1):
            where = f"recovery: {action} at call {k}/{len(calls)} ({calls[k - 1]})"
            _prepare(template, d)
            status = _in_child(k, action, lambda: new_store(d).recover())
            assert os.WIFSIGNALED(status), where
            assert _check_after_crash(d, base, batch, archive_before, where), where


# --------------------------------------------------------------------------- power loss


class PowerModel:
    """What survives a power loss: only what was fsynced (the pessimistic extreme of POSIX).

    A file's content is what it held at its last ``fsync``; a directory's names are those it
    held at its last ``fsync`` (names map to inodes, so a rename or link survives only with a
    synced directory, and a synced name of a never-synced file comes back empty). Everything
    on disk when the model starts counts as durable.
    """

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.entries: dict[str, dict[str, int]] = {}  # directory → name → inode
        self.content: dict[int, bytes] = {}  # inode → bytes at its last fsync
        self.dirs: set[int] = set()
        for folder, _, files in os.walk(root):
            self._sync_dir(folder)
            for name in files:
                path = os.path.join(folder, name)
                self.content[os.lstat(path).st_ino] = Path(path).read_bytes()

    def _sync_dir(self, folder: str) -> None:
        self.dirs.add(os.lstat(folder).st_ino)
        self.entries[folder] = {}
        for name in os.listdir(folder):
            st = os.lstat(os.path.join(folder, name))
            self.entries[folder][name] = st.st_ino
            if stat.S_ISDIR(st.st_mode):
                self.dirs.add(st.st_ino)

    def on_fsync(self, fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if os.path.isdir(path):
            self._sync_dir(path)
        else:
            self.content[os.fstat(fd).st_ino] = Path(f"/proc/self/fd/{fd}").read_bytes()

    def dump(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "entries": self.entries,
            "content": {str(k): v.hex() for k, v in self.content.items()},
            "dirs": sorted(self.dirs),
        }


def _rebuild_after_power_loss(model: dict[str, Any], target: Path) -> None:
    """Recreate ``target`` (the model's root) as the disk would hold it after the power loss."""
    shutil.rmtree(target)
    dirs = set(model["dirs"])

    def make(folder: str, dest: Path) -> None:
        dest.mkdir()
        for name, ino in sorted(model["entries"].get(folder, {}).items()):
            source = os.path.join(folder, name)
            if ino in dirs:
                make(source, dest / name)
            else:
                (dest / name).write_bytes(bytes.fromhex(model["content"].get(str(ino), "")))

    make(model["root"], target)


def _lose_power_at(k: int, d: Path, dump: Path, work: Callable[[], object]) -> None:
    """In a forked child: run ``work`` while modelling the disk under ``d``; before the k-th
    disk-changing call, write the model to ``dump`` and SIGKILL the process."""
    model = PowerModel(d)
    count = 0

    def hook(op: str, phase: str, args: tuple[Any, ...]) -> None:
        nonlocal count
        if phase == "after" and op == "fsync":
            model.on_fsync(args[0])
        if phase == "before":
            count += 1
            if count == k:
                dump.write_text(json.dumps(model.dump()))
                os.kill(os.getpid(), signal.SIGKILL)

    durable.set_fault_hook(hook)
    try:
        work()
    finally:
        os._exit(4)


@pytest.mark.parametrize("blobs", [[], [BLOB]], ids=["lines only", "with a new blob"])
def test_power_loss_at_every_system_call_of_an_append(fast_path: Path, blobs: list[bytes]) -> None:
    """Before each disk-changing call of an append (into a log without blobs/ yet), the power
    fails: only what was fsynced survives. The next writer must recover every time."""
    template = fast_path / "template"
    build_steady(template)
    base, archive_before = lines_of(template), archive_of(template)
    batch = [entry(6), entry(7)]
    d = fast_path / "draws"
    dump = fast_path / "model.json"

    def append() -> None:
        new_store(d).append(batch, [SIGNER], check_indices, blobs)

    _prepare(template, d)
    calls = _count_disk_calls(append)
    outcomes = {False: 0, True: 0}
    for k in range(1, len(calls) + 1):
        where = f"power loss before call {k}/{len(calls)} ({calls[k - 1]})"
        _prepare(template, d)
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            _lose_power_at(k, d, dump, append)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), where
        _rebuild_after_power_loss(json.loads(dump.read_text()), d)
        outcomes[_check_after_crash(d, base, batch, archive_before, where, bool(blobs))] += 1
    assert outcomes[False]
    assert outcomes[True]
