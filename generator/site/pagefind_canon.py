"""Byte-identical Pagefind bundles: canonical filter and meta files.

Pagefind 1.5.2 writes its filter files (``filter/<lang>_<hash>.pf_filter``) and its meta file
(``pagefind.<lang>_<hash>.pf_meta``) from Rust ``HashMap`` iteration (upstream issue #638), so the
order of the filters in the meta file and of the values in each filter file changes from run to
run, and with it the files' content-hash names and the meta hash in ``pagefind-entry.json``.
Every other file (fragments, word index chunks, scripts) is already stable.

Both files are gzip(``pagefind_dcd`` + CBOR), CBOR written by ``minicbor`` as definite-length
arrays with minimal-length integers, which is exactly how ``cbor2`` encodes lists, strings and
integers (checked on every file read: :func:`decode_file` refuses bytes it would not re-encode
identically). The layouts, as Pagefind's browser side (``pagefind_web``/``pagefind_core_search``)
reads them:

* filter file: ``[filter name, [[value, [page number …]] …]]``. The reader puts the values into a
  map, so their order means nothing: sorted by value. Page lists are kept as written (they are in
  page order already, and are read into a set).
* meta file: ``[version, [[page hash, word count] …], [[from, to, chunk hash] …],
  [[filter name, filter file hash] …], [[sort key, [page number …]] …], …]``. Pages are
  positional (page numbers index them) and index chunks are ranges searched in order: both kept.
  Filters and sorts are read into maps keyed by name: sorted by name. A sort's page list is the
  sort order itself: kept. Later elements are kept as written: 1.5.2 adds a sixth, the names
  of the ``data-pagefind-meta`` fields; its reader is not in the published sources checked, so
  its order may matter, and Pagefind writes it in the same order every run.

The files are then re-encoded and gzipped with fixed parameters, and renamed the way Pagefind
names them: ``<lang>_`` + the first hex digits of SHA-1 of the CBOR (without the signature),
7 digits for filter files (one more while two would collide, in filter-name order), as many as
Pagefind used for the meta file. The browser does not check the hashes; they only name files,
and stay content addresses (a changed file gets a new name, so caches stay right).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import cbor2

#: What every Pagefind index file starts with once decompressed.
SIGNATURE = b"pagefind_dcd"
#: Hex digits of a filter file's hash (Pagefind: ``<lang>_`` + 7, more on a collision).
FILTER_HASH_DIGITS = 7
#: gzip header Pagefind writes too: no name, mtime 0, "max compression", OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


class PagefindFormatError(ValueError):
    """A Pagefind output file is not in the layout this module knows (another Pagefind version?)."""


def gzip_deterministic(data: bytes) -> bytes:
    """gzip ``data`` with a fixed header and deflate level 9: the same bytes for the same input
    (with the same zlib). Never raises for bytes input."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def decode_file(raw: bytes, name: str = "") -> Any:
    """The CBOR value of a Pagefind index file (gzip of signature + CBOR).

    Precondition: ``raw`` is the whole file. ``name`` only labels error messages.
    Raises :class:`PagefindFormatError` if the bytes are not gzip, lack the ``pagefind_dcd``
    signature, are not one CBOR item, or would not re-encode to the same bytes (so encoding the
    value again with :func:`encode_file` is exactly Pagefind's encoding).
    """
    try:
        data = zlib.decompress(raw, wbits=16 + zlib.MAX_WBITS)
    except zlib.error as e:
        raise PagefindFormatError(f"Pagefind 索引文件 {name} 不是 gzip 格式：{e}") from e
    if not data.startswith(SIGNATURE):
        raise PagefindFormatError(f"Pagefind 索引文件 {name} 缺少 pagefind_dcd 标记")
    body = data[len(SIGNATURE) :]
    try:
        value = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError) as e:
        raise PagefindFormatError(f"Pagefind 索引文件 {name} 的 CBOR 无法解析：{e}") from e
    if cbor2.dumps(value) != body:
        raise PagefindFormatError(
            f"Pagefind 索引文件 {name} 的 CBOR 编码方式与预期不同，无法无损重写"
        )
    return value


def cbor_body(value: Any) -> bytes:
    """The CBOR encoding of ``value`` (lists, strings, integers), as Pagefind's minicbor writes
    it. Raises ``cbor2.CBOREncodeError`` for values CBOR cannot hold."""
    return cbor2.dumps(value)


