"""C2SP tlog-tiles (height 8): tile paths, tile contents, entry bundles, root from tiles.

A log of size s is published as immutable files (C2SP tlog-tiles, "Merkle Tree" and "Log
Entries" sections; docs/ledger.md §10.5):

* ``tile/<L>/<N>[.p/<W>]`` — W ≤ 256 consecutive 32-byte hashes at tile level L. At L = 0 they
  are leaf hashes; at L ≥ 1, hash i of tile N is the Merkle root of the *full* tile
  (L−1, N·256+i), i.e. the perfect subtree of 256^L leaves starting at leaf (N·256+i)·256^L.
* ``tile/entries/<N>[.p/<W>]`` — the entries of level-0 tile N, each as a big-endian uint16
  length followed by the entry bytes.

Full tiles hold 256 hashes and have no ``.p/`` suffix; the partial tile of a level has
W = ⌊s/256^L⌋ mod 256 hashes (when W > 0). ``N`` is written in zero-padded three-digit groups,
``x``-prefixed except the last (1234067 → ``x001/x234/067``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.errors import MalformedError, VerificationError
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    consistency_ranges,
    inclusion_ranges,
    node_hash,
    range_hash,
)

__all__ = [
    "ENTRIES_LEVEL",
    "MAX_ENTRY_SIZE",
    "MAX_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "bundles_for_size",
    "consistency_proof_from_tiles",
    "decode_bundle",
    "encode_bundle",
    "hash_from_tiles",
    "inclusion_proof_from_tiles",
    "parse_tile_path",
    "range_hash_from_tiles",
    "root_from_tiles",
    "tile_bytes",
    "tile_hash_root",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Merkle levels per tile level (C2SP tlog-tiles fixes the height at 8)."""

TILE_WIDTH = 256
"""Hashes in a full tile, 2^TILE_HEIGHT."""

ENTRIES_LEVEL = -1
"""``TileRef.level`` of an entry bundle (``tile/entries/...``)."""

MAX_LEVEL = 63
"""Highest tile level a path may name (C2SP tlog-tiles: L is 0..63)."""

MAX_ENTRY_SIZE = 65535
"""Largest entry a bundle can carry: its length is a uint16 (C2SP tlog-tiles "Log Entries")."""

# Bound on N so that parsing stays cheap: 2^64 covers any tree a 64-bit size can describe.
_MAX_INDEX = 2**64 - 1

_PATH_RE = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)"
    r"/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


@dataclass(frozen=True)
class TileRef:
    """One tile or entry bundle: ``level`` (``ENTRIES_LEVEL`` for bundles), ``index``, ``width``.

    ``width`` is 256 for a full tile and 1..255 for a partial one.
    """

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        """Reject references that have no path (programming errors, not untrusted input).

        Raises:
            ValueError: if a field is out of range.
        """
        if not ENTRIES_LEVEL <= self.level <= MAX_LEVEL:
            raise ValueError(f"瓦片层级 {self.level} 不在 -1..{MAX_LEVEL} 范围内")
        if not 0 <= self.index <= _MAX_INDEX:
            raise ValueError(f"瓦片序号 {self.index} 超出范围")
        if not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"瓦片宽度 {self.width} 不在 1..{TILE_WIDTH} 范围内")

    @property
    def is_bundle(self) -> bool:
        """Whether this is an entry bundle rather than a hash tile."""
        return self.level == ENTRIES_LEVEL

    @property
    def is_partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes or entries."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The C2SP path, e.g. ``tile/0/x001/234.p/7`` or ``tile/entries/000``."""
        level = "entries" if self.is_bundle else str(self.level)
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{level}/{_encode_index(self.index)}{suffix}"


