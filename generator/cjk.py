"""The line-join rule for Chinese text: where a line break is a space, and where it is nothing.

Authors wrap long Chinese lines, in Markdown files and in YAML blocks alike. Between two Chinese
characters a line break must vanish (``本站演示“双随机、`` + ``一公开”`` reads
``本站演示“双随机、一公开”``); next to Latin letters or digits it is a space, as in English. CSS
Text 3 §4.1.3 states this rule for East Asian wide characters; browsers do not apply it, so the
generator does.

"Wide" means East Asian width W or F (CJK ideographs, kana, full-width forms, CJK punctuation),
plus the quotation marks and dashes Chinese text uses (``“”‘’…—·``, which Unicode classes as
ambiguous width). Hangul is excluded: Korean separates words with spaces.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

__all__ = ["join_lines", "joins_without_space"]

#: Ambiguous-width punctuation that Chinese text uses between wide characters.
_CJK_PUNCTUATION = frozenset("“”‘’…—·")


def _is_hangul(char: str) -> bool:
    code = ord(char)
    return 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F or 0xAC00 <= code <= 0xD7AF


def _wide(char: str) -> bool:
    if char in _CJK_PUNCTUATION:
        return True
    return unicodedata.east_asian_width(char) in ("W", "F") and not _is_hangul(char)


def joins_without_space(before: str, after: str) -> bool:
    """Tell whether a line break between ``before`` and ``after`` should vanish.

    Args:
        before: the last character before the break (one character).
        after: the first character after it (one character).

    Returns:
        ``True`` iff both are wide characters or Chinese punctuation (see the module notes).
    """
    return _wide(before) and _wide(after)


def join_lines(lines: Sequence[str]) -> str:
    """Join wrapped lines of one paragraph: nothing between two wide characters, else a space.

    Preconditions: no line is empty and none has leading or trailing spaces.

    Args:
        lines: the lines, in order.

    Returns:
        The paragraph as one line.
    """
    if not lines:
        return ""
    parts = [lines[0]]
    for before, after in itertools.pairwise(lines):
        parts.append("" if joins_without_space(before[-1], after[0]) else " ")
        parts.append(after)
    return "".join(parts)
