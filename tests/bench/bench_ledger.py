"""Ledger benchmarks: append throughput, audit throughput vs raw Ed25519, audit peak memory.

Run::

    .venv/bin/python -m pytest tests/bench/bench_ledger.py -o addopts="" \\
        -o python_files="bench_*.py" --benchmark-only

Numbers are printed (and stored in ``extra_info``):

* ``append``: 100,000 entries through :meth:`LedgerStore.append`, 1,000 per batch (each batch
  is a full transaction: lock, verified scan, append + fsync, sign, archive, publish);
* ``verify``: the auditor on a 100,000-entry ledger with ``workers=1`` and ``workers=cores``,
  against this machine's raw single-core Ed25519 verification rate (``cryptography``) measured
  right before and right after each run (the mean of both; the machine may be shared);
  goal: ``verify_rate / ed25519_rate ≥ 0.8 × workers``;
* ``memory``: the auditor on 1,000,000 entries in a subprocess with ``workers=cores``, its rate
  against the Ed25519 rate as above, and its peak RSS from ``VmHWM`` (goal ≤ 500 MB). The ledger is generated once (signing in parallel, files written directly,
  still a valid ledger) and cached under the system temp dir.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


def _ed25519_loop(seconds: float) -> tuple[int, float, float]:
    """Verify one signature of the benchmark ledger again and again for about ``seconds``
    (cryptography, cached key): ``(verifications, wall seconds, CPU seconds)``."""
    line = lf.statement_line(12345)
    entry = parse_entry(line)
    msg = signing_message(lf.ORIGIN, entry.body)
    sig = entry.sigs[0].sig
    key = Ed25519PublicKey.from_public_bytes(lf.DEPT_KEYS[entry.body["dept"]].public_key)
    n = 0
    start, cpu = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(500):
            key.verify(sig, msg)
        n += 500
    return n, elapsed, time.process_time() - cpu


@dataclass
class Ed25519Rates:
    """The raw Ed25519 rates measured around one run (each the mean of before and after)."""

    single: list[float] = field(default_factory=list)  # one process, verifications/s
    parallel: list[float] = field(default_factory=list)  # `workers` processes at once, summed
    cpu_seconds: list[float] = field(default_factory=list)  # CPU seconds per verification

    def measure(self, workers: int, seconds: float = 3.0) -> None:
        """Measure once more: one process, then ``workers`` processes side by side."""
        n, wall, cpu = _ed25519_loop(seconds)
        self.single.append(n / wall)
        self.cpu_seconds.append(cpu / n)
        if workers == 1:
            self.parallel.append(n / wall)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            runs = pool.map(_ed25519_loop, [seconds] * workers)
        self.parallel.append(sum(k / w for k, w, _ in runs))


@dataclass
class Measured:
    """A verification run of ``n`` entries with ``workers`` and the Ed25519 rates around it."""

    n: int
    workers: int
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the run: this process and its workers
    loads: list[float] = field(default_factory=list)  # 1-minute load before and after
    ed: Ed25519Rates = field(default_factory=Ed25519Rates)

    def text(self) -> str:
        """The line the benchmark prints (and what the docs quote)."""
        single, parallel = statistics.mean(self.ed.single), statistics.mean(self.ed.parallel)
        rate = self.n / self.seconds
        ed_cpu = self.n * statistics.mean(self.ed.cpu_seconds)
        return (
            f"verify {self.n:,} entries, workers={self.workers}: {self.seconds:.1f} s, "
            f"{rate:,.0f} entries/s; raw Ed25519 1 process {_range(self.ed.single)}/s, "
            f"{self.workers} at once {_range(self.ed.parallel)}/s (before, after); load "
            f"{_range(self.loads, '.1f')}; ratio {rate / single / self.workers:.2f} of "
            f"{self.workers} × the 1-process rate (goal ≥ 0.80), {rate / parallel:.2f} of the "
            f"{self.workers}-process rate; Ed25519 is {ed_cpu / self.cpu:.2f} of the run's CPU time"
        )


def _range(values: list[float], spec: str = ",.0f") -> str:
    return "–".join(format(v, spec) for v in values)


def _cpu() -> float:
    """CPU seconds of this process and of its children waited for."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_against_ed25519(measured: Measured, run: Callable[[], float]) -> Measured:
    """``run()`` (which returns its seconds) between two measurements of the raw Ed25519 rate.

    The machine may be shared and its load changes within a minute; with Linux's autogroup
    scheduling a busy session gets its share of the cores however many processes it runs. So
    the rates are measured right before and right after, with one process and with ``workers``
    processes at once, and the run's CPU time is counted (the Ed25519 share of it does not
    depend on the load).
    """
    measured.ed.measure(measured.workers)
    measured.loads.append(os.getloadavg()[0])
    cpu = _cpu()
    measured.seconds = run()
    measured.cpu = _cpu() - cpu
    measured.loads.append(os.getloadavg()[0])
    measured.ed.measure(measured.workers)
    return measured


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
def test_verify_100k(benchmark: Any, workers: int, capsys: pytest.CaptureFixture[str]) -> None:
    n = 100_000
    directory = cached_ledger(n)
    trust = lf.trust_for(lf.init_line())

    def run() -> float:
        start = time.perf_counter()
        report = verify_directory(directory, trust=trust, workers=workers, types=lf.TYPES)
        assert report.size == n
        return time.perf_counter() - start

    measured = benchmark.pedantic(
        timed_against_ed25519, (Measured(n, workers), run), rounds=1, iterations=1
    )
    _report(benchmark, capsys, measured)


def _report(benchmark: Any, capsys: pytest.CaptureFixture[str], measured: Measured) -> None:
    """Store and print a verification run against the raw Ed25519 rates."""
    rate = measured.n / measured.seconds
    single = statistics.mean(measured.ed.single)
    benchmark.extra_info.update(
        {
            "entries_per_second": rate,
            "ed25519_per_second": single,
            "ed25519_parallel_per_second": statistics.mean(measured.ed.parallel),
            "ratio": rate / single / measured.workers,
            "load": measured.loads,
        }
    )
    _say(capsys, measured.text())


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

    result: dict[str, Any] = {}

    def run() -> float:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(directory), str(CORES), factory_dir],
            capture_output=True,
            text=True,
            check=True,
        )
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
        return float(result["seconds"])

    measured = benchmark.pedantic(
        timed_against_ed25519, (Measured(n, CORES), run), rounds=1, iterations=1
    )
    assert result["size"] == n
    peak_mb = result["self_maxrss_kb"] / 1024
    child_mb = result["children_maxrss_kb"] / 1024
    benchmark.extra_info.update({"peak_mb": peak_mb, "worker_peak_mb": child_mb, **result})
    _report(benchmark, capsys, measured)
    _say(
        capsys,
        f"verify {n:,} entries: peak RSS main {peak_mb:.0f} MB, largest worker {child_mb:.0f} MB "
        "(goal ≤ 500 MB)",
    )
    assert peak_mb <= 500
