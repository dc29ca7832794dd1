"""The businesses' search index ``search/biz/`` (generator/site/bizsearch.py, docs/site.md §6.2).

A reference reader (:func:`query`) implements the query rule of docs/site.md §6.2 over the
published files only, as ``static/search.js`` does; it is checked against plain substring
search over the names of the mini site and of synthetic businesses.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from site_helpers import GOLDEN, MINI

from generator.content.loader import load_content
from generator.content.model import MarketEntity
from generator.site.bizsearch import (
    BLOCK,
    GROUPS,
    POSTING_SHARDS,
    BizIndex,
    fnv1a32,
    normalize,
    shard_of,
    tokens,
)

INDEX = GOLDEN / "search/biz"


def _read(root: Path, path: str) -> Any:
    return json.loads((root / path).read_text(encoding="utf-8"))


def _occurrences(root: Path, token: str) -> dict[int, set[int]]:
    shard = _read(root, f"p/{shard_of(token):02x}.json")
    assert isinstance(shard, dict)
    flat = shard.get(token, [])
    out: dict[int, set[int]] = {}
    n = 0
    for i in range(0, len(flat), 2):
        n += flat[i]
        out.setdefault(n, set()).add(flat[i + 1])
    return out


def _members(root: Path, g: int, value: str) -> set[int]:
    group = _read(root, f"f/{g}.json")
    assert isinstance(group, dict)
    n, out = 0, set()
    for d in group.get(value, []):
        n += d
        out.add(n)
    return out


def query(root: Path, text: str) -> set[int] | None:
    """The ordinals a query finds (the rule of docs/site.md §6.2); None: a term has no token
    and matches no filter value."""
    meta = _read(root, "meta.json")
    assert isinstance(meta, dict)
    found: set[int] | None = None
    for term in normalize(text).split():
        hits: set[int] = set()
        for g, group in enumerate(meta["groups"]):
            for v in group["values"]:
                if term in normalize(v):
                    hits |= _members(root, g, v)
        toks = list(tokens(term))
        if not toks and not hits:
            return None
        if toks:
            lists = [_occurrences(root, t) for t, _ in toks]
            for ordinal, positions in lists[0].items():
                starts = {p - toks[0][1] for p in positions}
                if any(
                    all(
                        s + at in lst.get(ordinal, ())
                        for (_, at), lst in zip(toks, lists, strict=True)
                    )
                    for s in starts
                ):
                    hits.add(ordinal)
        found = hits if found is None else found & hits
    return found if found is not None else set()


def _records(root: Path) -> list[Any]:
    meta = _read(root, "meta.json")
    assert isinstance(meta, dict)
    out: list[Any] = []
    for k in range(-(-meta["docs"] // meta["block"])):
        block = _read(root, f"d/{k}.json")
        assert isinstance(block, list)
        out += block
    return out


def test_fnv1a32_and_shards() -> None:
    assert fnv1a32(b"") == 0x811C9DC5
    assert fnv1a32(b"a") == 0xE40C292C  # the published FNV-1a test vector
    assert fnv1a32(b"foobar") == 0xBF9CF968
    assert shard_of("面馆") == fnv1a32("面馆".encode()) % POSTING_SHARDS


def test_tokens_are_bigrams_and_words() -> None:
    assert list(tokens("崇信面馆a座12号")) == [
        ("崇信", 0),
        ("信面", 1),
        ("面馆", 2),
        ("a", 4),
        ("12", 6),
    ]
    assert list(tokens("面")) == []
    assert normalize("ＡＢＣ（１）") == "abc(1)"


def test_golden_index_layout() -> None:
    meta = _read(INDEX, "meta.json")
    assert isinstance(meta, dict)
    assert meta["format"] == "gongkai-search/v1"
    assert [g["name"] for g in meta["groups"]] == list(GROUPS)
    assert meta["block"] == BLOCK
    assert meta["shards"] == POSTING_SHARDS
    assert len(list((INDEX / "p").iterdir())) == POSTING_SHARDS
    records = _records(INDEX)
    assert len(records) == meta["docs"]
    codes = [r[0] for r in records]
    assert codes == sorted(codes)
    for path in INDEX.rglob("*.json"):  # canonical JSON
        text = path.read_text(encoding="utf-8")
        again = json.dumps(
            json.loads(text), ensure_ascii=False, separators=(",", ":"), sort_keys=True
        )
        assert text == again + "\n", path


@pytest.mark.parametrize(
    "word", ["面馆", "示例", "有限公司", "崇信示例", "餐饮有限", "旧注册号面馆"]
)
def test_name_queries_find_exactly_the_names_holding_the_word(word: str) -> None:
    names = [str(r[1]) for r in _records(INDEX)]
    by_name = {i for i, n in enumerate(names) if word in n}
    got = query(INDEX, word)
    assert got is not None
    assert by_name <= got
    # Anything else was found through a filter value holding the word.
    values = [r[2] for r in _records(INDEX)]
    for i in got - by_name:
        assert any(word in v for vs in values[i] for v in vs), names[i]


def test_codes_filter_values_and_terms() -> None:
    records = _records(INDEX)
    code = str(records[3][0])
    assert query(INDEX, code.lower()) == {3}
    assert query(INDEX, code) == {3}
    lingtai = {i for i, r in enumerate(records) if "灵台县（620822）" in r[2][0]}
    assert lingtai
    assert query(INDEX, "灵台") == lingtai | {
        i for i, r in enumerate(records) if "灵台" in str(r[1])
    }
    both = query(INDEX, "灵台 广告")
    assert both == {
        i for i in lingtai if "广告" in str(records[i][1]) or "广告" in str(records[i][2])
    }
    assert query(INDEX, "面") is None
    assert query(INDEX, "馆面") == set()


def _entity(code: str, name: str) -> MarketEntity:
    content, _ = load_content(MINI)
    return dataclasses.replace(content.entities[0], id=code, name=name)


def _synthetic(names: Sequence[str]) -> list[MarketEntity]:
    return [_entity(f"91620823GK{i:07d}X", n) for i, n in enumerate(names)]


def test_phrase_rule_on_synthetic_names(tmp_path: Path) -> None:
    """Every bigram present is not enough: the query must be a phrase of the name."""
    names = ["加油站", "加油 站台", "站加油", "油站加", "中石化加油站", "加油加油站", "ABC加油站"]
    ents = _synthetic(names)
    index = BizIndex(ents, {})
    for path in index.files():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(index.produce(path))
    for word in ["加油站", "油站", "加油", "abc加油站", "站加油", "加油加油"]:
        want = {i for i, n in enumerate(names) if word in normalize(n)}
        assert query(tmp_path, word) == want, word


def test_index_files_are_deterministic_and_refuse_unknown_paths() -> None:
    content, _ = load_content(MINI)
    ents = sorted(content.entities, key=lambda e: e.id)
    a, b = BizIndex(ents, {}), BizIndex(list(ents), {})
    assert [a.produce(p) for p in a.files()] == [b.produce(p) for p in b.files()]
    for bad in ["p/100.json", "d/99.json", "f/4.json", "x.json", "p/zz.json"]:
        with pytest.raises(ValueError, match="不是搜索索引文件"):
            a.produce(bad)
