"""RFC 9162 §2.1 Merkle tree hashing, proof generation and proof verification.

The tree is the Certificate Transparency tree (RFC 6962 §2.1, unchanged in RFC 9162 §2.1.1)
over SHA-256, so Go ``sumdb/tlog``, ``transparency-dev/merkle``, Sigsum and Sigstore tools all
compute the same roots and proofs:

* ``leaf_hash(d) = SHA-256(0x00 ‖ d)`` and ``node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)``; the
  prefixes separate leaves from interior nodes (RFC 9162 §2.1.1, second-preimage resistance);
* the empty tree hashes to ``SHA-256("")``;
* a tree of n ≥ 2 leaves splits at k, the largest power of two strictly less than n.

Terminology: a *perfect subtree* at ``level`` l and ``index`` i covers leaves
``[i·2^l, (i+1)·2^l)``. These are the only hashes :class:`MerkleTree` stores (Go calls them
"stored hashes"); every other subtree hash is folded from them on demand in O(log n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from ledger.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "RootBuilder",
    "RootMismatchError",
    "consistency_ranges",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "range_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash: leaf, node, root and proof element (docs/ledger.md §10.2)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree, ``SHA-256("")`` = e3b0c442…b855 (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash ``SHA-256(0x00 ‖ data)`` (RFC 9162 §2.1.1).

    Args:
        data: the entry bytes (for the ledger: one canonical JSON line without ``\\n``).

    Returns:
        The 32-byte leaf hash.
    """
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 ‖ left ‖ right)`` (RFC 9162 §2.1.1).

    Args:
        left: hash of the left subtree (32 bytes).
        right: hash of the right subtree (32 bytes).

    Returns:
        The 32-byte node hash.
    """
    return _sha256(b"\x01" + left + right).digest()


def _split_point(n: int) -> int:
    """Return k, the largest power of two strictly less than ``n`` (requires n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Return node(h0, node(h1, … node(h_{t−2}, h_{t−1}))) for t ≥ 1 hashes.

    With the perfect subtrees of the binary decomposition of n, largest first, this is MTH
    (docs/ledger.md §10.2): RFC 9162 always splits off the largest power of two on the left.
    """
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(b"\x01" + h + result).digest()
    return result


class RootMismatchError(VerificationError):
    """A proof was well formed but led to a root other than the expected one.

    Attributes:
        expected: the root the caller trusts (from a checkpoint).
        calculated: the root the proof actually leads to.
    """

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        super().__init__(f"计算出的根 {calculated.hex()} 与预期的根 {expected.hex()} 不符")
        self.expected = expected
        self.calculated = calculated


class RootBuilder:
    """Streaming MTH in O(log n) memory (RFC 9162 §2.1.1).

    Keeps one hash per set bit of ``size``: the perfect subtrees of the binary decomposition,
    largest first. Appending a leaf merges equal-sized subtrees like a binary counter's carry.
    """

    def __init__(self) -> None:
        """Start an empty tree."""
        self._stack: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash.

        Args:
            leaf_hash: ``leaf_hash(entry)``, 32 bytes.

        Raises:
            ValueError: if ``leaf_hash`` is not 32 bytes long.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("叶哈希应为 32 字节")
        stack = self._stack
        h = leaf_hash
        n = self._size
        while n & 1:  # each trailing 1 bit is a subtree of the same size to merge with
            h = _sha256(b"\x01" + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes, in order.

        Args:
            leaf_hashes: 32-byte leaf hashes in log order.

        Raises:
            ValueError: if a leaf hash is not 32 bytes long (earlier ones stay appended).
        """
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        """Return the MTH of the leaves appended so far (``EMPTY_ROOT`` when empty)."""
        if not self._stack:
            return EMPTY_ROOT
        return _fold_right(self._stack)


class MerkleTree:
    """An in-memory tree keeping every perfect subtree hash, level by level.

    ``levels[l][i]`` is the hash of the perfect subtree of 2^l leaves starting at leaf i·2^l.
    That is about 2n hashes (64 MB for a million leaves). Roots of prefixes and proofs cost
    O(log n) hash operations each.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        """Build the tree from leaf hashes.

        Args:
            leaf_hashes: ``leaf_hash(entry)`` for every entry, in log order.

        Raises:
            ValueError: if a leaf hash is not 32 bytes long.
        """
        leaves = list(leaf_hashes)
        if any(len(h) != HASH_SIZE for h in leaves):
            raise ValueError("叶哈希应为 32 字节")
        self._levels: list[list[bytes]] = [leaves]
        level = leaves
        while len(level) >= 2:
            # One list comprehension per level: no recursion, one sha256 call per node.
            level = [
                _sha256(b"\x01" + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            self._levels.append(level)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """MTH of the whole tree (``EMPTY_ROOT`` when empty)."""
        return self.root_at(self.size)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash, updating the O(log n) stored hashes it completes.

        Args:
            leaf_hash: ``leaf_hash(entry)``, 32 bytes.

        Raises:
            ValueError: if ``leaf_hash`` is not 32 bytes long.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("叶哈希应为 32 字节")
        levels = self._levels
        levels[0].append(leaf_hash)
        level = 0
        while len(levels[level]) % 2 == 0:
            below = levels[level]
            parent = _sha256(b"\x01" + below[-2] + below[-1]).digest()
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(parent)
            level += 1

    def leaf_hash(self, index: int) -> bytes:
        """Return the leaf hash at ``index``.

        Args:
            index: 0 ≤ index < size.

        Returns:
            The stored 32-byte leaf hash.

        Raises:
            ValueError: if ``index`` is out of range.
        """
        return self.subtree_hash(0, index)

    def subtree_hash(self, level: int, index: int) -> bytes:
        """Return the hash of the perfect subtree over leaves [index·2^level, (index+1)·2^level).

        Args:
            level: the subtree height (0 = a leaf).
            index: the subtree's position among subtrees of that height.

        Returns:
            The stored 32-byte hash (a "stored hash" in Go ``sumdb/tlog`` terms).

        Raises:
            ValueError: if that subtree is not complete in this tree.
        """
        if level < 0 or index < 0 or level >= len(self._levels):
            raise ValueError(f"第 {level} 层序号 {index} 处没有完整的子树")
        row = self._levels[level]
        if index >= len(row):
            raise ValueError(f"第 {level} 层序号 {index} 处没有完整的子树")
        return row[index]

    def root_at(self, size: int) -> bytes:
        """Return the MTH of the first ``size`` leaves (RFC 9162 §2.1.1).

        Args:
            size: the prefix length; the root a checkpoint of that size must carry.

        Returns:
            The 32-byte root, in O(log n) hash operations.

        Raises:
            ValueError: unless 0 ≤ size ≤ self.size.
        """
        self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._range_hash(0, size)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"大小 {size} 不在 0..{self.size} 范围内")

    def _range_hash(self, start: int, end: int) -> bytes:
        """Return MTH(D[start:end]) for a range of an RFC 9162 proof (see :func:`range_hash`)."""
        levels = self._levels
        return range_hash(start, end, lambda level, index: levels[level][index])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return PATH(index, D[0:size]), the RFC 9162 §2.1.3.1 inclusion proof.

        The hashes of :func:`inclusion_ranges`, each folded from stored subtree hashes; elements
        run from the leaf's sibling up to the child of the root, in O(log n).

        Args:
            index: the leaf, 0 ≤ index < size.
            size: the tree size the proof is for (defaults to the whole tree).

        Returns:
            The proof: ``bitlen(index ^ (size−1)) + popcount(index >> inner)`` hashes.

        Raises:
            ValueError: unless 0 ≤ index < size ≤ self.size.
        """
        size = self.size if size is None else size
        self._check_size(size)
        return [self._range_hash(s, e) for s, e in inclusion_ranges(index, size)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return PROOF(old_size, D[0:new_size]), the RFC 9162 §2.1.4.1 consistency proof.

        The hashes of :func:`consistency_ranges`, each folded from stored subtree hashes.

        Args:
            old_size: the earlier size m, 0 < m ≤ new_size (m == new_size gives ``[]``).
            new_size: the later size n (defaults to the whole tree).

        Returns:
            The proof hashes, deepest first, as SUBPROOF(m, D[0:n], true) defines them.

        Raises:
            ValueError: unless 0 < old_size ≤ new_size ≤ self.size.
        """
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        return [self._range_hash(s, e) for s, e in consistency_ranges(old_size, new_size)]


# ----------------------------------------------------------------------------- proofs
# The one proof algorithm (docs/ledger.md §10.3–§10.4): which leaf ranges a proof holds the
# MTH of. The writer (:class:`MerkleTree`), the publisher (tiles, :mod:`ledger.tiles`) and the
# auditor (a stream of entries, :mod:`ledger.pin`) only differ in where the hashes come from.


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), in order.

    Iterative form of the RFC recursion; the ranges run from the leaf's sibling up to the child
    of the root (the RFC appends on the way back up). Every range starts at a multiple of a
    power of two ≥ its length (the precondition of :func:`range_hash`).

    Raises:
        ValueError: unless 0 ≤ index < size.
    """
    if not 0 <= index < size:
        raise ValueError(f"序号 {index} 不在 0..{size - 1} 范围内")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split_point(end - start)
        if index < start + k:  # leaf on the left: the sibling is the right part
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1).

    Deepest first, as SUBPROOF(m, D[0:n], true) defines them; ``[]`` when the sizes are equal.
    Every range starts at a multiple of a power of two ≥ its length.

    Raises:
        ValueError: unless 0 < old_size ≤ new_size.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(f"旧大小 {old_size} 不在 1..{new_size} 范围内")
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, new_size, old_size
    complete_subtree_known = True  # SUBPROOF's flag b: the verifier already has MTH(D[0:m])
    while m != end - start:
        k = _split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete_subtree_known = False
    if not complete_subtree_known:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def range_hash(start: int, end: int, subtree: Callable[[int, int], bytes]) -> bytes:
    """Return MTH(D[start:end]) folded from perfect subtree hashes ``subtree(level, index)``.

    Precondition: ``start`` is a multiple of a power of two ≥ end − start > 0 (true of every
    range :func:`inclusion_ranges` and :func:`consistency_ranges` give, and of every prefix).
    Then the greedy split into the largest aligned perfect subtrees is the binary decomposition
    of end − start, and folding them right to left is exactly MTH (docs/ledger.md §10.2).

    Raises:
        whatever ``subtree`` raises for a hash it cannot give.
    """
    pieces: list[bytes] = []
    remaining = end - start
    pos = start
    while remaining:
        level = remaining.bit_length() - 1
        pieces.append(subtree(level, pos >> level))
        pos += 1 << level
        remaining -= 1 << level
    return _fold_right(pieces)


# ----------------------------------------------------------------------------- verification


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{name}应为 {HASH_SIZE} 字节，实际为 {len(value)} 字节")


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    The algorithm of RFC 9162 §2.1.3.2 (docs/ledger.md §10.3): walk up from the leaf, consuming one
    proof hash per level that has a sibling, and require the proof to end exactly at the root.

    Args:
        index: the leaf index; requires 0 ≤ index < size.
        size: the tree size (so size 0 always fails).
        leaf_hash: the 32-byte leaf hash.
        proof: the inclusion proof, leaf sibling first; every element 32 bytes.
        root: the trusted 32-byte root of the tree of ``size``.

    Raises:
        VerificationError: a hash of the wrong length, an index out of range, or a proof of the
            wrong length.
        RootMismatchError: the proof is well formed but leads to another root.
    """
    _check_hash("叶哈希", leaf_hash)
    _check_hash("根", root)
    for i, p in enumerate(proof):
        _check_hash(f"证明的第 {i} 个哈希", p)
    if not 0 <= index < size:
        raise VerificationError(f"序号 {index} 不在 0..{size - 1} 范围内")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise VerificationError("包含证明过长")
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                # Right-border node without a right sibling: skip levels until fn is a right
                # child again (RFC 9162 §2.1.3.2 step 5.2.1.2).
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("包含证明过短")
    if r != root:
        raise RootMismatchError(root, r)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of ``new_root``'s tree.

    The algorithm of RFC 9162 §2.1.4.2 (docs/ledger.md §10.4): one walk computes both roots from the
    proof. Edge policy (as transparency-dev/merkle): ``old_size`` must be ≥ 1 (an empty tree is
    a prefix of everything; the caller decides what a size-0 pin means); equal sizes need an
    empty proof and equal roots.

    Args:
        old_size: the earlier size m; requires 0 < m ≤ n.
        new_size: the later size n.
        proof: the consistency proof; every element 32 bytes.
        old_root: the trusted 32-byte root at m.
        new_root: the trusted 32-byte root at n.

    Raises:
        VerificationError: a hash of the wrong length, sizes out of order or zero, or a proof of
            the wrong length.
        RootMismatchError: the proof is well formed but leads to other roots (``expected`` and
            ``calculated`` name the first root that differs).
    """
    _check_hash("旧根", old_root)
    _check_hash("新根", new_root)
    for i, p in enumerate(proof):
        _check_hash(f"证明的第 {i} 个哈希", p)
    if old_size <= 0 or new_size < old_size:
        raise VerificationError(f"一致性证明的大小无效：{old_size} → {new_size}")
    if old_size == new_size:
        if proof:
            raise VerificationError("大小相同时一致性证明应为空")
        if old_root != new_root:
            raise RootMismatchError(old_root, new_root)
        return
    if not proof:
        raise VerificationError("一致性证明为空")
    fr, sr, sn = _consistency_walk(old_size, new_size, proof, old_root)
    if sn != 0:
        raise VerificationError("一致性证明过短")
    if fr != old_root:
        raise RootMismatchError(old_root, fr)
    if sr != new_root:
        raise RootMismatchError(new_root, sr)


def _consistency_walk(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes, int]:
    """Run the RFC 9162 §2.1.4.2 loop; return (old root, new root, remaining sn)."""
    # When m is a power of two, MTH(D[0:m]) is a node of the new tree and the proof omits it
    # (SUBPROOF's b flag); the verifier supplies it (RFC 9162 §2.1.4.2 step 2).
    path: list[bytes] = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # step 4: skip levels where the old tree's last node is a right child
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("一致性证明过长")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return fr, sr, sn
