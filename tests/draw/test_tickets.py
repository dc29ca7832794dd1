"""Tickets and ticket order vs. Rivest's consistent_sampler (docs/draw-v1.md §7).

``consistent-sampler`` 1.0.10 (PyPI) is a test-only oracle; the vectors below are the package's
documented examples (README and USAGE_EXAMPLES.md of
https://github.com/ron-rivest/consistent_sampler), so these tests also run without it (the oracle
comparisons are then skipped).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.draw.tickets import TicketMaker, first_k, order, smallest_keys, ticket

cs = pytest.importorskip("consistent_sampler", reason="test-only oracle not installed")

SEEDS = [
    "31",
    "41",
    "314159",
    "01382438112797316654",
    "",
    "中文种子",
    hashlib.sha256(b"sub-seed one").hexdigest(),
    hashlib.sha256(b"sub-seed two").hexdigest(),
]


def _reference_ticket(seed: str, item_id: str) -> str:
    """docs/draw-v1.md §7 written out literally (independent of ledger.draw.tickets)."""
    seed_hex = hashlib.sha256(seed.encode()).hexdigest()
    n = int(hashlib.sha256((seed_hex + item_id).encode()).hexdigest(), 16)
    return "0." + format(n, "064d")[::-1]


def test_documented_first_fraction() -> None:
    assert ticket("01382438112797316654", "AB-130") == (
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    )


def test_documented_order_abcd_seed_31() -> None:
    assert order("31", ["a", "b", "c", "d"]) == ["b", "a", "d", "c"]


def test_documented_range_100_seed_41() -> None:
    ids = [str(i) for i in range(100)]
    got = order("41", ids)
    assert got[:5] == ["73", "51", "17", "58", "38"]
    assert got[5:10] == ["42", "39", "20", "11", "67"]  # drop=5, take=5
    prefixes = ["0.000508333", "0.003446232", "0.004419823", "0.020115273", "0.023482375"]
    for item, prefix in zip(got[:5], prefixes, strict=True):
        assert ticket("41", item).startswith(prefix)


def test_documented_stratified_example() -> None:
    # USAGE stratified example: AB-0..1999 and CD-0..999, seed 314159, ticket < 0.01.
    ab = [f"AB-{i}" for i in range(2000)]
    cd = [f"CD-{i}" for i in range(1000)]
    low_ab = [i for i in order("314159", ab) if ticket("314159", i) < "0.01"]
    low_cd = [i for i in order("314159", cd) if ticket("314159", i) < "0.01"]
    merged = [i for i in order("314159", ab + cd) if ticket("314159", i) < "0.01"]
    assert (len(low_ab), len(low_cd)) == (24, 9)
    assert sorted(merged) == sorted(low_ab + low_cd)


@pytest.mark.parametrize("seed", SEEDS)
def test_tickets_match_oracle(seed: str) -> None:
    ids = [f"9133{i:06d}X" for i in range(300)] + ["a", "统一社会信用代码", "x y"]
    maker = TicketMaker(seed)
    for item in ids:
        expected = cs.first_fraction(item, seed)
        assert maker.ticket(item) == expected == _reference_ticket(seed, item)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("take", [0, 1, 7, 50, 1000])
def test_order_matches_oracle_sampler(seed: str, take: int) -> None:
    ids = [f"91330106MA2K{i:05d}X" for i in range(1000)]
    expected = list(cs.sampler(ids, seed=seed, take=take, output="id"))
    assert order(seed, ids)[:take] == expected
    assert first_k(seed, ids, take) == expected


def test_first_k_large_pool_uses_threshold_path() -> None:
    seed = hashlib.sha256(b"large").hexdigest()
    ids = [f"E{i}" for i in range(20_000)]
    assert first_k(seed, ids, 300) == order(seed, ids)[:300]
    assert first_k(seed, ids, 20_001) == order(seed, ids)


@settings(max_examples=50, deadline=None)
@given(
    keys=st.lists(st.text(alphabet="0123456789", min_size=1, max_size=6), max_size=6000),
    k=st.integers(min_value=0, max_value=7000),
)
def test_smallest_keys_is_exact_for_any_distribution(keys: list[str], k: int) -> None:
    # Skewed inputs (not uniform tickets) must still give the exact k smallest.
    assert smallest_keys(keys, k) == sorted(keys)[:k]


def test_prefix_ticket_sorts_first() -> None:
    # A 77-digit ticket that is a prefix of a 78-digit one sorts first, as string order says.
    seed = "31"
    maker = TicketMaker(seed)
    keys = sorted(maker.sort_keys(["a", "b"]))
    tickets = sorted([ticket(seed, "a"), ticket(seed, "b")])
    assert [k.split(" ")[0] for k in keys] == [t[2:] for t in tickets]


@pytest.mark.parametrize("k", [1, 2, 10, 99, 500, 1249, 1250, 5000])
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_smallest_prefilter_is_exact(seed: str, k: int) -> None:
    maker = TicketMaker(seed)
    ids = [f"91330106MA{n:08d}" for n in range(5000)]
    assert maker.smallest(ids, k) == sorted(maker.sort_keys(ids))[:k]


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=9000), min_size=1, max_size=4),
    wants=st.lists(st.integers(min_value=0, max_value=9500), min_size=4, max_size=4),
    seed=st.sampled_from(SEEDS),
)
def test_smallest_grouped_equals_smallest_per_group(
    sizes: list[int], wants: list[int], seed: str
) -> None:
    maker = TicketMaker(seed)
    ids: list[str] = []
    groups: list[str] = []
    for g, size in enumerate(sizes):
        ids.extend(f"E{g}-{n}" for n in range(size))
        groups.extend([f"g{g}"] * size)
    # Interleave the groups as a sorted snapshot would.
    pairs = sorted(zip(ids, groups, strict=True))
    ids, groups = [p[0] for p in pairs], [p[1] for p in pairs]
    wanted = {f"g{g}": wants[g] for g in range(len(sizes))}
    got = maker.smallest_grouped(ids, groups, wanted)
    for g in wanted:
        members = [i for i, h in zip(ids, groups, strict=True) if h == g]
        assert got[g] == maker.smallest(members, wanted[g])


def test_smallest_grouped_falls_back_when_the_bound_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ledger.draw.tickets as tickets

    # An empty prefix table makes every group fall short: the exact per-group path must answer.
    monkeypatch.setattr(tickets, "_prefix_table", lambda j, bound: bytes(10**j))
    maker = TicketMaker(SEEDS[0])
    ids = [f"91330106MA{n:08d}" for n in range(20_000)]
    groups = ["A" if n % 3 else "B" for n in range(20_000)]
    got = maker.smallest_grouped(ids, groups, {"A": 100, "B": 50, "C": 5})
    assert got["C"] == []
    assert got["A"] == maker.smallest(
        [i for i, g in zip(ids, groups, strict=True) if g == "A"], 100
    )
    assert got["B"] == maker.smallest([i for i, g in zip(ids, groups, strict=True) if g == "B"], 50)
