"""The businesses' search index against Pagefind on the same businesses (docs/site.md §6.2).

``python tests/bench/bench_bizsearch.py --n 100000 --pagefind 10000`` makes ``n`` businesses
(the example's names, each with one of 40 place prefixes, the example's industries and
divisions, one in ten with a result), writes the ``gongkai-search/v1`` index in a child process
(time, peak RSS) and reports file sizes (raw and gzip) and the files a phone fetches for typical
queries. With ``--pagefind m`` it also writes ``m`` entity pages carrying what Pagefind indexed
before (name, code, the four filter values, in a ``data-pagefind-body``) and times Pagefind
1.5.2 extended on them, and our writer on the same ``m`` businesses, in the same run.
Not a test: a measurement script (``make bench`` does not run it).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import html
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # pragma: no cover - script use
    sys.path.insert(0, str(ROOT))

from generator.content.loader import load_content  # noqa: E402
from generator.content.model import MarketEntity  # noqa: E402
from generator.site.bizsearch import BizIndex, shard_of, tokens  # noqa: E402
from generator.site.bizsearch import normalize as norm  # noqa: E402
from generator.site.search import _pagefind_binary  # noqa: E402

PLACES = "城关 东关 西关 南街 北街 新城 老城 河东 河西 山前 山后 川口 塬上 沟口 镇北 镇南 乡中 村东 村西 街道"
PREFIXES = [p + s for p in PLACES.split() for s in ("", "新")]
QUERIES = ["加油站", "面馆", "有限公司", "药业", "城关超市", "农资"]


def businesses(n: int) -> list[MarketEntity]:
    """``n`` businesses in code order (see the module docstring)."""
    with (ROOT / "content/entities.csv").open(encoding="utf-8-sig") as f:
        names = [r["名称"] for r in csv.DictReader(f)]
    content, _ = load_content(ROOT / "tests/site/fixtures/mini")
    e0 = content.entities[0]
    out = []
    for i in range(n):
        name = PREFIXES[i % len(PREFIXES)] + names[i % len(names)]
        out.append(dataclasses.replace(e0, id=f"91620823B{i:08d}X", name=name))
    return out


def write_index(n: int, out: Path) -> None:
    """Child process: write the index of ``n`` businesses under ``out``; print seconds, RSS."""
    ents = businesses(n)
    start = time.perf_counter()
    index = BizIndex(ents, {})
    for path in index.files():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(index.produce(path))
    took = time.perf_counter() - start
    print(f"{took:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


def child(args: list[str]) -> tuple[float, float]:
    """Run this script with ``args`` in a fresh process; (seconds, peak RSS MiB)."""
    done = subprocess.run(  # this script
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    secs, rss = done.stdout.split()
    return float(secs), int(rss) / 1024


def sizes(out: Path) -> None:
    """Print the sizes of the index files by kind, and what typical queries fetch."""
    for kind in ("p", "d", "f"):
        files = sorted((out / kind).iterdir())
        raw = [p.stat().st_size for p in files]
        gz = [len(gzip.compress(p.read_bytes(), 6)) for p in files]
        print(
            f"  {kind}/: {len(files)} files, {sum(raw) / 2**20:.1f} MiB "
            f"(gzip {sum(gz) / 2**20:.1f}); per file median {statistics.median(raw) / 1024:.1f} "
            f"KiB (gzip {statistics.median(gz) / 1024:.1f}), max {max(raw) / 1024:.0f} KiB "
            f"(gzip {max(gz) / 1024:.0f})"
        )
    meta = (out / "meta.json").read_bytes()
    print(f"  meta.json: {len(meta) / 1024:.1f} KiB (gzip {len(gzip.compress(meta)) / 1024:.1f})")
    for q in QUERIES:
        shards = sorted({f"p/{shard_of(t):02x}.json" for t, _ in tokens(norm(q))})
        fetched = ["meta.json", *shards]
        weight = sum(len(gzip.compress((out / p).read_bytes(), 6)) for p in fetched)
        print(
            f"  “{q}”: {len(fetched)} files + ≤10 d/ files for the first page, {weight / 1024:.0f} KiB gzip"
        )


def pagefind_pages(n: int, site: Path) -> None:
    """Entity pages with what Pagefind indexed (name, code and filter values)."""
    for e in businesses(n):
        d = site / "entities" / e.id
        d.mkdir(parents=True)
        spans = "".join(
            f'<span data-pagefind-filter="{k}">{html.escape(v)}</span>'
            for k, v in (("行政区划", "崇信县（620823）"), ("行业", "餐饮"), ("检查结果", "暂无"))
        )
        (d / "index.html").write_text(
            f'<html lang="zh-cn"><body><article data-pagefind-body><h1 data-pagefind-meta="title">'
            f"{html.escape(e.name)}</h1><p hidden>{spans}</p><p>{e.id}</p></article></body></html>",
            encoding="utf-8",
        )


def time_pagefind(site: Path) -> tuple[float, float]:
    """Pagefind extended over ``site``'s entity pages; (seconds, peak RSS MiB of the child)."""
    binary = _pagefind_binary()
    if binary is None:
        raise SystemExit("缺少 pagefind[extended]")
    start = time.perf_counter()
    subprocess.run(  # fixed binary
        [binary, "--site", str(site), "--glob", "entities/*/index.html", "--output-path",
         str(site / "pagefind"), "--force-language", "zh-cn", "--silent"],
        check=True,
    )  # fmt: skip
    took = time.perf_counter() - start
    return took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    """Parse the arguments and print the measurements."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--pagefind", type=int, default=0)
    ap.add_argument("--child", type=Path)
    a = ap.parse_args()
    if a.child:
        write_index(a.n, a.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "biz"
        secs, rss = child(["--n", str(a.n), "--child", str(out)])
        print(f"gongkai-search/v1, {a.n} businesses: {secs:.2f} s, peak RSS {rss:.0f} MiB")
        sizes(out)
        if a.pagefind:
            site = Path(tmp) / "pf"
            pagefind_pages(a.pagefind, site)
            pf_secs, pf_rss = time_pagefind(site)
            secs, rss = child(["--n", str(a.pagefind), "--child", str(Path(tmp) / "small")])
            print(
                f"same {a.pagefind} businesses: Pagefind {pf_secs:.2f} s, {pf_rss:.0f} MiB; "
                f"gongkai-search/v1 {secs:.2f} s, {rss:.0f} MiB (Python process, all of it)"
            )


if __name__ == "__main__":
    main()
