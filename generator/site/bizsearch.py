"""The businesses' search index, format ``gongkai-search/v1`` (docs/site.md §6.2).

Written from the site data (never by parsing HTML) into ``search/biz/``; ``static/search.js``
reads it. Pagefind indexes only the checklist, plan and task pages (a few hundred); entity
pages are >99 % of a site's pages, and Pagefind needed ~110 KiB of memory per page and re-indexed
a 20,000-page shard after one new result.

A business is identified by its **ordinal**: its position in code order. Files (canonical JSON,
UTF-8, keys sorted, no spaces, one final newline):

* ``meta.json``: format, number of businesses, the block and shard sizes, and per filter group
  (:data:`GROUPS`) its sorted values.
* ``p/<xx>.json`` (``xx`` = two lower-case hex digits, :data:`POSTING_SHARDS` files): token →
  flat list ``[Δordinal, position, Δordinal, position, …]``, occurrences in (ordinal, position)
  order, the first Δ from 0; a token is in shard ``fnv1a32(utf8(token)) % POSTING_SHARDS``.
* ``d/<k>.json``: the records of ordinals ``k·BLOCK`` … ``k·BLOCK + BLOCK − 1``, in order:
  ``[code, name, [values of each filter group]]``.
* ``f/<g>.json``: filter group ``g``: value → Δ-coded sorted list of ordinals.

Indexed text of a business: NFKC of its name, lower-cased, then a newline, then its code
lower-cased. Tokens: every two consecutive CJK characters of a run (a bigram), and every
maximal run of ``[a-z0-9]`` (a word), each with its position (offset in the indexed text).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from generator.content.model import MarketEntity
from generator.site.data import ResultRow, division_name

__all__ = [
    "BLOCK",
    "FORMAT",
    "GROUPS",
    "POSTING_SHARDS",
    "BizIndex",
    "entity_filters",
    "fnv1a32",
    "index_text",
    "shard_of",
    "tokens",
]

#: The format name written in ``meta.json``.
FORMAT = "gongkai-search/v1"
#: Number of posting shard files (fixed: a token never changes shard).
POSTING_SHARDS = 256
#: Businesses per document file.
BLOCK = 128
#: The filter groups, in this order (``f/<g>.json``, the record's value lists).
GROUPS = ("行政区划", "行业", "检查结果", "年度")
#: The 检查结果 value of a business without a current result.
NO_RESULT = "暂无抽查检查结果"

#: Runs of CJK unified ideographs (with extension A and the compatibility block), as in
#: ``static/search.js``.
CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: Latin letters and digits, after lower-casing.
WORD = re.compile("[a-z0-9]+")


def fnv1a32(data: bytes) -> int:
    """The 32-bit FNV-1a hash of ``data`` (``static/search.js`` computes the same)."""
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def shard_of(token: str) -> int:
    """The posting shard of ``token``: FNV-1a of its UTF-8 bytes modulo :data:`POSTING_SHARDS`."""
    return fnv1a32(token.encode("utf-8")) % POSTING_SHARDS


def normalize(text: str) -> str:
    """NFKC, then lower case: what the index holds and what a query is compared with."""
    return unicodedata.normalize("NFKC", text).lower()


def index_text(e: MarketEntity) -> str:
    """The indexed text of a business: its normalized name, a newline, its code lower-cased."""
    return normalize(e.name) + "\n" + e.id.lower()


def tokens(text: str) -> Iterator[tuple[str, int]]:
    """The tokens of normalized ``text`` with their positions: CJK bigrams, then words.

    Precondition: ``text`` is normalized (:func:`normalize`). A CJK run of one character gives
    no token (queries of one character are refused by ``static/search.js``)."""
    for m in CJK_RUN.finditer(text):
        run, at = m.group(), m.start()
        for i in range(len(run) - 1):
            yield run[i : i + 2], at + i
    for m in WORD.finditer(text):
        yield m.group(), m.start()


def entity_filters(e: MarketEntity, rows: Sequence[ResultRow]) -> dict[str, list[str]]:
    """The filter values of a business (:data:`GROUPS`): its 行政区划 and 行业, the categories of
    its current (not superseded) results and their years."""
    current = [r for r in rows if not r.superseded]
    cats = sorted({c.value for r in current for c in r.result.categories})
    return {
        "行政区划": [division_name(e.division)],
        "行业": sorted(e.industries),
        "检查结果": cats or [NO_RESULT],
        "年度": sorted({f"{r.year}年" for r in current}),
    }


def canonical(value: object) -> bytes:
    """Canonical JSON: keys sorted, no spaces, UTF-8 text unescaped, a final newline."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (text + "\n").encode("utf-8")


def deltas(ordinals: Iterable[int]) -> list[int]:
    """Δ-code an increasing sequence (first value from 0)."""
    out: list[int] = []
    prev = 0
    for n in ordinals:
        out.append(n - prev)
        prev = n
    return out


