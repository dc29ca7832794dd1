"""PyYAML's syntax errors are reported in Chinese (generator/content/yaml_errors.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.content.errors import Problems
from generator.content.source import _Loader, load_yaml
from generator.content.yaml_errors import describe

CASES = [
    ("a:\n\tb: 1\n", 2, "制表符（Tab）"),
    ('a: "abc\nb: 2\n', 1, "引号没有闭合"),
    ("a: 'abc\nb: 2\n", 1, "引号没有闭合"),
    ("a:\n  b: 1\n c: 2\n", 3, "缩进不一致"),
    ("a: b: c\n", 1, "含有“: ”的文字须加引号"),
    ("a: [1, 2\nb: 3\n", 2, "方括号列表中应为“,”或“]”"),
    ("a: {x: 1\nb: 3\n", 2, "花括号映射中应为“,”或“}”"),
    ("a: 1\n- b\n", 2, "列表项“-”"),
    ("a: 1\n---\nb: 2\n", 2, "只能包含一个 YAML 文档"),
    ("a: *x\n", 1, "未定义的锚点“*x”"),
    ("a: &x 1\nb: &x 2\n", 2, "锚点重复定义：“&x”"),
    ('a: "\\q"\n', 1, "未知的转义“\\q”"),
    ('a: "\\x4"\n', 1, "2 位十六进制数字"),
    ("a: @b\n", 1, "值不能以“@”开头"),
    ("a: |x\n  b\n", 1, "“|”或“>”后只能跟"),
    ("a: |0\n  b\n", 1, "不能为 0"),
    ("a: &\n", 1, "只能用字母和数字"),
    ("a: !foo b\n", 1, "不支持的标签“!foo”"),
    ("a: !!python/object:os.system b\n", 1, "“!!python/object:os.system”"),
    ("a: &x 1\nb:\n  <<: *x\n", 3, "合并键"),
    ("%YAML 2.0\n---\na: 1\n", 1, "YAML 指令"),
    ("a: |  x\n  b\n", 1, "只能是注释或换行"),
    ("a: 1\na: 2\n", 2, "重复的键“a”"),
]


@pytest.mark.parametrize(("text", "line", "expected"), CASES)
def test_syntax_errors_are_described_in_chinese(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, "utf-8")
    problems = Problems()
    assert load_yaml(path, "content/x.yaml", problems) is None
    (problem,) = problems.errors
    assert problem.location.line == line
    assert problem.message.startswith("YAML 语法错误：")
    assert expected in problem.message
    # No English sentence from the parser: at most short quoted fragments and "YAML"/"Tab".
    prose = re.sub(r"“[^”]*”|YAML|Tab", "", problem.message)
    assert not re.search(r"[A-Za-z]{3,}", prose), problem.message


# Every problem text of PyYAML 6's pure-Python scanner, parser, composer and safe constructor
# (``%r`` filled in), except the "while …" contexts; none may fall back to the English text.
PROBLEMS = [
    "found character '\\t' that cannot start any token",
    "found character '%' that cannot start any token",
    "mapping values are not allowed here",
    "could not find expected ':'",
    "expected <block end>, but found '<scalar>'",
    "found unexpected end of stream",
    "expected ',' or ']', but got '<scalar>'",
    "expected ',' or '}', but got '<scalar>'",
    "expected the node content, but found ':'",
    "expected '<document start>', but found '<block mapping start>'",
    "sequence entries are not allowed here",
    "mapping keys are not allowed here",
    "invalid indentation or unclosed '[' or '{'",
    "found unexpected document separator",
    "but found another document",
    "found undefined alias 'x'",
    "second occurrence",
    "found unknown escape character 'q'",
    "expected escape sequence of 4 hexadecimal numbers, but found 'z'",
    "expected a comment or a line break, but found 'x'",
    "expected chomping or indentation indicators, but found 'x'",
    "expected indentation indicator in the range 1-9, but found 0",
    "expected alphabetic or numeric character, but found '!'",
    "found undefined tag handle '!x!'",
    "expected '!', but found 'x'",
    "expected URI, but found ' '",
    "expected URI escape sequence of 2 hexadecimal numbers, but found 'z'",
    "expected '>', but found ' '",
    "found non-specific tag '!'",
    "duplicate tag handle '!x!'",
    "expected a digit, but found 'x'",
    "expected a digit or '.', but found 'x'",
    "expected a digit or ' ', but found 'x'",
    "expected ' ', but found 'x'",
    "found incompatible YAML document (version 1.* is required)",
    "found duplicate YAML directive",
    "could not determine a constructor for the tag '!x'",
    "found unhashable key",
    "found unconstructable recursive node",
    "expected a mapping for merging, but found scalar",
    "expected a mapping or list of mappings for merging, but found scalar",
]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_every_known_problem_has_a_chinese_message(problem: str) -> None:
    message = describe(yaml.MarkedYAMLError(problem=problem))
    assert not message.startswith("无法解析"), problem
    assert re.search(r"[\u4e00-\u9fff]", message)


def test_an_unknown_problem_is_kept_after_a_chinese_lead_in() -> None:
    message = describe(yaml.MarkedYAMLError(problem="something new"))
    assert message == "无法解析（解析器信息：something new）"


def test_loader_is_the_one_under_test() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as info:
        yaml.load("a: @", Loader=_Loader)
    assert "@" in describe(info.value)
