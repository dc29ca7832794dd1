"""Chinese messages for PyYAML's syntax errors.

PyYAML reports a syntax error as an English ``problem`` (for example ``mapping values are not
allowed here``) and sometimes a ``context`` (``while scanning a quoted scalar``). The county staff
who edit ``content/`` read Chinese, so :func:`describe` turns every ``problem`` that PyYAML's pure
Python scanner, parser and composer can raise (PyYAML 6) into a Chinese sentence that says what
is wrong and, where one is typical, how to fix it. A message this module does not know (a future
PyYAML) is still shown, after a Chinese lead-in, so that nothing is lost.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import yaml

__all__ = ["describe"]

#: PyYAML token ids, as they appear in "but found %r", named for a reader.
_TOKENS = {
    "<block mapping start>": "新的“键: 值”",
    "<block sequence start>": "列表项“-”",
    "<block end>": "缩进的结束",
    "<scalar>": "一个值",
    "<stream start>": "文件开头",
    "<stream end>": "文件结尾",
    "<document start>": "文档分隔符“---”",
    "<document end>": "文档结束符“...”",
    "<directive>": "指令“%…”",
    "<alias>": "别名“*…”",
    "<anchor>": "锚点“&…”",
    "<tag>": "标签“!…”",
    "-": "列表项“-”",
    "?": "“?”",
    ":": "“:”",
    ",": "“,”",
    "[": "“[”",
    "]": "“]”",
    "{": "“{”",
    "}": "“}”",
}

_CHARACTERS = {
    "\t": "制表符（Tab）",
    "\0": "文件结尾",
    " ": "空格",
    "\n": "换行",
    "\r": "换行",
}


def _token(found: str) -> str:
    return _TOKENS.get(found, f"“{found}”")


def _char(found: str) -> str:
    if found in _CHARACTERS:
        return _CHARACTERS[found]
    if not found.isprintable():
        return f"不可见字符 U+{ord(found[0]):04X}" if found else "空字符"
    return f"“{found}”"


def _short_tag(tag: str) -> str:
    """``tag:yaml.org,2002:x`` as it was written, ``!!x``."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _found_character(found: str) -> str:
    if found == "\t":
        return "这里有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"
    if found in "@`":
        return f"值不能以“{found}”开头：请给整个值加引号"
    return f"{_char(found)}不能出现在这里：如需使用，请给整个值加引号"


_Rule = tuple[re.Pattern[str], Callable[..., str]]

