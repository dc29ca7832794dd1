"""Name tokens for search (generator/site/keywords.py, docs/site.md §6.2)."""

from __future__ import annotations

import re

from generator.site.keywords import MARK, SPAN, encode, search_tokens


def _decode(token: str) -> str:
    hexes = token[len(MARK) :].translate(str.maketrans("abcdefghijklmnop", "0123456789abcdef"))
    return "".join(chr(int(hexes[i : i + 4], 16)) for i in range(0, len(hexes), 4))


def test_a_token_is_one_lower_case_ascii_word() -> None:
    assert encode("加") == "qzfcka"  # U+52A0: 5→f, 2→c, a→k, 0→a
    assert re.fullmatch(r"qz[a-p]+", encode("加油站"))
    assert _decode(encode("加油站")) == "加油站"


def test_every_substring_is_a_prefix_of_a_token() -> None:
    name = "崇信县德露加油站有限责任公司"
    tokens = search_tokens([name, "加油站"]).split(" ")
    assert len(tokens) == len(set(tokens))
    assert all(_decode(t) for t in tokens)
    for i in range(len(name)):
        for j in range(i + 1, min(len(name), i + SPAN) + 1):
            assert any(t.startswith(encode(name[i:j])) for t in tokens), name[i:j]


def test_non_cjk_text_is_left_to_pagefind_and_output_is_stable() -> None:
    assert search_tokens(["ABC 123"]) == ""
    a = search_tokens(["崇信县A座超市", "零售"])
    assert a == search_tokens(["崇信县A座超市", "零售"])
    assert {_decode(t)[0] for t in a.split(" ")} == set("崇信县座超市零售")