def _encode_index(index: int) -> str:
    """Encode N as three-digit groups, ``x`` before all but the last (C2SP tlog-tiles)."""
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TileRef:
    """Parse a tile or entry-bundle path, strictly.

    Only the canonical spelling is accepted: L without leading zeros and ≤ 63; N in
    three-digit groups with no leading all-zero ``x000`` groups; W in 1..255 without leading
    zeros; nothing before ``tile/`` or after the name.

    Args:
        path: e.g. ``tile/1/x001/234.p/17``.

    Returns:
        The parsed reference; ``ref.path == path``.

    Raises:
        MalformedError: for anything else.
    """
    if not isinstance(path, str) or len(path) > 200:
        raise MalformedError("瓦片路径：不是长度合理的字符串")
    match = _PATH_RE.fullmatch(path)
    if match is None:
        raise MalformedError(f"瓦片路径格式错误：{path!r}")
    level_text, index_text, width_text = match.group("level", "index", "width")
    level = ENTRIES_LEVEL if level_text == "entries" else int(level_text)
    index = int(index_text.replace("x", "").replace("/", ""))
    width = TILE_WIDTH if width_text is None else int(width_text)
    if level > MAX_LEVEL or index > _MAX_INDEX or (width_text is not None and width >= TILE_WIDTH):
        raise MalformedError(f"瓦片路径中的数值超出范围：{path!r}")
    ref = TileRef(level, index, width)
    if ref.path != path:  # e.g. "x000/001": the canonical encoding of 1 is "001"
        raise MalformedError(f"瓦片路径的编码不规范：{path!r}")
    return ref


def tiles_for_size(size: int) -> list[TileRef]:
    """Return every hash tile of a tree of ``size`` leaves, level by level, in index order.

    Level l exists while ⌊size/256^l⌋ > 0; it has ⌊size/256^(l+1)⌋ full tiles, then a
    partial tile of width ⌊size/256^l⌋ mod 256 if that is non-zero (docs/ledger.md §10.5).

    Args:
        size: the tree size.

    Returns:
        The tile references (empty for size 0).

    Raises:
        ValueError: if ``size`` is negative.
    """
    if size < 0:
        raise ValueError("大小不能为负数")
    refs: list[TileRef] = []
    level = 0
    hashes = size  # number of hashes at this tile level: ⌊size / 256^level⌋
    while hashes > 0:
        refs.extend(_level_refs(level, hashes))
        level += 1
        hashes //= TILE_WIDTH
    return refs


def bundles_for_size(size: int) -> list[TileRef]:
    """Return every entry bundle of a log of ``size`` entries (same shape as level-0 tiles).

    Args:
        size: the log size.

    Returns:
        References with ``level == ENTRIES_LEVEL``, in index order.

    Raises:
        ValueError: if ``size`` is negative.
    """
    if size < 0:
        raise ValueError("大小不能为负数")
    return _level_refs(ENTRIES_LEVEL, size)


def _level_refs(level: int, hashes: int) -> list[TileRef]:
    full, width = divmod(hashes, TILE_WIDTH)
    refs = [TileRef(level, n) for n in range(full)]
    if width:
        refs.append(TileRef(level, full, width))
    return refs


def tile_bytes(tree: MerkleTree, ref: TileRef) -> bytes:
    """Return the contents of hash tile ``ref``: ``width`` concatenated 32-byte hashes.

    Args:
        tree: a tree holding at least the leaves the tile covers.
        ref: a hash tile (not an entry bundle).

    Returns:
        ``ref.width`` × 32 bytes.

    Raises:
        ValueError: for an entry bundle, or a tile the tree cannot fill.
    """
    if ref.is_bundle:
        raise ValueError("条目包存放的是条目而不是哈希：请使用 encode_bundle")
    level = ref.level * TILE_HEIGHT
    first = ref.index * TILE_WIDTH
    return b"".join(tree.subtree_hash(level, first + i) for i in range(ref.width))


def tile_hash_root(hashes: list[bytes]) -> bytes:
    """Return the Merkle root of a full tile's 256 hashes (8 rounds of pairwise node_hash).

    This is the hash the next tile level stores for that tile.

    Args:
        hashes: the 256 hashes of a full tile, in order.

    Returns:
        The 32-byte root of the 256^(L+1)-leaf perfect subtree the tile covers.

    Raises:
        ValueError: unless exactly 256 hashes are given.
    """
    if len(hashes) != TILE_WIDTH:
        raise ValueError("只有满瓦片在上一层才有对应的哈希")
    return _perfect_root(hashes)


