"""DRAW-V1 at province scale: a pool of 10,000,000 businesses (issue #20).

The same draw as ``bench_draw`` (≈ 3 % drawn, 3,000 inspectors in 3 departments) over
``GONGKAI_BENCH_PROVINCE`` businesses (default 10,000,000): the fast engine's ``run_draw`` and
the auditor's ``verify_result``, each against the floor of one SHA-256 per entity id and per
pick measured in the same run, and the peak resident memory of a fresh process that builds the
inputs and draws (goals: ≤ 1.5× the floor, ≤ 4 GB). The readable reference
(``ledger/draw/reference.py``) is timed against the same floor at ``GONGKAI_BENCH_REFERENCE``
businesses (default 100,000), in rounds that alternate it with the floor.

Run: ``.venv/bin/python -m pytest tests/bench/bench_province.py -o addopts=""
-o python_files="bench_*.py" --benchmark-only -s`` (about 3 minutes and 4 GB).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_draw import (
    DEPTS,
    PER_DEPT,
    build_inputs,
    floor_seconds,
    peak_rss_subprocess,
)

from ledger.draw import drand, reference
from ledger.draw.primitives import CJ
from ledger.draw.result import run_draw, verify_result

N = int(os.environ.get("GONGKAI_BENCH_PROVINCE", "10000000"))
N_REFERENCE = int(os.environ.get("GONGKAI_BENCH_REFERENCE", "100000"))
ROUNDS_REFERENCE = int(os.environ.get("GONGKAI_BENCH_REFERENCE_ROUNDS", "3"))


def _inputs(n: int) -> tuple[dict[str, Any], list[str]]:
    inputs = build_inputs(n)
    ids = inputs.pop("ids")
    return inputs, ids


def test_province_draw_and_verify(benchmark: Any) -> None:
    args, ids = _inputs(N)
    result = benchmark.pedantic(
        lambda: run_draw(**args), setup=drand.forget_verified, rounds=2, iterations=1
    )
    best_draw = benchmark.stats.stats.min
    published = CJ(result)
    picks = len(result["assignments"]) * PER_DEPT * len(DEPTS)
    del result
    verify_best = float("inf")
    for _ in range(2):
        drand.forget_verified()
        start = time.perf_counter()
        verify_result(published, **args)
        verify_best = min(verify_best, time.perf_counter() - start)
    floor = floor_seconds(ids, picks)
    del ids
    peak = peak_rss_subprocess(N)
    figures = {
        "entities": N,
        "picks": picks,
        "floor_s": round(floor, 2),
        "run_draw_s": round(best_draw, 2),
        "run_draw_ratio": round(best_draw / floor, 2),
        "verify_result_s": round(verify_best, 2),
        "verify_result_ratio": round(verify_best / floor, 2),
        "peak_rss_mib": round(peak / 2**20),
        "load_average_1min": os.getloadavg()[0],
    }
    benchmark.extra_info.update(figures)
    print()
    for key, value in figures.items():
        print(f"  {key:22s} {value}")
    assert peak <= 4 * 2**30


def test_reference_draw(benchmark: Any) -> None:
    """The reference against the floor, alternating: each round times one draw, then the floor,
    both in wall-clock and in this process's CPU seconds (other work on the machine stretches
    the first, much less the second); ``GONGKAI_BENCH_REFERENCE_ROUNDS`` rounds (default 3).
    The benchmark's own figure is the time of a round (draw and floor)."""
    args, ids = _inputs(N_REFERENCE)
    fast = CJ(run_draw(**args))
    picks = fast.count(b'"inspector":')  # one per team member
    wall: list[tuple[float, float]] = []
    cpu: list[tuple[float, float]] = []

    def round_() -> dict[str, Any]:
        drand.forget_verified()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = reference.run_draw(**args)
        draw = time.perf_counter() - start, time.process_time() - start_cpu
        start, start_cpu = time.perf_counter(), time.process_time()
        floor_seconds(ids, picks, best_of=1)
        wall.append((draw[0], time.perf_counter() - start))
        cpu.append((draw[1], time.process_time() - start_cpu))
        return result

    result = benchmark.pedantic(round_, rounds=ROUNDS_REFERENCE, iterations=1)
    assert CJ(result) == fast  # the reference agrees with the engine byte for byte
    figures = {
        "entities": N_REFERENCE,
        "picks": picks,
        "rounds": len(wall),
        "reference_s": _spread([d for d, _ in wall], 2),
        "floor_s": _spread([f for _, f in wall], 3),
        "reference_ratio": _spread([d / f for d, f in wall], 1),
        "reference_cpu_s": _spread([d for d, _ in cpu], 2),
        "floor_cpu_s": _spread([f for _, f in cpu], 3),
        "reference_cpu_ratio": _spread([d / f for d, f in cpu], 1),
        "load_average_1min": os.getloadavg()[0],
    }
    benchmark.extra_info.update(figures)
    print()
    for key, value in figures.items():
        print(f"  {key:22s} {value}")


def _spread(values: list[float], digits: int) -> str:
    """``median (min–max)``, rounded."""
    ordered = sorted(values)
    median = statistics.median(ordered)
    return f"{median:.{digits}f} ({ordered[0]:.{digits}f}–{ordered[-1]:.{digits}f})"
