"""Tests for ledger.merkle: known roots, an RFC 9162 reference, exhaustive proofs and mutations.

The reference below is written straight from RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and
§2.1.4.1 (PROOF/SUBPROOF), recursively, and shares no code with ledger.merkle except the two
hash primitives (which are checked against hashlib separately).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import VerificationError
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    RootBuilder,
    RootMismatchError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# ---------------------------------------------------------------------------------------------
# Reference implementation (RFC 9162 §2.1), over the fixed list REF_DATA, memoized by range.
# ---------------------------------------------------------------------------------------------

MAX_N = 300  # crosses the 256-leaf tile boundary
REF_DATA = [b"entry %d" % i for i in range(MAX_N)]


def _k(n: int) -> int:
    """Largest power of two strictly less than n (RFC 9162 §2.1.1), by counting up."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) exactly as RFC 9162 §2.1.1 defines it."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + REF_DATA[lo]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi)).digest()


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) from RFC 9162 §2.1.3.1 (m relative to lo)."""
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, lo, lo + k), ref_mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) from RFC 9162 §2.1.4.1."""
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, b), ref_mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), ref_mth(lo, lo + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[0:n]) from RFC 9162 §2.1.4.1."""
    return ref_subproof(m, 0, n, True)


# Symbolic forms of the same recursions: a proof element is named ("p", j) by its position in the
# proof, the leaf hash "L", the old root "R". Two (index, size) or (old, new) pairs whose terms
# are equal make the verifier perform the very same hash computation, so a proof valid for one
# is valid for the other. That is a property of RFC 9162 proofs, not a bug: e.g. PATH(0, D[3])
# and PATH(0, D[4]) both compute node(node(L, p0), p1). The size must come from a signed
# checkpoint. Mutation tests expect acceptance exactly when the terms are equal.
Term = object


def sym_path(m: int, n: int) -> tuple[Term, int]:
    """Symbolic PATH(m, D[n]): (root term, number of proof elements)."""
    if n == 1:
        return "L", 0
    k = _k(n)
    if m < k:
        sub, used = sym_path(m, k)
        return ("node", sub, ("p", used)), used + 1
    sub, used = sym_path(m - k, n - k)
    return ("node", ("p", used), sub), used + 1


def sym_subproof(m: int, n: int, b: bool) -> tuple[Term, Term, int]:
    """Symbolic SUBPROOF(m, D[n], b): (old root term, new root term, elements used)."""
    if m == n:
        return ("R", "R", 0) if b else (("p", 0), ("p", 0), 1)
    k = _k(n)
    if m <= k:
        old, new, used = sym_subproof(m, k, b)
        return old, ("node", new, ("p", used)), used + 1
    old, new, used = sym_subproof(m - k, n - k, False)
    e = ("p", used)
    return ("node", e, old), ("node", e, new), used + 1


def same_inclusion_shape(i: int, n: int, i2: int, n2: int) -> bool:
    """Whether a valid proof for (i, n) must also verify as (i2, n2)."""
    return 0 <= i2 < n2 and sym_path(i2, n2) == sym_path(i, n)


def same_consistency_shape(m: int, n: int, m2: int, n2: int) -> bool:
    """Whether a valid proof for (m, n), m < n, must also verify as (m2, n2)."""
    return 0 < m2 < n2 and sym_subproof(m2, n2, True) == sym_subproof(m, n, True)


TREE = MerkleTree([leaf_hash(d) for d in REF_DATA])

# ---------------------------------------------------------------------------------------------
# Primitives and hand-checked roots
# ---------------------------------------------------------------------------------------------

# The classic RFC 6962 test tree (used by CT, Trillian and transparency-dev/merkle).
CLASSIC_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
# Hand-typed roots for sizes 0..8 of that tree.
CLASSIC_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == CLASSIC_ROOTS[0]
    assert _sha(b"") == EMPTY_ROOT
    assert MerkleTree().root == EMPTY_ROOT
    assert RootBuilder().root() == EMPTY_ROOT


def test_hash_primitives_match_hashlib() -> None:
    assert leaf_hash(b"abc") == _sha(b"\x00abc")
    left, right = _sha(b"l"), _sha(b"r")
    assert node_hash(left, right) == _sha(b"\x01" + left + right)
    assert len(leaf_hash(b"")) == HASH_SIZE


def test_classic_roots_hand_checked_with_hashlib() -> None:
    leaves = [_sha(b"\x00" + d) for d in CLASSIC_LEAVES]
    assert leaves[0].hex() == CLASSIC_ROOTS[1]  # size 1: the leaf hash of the empty entry
    assert _sha(b"\x01" + leaves[0] + leaves[1]).hex() == CLASSIC_ROOTS[2]
    level = leaves
    while len(level) > 1:  # size 8 is a perfect tree: pairwise reduction
        level = [_sha(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    assert level[0].hex() == CLASSIC_ROOTS[8]


@pytest.mark.parametrize("size", range(9))
def test_classic_roots_all_implementations(size: int) -> None:
    hashes = [leaf_hash(d) for d in CLASSIC_LEAVES[:size]]
    tree = MerkleTree(hashes)
    builder = RootBuilder()
    builder.extend(hashes)
    assert tree.root.hex() == CLASSIC_ROOTS[size]
    assert builder.root().hex() == CLASSIC_ROOTS[size]
    assert (
        MerkleTree([leaf_hash(d) for d in CLASSIC_LEAVES]).root_at(size).hex()
        == (CLASSIC_ROOTS[size])
    )


def test_classic_proofs_verify() -> None:
    tree = MerkleTree([leaf_hash(d) for d in CLASSIC_LEAVES])
    roots = [bytes.fromhex(r) for r in CLASSIC_ROOTS]
    for n in range(1, 9):
        for i in range(n):
            verify_inclusion(i, n, tree.leaf_hash(i), tree.inclusion_proof(i, n), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, tree.consistency_proof(m, n), roots[m], roots[n])


def test_reference_agrees_with_classic_roots() -> None:
    # The reference hashes REF_DATA; check its MTH definition on the classic tree as well.
    saved = REF_DATA[:8]
    REF_DATA[:8] = CLASSIC_LEAVES
    ref_mth.cache_clear()
    try:
        assert [ref_mth(0, n).hex() for n in range(9)] == CLASSIC_ROOTS
    finally:
        REF_DATA[:8] = saved
        ref_mth.cache_clear()


# ---------------------------------------------------------------------------------------------
# Exhaustive proofs against the reference, with mutations (docs/ledger.md §10.3–§10.4)
# ---------------------------------------------------------------------------------------------


def test_symbolic_shapes_explain_size_ambiguity() -> None:
    # The motivating example: leaf 0 of 3 and leaf 0 of 4 share a proof shape.
    assert same_inclusion_shape(0, 3, 0, 4)
    assert not same_inclusion_shape(2, 3, 2, 4)
    proof = TREE.inclusion_proof(0, 3)
    verify_inclusion(0, 4, TREE.leaf_hash(0), proof, TREE.root_at(3))
    assert same_consistency_shape(1, 3, 1, 4)


def _rejected(check: Callable[[], None]) -> bool:
    try:
        check()
    except VerificationError:
        return True
    return False


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _proof_mutations(proof: Sequence[bytes], full_sweep: bool) -> Iterator[tuple[str, list[bytes]]]:
    """Yield (description, mutated proof) for every structural and bit-level mutation."""
    junk = _sha(b"junk")
    for k, element in enumerate(proof):
        bits = range(256) if full_sweep else [(k % 32) * 8 + k % 8]
        for bit in bits:
            mutated = list(proof)
            mutated[k] = _flip(element, bit)
            yield f"proof[{k}] bit {bit}", mutated
        yield f"proof[{k}] 31 bytes", [*proof[:k], element[:31], *proof[k + 1 :]]
        yield f"proof[{k}] 33 bytes", [*proof[:k], element + b"\x00", *proof[k + 1 :]]
    yield "appended element", [*proof, junk]
    yield "prepended element", [junk, *proof]
    if proof:
        yield "removed last", list(proof[:-1])
        yield "removed first", list(proof[1:])
        yield "inserted element", [proof[0], junk, *proof[1:]]
        if len(proof) >= 2:
            yield "swapped first two", [proof[1], proof[0], *proof[2:]]


def _inclusion_failures(n: int, full_sweep: bool) -> list[str]:
    root = ref_mth(0, n)
    failures = []
    for i in range(n):
        proof = TREE.inclusion_proof(i, n)
        leaf = TREE.leaf_hash(i)
        if proof != ref_path(i, 0, n):
            failures.append(f"n={n} i={i}: proof differs from reference")
        inner = (i ^ (n - 1)).bit_length()
        if len(proof) != inner + bin(i >> inner).count("1"):
            failures.append(f"n={n} i={i}: proof length is not inner + border")
        verify_inclusion(i, n, leaf, proof, root)

        def rejects(idx: int, size: int, lh: bytes, pr: Sequence[bytes], rt: bytes) -> bool:
            return _rejected(lambda: verify_inclusion(idx, size, lh, pr, rt))

        for desc, mutated in _proof_mutations(proof, full_sweep):
            if not rejects(i, n, leaf, mutated, root):
                failures.append(f"n={n} i={i}: accepted {desc}")
        other_leaf = leaf_hash(b"not entry %d" % i)
        cases = {
            "index+1": (i + 1, n, leaf, proof, root),
            "index-1": (i - 1, n, leaf, proof, root),
            "index^2": (i ^ 2, n, leaf, proof, root),
            "size+1": (i, n + 1, leaf, proof, root),
            "size-1": (i, n - 1, leaf, proof, root),
            "size*2": (i, n * 2, leaf, proof, root),
            "size/2": (i, n // 2, leaf, proof, root),
            "wrong leaf": (i, n, other_leaf, proof, root),
            "wrong root": (i, n, leaf, proof, _flip(root, 0)),
            "empty root": (i, n, leaf, proof, EMPTY_ROOT),
            "previous root": (i, n, leaf, proof, ref_mth(0, n - 1)),
            "short root": (i, n, leaf, proof, root[:31]),
            "long leaf": (i, n, leaf + b"\x00", proof, root),
        }
        for desc, args in cases.items():
            same = args[2:] == (leaf, proof, root) and same_inclusion_shape(i, n, *args[:2])
            if rejects(*args) == same:
                failures.append(f"n={n} i={i}: {desc}: rejected={not same} expected")
    return failures


def _consistency_failures(n: int, full_sweep: bool) -> list[str]:
    root_n = ref_mth(0, n)
    failures = []
    for m in range(1, n):
        proof = TREE.consistency_proof(m, n)
        root_m = ref_mth(0, m)
        if proof != ref_proof(m, n):
            failures.append(f"m={m} n={n}: proof differs from reference")
        verify_consistency(m, n, proof, root_m, root_n)

        def rejects(a: int, b: int, pr: Sequence[bytes], ra: bytes, rb: bytes) -> bool:
            return _rejected(lambda: verify_consistency(a, b, pr, ra, rb))

        for desc, mutated in _proof_mutations(proof, full_sweep):
            if not rejects(m, n, mutated, root_m, root_n):
                failures.append(f"m={m} n={n}: accepted {desc}")
        cases = {
            "old+1": (m + 1, n, proof, root_m, root_n),
            "old-1": (m - 1, n, proof, root_m, root_n),
            "new+1": (m, n + 1, proof, root_m, root_n),
            "new-1": (m, n - 1, proof, root_m, root_n),
            "new*2": (m, n * 2, proof, root_m, root_n),
            "swapped roots": (m, n, proof, root_n, root_m),
            "wrong old root": (m, n, proof, _flip(root_m, 7), root_n),
            "wrong new root": (m, n, proof, root_m, _flip(root_n, 255)),
            "empty old root": (m, n, proof, EMPTY_ROOT, root_n),
            "empty new root": (m, n, proof, root_m, EMPTY_ROOT),
            "short old root": (m, n, proof, root_m[:31], root_n),
            "long new root": (m, n, proof, root_m, root_n + b"\x00"),
        }
        for desc, args in cases.items():
            same = args[2:] == (proof, root_m, root_n) and same_consistency_shape(m, n, *args[:2])
            if rejects(*args) == same:
                failures.append(f"m={m} n={n}: {desc}: rejected={not same} expected")
    return failures


# Sizes in chunks: one test per chunk keeps the report readable and the overhead low.
_CHUNKS = [range(lo, min(lo + 20, MAX_N + 1)) for lo in range(1, MAX_N + 1, 20)]


@pytest.mark.parametrize("sizes", _CHUNKS, ids=lambda r: f"n{r.start}-{r.stop - 1}")
def test_inclusion_exhaustive_against_reference(sizes: range) -> None:
    failures: list[str] = []
    for n in sizes:
        assert TREE.root_at(n) == ref_mth(0, n), n
        failures += _inclusion_failures(n, full_sweep=n <= 16)
    assert failures == []


@pytest.mark.parametrize("sizes", _CHUNKS, ids=lambda r: f"n{r.start}-{r.stop - 1}")
def test_consistency_exhaustive_against_reference(sizes: range) -> None:
    failures: list[str] = []
    for n in sizes:
        failures += _consistency_failures(n, full_sweep=n <= 16)
    assert failures == []


# ---------------------------------------------------------------------------------------------
# Edge policy and errors
# ---------------------------------------------------------------------------------------------


def test_inclusion_rejects_empty_tree_and_negative_index() -> None:
    with pytest.raises(VerificationError):
        verify_inclusion(0, 0, TREE.leaf_hash(0), [], EMPTY_ROOT)
    with pytest.raises(VerificationError):
        verify_inclusion(-1, 1, TREE.leaf_hash(0), [], TREE.leaf_hash(0))


def test_single_leaf_tree_inclusion() -> None:
    verify_inclusion(0, 1, TREE.leaf_hash(0), [], TREE.leaf_hash(0))
    with pytest.raises(RootMismatchError):
        verify_inclusion(0, 1, TREE.leaf_hash(1), [], TREE.leaf_hash(0))


def test_root_mismatch_error_carries_roots() -> None:
    root = TREE.root_at(5)
    wrong = _flip(root, 3)
    with pytest.raises(RootMismatchError) as info:
        verify_inclusion(2, 5, TREE.leaf_hash(2), TREE.inclusion_proof(2, 5), wrong)
    assert info.value.expected == wrong
    assert info.value.calculated == root
    assert isinstance(info.value, VerificationError)


def test_consistency_edge_policy() -> None:
    r3, r5 = TREE.root_at(3), TREE.root_at(5)
    verify_consistency(3, 3, [], r3, r3)
    with pytest.raises(VerificationError):
        verify_consistency(3, 3, [r3], r3, r3)  # equal sizes need an empty proof
    with pytest.raises(RootMismatchError):
        verify_consistency(3, 3, [], r3, r5)
    with pytest.raises(VerificationError):
        verify_consistency(0, 5, [], EMPTY_ROOT, r5)  # size 0 is the caller's policy
    with pytest.raises(VerificationError):
        verify_consistency(5, 3, TREE.consistency_proof(3, 5), r5, r3)
    with pytest.raises(VerificationError):
        verify_consistency(3, 5, [], r3, r5)


def test_generation_preconditions() -> None:
    tree = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b")])
    with pytest.raises(ValueError):
        tree.inclusion_proof(2)
    with pytest.raises(ValueError):
        tree.inclusion_proof(0, 3)
    with pytest.raises(ValueError):
        tree.consistency_proof(0)
    with pytest.raises(ValueError):
        tree.root_at(3)
    with pytest.raises(ValueError):
        tree.subtree_hash(1, 1)
    with pytest.raises(ValueError):
        MerkleTree([b"short"])
    with pytest.raises(ValueError):
        RootBuilder().append(b"short")
    assert tree.consistency_proof(2) == []


# ---------------------------------------------------------------------------------------------
# Property-based: streaming root, append, historical proofs
# ---------------------------------------------------------------------------------------------


def _hashes(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(b"%d/%d" % (salt, i)) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=2**16))
def test_root_builder_equals_tree_root(n: int, salt: int) -> None:
    hashes = _hashes(n, salt)
    builder = RootBuilder()
    builder.extend(hashes)
    assert builder.size == n
    assert builder.root() == MerkleTree(hashes).root


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.data())
def test_append_equals_bulk_build_and_proofs_match_reference(n: int, data: st.DataObject) -> None:
    hashes = _hashes(n)
    grown = MerkleTree()
    for h in hashes:
        grown.append(h)
    bulk = MerkleTree(hashes)
    assert grown.size == bulk.size == n
    assert grown.root == bulk.root
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    assert grown.inclusion_proof(index, size) == bulk.inclusion_proof(index, size)
    verify_inclusion(
        index, size, hashes[index], grown.inclusion_proof(index, size), bulk.root_at(size)
    )
    verify_consistency(
        old, size, grown.consistency_proof(old, size), bulk.root_at(old), bulk.root_at(size)
    )


def test_large_tree_root_matches_builder() -> None:
    hashes = _hashes(70_000)
    tree = MerkleTree(hashes)
    builder = RootBuilder()
    builder.extend(hashes)
    assert tree.root == builder.root()
    verify_inclusion(69_999, 70_000, hashes[69_999], tree.inclusion_proof(69_999), tree.root)
    verify_consistency(
        65_536, 70_000, tree.consistency_proof(65_536), tree.root_at(65_536), tree.root
    )


# ---------------------------------------------------------------------------------------------
# Generated vector files (tests/ledger/vectors/)
# ---------------------------------------------------------------------------------------------

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"
REGENERATE = ".venv/bin/python tests/ledger/gen_merkle_vectors.py"


def _load_generator() -> ModuleType:
    path = Path(__file__).resolve().parent / "gen_merkle_vectors.py"
    spec = importlib.util.spec_from_file_location("gen_merkle_vectors", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _vectors(name: str) -> Any:
    return json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))


def test_vectors_are_up_to_date() -> None:
    rendered: dict[str, bytes] = _load_generator().render_all()
    # Only this generator's files: other modules may keep their own vectors in the folder.
    for name, data in rendered.items():
        path = VECTOR_DIR / name
        assert path.exists(), f"{name} is missing; regenerate with: {REGENERATE}"
        on_disk = path.read_bytes()
        assert on_disk == data, f"{name} is stale or edited by hand; regenerate with: {REGENERATE}"


def test_classic_vectors_match_reference_and_verify() -> None:
    vec = _vectors("merkle_classic.json")
    assert vec["roots"] == CLASSIC_ROOTS
    leaves = [bytes.fromhex(h) for h in vec["leaves"]]
    assert leaves == CLASSIC_LEAVES
    saved = REF_DATA[:8]
    REF_DATA[:8] = leaves
    ref_mth.cache_clear()
    try:
        roots = [bytes.fromhex(r) for r in vec["roots"]]
        for case in vec["inclusion"]:
            i, n, proof = case["index"], case["size"], [bytes.fromhex(h) for h in case["proof"]]
            assert proof == ref_path(i, 0, n)
            verify_inclusion(i, n, leaf_hash(leaves[i]), proof, roots[n])
        for case in vec["consistency"]:
            m, n = case["old_size"], case["new_size"]
            proof = [bytes.fromhex(h) for h in case["proof"]]
            assert proof == (ref_proof(m, n) if m < n else [])
            verify_consistency(m, n, proof, roots[m], roots[n])
    finally:
        REF_DATA[:8] = saved
        ref_mth.cache_clear()


def _inclusion_probe_rejected(p: dict[str, Any]) -> bool:
    proof = [bytes.fromhex(h) for h in p["proof"]]
    leaf, root = bytes.fromhex(p["leaf_hash"]), bytes.fromhex(p["root"])
    return _rejected(lambda: verify_inclusion(p["index"], p["size"], leaf, proof, root))


def _consistency_probe_rejected(p: dict[str, Any]) -> bool:
    proof = [bytes.fromhex(h) for h in p["proof"]]
    r1, r2 = bytes.fromhex(p["old_root"]), bytes.fromhex(p["new_root"])
    return _rejected(lambda: verify_consistency(p["old_size"], p["new_size"], proof, r1, r2))


def test_probe_vectors() -> None:
    vec = _vectors("merkle_probes.json")
    assert len(vec["inclusion"]) > 100
    assert len(vec["consistency"]) > 100
    for p in vec["inclusion"]:
        assert _inclusion_probe_rejected(p) == p["want_err"], p
    for p in vec["consistency"]:
        assert _consistency_probe_rejected(p) == p["want_err"], p


def test_documented_worked_example() -> None:
    # docs/ledger.md §10.7 quotes these values.
    from ledger.canonical import dumps

    entries = [dumps({"index": i, "name": n, "v": 1}) for i, n in enumerate("甲乙丙")]
    tree = MerkleTree([leaf_hash(e) for e in entries])
    leaves = [tree.leaf_hash(i).hex()[:8] for i in range(3)]
    assert leaves == ["a11df552", "a5d98a06", "e7cb14af"]
    assert tree.root.hex() == "691164ef5693852dc01ceebd5bf020d07959d5c77de8f79c28f5714347bbf871"
    assert base64.b64encode(tree.root).decode() == "aRFk71aThS3AHO69W/Ag0HlZ1cd96PecKPVxQ0e7+HE="
    assert tree.inclusion_proof(0) == [tree.leaf_hash(1), tree.leaf_hash(2)]
    assert tree.inclusion_proof(2) == [tree.root_at(2)]
    assert tree.consistency_proof(2) == [tree.leaf_hash(2)]
    assert tree.consistency_proof(1) == [tree.leaf_hash(1), tree.leaf_hash(2)]
