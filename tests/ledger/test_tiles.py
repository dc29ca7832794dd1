"""Tests for ledger.tiles: C2SP tlog-tiles paths, tile math, tile contents, bundles, fsck."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import MalformedError, VerificationError
from ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from ledger.tiles import (
    ENTRIES_LEVEL,
    MAX_ENTRY_SIZE,
    TILE_WIDTH,
    TileRef,
    bundles_for_size,
    decode_bundle,
    encode_bundle,
    hash_from_tiles,
    parse_tile_path,
    root_from_tiles,
    tile_bytes,
    tile_hash_root,
    tiles_for_size,
)

# --- paths -------------------------------------------------------------------------------------

PATHS = {
    "tile/0/000": TileRef(0, 0),
    "tile/0/001": TileRef(0, 1),
    "tile/0/999": TileRef(0, 999),
    "tile/0/x001/000": TileRef(0, 1000),
    "tile/0/x001/x234/067": TileRef(0, 1234067),  # the C2SP example index
    "tile/0/x001/x234/067.p/8": TileRef(0, 1234067, 8),
    "tile/1/x001/234.p/17": TileRef(1, 1234, 17),
    "tile/2/000.p/1": TileRef(2, 0, 1),
    "tile/63/000": TileRef(63, 0),
    "tile/entries/000": TileRef(ENTRIES_LEVEL, 0),
    "tile/entries/x001/x234/067.p/255": TileRef(ENTRIES_LEVEL, 1234067, 255),
}


@pytest.mark.parametrize(("path", "ref"), PATHS.items())
def test_path_encoding(path: str, ref: TileRef) -> None:
    assert ref.path == path
    assert parse_tile_path(path) == ref


@settings(max_examples=500, deadline=None)
@given(
    st.integers(min_value=-1, max_value=63),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=1, max_value=256),
)
def test_path_round_trip(level: int, index: int, width: int) -> None:
    ref = TileRef(level, index, width)
    assert parse_tile_path(ref.path) == ref


MALFORMED_PATHS = [
    "",
    "tile",
    "tile/",
    "tile/0",
    "tile/0/",
    "tile/0/1",
    "tile/0/01",
    "tile/0/0000",
    "tile/0/x000/001",  # non-canonical: 1 is "001"
    "tile/0/x001",  # the last element has no x
    "tile/0/001/002",  # inner elements need the x
    "tile/0/X001/002",
    "tile/0/x01/002",
    "tile/0/x0001/002",
    "tile/0/y001/002",
    "tile/0/x001//002",
    "tile/00/000",  # level with a leading zero
    "tile/01/000",
    "tile/64/000",  # level out of range
    "tile/-1/000",
    "tile/+1/000",
    "tile/a/000",
    "tile/0/000.p/0",  # width 0
    "tile/0/000.p/256",  # a full tile has no suffix
    "tile/0/000.p/300",
    "tile/0/000.p/007",  # width with leading zeros
    "tile/0/000.p/",
    "tile/0/000.p",
    "tile/0/000.p/1/",
    "tile/0/000/",
    "/tile/0/000",
    "./tile/0/000",
    "tiles/0/000",
    "tile/entry/000",
    "tile/entries/0",
    "tile/data/000",
    "tile/8/0/000",  # Go sumdb layout (height in the path) is not tlog-tiles
    "tile/0/000 ",
    " tile/0/000",
    "tile/0/000\n",
    "tile/0/٠٠٠",  # Arabic-Indic digits
    "tile/0/000.p/１",  # fullwidth digit
    "tile/0/" + "x999/" * 10 + "999",  # index ≥ 2^64
    "tile\\0\\000",
]


@pytest.mark.parametrize("path", MALFORMED_PATHS)
def test_malformed_paths_rejected(path: str) -> None:
    with pytest.raises(MalformedError):
        parse_tile_path(path)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="tile/entrsx0123456789.p", max_size=30))
def test_fuzz_parse_tile_path(path: str) -> None:
    try:
        ref = parse_tile_path(path)
    except MalformedError:
        return
    assert ref.path == path


def test_fuzz_parse_tile_path_non_strings() -> None:
    for value in (None, b"tile/0/000", 7):
        with pytest.raises(MalformedError):
            parse_tile_path(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("level", "index", "width"), [(-2, 0, 256), (64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]
)
def test_tileref_rejects_bad_fields(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError):
        TileRef(level, index, width)


# --- tile math ---------------------------------------------------------------------------------


def test_tiles_for_size_70000() -> None:
    refs = tiles_for_size(70_000)
    by_level: dict[int, list[TileRef]] = {}
    for ref in refs:
        by_level.setdefault(ref.level, []).append(ref)
    assert sorted(by_level) == [0, 1, 2]
    assert len(by_level[0]) == 274
    assert all(not r.is_partial for r in by_level[0][:273])
    assert by_level[0][-1] == TileRef(0, 273, 112)
    assert by_level[1] == [TileRef(1, 0), TileRef(1, 1, 17)]
    assert by_level[2] == [TileRef(2, 0, 1)]
    assert [r.path for r in by_level[1]] == ["tile/1/000", "tile/1/001.p/17"]
    assert bundles_for_size(70_000)[-1].path == "tile/entries/273.p/112"


@pytest.mark.parametrize(
    ("size", "paths"),
    [
        (0, []),
        (1, ["tile/0/000.p/1"]),
        (255, ["tile/0/000.p/255"]),
        (256, ["tile/0/000", "tile/1/000.p/1"]),
        (257, ["tile/0/000", "tile/0/001.p/1", "tile/1/000.p/1"]),
        (512, ["tile/0/000", "tile/0/001", "tile/1/000.p/2"]),
        (65536, None),
    ],
)
def test_tiles_for_small_sizes(size: int, paths: list[str] | None) -> None:
    refs = tiles_for_size(size)
    if paths is not None:
        assert [r.path for r in refs] == paths
    else:
        assert refs[-2:] == [TileRef(1, 0), TileRef(2, 0, 1)]
        assert len(refs) == 256 + 1 + 1


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=70_000))
def test_tile_math_properties(size: int) -> None:
    refs = tiles_for_size(size)
    for level in range(4):
        at_level = [r for r in refs if r.level == level]
        hashes = size // TILE_WIDTH**level
        # Each level covers exactly ⌊size / 256^level⌋ hashes, in order, partial tile last.
        assert sum(r.width for r in at_level) == hashes
        assert [r.index for r in at_level] == list(range(len(at_level)))
        assert all(not r.is_partial for r in at_level[:-1])
        if at_level:
            assert at_level[-1].is_partial == (hashes % TILE_WIDTH != 0)
    bundles = bundles_for_size(size)
    assert [(b.index, b.width) for b in bundles] == [
        (r.index, r.width) for r in refs if r.level == 0
    ]
    assert all(parse_tile_path(r.path) == r for r in refs + bundles)


def test_negative_sizes_rejected() -> None:
    for fn in (tiles_for_size, bundles_for_size):
        with pytest.raises(ValueError):
            fn(-1)
    with pytest.raises(ValueError):
        root_from_tiles(-1, lambda ref: b"")


# --- tile contents and root from tiles ---------------------------------------------------------


def _tree(size: int, salt: int = 0) -> MerkleTree:
    return MerkleTree([leaf_hash(b"%d:%d" % (salt, i)) for i in range(size)])


def _reader(tree: MerkleTree, log: list[TileRef] | None = None) -> Callable[[TileRef], bytes]:
    def read(ref: TileRef) -> bytes:
        if log is not None:
            log.append(ref)
        return tile_bytes(tree, ref)

    return read


def test_level1_hash_is_root_of_full_level0_tile() -> None:
    tree = _tree(600)
    level0 = tile_bytes(tree, TileRef(0, 1))
    hashes = [level0[i : i + 32] for i in range(0, len(level0), 32)]
    assert tile_hash_root(hashes) == tree.subtree_hash(8, 1)
    assert tile_bytes(tree, TileRef(1, 0, 2))[32:] == tree.subtree_hash(8, 1)
    assert tile_hash_root(hashes) == MerkleTree(hashes).root
    with pytest.raises(ValueError):
        tile_hash_root(hashes[:255])


def test_tile_bytes_preconditions() -> None:
    tree = _tree(300)
    with pytest.raises(ValueError):
        tile_bytes(tree, TileRef(0, 1))  # only 44 leaves in tile 1
    with pytest.raises(ValueError):
        tile_bytes(tree, TileRef(ENTRIES_LEVEL, 0))


@pytest.mark.parametrize("size", [0, 1, 2, 255, 256, 257, 300, 511, 512, 65535, 65536, 65537])
def test_root_from_tiles_boundaries(size: int) -> None:
    tree = _tree(size)
    log: list[TileRef] = []
    assert root_from_tiles(size, _reader(tree, log)) == tree.root
    assert log == tiles_for_size(size)
    if size == 0:
        assert tree.root == EMPTY_ROOT


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=4000), st.integers(min_value=0, max_value=99))
def test_root_from_tiles_equals_tree_root(size: int, salt: int) -> None:
    tree = _tree(size, salt)
    assert root_from_tiles(size, _reader(tree)) == tree.root


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.data())
def test_hash_from_tiles(size: int, data: st.DataObject) -> None:
    tree = _tree(size)
    level = data.draw(st.integers(min_value=0, max_value=size.bit_length() - 1), label="level")
    index = data.draw(st.integers(min_value=0, max_value=(size >> level) - 1), label="index")
    assert hash_from_tiles(size, level, index, _reader(tree)) == tree.subtree_hash(level, index)
    with pytest.raises(ValueError):
        hash_from_tiles(size, level, size >> level, _reader(tree))


def test_root_from_tiles_detects_every_flipped_upper_tile_byte() -> None:
    size = 700
    tree = _tree(size)
    upper = [ref for ref in tiles_for_size(size) if ref.level >= 1]
    for target in upper:
        good = tile_bytes(tree, target)
        for pos in range(len(good)):
            bad = bytearray(good)
            bad[pos] ^= 0x10

            def read(ref: TileRef, target: TileRef = target, bad: bytes = bytes(bad)) -> bytes:
                return bad if ref == target else tile_bytes(tree, ref)

            with pytest.raises(VerificationError):
                root_from_tiles(size, read)


def test_root_from_tiles_level0_change_changes_root() -> None:
    # A flipped leaf hash is only caught through the upper tiles or the checkpoint root.
    size = 300
    tree = _tree(size)

    def read(ref: TileRef) -> bytes:
        data = bytearray(tile_bytes(tree, ref))
        if ref == TileRef(0, 1, 44):
            data[0] ^= 1
        return bytes(data)

    assert root_from_tiles(size, read) != tree.root

    def read0(ref: TileRef) -> bytes:
        data = bytearray(tile_bytes(tree, ref))
        if ref == TileRef(0, 0):
            data[100] ^= 1
        return bytes(data)

    with pytest.raises(VerificationError):  # tile 0/000 is also summarized at level 1
        root_from_tiles(size, read0)


@pytest.mark.parametrize("delta", [-32, -1, 1, 32])
def test_root_from_tiles_rejects_wrong_length(delta: int) -> None:
    tree = _tree(300)

    def read(ref: TileRef) -> bytes:
        data = tile_bytes(tree, ref)
        if ref.level == 1:
            return data + b"\x00" * delta if delta > 0 else data[:delta]
        return data

    with pytest.raises(MalformedError):
        root_from_tiles(300, read)


# --- entry bundles -----------------------------------------------------------------------------


def test_bundle_layout() -> None:
    assert encode_bundle([b"ab", b"", b"\x00"]) == b"\x00\x02ab\x00\x00\x00\x01\x00"
    assert decode_bundle(b"\x00\x02ab\x00\x00\x00\x01\x00") == [b"ab", b"", b"\x00"]
    assert encode_bundle([]) == b""
    assert decode_bundle(b"") == []
    big = b"x" * MAX_ENTRY_SIZE
    assert decode_bundle(encode_bundle([big])) == [big]
    assert encode_bundle([big])[:2] == b"\xff\xff"


def test_bundle_limits() -> None:
    with pytest.raises(MalformedError):
        encode_bundle([b"x" * (MAX_ENTRY_SIZE + 1)])
    with pytest.raises(ValueError):
        encode_bundle([b""] * 257)
    assert len(decode_bundle(encode_bundle([b"e"] * 256), width=256)) == 256
    with pytest.raises(MalformedError):
        decode_bundle(encode_bundle([b"e"] * 256) + b"\x00\x00")
    with pytest.raises(MalformedError):
        decode_bundle(encode_bundle([b"a", b"b"]), width=3)


@pytest.mark.parametrize(
    "data", [b"\x00", b"\x00\x01", b"\x00\x02a", b"\x00\x01a\x00", b"\xff\xff" + b"x" * 100]
)
def test_bundle_truncation_rejected(data: bytes) -> None:
    with pytest.raises(MalformedError):
        decode_bundle(data)


entries_strategy = st.lists(st.binary(max_size=300), max_size=40)


@settings(max_examples=300, deadline=None)
@given(entries_strategy)
def test_bundle_round_trip(entries: list[bytes]) -> None:
    data = encode_bundle(entries)
    assert decode_bundle(data, width=len(entries)) == entries
    assert encode_bundle(decode_bundle(data)) == data


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_decode_bundle(data: bytes) -> None:
    try:
        entries = decode_bundle(data)
    except MalformedError:
        return
    assert encode_bundle(entries) == data


@settings(max_examples=500, deadline=None)
@given(entries_strategy, st.data())
def test_fuzz_bundle_mutations(entries: list[bytes], data: st.DataObject) -> None:
    raw = bytearray(encode_bundle(entries))
    if raw:
        pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[pos] = data.draw(st.integers(min_value=0, max_value=255))
        cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:cut]
    try:
        decoded = decode_bundle(bytes(raw), width=len(entries))
    except MalformedError:
        return
    assert encode_bundle(decoded) == bytes(raw)


# --- generated vectors (tests/ledger/vectors/tiles.json; see gen_merkle_vectors.py) ------------


def test_tile_vectors() -> None:
    import hashlib
    import json
    from pathlib import Path

    from ledger.canonical import dumps

    vec = json.loads((Path(__file__).parent / "vectors" / "tiles.json").read_text("utf-8"))
    size = vec["size"]
    entries = [dumps({"index": i, "note": "抽查条目", "v": 1}) for i in range(size)]
    assert entries[0].decode() == vec["first_entry"]
    tiles = {p: bytes.fromhex(h) for p, h in vec["hash_tiles"].items()}
    assert list(tiles) == [r.path for r in tiles_for_size(size)]
    root = root_from_tiles(size, lambda ref: tiles[ref.path])
    assert root.hex() == vec["root"]
    assert MerkleTree([leaf_hash(e) for e in entries]).root == root
    for path, digest in vec["bundle_sha256"].items():
        ref = parse_tile_path(path)
        bundle = encode_bundle(entries[ref.index * 256 : ref.index * 256 + ref.width])
        assert hashlib.sha256(bundle).hexdigest() == digest
        assert decode_bundle(bundle, width=ref.width) == entries[ref.index * 256 :][: ref.width]
    for path, (level, index, width) in vec["path_examples"].items():
        assert parse_tile_path(path) == TileRef(level, index, width)
    for s, paths in vec["tiles_for_size"].items():
        assert [r.path for r in tiles_for_size(int(s))] == paths
