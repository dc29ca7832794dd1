"""Markdown rendering: soft breaks vanish between Chinese characters, and stay elsewhere."""

from __future__ import annotations

import pytest

from generator.cjk import joins_without_space
from generator.site.markdown import make_renderer

render = make_renderer()


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("本站演示“双随机、\n一公开”", "<p>本站演示“双随机、一公开”</p>\n"),
        ("部门联合\n“双随机”", "<p>部门联合“双随机”</p>\n"),
        ("执法检查人员名录库、\n年度计划", "<p>执法检查人员名录库、年度计划</p>\n"),
        ("**加粗**\n文字", "<p><strong>加粗</strong>文字</p>\n"),
        ("演示\n2024年度", "<p>演示\n2024年度</p>\n"),
        ("line one\nline two", "<p>line one\nline two</p>\n"),
        ("中文\nEnglish", "<p>中文\nEnglish</p>\n"),
        ("한국어\n문장", "<p>한국어\n문장</p>\n"),
        ("硬换行  \n下一行", "<p>硬换行<br>\n下一行</p>\n"),
        ("第一段\n\n第二段", "<p>第一段</p>\n<p>第二段</p>\n"),
    ],
)
def test_soft_breaks(source: str, html: str) -> None:
    assert render(source) == html


def test_still_safe() -> None:
    out = render("<script>alert(1)</script>\n[点我](javascript:alert(1))")
    assert "<script>" not in out
    assert 'href="javascript' not in out


def test_joins_without_space() -> None:
    assert joins_without_space("、", "年")
    assert joins_without_space("合", "“")
    assert not joins_without_space("a", "年")
    assert not joins_without_space("年", "2")
    assert not joins_without_space("한", "국")
