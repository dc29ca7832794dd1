"""Generate the Merkle and tile test vectors in tests/ledger/vectors/ (our own, not upstream).

Run from the repository root:

    .venv/bin/python tests/ledger/gen_merkle_vectors.py

and commit the result. ``test_merkle.py::test_vectors_are_up_to_date`` regenerates the files in
memory and fails if a byte differs, so the vectors cannot drift from the generator.

Files:

* ``merkle_classic.json`` — the classic RFC 6962 8-leaf tree: leaves, roots for sizes 0..8,
  every inclusion proof (0 ≤ i < n ≤ 8) and every consistency proof (1 ≤ m ≤ n ≤ 8).
* ``merkle_probes.json`` — transparency-dev ``proofgen``-style probes: a happy path plus named
  mutations (index/size changes, wrong or empty roots, extra/missing/inserted elements, one bit
  flipped per element, wrong-length elements), each with ``want_err``.
* ``tiles.json`` — a 300-entry log of canonical JSON lines (crossing a tile boundary): its root,
  every tile and bundle path with contents (hex for hash tiles, SHA-256 for bundles), plus tile
  path encodings and tile lists for chosen sizes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ledger.canonical import dumps
from ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from ledger.tiles import TileRef, bundles_for_size, encode_bundle, tile_bytes, tiles_for_size

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"

CLASSIC_LEAVES_HEX = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]

# (index, size) and (old, new) pairs for the probes: edges, borders and a power-of-two size.
INCLUSION_PROBES = [(0, 1), (0, 8), (5, 8), (7, 8), (2, 3), (4, 5), (3, 7), (6, 7)]
CONSISTENCY_PROBES = [(1, 1), (1, 2), (1, 8), (2, 5), (3, 7), (4, 7), (6, 8), (7, 8)]


def _hex_list(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def classic() -> dict[str, Any]:
    """The classic 8-leaf tree with all roots and proofs."""
    leaves = [bytes.fromhex(h) for h in CLASSIC_LEAVES_HEX]
    tree = MerkleTree([leaf_hash(d) for d in leaves])
    inclusion = [
        {"index": i, "size": n, "proof": _hex_list(tree.inclusion_proof(i, n))}
        for n in range(1, 9)
        for i in range(n)
    ]
    consistency = [
        {"old_size": m, "new_size": n, "proof": _hex_list(tree.consistency_proof(m, n))}
        for n in range(1, 9)
        for m in range(1, n + 1)
    ]
    return {
        "description": "RFC 6962 classic test tree; hashes hex; proofs leaf-side first",
        "leaves": CLASSIC_LEAVES_HEX,
        "leaf_hashes": [tree.leaf_hash(i).hex() for i in range(8)],
        "roots": [tree.root_at(n).hex() for n in range(9)],
        "inclusion": inclusion,
        "consistency": consistency,
    }


def _element_mutations(proof: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    junk = hashlib.sha256(b"junk").digest()
    for k, element in enumerate(proof):
        for bit in (0, 3, 255):
            yield (
                f"proof[{k}] bit {bit} flipped",
                [*proof[:k], _flip(element, bit), *proof[k + 1 :]],
            )
        yield f"proof[{k}] truncated to 31 bytes", [*proof[:k], element[:31], *proof[k + 1 :]]
    yield "trailing garbage element", [*proof, junk]
    yield "preceding garbage element", [junk, *proof]
    if proof:
        yield "last element removed", proof[:-1]
        yield "inserted element", [proof[0], junk, *proof[1:]]


def _inclusion_probes(tree: MerkleTree, i: int, n: int) -> Iterator[dict[str, Any]]:
    proof, leaf, root = tree.inclusion_proof(i, n), tree.leaf_hash(i), tree.root_at(n)

    def probe(desc: str, want_err: bool, **kw: Any) -> dict[str, Any]:
        args = {"index": i, "size": n, "leaf_hash": leaf, "proof": proof, "root": root, **kw}
        out = {k: v.hex() if isinstance(v, bytes) else v for k, v in args.items()}
        out["proof"] = _hex_list(args["proof"])
        return {"desc": desc, **out, "want_err": want_err}

    yield probe("happy path", False)
    yield probe("index + 1", True, index=i + 1)
    yield probe("index - 1", True, index=i - 1)
    yield probe("index ^ 2", True, index=i ^ 2)
    yield probe("size * 2", True, size=n * 2)
    yield probe("size / 2", True, size=n // 2)
    yield probe("wrong leaf", True, leaf_hash=leaf_hash(b"WrongLeaf"))
    yield probe("empty root", True, root=EMPTY_ROOT)
    yield probe("root bit flipped", True, root=_flip(root, 0))
    for desc, mutated in _element_mutations(proof):
        yield probe(desc, True, proof=mutated)


def _consistency_probes(tree: MerkleTree, m: int, n: int) -> Iterator[dict[str, Any]]:
    proof, r1, r2 = tree.consistency_proof(m, n), tree.root_at(m), tree.root_at(n)

    def probe(desc: str, want_err: bool, **kw: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "old_size": m,
            "new_size": n,
            "proof": proof,
            "old_root": r1,
            "new_root": r2,
            **kw,
        }
        out = {k: v.hex() if isinstance(v, bytes) else v for k, v in args.items()}
        out["proof"] = _hex_list(args["proof"])
        return {"desc": desc, **out, "want_err": want_err}

    yield probe("happy path", False)
    yield probe("old size 0", True, old_size=0)
    yield probe("new size * 2", True, new_size=n * 2)
    yield probe("old size > new size", True, old_size=n + 1)
    yield probe("roots swapped", m != n or r1 != r2, old_root=r2, new_root=r1)
    yield probe("empty old root", True, old_root=EMPTY_ROOT)
    yield probe("empty new root", True, new_root=EMPTY_ROOT)
    yield probe("new root bit flipped", True, new_root=_flip(r2, 255))
    for desc, mutated in _element_mutations(proof):
        yield probe(desc, True, proof=mutated)


def probes() -> dict[str, Any]:
    """Named mutation probes on the classic tree."""
    tree = MerkleTree([leaf_hash(bytes.fromhex(h)) for h in CLASSIC_LEAVES_HEX])
    return {
        "description": "proofgen-style probes on the classic tree; hashes hex",
        "inclusion": [p for i, n in INCLUSION_PROBES for p in _inclusion_probes(tree, i, n)],
        "consistency": [p for m, n in CONSISTENCY_PROBES for p in _consistency_probes(tree, m, n)],
    }


def tile_log_entries(size: int = 300) -> list[bytes]:
    """The entries of the tiled test log: canonical JSON lines with Chinese text."""
    return [dumps({"index": i, "note": "抽查条目", "v": 1}) for i in range(size)]


def tiles() -> dict[str, Any]:
    """A 300-entry tiled log and tile path encodings."""
    entries = tile_log_entries()
    size = len(entries)
    tree = MerkleTree([leaf_hash(e) for e in entries])
    hash_tiles = {ref.path: tile_bytes(tree, ref) for ref in tiles_for_size(size)}
    bundles = {
        ref.path: encode_bundle(entries[ref.index * 256 : ref.index * 256 + ref.width])
        for ref in bundles_for_size(size)
    }
    examples = [TileRef(0, 1234067), TileRef(1, 1234067, 8), TileRef(-1, 1000, 255)]
    return {
        "description": "300 entries: dumps({'index': i, 'note': '抽查条目', 'v': 1})",
        "size": size,
        "root": tree.root.hex(),
        "first_entry": entries[0].decode(),
        "hash_tiles": {p: data.hex() for p, data in hash_tiles.items()},
        "bundle_sha256": {p: hashlib.sha256(data).hexdigest() for p, data in bundles.items()},
        "path_examples": {ref.path: [ref.level, ref.index, ref.width] for ref in examples},
        "tiles_for_size": {
            str(s): [ref.path for ref in tiles_for_size(s)] for s in (1, 256, 257, 65536 + 300)
        },
    }


GENERATORS: dict[str, Callable[[], dict[str, Any]]] = {
    "merkle_classic.json": classic,
    "merkle_probes.json": probes,
    "tiles.json": tiles,
}


def render_all() -> dict[str, bytes]:
    """Return every vector file's exact bytes, keyed by file name."""
    return {
        name: (json.dumps(make(), indent=1, ensure_ascii=False) + "\n").encode()
        for name, make in GENERATORS.items()
    }


def main() -> int:
    """Write the vector files; print what changed."""
    VECTOR_DIR.mkdir(exist_ok=True)
    for name, data in render_all().items():
        path = VECTOR_DIR / name
        if path.exists() and path.read_bytes() == data:
            print(f"unchanged {path}")
            continue
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
