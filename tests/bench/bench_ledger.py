"""Ledger benchmarks: append throughput, audit throughput vs raw Ed25519, audit peak memory.

Run::

    .venv/bin/python -m pytest tests/bench/bench_ledger.py -o addopts="" \\
        -o python_files="bench_*.py" --benchmark-only

Numbers are printed (and stored in ``extra_info``):

* ``append``: 100,000 entries through :meth:`LedgerStore.append`, 1,000 per batch (each batch
  is a full transaction: lock, verified scan, append + fsync, sign, archive, publish);
* ``verify``: the auditor on a 100,000-entry ledger with ``workers=1`` and ``workers=cores``,
  and, in the same run, this machine's raw single-core Ed25519 verification rate
  (``cryptography``); goal: ``verify_rate(all cores) / ed25519_rate ≥ 0.8 × cores``;
* ``memory``: the auditor on 1,000,000 entries in a subprocess; peak RSS from ``VmHWM``
  (goal ≤ 500 MB). The ledger is generated once (signing in parallel, files written directly,
  still a valid ledger) and cached under the system temp dir.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledger"))

import ledger_factory as lf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.entries import parse_entry, signing_message
from ledger.store import LedgerStore
from ledger.verify import verify_directory

CORES = os.cpu_count() or 1
CACHE = Path(tempfile.gettempdir()) / "gongkai-bench-cache"
RESULTS: dict[str, float] = {}


def _say(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[bench] {text}")


def _lines(start: int, stop: int) -> list[bytes]:
    """Statements start..stop-1 (no blobs: the benchmark measures signatures and hashing)."""
    return [lf.statement_line(i) for i in range(start, stop)]


def _parallel_lines(n: int) -> Iterator[bytes]:
    """The factory's entries 0..n-1 (statements without blobs), signed on every core."""
    base = lf.base_lines()
    yield from base
    chunk = 5_000
    ranges = [(s, min(s + chunk, n)) for s in range(len(base), n, chunk)]
    with multiprocessing.get_context("fork").Pool(CORES) as pool:
        for lines in pool.imap(_star_lines, ranges):
            yield from lines


def _star_lines(r: tuple[int, int]) -> list[bytes]:
    return _lines(*r)


def cached_ledger(n: int) -> Path:
    """A valid n-entry ledger (checkpoints every n/10 entries), generated once and cached."""
    directory = CACHE / f"ledger-{n}-v1"
    if (directory / "COMPLETE").exists():
        return directory
    if directory.exists():
        for path in sorted(directory.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    step = max(1, n // 10)
    marks = [*range(step, n, step), n]
    lf.write_raw_ledger(directory, _parallel_lines(n), marks)
    (directory / "COMPLETE").write_text("ok\n")
    return directory


@pytest.fixture(scope="module")
def ed25519_rate() -> float:
    """Raw single-core Ed25519 verifications per second (cryptography, cached key)."""
    line = lf.statement_line(12345)
    entry = parse_entry(line)
    msg = signing_message(lf.ORIGIN, entry.body)
    sig = entry.sigs[0].sig
    key = Ed25519PublicKey.from_public_bytes(lf.DEPT_KEYS[entry.body["dept"]].public_key)
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        key.verify(sig, msg)
    rate = n / (time.perf_counter() - start)
    RESULTS["ed25519_rate"] = rate
    return rate


def test_append_100k(benchmark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n, batch = 100_000, 1_000
    lines = list(_parallel_lines(n))

    def run() -> float:
        directory = tmp_path / f"append-{time.monotonic_ns()}"
        store = LedgerStore(directory, lf.ORIGIN, [lf.LOG.verifier()])
        start = time.perf_counter()
        for i in range(0, n, batch):
            store.append(lines[i : i + batch], [lf.LOG])
        return time.perf_counter() - start

    seconds = benchmark.pedantic(run, rounds=1, iterations=1)
    rate = n / seconds
    benchmark.extra_info["entries_per_second"] = rate
    _say(
        capsys, f"append {n} entries in batches of {batch}: {seconds:.1f} s, {rate:,.0f} entries/s"
    )


@pytest.mark.parametrize("workers", [1, CORES])
def test_verify_100k(
    benchmark: Any, workers: int, ed25519_rate: float, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 100_000
    directory = cached_ledger(n)
    trust = lf.trust_for(lf.init_line())

    def run() -> float:
        start = time.perf_counter()
        report = verify_directory(directory, trust=trust, workers=workers, types=lf.TYPES)
        assert report.size == n
        return time.perf_counter() - start

    seconds = benchmark.pedantic(run, rounds=1, iterations=1)
    rate = n / seconds
    ratio = rate / ed25519_rate
    benchmark.extra_info.update(
        {"entries_per_second": rate, "ed25519_per_second": ed25519_rate, "ratio": ratio}
    )
    _say(
        capsys,
        f"verify {n} entries, workers={workers}: {seconds:.1f} s, {rate:,.0f} entries/s; "
        f"raw Ed25519 (1 core) {ed25519_rate:,.0f}/s; ratio {ratio:.2f} "
        f"(goal ≥ {0.8 * workers:.1f} with {workers} worker(s))",
    )


_MEMORY_SCRIPT = """
import json, resource, sys, time
def peak_kb():
    # VmHWM: this process's own peak. ru_maxrss would also count the parent's resident set at
    # fork time (Linux keeps it across exec), i.e. the whole pytest process of earlier benchmarks.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.path.insert(0, sys.argv[3])
import ledger_factory as lf
from ledger.verify import verify_directory
start = time.perf_counter()
report = verify_directory(sys.argv[1], trust=lf.trust_for(lf.init_line()), workers=int(sys.argv[2]), types=lf.TYPES)
seconds = time.perf_counter() - start
print(json.dumps({
    "size": report.size,
    "seconds": seconds,
    "self_maxrss_kb": peak_kb(),
    "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def test_verify_memory_1m(benchmark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    n = 1_000_000
    directory = cached_ledger(n)
    factory_dir = str(Path(__file__).resolve().parents[1] / "ledger")

    def run() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(directory), str(CORES), factory_dir],
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    assert result["size"] == n
    peak_mb = result["self_maxrss_kb"] / 1024
    child_mb = result["children_maxrss_kb"] / 1024
    benchmark.extra_info.update({"peak_mb": peak_mb, "worker_peak_mb": child_mb, **result})
    _say(
        capsys,
        f"verify {n:,} entries (workers={CORES}): {result['seconds']:.0f} s, "
        f"{n / result['seconds']:,.0f} entries/s; peak RSS main {peak_mb:.0f} MB, "
        f"largest worker {child_mb:.0f} MB (goal ≤ 500 MB)",
    )
    assert peak_mb <= 500
