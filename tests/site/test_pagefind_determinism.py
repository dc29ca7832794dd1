"""Pagefind output is byte-identical across builds: the filter and meta files are canonicalized
(``generator/site/pagefind_canon.py``). Builds need ``pagefind[extended]`` and skip without it;
the canonicalizer's unit tests do not."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import cbor2
import pytest
from site_helpers import build_mini, tree
from site_results import mini_results

import generator.site.search as search
from generator.site.pagefind_canon import (
    SIGNATURE,
    PagefindFormatError,
    canonical_filter,
    canonical_meta,
    canonicalize_bundle,
    decode_file,
    encode_file,
    gzip_deterministic,
)

needs_pagefind = pytest.mark.skipif(
    not search.pagefind_available(), reason="缺少 pagefind[extended]"
)

# --- builds -------------------------------------------------------------------------------


@needs_pagefind
def test_two_search_builds_are_byte_identical(tmp_path: Path) -> None:
    """Every file, Pagefind's and the businesses' index included (before canonicalization
    Pagefind's filter files, meta file and pagefind-entry.json differed from build to build)."""
    trees = []
    for name in ("a", "b", "c"):
        build_mini(tmp_path / name, search=True, incremental=False)
        trees.append(tree(tmp_path / name))
    first = trees[0]
    assert any(k.startswith("pagefind/") for k in first)
    assert any(k.startswith("search/biz/p/") for k in first)
    for other in trees[1:]:
        assert sorted(other) == sorted(first)
        assert [k for k in sorted(first) if first[k] != other[k]] == []


@needs_pagefind
def test_incremental_search_republish_equals_full_build(tmp_path: Path) -> None:
    """Re-indexing only the changed bundle gives, Pagefind files included, a full build."""
    results = mini_results()
    out, full = tmp_path / "site", tmp_path / "full"
    build_mini(out, results=results[:-1], search=True)
    assert build_mini(out, results=results, search=True).incremental
    build_mini(full, results=results, search=True, incremental=False)
    got, want = tree(out), tree(full)
    assert sorted(got) == sorted(want)
    assert [k for k in sorted(want) if got[k] != want[k]] == []


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini site's main Pagefind bundle (canonicalized by the build)."""
    if not search.pagefind_available():
        pytest.skip("缺少 pagefind[extended]")
    out = tmp_path_factory.mktemp("pf") / "site"
    build_mini(out, search=True, incremental=False)
    return out / "pagefind"


def test_every_pagefind_index_file_round_trips(real_bundle: Path) -> None:
    """cbor2 re-encodes Pagefind's CBOR (word index chunks too, which are not rewritten) to
    the same bytes: the rewritten files use Pagefind's own encoding."""
    files = sorted(p for p in real_bundle.rglob("*.pf_*") if p.suffix != ".pf_fragment")
    # (no filter files: only businesses carry filter values, and they are in search/biz/)
    assert {p.suffix for p in files} == {".pf_meta", ".pf_index"}
    for p in files:
        data = gzip.decompress(p.read_bytes())
        assert data.startswith(SIGNATURE)
        assert cbor2.dumps(decode_file(p.read_bytes(), p.name)) == data[len(SIGNATURE) :]


def test_real_bundle_names_are_pagefind_content_hashes(real_bundle: Path) -> None:
    entry = json.loads((real_bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta_hash = entry["languages"]["zh-cn"]["hash"]
    meta_path = real_bundle / f"pagefind.{meta_hash}.pf_meta"
    body = gzip.decompress(meta_path.read_bytes())[len(SIGNATURE) :]
    assert meta_hash == "zh-cn_" + hashlib.sha1(body).hexdigest()[:13]
    meta = decode_file(meta_path.read_bytes())
    # No filters: only businesses carry filter values, in search/biz/ (generator/site/bizsearch.py).
    assert meta[3] == []
    assert not (real_bundle / "filter").exists()


def test_shuffled_real_bundle_canonicalizes_to_the_same_bytes(
    real_bundle: Path, tmp_path: Path
) -> None:
    """Pagefind's random orders, simulated on a real bundle: any order of filters and values
    gives the same files, and canonicalizing again changes nothing."""
    want = tree(real_bundle)
    for seed in range(3):
        copy = tmp_path / f"b{seed}"
        shutil.copytree(real_bundle, copy)
        _shuffle_bundle(copy, random.Random(seed))
        assert tree(copy) != want
        canonicalize_bundle(copy)
        assert tree(copy) == want
    canonicalize_bundle(copy)
    assert tree(copy) == want


# --- unit tests of the canonicalizer --------------------------------------------------------

FILTERS = {
    "行业": [["餐饮", [1, 2, 5]], ["广告", [3]], ["住宿", [0, 4]], ["印刷", [2]]],
    "年度": [["2026年", [3]], ["2024年", [1, 2]]],
    "行政区划": [["崇信县（620823）", [0, 1, 2]], ["灵台县（620822）", [3, 4, 5]]],
}
PAGES = [["zh-cn_e1cdd6b", 256], ["zh-cn_75871c8", 85], ["zh-cn_0b9b23b", 95]]
CHUNKS = [["0000018", "崇", "zh-cn_42a6967"], ["建", "高风险", "zh-cn_1a2b3c4"]]
SORTS = [["weight", [2, 0, 1]], ["date", [1, 2, 0]]]
FIELDS = ["code", "title"]


def _pf_hash(body: bytes, digits: int) -> str:
    return "zh-cn_" + hashlib.sha1(body).hexdigest()[:digits]


def _write_bundle(root: Path, rng: random.Random | None) -> Path:
    """A bundle as Pagefind writes it, the HashMap orders drawn from ``rng`` (None: as given)."""
    (root / "filter").mkdir(parents=True)
    meta_filters = []
    for name, values in FILTERS.items():
        values = [list(v) for v in values]
        if rng:
            rng.shuffle(values)
        body = cbor2.dumps([name, values])
        h = _pf_hash(body, 7)
        (root / "filter" / f"{h}.pf_filter").write_bytes(gzip.compress(SIGNATURE + body))
        meta_filters.append([name, h])
    sorts = [list(s) for s in SORTS]
    if rng:
        rng.shuffle(meta_filters)
        rng.shuffle(sorts)
    body = cbor2.dumps(["1.5.2", PAGES, CHUNKS, meta_filters, sorts, FIELDS])
    h = _pf_hash(body, 13)
    (root / f"pagefind.{h}.pf_meta").write_bytes(gzip.compress(SIGNATURE + body, mtime=12345))
    entry = {"version": "1.5.2", "languages": {"zh-cn": {"hash": h, "wasm": None}}}
    (root / "pagefind-entry.json").write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    (root / "fragment").mkdir()
    (root / "fragment" / "zh-cn_e1cdd6b.pf_fragment").write_bytes(b"untouched")
    return root


def _shuffle_bundle(bundle: Path, rng: random.Random) -> None:
    """Reorder a bundle's filters and filter values as another Pagefind run might, names and
    references updated the way Pagefind computes them."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    old_meta = bundle / f"pagefind.{entry['languages']['zh-cn']['hash']}.pf_meta"
    meta = decode_file(old_meta.read_bytes())
    new_filters = []
    for name, h in meta[3]:
        path = bundle / "filter" / f"{h}.pf_filter"
        value = decode_file(path.read_bytes())
        rng.shuffle(value[1])
        path.unlink()
        body = cbor2.dumps(value)
        new_h = _pf_hash(body, 7)
        (bundle / "filter" / f"{new_h}.pf_filter").write_bytes(gzip.compress(SIGNATURE + body))
        new_filters.append([name, new_h])
    rng.shuffle(new_filters)
    meta[3] = new_filters
    body = cbor2.dumps(meta)
    old_meta.unlink()
    h = _pf_hash(body, 13)
    (bundle / f"pagefind.{h}.pf_meta").write_bytes(gzip.compress(SIGNATURE + body))
    entry["languages"]["zh-cn"]["hash"] = h
    entry_path.write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


def test_gzip_is_deterministic_and_standard() -> None:
    data = SIGNATURE + "筛选".encode() * 100
    a = gzip_deterministic(data)
    assert a == gzip_deterministic(data)
    assert a[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # no name, mtime 0
    assert gzip.decompress(a) == data


def test_decode_encode_round_trip() -> None:
    value = ["行业", [["餐饮", [1, 2, 300, 70000, 2**33]], ["", []]]]
    raw = encode_file(value)
    assert decode_file(raw) == value
    assert encode_file(decode_file(raw)) == raw
    assert gzip.decompress(raw) == SIGNATURE + cbor2.dumps(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not gzip", "gzip"),
        (gzip.compress(cbor2.dumps(["x"])), "pagefind_dcd"),
        (gzip.compress(SIGNATURE + b"\xff\xff"), "CBOR"),
        (gzip.compress(SIGNATURE + b"\x81\x18\x01"), "编码方式"),  # [1] with a 2-byte integer
        (gzip.compress(SIGNATURE + cbor2.dumps(["x"]) + b"\x00"), "编码方式"),  # trailing byte
    ],
    ids=["not-gzip", "no-signature", "bad-cbor", "long-integer", "trailing-byte"],
)
def test_decode_refuses_what_it_cannot_rewrite_losslessly(raw: bytes, message: str) -> None:
    with pytest.raises(PagefindFormatError, match=message):
        decode_file(raw, "x.pf_filter")


def test_canonical_filter_sorts_values_and_keeps_page_lists() -> None:
    value = ["行业", [["餐饮", [5, 1, 2]], ["住宿", [0, 4]], ["广告", [3]]]]
    canon = canonical_filter(value)
    assert canon == ["行业", [["住宿", [0, 4]], ["广告", [3]], ["餐饮", [5, 1, 2]]]]
    assert canonical_filter(canon) == canon  # idempotent
    assert value[1][0][0] == "餐饮"  # input untouched
    rng = random.Random(1)
    for _ in range(5):
        shuffled = [value[0], rng.sample(value[1], len(value[1]))]
        assert cbor2.dumps(canonical_filter(shuffled)) == cbor2.dumps(canon)


@pytest.mark.parametrize(
    "value",
    [
        ["行业"],
        ["行业", [["餐饮", "1"]]],
        ["行业", [["餐饮", [1.5]]]],
        ["行业", [["餐饮", [1]], ["餐饮", [2]]]],
        {"行业": []},
    ],
)
def test_canonical_filter_refuses_other_layouts(value: Any) -> None:
    with pytest.raises(PagefindFormatError):
        canonical_filter(value)


def test_canonical_meta_sorts_only_what_has_no_meaning() -> None:
    meta = ["1.5.2", PAGES, CHUNKS, [["行业", "h1"], ["年度", "h2"]], SORTS, FIELDS, "later"]
    canon = canonical_meta(meta, {"年度": "n2", "行业": "n1"})
    assert canon == [
        "1.5.2",
        PAGES,  # page numbers index this list
        CHUNKS,  # ranges searched in order
        [["年度", "n2"], ["行业", "n1"]],
        [["date", [1, 2, 0]], ["weight", [2, 0, 1]]],  # keys sorted, sort orders kept
        FIELDS,
        "later",
    ]
    assert canonical_meta(canon, {"年度": "n2", "行业": "n1"}) == canon
    with pytest.raises(PagefindFormatError, match="年度"):
        canonical_meta(meta, {"行业": "n1"})
    with pytest.raises(PagefindFormatError):
        canonical_meta(
            ["1.5.2", PAGES, CHUNKS, [["行业", "h1"], ["行业", "h2"]], []], {"行业": "x"}
        )
    with pytest.raises(PagefindFormatError):
        canonical_meta(["1.5.2", [["h", "many"]], [], [], []], {})


def test_reordered_bundles_give_identical_bytes(tmp_path: Path) -> None:
    want_dir = _write_bundle(tmp_path / "plain", None)
    canonicalize_bundle(want_dir)
    want = tree(want_dir)
    for seed in range(4):
        bundle = _write_bundle(tmp_path / f"s{seed}", random.Random(seed))
        canonicalize_bundle(bundle)
        assert tree(bundle) == want
    canonicalize_bundle(want_dir)  # idempotent
    assert tree(want_dir) == want
    assert want["fragment/zh-cn_e1cdd6b.pf_fragment"] == b"untouched"
    entry = json.loads(want["pagefind-entry.json"])
    meta = decode_file(want[f"pagefind.{entry['languages']['zh-cn']['hash']}.pf_meta"])
    assert meta[:3] == ["1.5.2", PAGES, CHUNKS]
    assert [f[0] for f in meta[3]] == sorted(FILTERS)
    assert meta[4] == sorted(SORTS)
    assert meta[5] == FIELDS
    assert {f"filter/{h}.pf_filter" for _, h in meta[3]} == {
        k for k in want if k.startswith("filter/")
    }
    for name, h in meta[3]:
        assert decode_file(want[f"filter/{h}.pf_filter"]) == [name, sorted(FILTERS[name])]


def test_bundle_with_unreferenced_or_missing_filter_file_is_refused(tmp_path: Path) -> None:
    bundle = _write_bundle(tmp_path / "a", None)
    (bundle / "filter" / "zh-cn_0000000.pf_filter").write_bytes(encode_file(["x", []]))
    with pytest.raises(PagefindFormatError, match="未被元数据引用"):
        canonicalize_bundle(bundle)
    bundle = _write_bundle(tmp_path / "b", None)
    next((bundle / "filter").iterdir()).unlink()
    with pytest.raises(PagefindFormatError, match="缺少"):
        canonicalize_bundle(bundle)