#: ``problem`` patterns (``%r`` parts captured as Python literals) and their Chinese messages.
_RULES: list[_Rule] = [
    (re.compile(r"found character (.+) that cannot start any token"), _found_character),
    (
        re.compile(r"mapping values are not allowed here"),
        lambda: "这里不能出现“键: 值”：含有“: ”的文字须加引号，或检查这一行和上一行的缩进",
    ),
    (
        re.compile(r"could not find expected ':'"),
        lambda: "缺少“:”：这一行应为“键: 值”，或多行文字的缩进有误",
    ),
    (
        re.compile(r"expected <block end>, but found (.+)"),
        lambda found: f"缩进不一致：这里出现了{_token(found)}，请检查它与上面各行是否对齐",
    ),
    (
        re.compile(r"found unexpected end of stream"),
        lambda: "文件意外结束：引号是否未闭合？",
    ),
    (
        re.compile(r"expected ',' or '\]', but got (.+)"),
        lambda found: f"方括号列表中应为“,”或“]”，这里却是{_token(found)}",
    ),
    (
        re.compile(r"expected ',' or '\}', but got (.+)"),
        lambda found: f"花括号映射中应为“,”或“}}”，这里却是{_token(found)}",
    ),
    (
        re.compile(r"expected the node content, but found (.+)"),
        lambda found: f"这里缺少值，却出现了{_token(found)}",
    ),
    (
        re.compile(r"expected '<document start>', but found (.+)"),
        lambda found: f"这里应为文档分隔符“---”，却出现了{_token(found)}：检查缩进",
    ),
    (
        re.compile(r"sequence entries are not allowed here"),
        lambda: "这里不能出现列表项“-”：检查缩进",
    ),
    (re.compile(r"mapping keys are not allowed here"), lambda: "这里不能出现映射键“?”"),
    (
        re.compile(r"invalid indentation or unclosed '\[' or '\{'"),
        lambda: "缩进无效，或“[”“{”未闭合",
    ),
    (
        re.compile(r"found unexpected document separator"),
        lambda: "文字中间出现了文档分隔符“---”或“...”：请给整个值加引号",
    ),
    (
        re.compile(r"expected a single document in the stream|but found another document"),
        lambda: "文件只能包含一个 YAML 文档：请删去多余的“---”",
    ),
    (re.compile(r"found undefined alias (.+)"), lambda name: f"引用了未定义的锚点“*{name}”"),
    (
        re.compile(r"found unknown escape character (.+)"),
        lambda found: f"双引号中有未知的转义“\\{found}”：反斜杠本身请写作“\\\\”，或改用单引号",
    ),
    (
        re.compile(r"expected escape sequence of (\d+) hexadecimal numbers, but found (.+)"),
        lambda digits, found: f"转义序列应为 {digits} 位十六进制数字，这里却是{_char(found)}",
    ),
    (
        re.compile(r"expected a comment or a line break, but found (.+)"),
        lambda found: f"这里只能是注释或换行，却出现了{_char(found)}",
    ),
    (
        re.compile(r"expected chomping or indentation indicators, but found (.+)"),
        lambda found: f"“|”或“>”后只能跟“+”“-”或缩进数字，这里却是{_char(found)}",
    ),
    (
        re.compile(r"expected indentation indicator in the range 1-9, but found 0"),
        lambda: "“|”或“>”后的缩进数字应为 1–9，不能为 0",
    ),
    (
        re.compile(r"expected alphabetic or numeric character, but found (.+)"),
        lambda found: f"锚点、别名或标签的名字只能用字母和数字，这里却是{_char(found)}",
    ),
    (
        re.compile(
            r"(?:found undefined tag handle|expected '!', but found|expected URI|expected '>'"
            r"|found non-specific tag|duplicate tag handle|while parsing a tag).*"
        ),
        lambda: "标签（“!…”）有误：内容文件中不需要 YAML 标签，请删去",
    ),
    (
        re.compile(r"could not determine a constructor for the tag (.+)"),
        lambda tag: f"不支持的标签“{_short_tag(tag)}”：内容文件中不需要 YAML 标签，请删去",
    ),
    (
        re.compile(r"found unhashable key"),
        lambda: "键不能是列表或映射：请写成普通文字",
    ),
    (
        re.compile(r"found unconstructable recursive node"),
        lambda: "锚点引用了包含它自身的内容（循环引用）",
    ),
    (
        re.compile(r"expected a mapping (?:for merging|or list of mappings for merging), .*"),
        lambda: "合并键“<<”后面应为映射（“*锚点”指向的“键: 值”）",
    ),
    (
        re.compile(
            r"(?:expected a digit|expected ' ', but found|found incompatible YAML document"
            r"|found duplicate YAML directive).*"
        ),
        lambda: "YAML 指令（“%YAML”“%TAG”）有误：内容文件中不需要指令，请删去",
    ),
]


def _literal(text: str) -> str:
    """A ``%r`` part of a message as the string it shows (the text itself if not a literal)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text


def describe(exc: yaml.MarkedYAMLError) -> str:
    """Return a Chinese description of a PyYAML syntax error (without the line number).

    Args:
        exc: the error, as raised by PyYAML's scanner, parser or composer.

    Returns:
        One sentence, for example ``这里有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格``;
        for a message this module does not know, ``无法解析（解析器信息：…）``.
    """
    problem = exc.problem or ""
    context = exc.context or ""
    if not problem.isascii():  # our own loader's messages are Chinese already
        return problem
    if problem == "second occurrence":
        match = re.fullmatch(r"found duplicate anchor (.+); first occurrence", context)
        return "锚点重复定义" + (f"：“&{_literal(match.group(1))}”" if match else "")
    if "quoted scalar" in context and "end of stream" in problem:
        return "引号没有闭合：从这一行开始的引号直到文件结尾都没有对应的结束引号"
    for pattern, render in _RULES:
        match = pattern.fullmatch(problem)
        if match is not None:
            return render(*(_literal(group) for group in match.groups() if group is not None))
    return f"无法解析（解析器信息：{problem or exc}）"