def _perfect_root(hashes: list[bytes]) -> bytes:
    """Root of a power-of-two number of sibling hashes, pairwise, level by level."""
    row = hashes
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def _split_hashes(ref: TileRef, data: bytes) -> list[bytes]:
    """Split tile bytes into hashes; the length must be exactly width × 32."""
    if len(data) != ref.width * HASH_SIZE:
        raise MalformedError(f"{ref.path}：长 {len(data)} 字节，应为 {ref.width * HASH_SIZE} 字节")
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


def root_from_tiles(size: int, read: Callable[[TileRef], bytes]) -> bytes:
    """Read every tile of a tree of ``size``, check them all, and return the tree's root.

    Every tile at level L ≥ 1 must hold exactly the roots of the full level-(L−1) tiles it
    summarizes, so a single altered byte anywhere is detected (like Tessera's ``fsck``). The
    root is then folded from the partial tiles (RFC 9162 §2.1.1: the binary decomposition of
    ``size`` in base 256 puts every top-level subtree in some level's partial tile).

    Args:
        size: the tree size (from a verified checkpoint).
        read: returns the bytes of one tile; its exceptions propagate unchanged.

    Returns:
        The 32-byte MTH of the tree (``EMPTY_ROOT`` for size 0); compare it with the checkpoint.

    Raises:
        MalformedError: a tile of the wrong length.
        VerificationError: a tile at level L ≥ 1 disagrees with the level below.
        ValueError: if ``size`` is negative.
    """
    if size < 0:
        raise ValueError("大小不能为负数")
    expected: list[bytes] | None = None  # hashes the current level must hold, from below
    partials: list[list[bytes]] = []  # partial-tile hashes, lowest level first
    level, count = 0, size
    while count > 0:
        hashes = _read_level(level, count, read)
        if expected is not None and hashes != expected:
            raise VerificationError(_first_mismatch(level, hashes, expected))
        full = count // TILE_WIDTH
        expected = [
            _perfect_root(hashes[n * TILE_WIDTH : (n + 1) * TILE_WIDTH]) for n in range(full)
        ]
        partials.append(hashes[full * TILE_WIDTH :])
        level, count = level + 1, full
    return _root_from_partials(partials)


def _read_level(level: int, count: int, read: Callable[[TileRef], bytes]) -> list[bytes]:
    hashes: list[bytes] = []
    for ref in _level_refs(level, count):
        hashes.extend(_split_hashes(ref, read(ref)))
    return hashes


