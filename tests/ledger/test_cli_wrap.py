"""Line breaking by display width for the Chinese help pages (:func:`ledger.cli_text.wrap_cjk`).

The properties restate the rules independently of the implementation: lines fit in the width
unless a single ASCII word is wider; nothing is lost (joining the lines with the whitespace each
break removed gives the text back); breaks fall at whitespace or next to a wide character, never
inside an ASCII word; and 禁则 (no line starts with closing punctuation or ends with opening
punctuation) gives way only when the line could hold nothing else.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.cli_text import NO_LINE_END, NO_LINE_START, display_width, wrap_cjk

# ASCII punctuation follows 禁则 only where it is attached to the text beside it (no space).
ATTACHED_NO_LINE_START = ",.:;!?)]}%"
ATTACHED_NO_LINE_END = "([{"

ALPHABET = "".join(
    [
        "abcXYZ019-_/.,:;!?%()[]{}=+",  # ASCII words and punctuation
        "中文汉字测试账本签署",  # Chinese characters
        "\u3000",  # ideographic space: an ordinary wide character
        " \t\n",  # whitespace
        NO_LINE_START,
        NO_LINE_END,
    ]
)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _normalized(text: str) -> str:
    """The text as wrap_cjk reads it: ASCII whitespace as spaces, no leading/trailing ones."""
    return re.sub(r"[\t\n\r\f\v]", " ", text).strip(" ")


def _violates(before: str, gap: str, after: str) -> bool:
    """Whether a break between the characters ``before`` and ``after`` breaks 禁则."""
    if after in NO_LINE_START or before in NO_LINE_END:
        return True
    return not gap and (after in ATTACHED_NO_LINE_START or before in ATTACHED_NO_LINE_END)


def _allowed(before: str, gap: str, after: str) -> bool:
    """Whether a line may break there: at whitespace or beside a wide character, by 禁则."""
    return bool(gap or _wide(before) or _wide(after)) and not _violates(before, gap, after)


def _has_allowed_break(line: str) -> bool:
    return any(
        _allowed(line[m.start() - 1], m.group(), line[m.end()])
        for m in re.finditer(r"(?<=[^ ]) *(?=[^ ])", line)
    )


def _first_atom_width(line: str) -> int:
    """Columns of the first unbreakable unit of ``line``: a wide character or an ASCII word."""
    if _wide(line[0]):
        return 2
    return display_width("".join(itertools.takewhile(lambda ch: ch != " " and not _wide(ch), line)))


def _narrow_runs(text: str) -> list[str]:
    """The ASCII words of ``text``: maximal runs of characters neither space nor wide."""
    return [run for run in re.split(r" +", "".join(" " if _wide(ch) else ch for ch in text)) if run]


def _check(text: str, width: int) -> list[str]:
    lines = wrap_cjk(text, width)
    source = _normalized(text)
    assert (lines == []) == (source == "")
    pos = 0
    for j, line in enumerate(lines):
        assert line
        assert line == line.strip(" ")
        assert "\n" not in line
        assert "\t" not in line
        # Nothing lost or changed: the line is the next piece of the text.
        assert source.startswith(line, pos), (source, pos, line)
        pos += len(line)
        # Too wide only if it is a single unbreakable word.
        if display_width(line) > width:
            assert " " not in line, line
            assert not any(map(_wide, line)) or (width < 2 and len(line) == 1), line
        if j == len(lines) - 1:
            continue
        gap = source[pos:][: len(source) - pos - len(source[pos:].lstrip(" "))]
        pos += len(gap)
        following = lines[j + 1]
        before, after = line[-1], following[0]
        # Never inside an ASCII word.
        assert gap or _wide(before) or _wide(after), (line, following)
        # 禁则 gives way only when the line has no other break and cannot take the next unit.
        if _violates(before, gap, after):
            assert not _has_allowed_break(line), (line, following)
            assert display_width(line) + len(gap) + _first_atom_width(following) > width
    assert pos == len(source)
    return lines


@settings(max_examples=400, deadline=None)
@given(text=st.text(st.sampled_from(ALPHABET), max_size=120), width=st.integers(1, 40))
@example(text="公告抽取：冻结名录库快照、指定未来的 drand 轮次（由全部参与部门签署）。", width=12)
@example(text="（（（（（（（（（（abc）））））））", width=6)
@example(text="中“gongkai”中", width=4)
def test_wrap_properties(text: str, width: int) -> None:
    _check(text, width)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.one_of(
            st.text(st.sampled_from("abcdefgh-./:0123456789"), min_size=1, max_size=30),
            st.text(st.sampled_from("中文汉字，。、（）“”"), min_size=1, max_size=30),
        ),
        max_size=20,
    ),
    width=st.integers(2, 60),
)
def test_ascii_words_survive_whole(words: list[str], width: int) -> None:
    lines = _check(" ".join(words), width)
    kept = [run for line in lines for run in _narrow_runs(line)]
    assert kept == _narrow_runs(" ".join(words))


def test_the_announce_description() -> None:
    text = "公告抽取：冻结名录库快照、各部门提交承诺、指定未来的 drand 轮次（由全部参与部门签署）。"
    assert wrap_cjk(text, 76) == [
        "公告抽取：冻结名录库快照、各部门提交承诺、指定未来的 drand 轮次（由全部参与",
        "部门签署）。",
    ]
    assert wrap_cjk(text, 20) == [
        "公告抽取：冻结名录库",
        "快照、各部门提交承",  # 诺 moves along: 、 may not start a line
        "诺、指定未来的 drand",
        "轮次（由全部参与部门",
        "签署）。",
    ]


def test_ascii_words_are_not_cut() -> None:
    text = "签署时间（默认当前时间），如 2024-02-22 或 2024-02-22T10:00:00+08:00"
    assert wrap_cjk(text, 20) == [
        "签署时间（默认当前时",
        "间），如 2024-02-22",
        "或",
        "2024-02-22T10:00:00+08:00",  # wider than 20 columns, on a line of its own
    ]


def test_opening_punctuation_moves_to_the_next_line() -> None:
    assert wrap_cjk("指定未来的轮次（drand）", 16) == ["指定未来的轮次", "（drand）"]
    assert wrap_cjk("一二三四（五）", 11) == ["一二三四", "（五）"]  # not "一二三四（"
    assert wrap_cjk("一二三四五。", 10) == ["一二三四", "五。"]  # not "。" alone


def test_attached_ascii_punctuation_does_not_start_a_line() -> None:
    assert wrap_cjk("检查内容目录：报告所有错误（文件:行: 字段）", 28) == [
        "检查内容目录：报告所有错误",
        "（文件:行: 字段）",
    ]
    # With a space before it, ASCII punctuation may start a line (".xlsx", "(default)").
    assert wrap_cjk("导出名录库为 .xlsx 或 .csv", 14) == ["导出名录库为", ".xlsx 或 .csv"]


def test_whitespace_runs_stay_inside_lines_and_go_at_breaks() -> None:
    assert wrap_cjk("轮次  [必填]", 20) == ["轮次  [必填]"]
    assert wrap_cjk("  one\ttwo\nthree  ", 9) == ["one two", "three"]
    assert wrap_cjk("a   b", 1) == ["a", "b"]
    assert wrap_cjk(" \n\t ", 5) == []
    assert wrap_cjk("", 5) == []


def test_the_ideographic_space_is_a_wide_character() -> None:
    assert wrap_cjk("\u3000\u3000首行缩进", 6) == ["\u3000\u3000首", "行缩进"]


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError, match="width"):
        wrap_cjk("中文", 0)
    assert wrap_cjk("中文", 1) == ["中", "文"]


def test_escape_sequences_take_no_columns_and_stay_attached() -> None:
    text = "重要\x1b[1m提示\x1b[0m：请先验证"
    lines = wrap_cjk(text, 8)
    assert "".join(lines) == text
    assert all(display_width(line) <= 8 for line in lines)
    assert not any(line.startswith("\x1b[0m") for line in lines)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("abc", 3),
        ("中文", 4),
        ("，（）。", 8),
        ("“双随机”", 8),  # curly quotes are ambiguous width: one column
        ("……——", 4),
        ("\u3000", 2),
        ("e\u0301", 1),  # combining acute accent
        ("a\u200bb", 2),  # zero-width space (format character)
        ("\x1b[1;31m中\x1b[0m", 2),
        ("ｆｕｌｌ", 8),  # fullwidth Latin
    ],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


def test_punctuation_sets_are_disjoint_and_classified() -> None:
    assert not set(NO_LINE_START) & set(NO_LINE_END)
    for ch in "，。、；：！？）】」』》”’":
        assert ch in NO_LINE_START
    for ch in "（【「『《“‘":
        assert ch in NO_LINE_END
