"""Search tokens that make every part of a Chinese name findable (docs/site.md §6.2).

Pagefind's ``extended`` build segments Chinese page text with its dictionary at index time,
while the browser segments the query with ``Intl.Segmenter``: the two disagree, so a word a
person types often matches no indexed word. Measured on the example (3,021 businesses): 加油站
found 0 of 18 (the index holds 加油 + 站, the query is 加油站), 药业 0 of 15, 面馆 55 of 104.

So each entity page also carries, in a hidden paragraph, one token per character position of
every CJK run of its name and industries: the next :data:`SPAN` characters from that position,
each character written as four letters ``a``–``p`` (its code point in hexadecimal, ``0``→``a`` …
``f``→``p``) after the marker :data:`MARK`. A token is a plain lower-case ASCII word that neither
segmenter splits, and Pagefind matches a query word as a prefix of an indexed word, so the
encoded query ``qz`` + enc(加油站) finds exactly the pages whose name contains 加油站 somewhere.
``static/search.js`` encodes the query the same way (:func:`encode`); longer query runs are cut
into overlapping :data:`SPAN`-character windows that must all be present.

A dictionary segmenter at build time (e.g. jieba, ~20 MB with its dictionary) would still split
differently from the browser and could not guarantee the match; the tokens do, deterministically,
with no dependency, at one word per character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CJK_RUN", "MARK", "SPAN", "encode", "search_tokens"]

#: Runs of CJK unified ideographs (with extension A and the compatibility block; all in the
#: BMP, so four hexadecimal digits each). ``static/search.js`` uses the same ranges.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: The marker that starts every token (a letter pair no Chinese page text produces).
MARK = "qz"
#: Characters per token: a query run up to this long is one prefix lookup.
SPAN = 6

_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def encode(run: str) -> str:
    """``run`` (CJK characters of the BMP) as a token: :data:`MARK` and four letters a char."""
    return MARK + "".join(f"{ord(c):04x}" for c in run).translate(_LETTERS)


def search_tokens(texts: Iterable[str]) -> str:
    """The distinct tokens of every position of every CJK run of ``texts``, in order of first
    appearance, joined by spaces (the same string for the same input)."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in CJK_RUN.findall(text):
            for i in range(len(run)):
                seen.setdefault(encode(run[i : i + SPAN]))
    return " ".join(seen)
