"""Characters refused in published text: invisible, direction-changing and control characters.

Every free-text value that reaches the site or the ledger (names, notes, reasons, the site name,
library cells, command-line text) passes :func:`unsafe_char`. A right-to-left override
(U+202E) or an invisible character lets a displayed text differ from what a reader believes
it says ("spoofing"), so such values are refused, never silently cleaned: the person who typed
them is told which character and where (``docs/content.md`` §9).

The refused set is exactly:

* **control characters** (Unicode category Cc: U+0000–U+001F, U+007F, U+0080–U+009F), except
  line feed and tab in fields that may span several lines;
* **format characters** (category Cf), all of them: the bidirectional marks, embeddings,
  overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), zero-width
  space and joiners (U+200B–U+200D), word joiner and invisible operators (U+2060–U+2064),
  deprecated format controls (U+206A–U+206F), the byte-order mark / zero-width no-break space
  (U+FEFF), the soft hyphen (U+00AD), interlinear annotation (U+FFF9–U+FFFB) and tag characters
  (U+E0001, U+E0020–U+E007F). Chinese text needs none of them; the zero-width joiner (U+200D)
  only joins emoji, which have no place in an inspection record;
* **line and paragraph separators** U+2028 and U+2029 (category Zl/Zp: invisible line breaks);
* **surrogates** (category Cs), which reach Python only from bytes that are not UTF-8 on the
  command line;
* the **Hangul fillers** U+115F, U+1160, U+3164 and U+FFA0, letters that render as nothing.

Ideographic variation selectors (U+E0100–U+E01EF, category Mn) and private-use characters
(category Co, used by some platforms for rare characters in names) stay allowed.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["INVISIBLE_FILLERS", "describe_char", "unsafe_char", "unsafe_text_message"]

INVISIBLE_FILLERS: Final = frozenset("\u115f\u1160\u3164\uffa0")
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unsafe_char(text: str, *, multiline: bool = False) -> str | None:
    """The first refused character of ``text`` (see the module docstring), or None.

    Args:
        text: The value to check.
        multiline: Whether line feed (U+000A) and tab (U+0009) are allowed.
    """
    for ch in text:
        if ch in "\n\t" and multiline:
            continue
        if ch in INVISIBLE_FILLERS or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ch
    return None


def describe_char(ch: str) -> str:
    """``U+202E（RIGHT-TO-LEFT OVERRIDE）``: the code point and its Unicode name when it has one."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f"（{name}）" if name else "")


def unsafe_text_message(text: str, *, multiline: bool = False) -> str | None:
    """A Chinese message naming the first refused character of ``text``, or None if it is clean.

    The message has no location; callers prefix the file, line and field (or the option).
    """
    ch = unsafe_char(text, multiline=multiline)
    if ch is None:
        return None
    if unicodedata.category(ch) == "Cc":
        what = "控制字符"
    elif unicodedata.category(ch) == "Cs":
        what = "无法解码的字节（不是 UTF-8）"
    else:
        what = "不可见或改变文字方向的控制字符"
    return f"含有{what} {describe_char(ch)}，请删除"