def encode_file(value: Any) -> bytes:
    """The bytes of a Pagefind index file holding ``value``: deterministic gzip of the signature
    and the CBOR. Raises ``cbor2.CBOREncodeError`` for values CBOR cannot hold."""
    return gzip_deterministic(SIGNATURE + cbor_body(value))


def _fail(name: str, what: str) -> PagefindFormatError:
    return PagefindFormatError(f"Pagefind 索引文件 {name} 的结构不符合预期：{what}")


def _is_str_list(v: Any, n: int) -> bool:
    return isinstance(v, list) and len(v) == n and all(isinstance(x, str) for x in v)


def _is_int_list(v: Any) -> bool:
    return isinstance(v, list) and all(type(x) is int for x in v)


def canonical_filter(value: Any, name: str = "") -> list[Any]:
    """A filter file's value with its values sorted (by value, code point order).

    Precondition: ``value`` is a decoded filter file, ``[filter, [[value, [page …]] …]]``.
    Returns a new list; ``value`` is not changed. Raises :class:`PagefindFormatError` if the
    layout differs or a value occurs twice (the order would then decide which one the browser
    keeps).
    """
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise _fail(name, "应为 [筛选名, 取值列表]")
    values = value[1]
    if not isinstance(values, list) or not all(
        isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and _is_int_list(v[1])
        for v in values
    ):
        raise _fail(name, "取值应为 [取值, [页码…]]")
    out = sorted(([v[0], list(v[1])] for v in values), key=lambda v: str(v[0]))
    if any(a[0] == b[0] for a, b in itertools.pairwise(out)):
        raise _fail(name, f"筛选 {value[0]} 有重复的取值")
    return [value[0], out]


def canonical_meta(value: Any, filter_hashes: dict[str, str], name: str = "") -> list[Any]:
    """A meta file's value with filters and sorts sorted by name, filter hashes replaced.

    Preconditions: ``value`` is a decoded meta file (layout in the module docstring);
    ``filter_hashes`` maps every filter name listed in it to its (new) file hash.
    Returns a new list; ``value`` is not changed. Raises :class:`PagefindFormatError` if the
    layout differs, a filter or sort name occurs twice, or a filter has no entry in
    ``filter_hashes``.
    """
    if not (isinstance(value, list) and len(value) >= 5 and isinstance(value[0], str)):
        raise _fail(name, "应为 [版本, 页面, 索引分块, 筛选, 排序, …]")
    pages, chunks, filters, sorts = value[1:5]
    if not isinstance(pages, list) or not all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and type(p[1]) is int
        for p in pages
    ):
        raise _fail(name, "页面应为 [哈希, 词数]")
    if not isinstance(chunks, list) or not all(_is_str_list(c, 3) for c in chunks):
        raise _fail(name, "索引分块应为 [起, 止, 哈希]")
    if not isinstance(filters, list) or not all(_is_str_list(f, 2) for f in filters):
        raise _fail(name, "筛选应为 [筛选名, 哈希]")
    if not isinstance(sorts, list) or not all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and _is_int_list(s[1])
        for s in sorts
    ):
        raise _fail(name, "排序应为 [排序键, [页码…]]")
    filter_names = sorted(str(f[0]) for f in filters)
    sort_keys = sorted(str(s[0]) for s in sorts)
    for kind, names in (("筛选", filter_names), ("排序", sort_keys)):
        if len(set(names)) != len(names):
            raise _fail(name, f"{kind}名称重复")
    missing = [f for f in filter_names if f not in filter_hashes]
    if missing:
        raise _fail(name, f"筛选 {'、'.join(missing)} 没有对应的筛选文件")
    new_sorts = sorted(([s[0], list(s[1])] for s in sorts), key=lambda s: str(s[0]))
    return [
        value[0],
        pages,
        chunks,
        [[f, filter_hashes[f]] for f in filter_names],
        new_sorts,
        *value[5:],
    ]


def content_hash(lang: str, body: bytes, digits: int) -> str:
    """Pagefind's file hash: ``<lang>_`` + the first ``digits`` hex digits of SHA-1 of the CBOR
    ``body`` (without signature). Precondition: 1 <= digits <= 40. Never raises."""
    return f"{lang}_{hashlib.sha1(body).hexdigest()[:digits]}"  # noqa: S324  # a name, as Pagefind


