"""Crash consistency and concurrency of the ledger store (docs/ledger.md §12.7).

Mirrors Sunlight's ``TestSequenceErrors`` (every storage step × {fail and not persist, fail but
persist}) and Tessera's POSIX fault test: every ``os.open``/``write``/``fsync``/``replace``/
``link`` (and ``ftruncate``) call on the append path fails in turn; a fresh store then
recovers and the invariants must hold. Then torn tails at every byte offset, SIGKILL of a real
appender process, a second writer, and a would-fork immutable file.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import canonical
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


def build_recovering(directory: Path) -> None:
    """Checkpointed 0..5, durable but uncheckpointed 6..7, a torn tail, a lagging checkpoint."""
    build_steady(directory)
    with (directory / "entries.jsonl").open("ab") as f:
        f.write(entry(6) + b"\n" + entry(7) + b"\n" + entry(8)[:9])
    (directory / "checkpoint").write_bytes((directory / "checkpoints" / "3").read_bytes())
    (directory / "checkpoints" / ".tmp.8.1.stale").write_bytes(b"half")


SCENARIOS: dict[str, Callable[[Path], None] | None] = {
    "first append into a missing directory": None,
    "steady append": build_steady,
    "append that must first recover": build_recovering,
}


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built: dict[str, Path] = {}
    for name, build in SCENARIOS.items():
        path = tmp_path_factory.mktemp("template") / "draws"
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
    tmp_path: Path, templates: dict[str, Path], scenario: str, persist: bool
) -> None:
    template = templates[scenario]
    d = tmp_path / "draws"
    base = lines_of(template)  # complete lines: all must survive (roll forward, never back)
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
            fresh.recover([SIGNER], check_indices)
            lines = assert_invariants(d, archive_before)
            # All or nothing: the batch is either absent or complete (rolled forward).
            assert lines in (base, base + batch), where
            outcomes["rolled forward" if lines == base + batch else "rolled back"] += 1
            torn = [p.read_bytes() for p in d.iterdir() if p.name.startswith("torn-")]
            assert torn in ([], [entry(8)[:9]]), where
            # And the store is usable again.
            more = entry(len(lines))
            assert fresh.append([more], [SIGNER], check_indices).size == len(lines) + 1
            assert_invariants(d, archive_before)
    # Both outcomes occur: failures before the write roll back, after it roll forward.
    assert outcomes["rolled back"] > 0
    assert outcomes["rolled forward"] > 0


# --------------------------------------------------------------------------- torn tails


def test_torn_last_line_at_every_byte_offset(tmp_path: Path) -> None:
    template = tmp_path / "template"
    build_steady(template)
    committed = (template / "entries.jsonl").read_bytes()
    archive_before = archive_of(template)
    last = canonical.dumps({"body": {"i": 6, "s": "中文"}, "v": 1}) + b"\n"
    d = tmp_path / "draws"
    for cut in range(len(last) + 1):
        _prepare(template, d)
        (d / "entries.jsonl").write_bytes(committed + last[:cut])
        store = new_store(d)
        state = store.read_state()
        complete = cut == len(last)
        assert state.torn_tail == (b"" if complete else last[:cut])
        assert state.size == (7 if complete else 6)
        recovered = store.recover([SIGNER], check_indices)
        lines = assert_invariants(d, archive_before)
        torn = [p.read_bytes() for p in d.iterdir() if p.name.startswith("torn-")]
        if 0 < cut < len(last):
            # Only the partial line is dropped, and it is kept for forensics.
            assert lines == committed.split(b"\n")[:-1]
            assert torn == [last[:cut]]
        else:
            assert torn == []
            assert lines == committed.split(b"\n")[:-1] + ([last[:-1]] if complete else [])
        assert recovered.size == len(lines)


# --------------------------------------------------------------------------- SIGKILL


def test_sigkill_appender_at_random_points(tmp_path: Path) -> None:
    d = tmp_path / "draws"
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
        store.recover([SIGNER], check_indices)
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
            store.recover([SIGNER])
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
        new_store(d).recover([SIGNER])
    with pytest.raises(StoreError):
        new_store(d).append([entry(8)], [SIGNER])