@dataclass
class BizIndex:
    """The index of one site's businesses; each file is produced on demand.

    ``entities`` are in code order (ordinal = position); ``rows`` maps a code to its result rows.
    Precondition: the codes are unique and sorted. The posting lists are computed once, on the
    first call of :meth:`posting_file` (all shards at once)."""

    entities: Sequence[MarketEntity]
    rows: Mapping[str, Sequence[ResultRow]]
    _postings: list[bytes] | None = field(default=None, repr=False)
    _filters: list[list[list[str]]] | None = field(default=None, repr=False)

    def files(self) -> list[str]:
        """The paths of the index files, relative to ``search/biz/``."""
        out = ["meta.json"]
        out += [f"p/{n:02x}.json" for n in range(POSTING_SHARDS)]
        out += [f"d/{k}.json" for k in range(self.blocks())]
        out += [f"f/{g}.json" for g in range(len(GROUPS))]
        return out

    def blocks(self) -> int:
        """The number of document files (at least one, possibly empty)."""
        return max(1, -(-len(self.entities) // BLOCK))

    def filters(self, i: int) -> list[list[str]]:
        """The filter values of ordinal ``i``, one list per group (:data:`GROUPS`)."""
        if self._filters is not None:
            return self._filters[i]
        e = self.entities[i]
        return list(entity_filters(e, self.rows.get(e.id, ())).values())

    def all_filters(self) -> list[list[list[str]]]:
        """:meth:`filters` of every ordinal (computed once)."""
        if self._filters is None:
            self._filters = [self.filters(i) for i in range(len(self.entities))]
        return self._filters

    def meta(self) -> bytes:
        """``meta.json``."""
        values: list[set[str]] = [set() for _ in GROUPS]
        for groups in self.all_filters():
            for g, vs in enumerate(groups):
                values[g].update(vs)
        return canonical(
            {
                "format": FORMAT,
                "docs": len(self.entities),
                "block": BLOCK,
                "shards": POSTING_SHARDS,
                "groups": [
                    {"name": name, "values": sorted(vs)}
                    for name, vs in zip(GROUPS, values, strict=True)
                ],
            }
        )

    def doc_file(self, k: int) -> bytes:
        """``d/<k>.json``: the records of block ``k``.

        Raises ``IndexError`` when ``k`` is not below :meth:`blocks`."""
        if not 0 <= k < self.blocks():
            raise IndexError(k)
        records = []
        for i in range(k * BLOCK, min(len(self.entities), (k + 1) * BLOCK)):
            e = self.entities[i]
            records.append([e.id, e.name, self.filters(i)])
        return canonical(records)

    def group_file(self, g: int) -> bytes:
        """``f/<g>.json``: the businesses of each value of filter group ``g``.

        Raises ``IndexError`` when ``g`` is not a group number."""
        if not 0 <= g < len(GROUPS):
            raise IndexError(g)
        members: dict[str, list[int]] = {}
        for i, groups in enumerate(self.all_filters()):
            for v in groups[g]:
                members.setdefault(v, []).append(i)
        return canonical({v: deltas(ords) for v, ords in members.items()})

    def posting_file(self, n: int) -> bytes:
        """``p/<n:02x>.json``: the posting lists of the tokens of shard ``n``.

        Raises ``IndexError`` when ``n`` is not below :data:`POSTING_SHARDS`."""
        if not 0 <= n < POSTING_SHARDS:
            raise IndexError(n)
        if self._postings is None:
            self._postings = self._all_postings()
        return self._postings[n]

    def _all_postings(self) -> list[bytes]:
        """Every shard's file: token → flat ``[Δordinal, position, …]`` list (encoded at once,
        so the lists' memory is freed before the pages are rendered)."""
        occ: dict[str, list[int]] = {}
        for i, e in enumerate(self.entities):
            for tok, pos in tokens(index_text(e)):
                occ.setdefault(tok, []).extend((i, pos))
        shards: list[dict[str, list[int]]] = [{} for _ in range(POSTING_SHARDS)]
        for tok, flat in occ.items():
            prev = 0
            for j in range(0, len(flat), 2):  # (ordinal, position) pairs, already in order
                ordinal = flat[j]
                flat[j] = ordinal - prev
                prev = ordinal
            shards[shard_of(tok)][tok] = flat
        return [canonical(shard) for shard in shards]

    def produce(self, path: str) -> bytes:
        """The bytes of index file ``path`` (one of :meth:`files`).

        Raises ``ValueError`` for a path that is not an index file."""
        kind, _, rest = path.partition("/")
        stem = rest.removesuffix(".json")
        try:
            if path == "meta.json":
                return self.meta()
            if kind == "p" and len(stem) == 2:
                return self.posting_file(int(stem, 16))
            if kind == "d":
                return self.doc_file(int(stem))
            if kind == "f":
                return self.group_file(int(stem))
        except (IndexError, ValueError):
            pass
        raise ValueError(f"不是搜索索引文件：{path}")