def _first_mismatch(level: int, got: list[bytes], want: list[bytes]) -> str:
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        if a != b:
            ref = TileRef(level, i // TILE_WIDTH)
            return f"第 {level} 层瓦片（{ref.path}）的第 {i % TILE_WIDTH} 个哈希与下层不符"
    return f"第 {level} 层瓦片与下层不符"  # pragma: no cover


def _root_from_partials(partials: list[list[bytes]]) -> bytes:
    """Fold the perfect subtrees held by each level's partial tile into the root."""
    pieces: list[bytes] = []
    # Largest subtrees first: top level first, and within a tile, left to right.
    for hashes in reversed(partials):
        pos = 0
        remaining = len(hashes)
        while remaining:
            chunk = 1 << (remaining.bit_length() - 1)
            pieces.append(_perfect_root(hashes[pos : pos + chunk]))
            pos += chunk
            remaining -= chunk
    if not pieces:
        return EMPTY_ROOT
    root = pieces[-1]
    for h in reversed(pieces[:-1]):
        root = node_hash(h, root)
    return root


def hash_from_tiles(size: int, level: int, index: int, read: Callable[[TileRef], bytes]) -> bytes:
    """Return the perfect-subtree hash at Merkle ``level``/``index`` of a tree of ``size``.

    Reads the one tile that holds it (at tile level ⌊level/8⌋, with the width that tree size
    implies) and hashes within it. The result is *not* verified: check it with a proof against
    a trusted root, as C2SP tlog-tiles clients do.

    Args:
        size: the tree size the tiles were published for.
        level: Merkle level (0 = leaves).
        index: the subtree index at that level; the subtree must be complete within ``size``.
        read: returns the bytes of one tile.

    Returns:
        The 32-byte subtree hash, as published (unverified).

    Raises:
        ValueError: if the subtree is not complete within ``size``.
        MalformedError: a tile of the wrong length.
    """
    if level < 0 or index < 0 or (index + 1) << level > size:
        raise ValueError(f"大小为 {size} 时，第 {level} 层序号 {index} 处没有完整的子树")
    tile_level, sub = divmod(level, TILE_HEIGHT)
    first = index << sub  # first hash at the tile level
    tile_index = first // TILE_WIDTH
    available = size >> (TILE_HEIGHT * tile_level)  # hashes at this tile level
    width = min(TILE_WIDTH, available - tile_index * TILE_WIDTH)
    ref = TileRef(tile_level, tile_index, width)
    hashes = _split_hashes(ref, read(ref))
    offset = first % TILE_WIDTH
    return _perfect_root(hashes[offset : offset + (1 << sub)])


def range_hash_from_tiles(
    size: int, start: int, end: int, read: Callable[[TileRef], bytes]
) -> bytes:
    """MTH(D[start:end]) of a tree published as tiles for ``size`` (unverified: check a proof).

    ``start`` must be aligned to a power of two ≥ ``end − start`` (true of every range in an
    RFC 9162 proof); the range is folded from its perfect subtrees by
    :func:`ledger.merkle.range_hash`, each read with :func:`hash_from_tiles`.

    Raises:
        ValueError: if a subtree of the range is not complete within ``size``.
        MalformedError: a tile of the wrong length.
    """
    return range_hash(start, end, lambda level, index: hash_from_tiles(size, level, index, read))


def inclusion_proof_from_tiles(
    index: int, size: int, read: Callable[[TileRef], bytes]
) -> list[bytes]:
    """An inclusion proof for leaf ``index`` in the tree of ``size``, read from its tiles.

    The ranges are :func:`ledger.merkle.inclusion_ranges` (RFC 9162 §2.1.3.1); unverified.

    Raises:
        ValueError: unless 0 ≤ index < size.
        MalformedError: a tile of the wrong length.
    """
    return [range_hash_from_tiles(size, s, e, read) for s, e in inclusion_ranges(index, size)]


def consistency_proof_from_tiles(
    old_size: int, new_size: int, read: Callable[[TileRef], bytes]
) -> list[bytes]:
    """A consistency proof old_size → new_size, read from the tiles of ``new_size``.

    The ranges are :func:`ledger.merkle.consistency_ranges` (RFC 9162 §2.1.4.1); unverified.

    Raises:
        ValueError: unless 0 < old_size ≤ new_size.
        MalformedError: a tile of the wrong length.
    """
    return [
        range_hash_from_tiles(new_size, s, e, read)
        for s, e in consistency_ranges(old_size, new_size)
    ]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """Encode an entry bundle: ``u16be(len(e)) ‖ e`` for each entry (C2SP tlog-tiles).

    Args:
        entries: at most 256 entries, each at most 65535 bytes.

    Returns:
        The bundle bytes.

    Raises:
        MalformedError: if an entry is longer than 65535 bytes.
        ValueError: if there are more than 256 entries.
    """
    parts: list[bytes] = []
    for i, entry in enumerate(entries):
        if i >= TILE_WIDTH:
            raise ValueError("一个条目包最多存放 256 条条目")
        if len(entry) > MAX_ENTRY_SIZE:
            raise MalformedError(f"第 {i} 条条目长 {len(entry)} 字节，上限为 65535 字节")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(bytes(entry))
    return b"".join(parts)


def decode_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Decode an entry bundle strictly.

    Args:
        data: the bundle bytes.
        width: if given, the exact number of entries required (the bundle's ``TileRef.width``).

    Returns:
        The entries, in order.

    Raises:
        MalformedError: a truncated length or entry, more than 256 entries, or a count other
            than ``width``.
    """
    view = memoryview(bytes(data))
    entries: list[bytes] = []
    pos = 0
    while pos < len(view):
        if len(entries) == TILE_WIDTH:
            raise MalformedError("条目包：条目超过 256 条")
        if pos + 2 > len(view):
            raise MalformedError("条目包：长度前缀被截断")
        length = int.from_bytes(view[pos : pos + 2], "big")
        pos += 2
        if pos + length > len(view):
            raise MalformedError("条目包：条目被截断")
        entries.append(bytes(view[pos : pos + length]))
        pos += length
    if width is not None and len(entries) != width:
        raise MalformedError(f"条目包：有 {len(entries)} 条条目，应为 {width} 条")
    return entries
