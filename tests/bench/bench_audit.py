"""The ledger step of ``gongkai build``, timed: one audit and what the site reads from it.

``generator.publishing.ledger_inputs`` on the county of ``scale_county`` (``GONGKAI_BENCH_N``
businesses, default 100,000; two versions of each library, one task drawing 10 %, about
``n / 10`` results): the full audit under the ledger's lock (every signature, the task replay,
the library and pool rules, the draw re-run) and the site's inputs (results, task facts, plan,
checklist and library versions). Each measurement is a fresh process timing the call alone
(start-up and imports excluded).

``GONGKAI_BENCH_CODE`` compares code versions in the same run: ``name=path,name=path`` (each
path a checkout of gongkai with the C accelerators copied in; default: this checkout alone).
Each of ``GONGKAI_BENCH_ROUNDS`` rounds (default 5) times every version once, in an order that
rotates, so that all see the same machine load; the ratios to the first version, and of each
version to the one listed before it, are taken round by round.

Run: ``.venv/bin/python -m pytest tests/bench/bench_audit.py -o addopts="" -o
python_files="bench_*.py" --benchmark-only -s``.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_county

N = int(os.environ.get("GONGKAI_BENCH_N", "100000"))
ROUNDS = int(os.environ.get("GONGKAI_BENCH_ROUNDS", "5"))

TIMED = """
import sys, time
from pathlib import Path
from generator.publishing import ledger_inputs
start = time.perf_counter()
ledger_inputs(Path(sys.argv[1]), example_site=False)
print(time.perf_counter() - start)
"""


def _timed(code: Path, draws: Path) -> float:
    done = subprocess.run(  # this interpreter, our script
        [sys.executable, "-c", TIMED, str(draws)],
        env=scale_county.code_env(code),
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.split()[-1])


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def test_ledger_inputs(benchmark: BenchmarkFixture) -> None:
    draws = scale_county.county(N) / "site" / "draws"
    versions = scale_county.code_versions()
    times: dict[str, list[float]] = {name: [] for name, _ in versions}
    loads: list[float] = []

    def round_() -> None:
        shift = len(loads) % len(versions)
        for name, code in versions[shift:] + versions[:shift]:
            times[name].append(_timed(code, draws))
        loads.append(os.getloadavg()[0])

    benchmark.pedantic(round_, rounds=ROUNDS, iterations=1)
    first = versions[0][0]
    figures = {
        "entities": N,
        "rounds": len(loads),
        "seconds": {name: _spread(values) for name, values in times.items()},
        "ratio_to_" + first: {
            name: _spread([t / b for t, b in zip(values, times[first], strict=True)])
            for name, values in times.items()
            if name != first
        },
        "ratio_to_the_version_before": {
            f"{name}/{before}": _spread(
                [t / b for t, b in zip(times[name], times[before], strict=True)]
            )
            for (before, _), (name, _) in itertools.pairwise(versions)
        },
        "load_average_1min": _spread(loads),
    }
    benchmark.extra_info.update(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
