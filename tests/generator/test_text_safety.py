"""The refused characters of published text (``docs/content.md`` §9)."""

from __future__ import annotations

import pytest

from generator.content.text import unsafe_char, unsafe_text_message

REFUSED = [
    *"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi
    *"\u200b\u200c\u200d\u2060\u2061\u2064\u206a\u206f\ufeff\u00ad\ufff9\ufffb",  # invisible
    "\U000e0001",
    "\U000e0041",  # tags
    *"\x00\x07\x1b\r\x7f\x85\x9f",  # C0, DEL, C1
    *"\u2028\u2029",  # line and paragraph separators
    "\udcff",  # a byte that was not UTF-8 on the command line
    *"\u115f\u1160\u3164\uffa0",  # Hangul fillers
]
ALLOWED = [
    "崇信县市场监督管理局",
    "（合成数据）、“引号”；全角标点。",
    "\u3000全角空格",
    "葛\U000e0100",  # an ideographic variation selector
    "\ue000",  # private use: some platforms map rare name characters there
    "Ünïcödé café",
    "ABC-123_x.y",
]


@pytest.mark.parametrize("ch", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_refused(ch: str) -> None:
    assert unsafe_char(f"前{ch}后") == ch
    message = unsafe_text_message(f"前{ch}后")
    assert message is not None
    assert f"U+{ord(ch):04X}" in message
    assert message.endswith("请删除")
    assert ch not in message  # the message names the code point, never shows the character


@pytest.mark.parametrize("text", ALLOWED)
def test_allowed(text: str) -> None:
    assert unsafe_char(text) is None


def test_newline_and_tab_only_in_multiline_fields() -> None:
    assert unsafe_char("a\nb\tc") == "\n"
    assert unsafe_char("a\nb\tc", multiline=True) is None
    assert unsafe_char("a\nb\rc", multiline=True) == "\r"


def test_message_names_the_kind_and_the_unicode_name() -> None:
    assert unsafe_text_message("x\u202e") == (
        "含有不可见或改变文字方向的控制字符 U+202E（RIGHT-TO-LEFT OVERRIDE），请删除"
    )
    assert unsafe_text_message("x\x07") == "含有控制字符 U+0007，请删除"
