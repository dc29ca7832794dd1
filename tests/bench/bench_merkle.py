"""Benchmarks for the verifier's hot paths: Merkle roots of 10^6 leaves, canonical parsing.

Skipped in the default run (pyproject sets ``--benchmark-skip``). Run with:

    .venv/bin/python -m pytest tests/bench/bench_merkle.py --benchmark-only
"""

from __future__ import annotations

from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from ledger.canonical import dumps, loads
from ledger.merkle import MerkleTree, RootBuilder, leaf_hash
from ledger.tiles import TileRef, root_from_tiles, tile_bytes, tiles_for_size

N_LEAVES = 1_000_000
N_LINES = 100_000


@cache
def _leaf_hashes() -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(N_LEAVES)]


@cache
def _entry_lines() -> list[bytes]:
    """Realistic signed draw entries: Chinese names, ids, a beacon, two signatures."""
    lines = []
    for i in range(N_LINES):
        body = {
            "type": "draw.result",
            "task_id": f"2026-市场监管-{i % 997:04d}",
            "announce": {"index": i // 3, "leaf_hash": "ab" * 32},
            "departments": ["上海市市场监督管理局", "上海市生态环境局"],
            "selected": [
                {"id": f"91310000MA1K{i * 7 + j:06d}", "name": f"上海某某贸易有限公司{j}"}
                for j in range(4)
            ],
            "beacon": {"round": 4_500_000 + i, "randomness": f"{i:064x}"},
        }
        sigs = [{"key": f"dept{j}+{i * 31 + j:08x}", "sig": "Q" * 86} for j in range(2)]
        lines.append(dumps({"body": body, "sigs": sigs, "v": 1}))
    return lines


def test_root_builder_1m(benchmark: BenchmarkFixture) -> None:
    hashes = _leaf_hashes()

    def run() -> bytes:
        builder = RootBuilder()
        builder.extend(hashes)
        return builder.root()

    root = benchmark.pedantic(run, rounds=3, iterations=1)
    assert root == MerkleTree(hashes).root


def test_merkle_tree_1m(benchmark: BenchmarkFixture) -> None:
    hashes = _leaf_hashes()
    tree = benchmark.pedantic(lambda: MerkleTree(hashes), rounds=3, iterations=1)
    assert tree.size == N_LEAVES


def test_leaf_hash_1m(benchmark: BenchmarkFixture) -> None:
    data = [i.to_bytes(8, "big") for i in range(N_LEAVES)]
    benchmark.pedantic(lambda: [leaf_hash(d) for d in data], rounds=3, iterations=1)


def test_root_from_tiles_1m(benchmark: BenchmarkFixture) -> None:
    tree = MerkleTree(_leaf_hashes())
    tiles = {ref: tile_bytes(tree, ref) for ref in tiles_for_size(N_LEAVES)}

    def read(ref: TileRef) -> bytes:
        return tiles[ref]

    root = benchmark.pedantic(lambda: root_from_tiles(N_LEAVES, read), rounds=3, iterations=1)
    assert root == tree.root


def test_canonical_loads_100k(benchmark: BenchmarkFixture) -> None:
    lines = _entry_lines()

    def run() -> int:
        return sum(len(loads(line)) for line in lines)

    assert benchmark.pedantic(run, rounds=3, iterations=1) == 3 * N_LINES


def test_canonical_dumps_100k(benchmark: BenchmarkFixture) -> None:
    values = [loads(line) for line in _entry_lines()]
    benchmark.pedantic(lambda: [dumps(v) for v in values], rounds=3, iterations=1)