def _unique_hash(lang: str, body: bytes, taken: set[str]) -> str:
    for digits in range(FILTER_HASH_DIGITS, 41):
        h = content_hash(lang, body, digits)
        if h not in taken:
            return h
    raise PagefindFormatError(f"两个 Pagefind 筛选文件的内容完全相同（{lang}）")


def _entry_text(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def canonicalize_bundle(bundle: Path) -> None:
    """Rewrite the filter and meta files of the Pagefind bundle ``bundle`` in canonical form,
    rename them by content and update ``pagefind-entry.json``; other files are not touched.

    Preconditions: ``bundle`` is a directory Pagefind has just written (``pagefind-entry.json``,
    ``pagefind.<hash>.pf_meta`` per language, ``filter/``) and nothing else uses it meanwhile
    (run it before publishing the bundle: a failure can leave it half rewritten). Idempotent.
    Raises :class:`PagefindFormatError` if a file's layout is not Pagefind 1.x's as described
    in the module docstring or a file is missing or unreferenced, and ``OSError`` on I/O errors.
    """
    entry_path = bundle / "pagefind-entry.json"
    try:
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PagefindFormatError(f"无法读取 {entry_path}：{e}") from e
    languages = entry.get("languages") if isinstance(entry, dict) else None
    if not isinstance(languages, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("hash"), str) for v in languages.values()
    ):
        raise PagefindFormatError(f"{entry_path} 的 languages 结构不符合预期")
    filter_dir = bundle / "filter"
    old_filters = sorted(filter_dir.glob("*.pf_filter")) if filter_dir.is_dir() else []
    referenced: set[Path] = set()
    # Everything is read before anything is written: a new name may equal an old one.
    writes: dict[Path, bytes] = {}
    removes: set[Path] = set()
    taken: set[str] = set()
    for lang in sorted(languages):
        info = languages[lang]
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        if not meta_path.is_file():
            raise PagefindFormatError(f"缺少 Pagefind 元数据文件 {meta_path}")
        meta = decode_file(meta_path.read_bytes(), meta_path.name)
        if not (isinstance(meta, list) and len(meta) >= 5 and isinstance(meta[3], list)):
            raise _fail(meta_path.name, "应为 [版本, 页面, 索引分块, 筛选, 排序, …]")
        filter_hashes: dict[str, str] = {}
        filter_files: dict[str, bytes] = {}
        for item in sorted(meta[3], key=lambda f: str(f[0]) if isinstance(f, list) else ""):
            if not _is_str_list(item, 2):
                raise _fail(meta_path.name, "筛选应为 [筛选名, 哈希]")
            fname, fhash = item
            path = filter_dir / f"{fhash}.pf_filter"
            if not path.is_file():
                raise PagefindFormatError(f"缺少 Pagefind 筛选文件 {path}")
            value = decode_file(path.read_bytes(), path.name)
            canon = canonical_filter(value, path.name)
            if canon[0] != fname:
                raise _fail(path.name, f"筛选名 {canon[0]} 与元数据中的 {fname} 不符")
            body = cbor_body(canon)
            new_hash = _unique_hash(lang, body, taken)
            taken.add(new_hash)
            filter_hashes[fname] = new_hash
            filter_files[new_hash] = body
            referenced.add(path)
        new_meta = cbor_body(canonical_meta(meta, filter_hashes, meta_path.name))
        digits = len(info["hash"]) - len(lang) - 1
        if not (info["hash"].startswith(lang + "_") and 1 <= digits <= 40):
            raise PagefindFormatError(
                f"{entry_path} 中 {lang} 的哈希 {info['hash']} 格式不符合预期"
            )
        new_meta_hash = content_hash(lang, new_meta, digits)
        removes.add(meta_path)
        writes[bundle / f"pagefind.{new_meta_hash}.pf_meta"] = gzip_deterministic(
            SIGNATURE + new_meta
        )
        for h, body in filter_files.items():
            writes[filter_dir / f"{h}.pf_filter"] = gzip_deterministic(SIGNATURE + body)
        info["hash"] = new_meta_hash
    # Languages in a fixed order (the browser looks them up by name).
    entry["languages"] = {lang: languages[lang] for lang in sorted(languages)}
    stray = [p.name for p in old_filters if p not in referenced]
    if stray:
        raise PagefindFormatError(f"Pagefind 筛选文件未被元数据引用：{'、'.join(stray)}")
    for path in sorted(removes | referenced):
        path.unlink()
    for path, data in sorted(writes.items()):
        path.write_bytes(data)
    entry_path.write_text(_entry_text(entry), encoding="utf-8")
