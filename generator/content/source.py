"""Reading YAML with line numbers, and typed field access that records located problems.

YAML is parsed with ``yaml.SafeLoader`` only. Mappings become :class:`LocDict` (a dict that
remembers the line of each key) and sequences :class:`LocList` (the line of each item), so that
every later check can point at the exact line. Duplicate keys are an error (PyYAML silently
keeps the last one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import yaml

from generator.cjk import join_lines
from generator.content.errors import Location, Problems
from generator.content.text import unsafe_text_message
from generator.content.yaml_errors import describe
from ledger.errors import os_reason

#: Largest content file accepted (bytes). A county library of 100k rows is about 15 MB.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Default longest string value (characters).
MAX_TEXT = 500

T = TypeVar("T")


class LocDict(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int] = {}  # noqa: RUF012 — replaced per instance by the loader

    def line_of(self, key: str) -> int:
        """Line of ``key`` if present, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class LocList(list[Any]):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int] = []  # noqa: RUF012 — replaced per instance by the loader


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping repeats a key."""


#: Deepest nesting accepted; checked while composing, so the limit does not depend on Python's
#: recursion limit (PyYAML's composer is recursive).
MAX_DEPTH = 100


class _Loader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"嵌套过深（超过 {MAX_DEPTH} 层）", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise DuplicateKeyError(
                "在映射中", node.start_mark, f"重复的键“{key}”", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    result = LocList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # PyYAML raises a bare ValueError for an impossible date such as 2024-02-30; keep the text
    # so that the field check reports it at its own line.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    assert isinstance(value, str)  # a scalar node's value
    return _refold(node, value) if node.style == ">" else value


def _refold(node: yaml.ScalarNode, value: str) -> str:
    """Fold a ``>`` block the Chinese way: a line break between two Chinese characters vanishes
    (:mod:`generator.cjk`) instead of becoming the space YAML puts everywhere.

    Only plain paragraphs are refolded — one indentation (that of the first non-blank line, so an
    indentation indicator equal to it changes nothing), paragraphs separated by blank lines, no
    more-indented line — and only when YAML's own folding of the source lines gives exactly
    ``value``; anything else (more-indented lines in particular, whose line breaks YAML keeps)
    keeps YAML's folding.
    """
    buffer = node.start_mark.buffer
    if not isinstance(buffer, str):
        return value
    body = buffer[node.start_mark.index : node.end_mark.index].partition("\n")[2]
    lines = body.rstrip("\n").split("\n")
    first = next((line for line in lines if line.strip()), "")
    indent = len(first) - len(first.lstrip(" "))
    if indent == 0:
        return value
    paragraphs: list[tuple[int, list[str]]] = []  # (blank lines before, the paragraph's lines)
    blanks = 0
    for line in lines:
        if not line.strip():
            blanks += 1
        elif line[:indent].strip() or line[indent] in (" ", "\t"):
            return value  # less or more indented: not a plain paragraph
        elif blanks or not paragraphs:
            paragraphs.append((blanks, [line[indent:]]))
            blanks = 0
        else:
            paragraphs[-1][1].append(line[indent:])
    core = value.rstrip("\n")
    if "".join("\n" * gap + " ".join(group) for gap, group in paragraphs) != core:
        return value
    folded = "".join("\n" * gap + join_lines(group) for gap, group in paragraphs)
    return folded + value[len(core) :]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_text(path: Path, shown: str, problems: Problems) -> str | None:
    """Read a UTF-8 text file; record a located problem and return None on failure.

    A UTF-8 byte-order mark is accepted and removed (Excel writes one).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(Location(shown), f"无法读取文件：{os_reason(exc)}")
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.error(Location(shown), f"文件过大（{len(data)} 字节，上限 {MAX_FILE_BYTES}）")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.error(
            Location(shown, line),
            f"不是有效的 UTF-8 编码（第 {exc.start + 1} 字节）；请另存为“CSV UTF-8”或 UTF-8 文本",
        )
        return None


def load_yaml(path: Path, shown: str, problems: Problems) -> Any:
    """Parse a YAML file with line numbers; None (and a located problem) on failure."""
    text = read_text(path, shown, problems)
    if text is None:
        return None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 — _Loader subclasses SafeLoader
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote is detected at the end of the file; its start is the useful line.
        # A bad merge ("<<: *x") is marked at the anchored node; the mapping is the useful line.
        use_context = exc.context_mark is not None and (
            "quoted scalar" in (exc.context or "")
            or isinstance(exc, yaml.constructor.ConstructorError)
        )
        mark = exc.context_mark if use_context else (exc.problem_mark or exc.context_mark)
        line = mark.line + 1 if mark is not None else 0
        message = f"YAML 语法错误：{describe(exc)}"
        # An unclosed [ or { is noticed lines later: name the line where it was opened.
        context = exc.context or ""
        opened = exc.context_mark
        if context.startswith("while parsing a flow") and opened and opened.line + 1 != line:
            bracket = "[" if "sequence" in context else "{"
            message += f"（第 {opened.line + 1} 行的“{bracket}”是否未闭合？）"
        problems.error(Location(shown, line), message)
        return None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        problems.error(
            Location(shown, line), f"YAML 语法错误：含有不允许的字符（{exc.character!r}）"
        )
        return None
    except RecursionError:
        problems.error(
            Location(shown, _too_deep_line(text)), f"YAML 嵌套过深（超过 {MAX_DEPTH} 层）"
        )
        return None
    except yaml.YAMLError as exc:
        problems.error(Location(shown), f"YAML 错误：{exc}")
        return None
    if data is None:
        problems.error(Location(shown, 1), "文件为空；顶层应为映射（键: 值）或列表")
    return data


def _too_deep_line(text: str) -> int:
    """Line where nesting first exceeds MAX_DEPTH (the event parser is not recursive)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) + 1 if event.start_mark else 0
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return 0


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Fields:
    """Typed access to one YAML mapping; every failure becomes a located problem.

    Each getter returns the converted value, or ``None`` when the value is missing or wrong (a
    problem has then been recorded). Unknown keys are reported once by :meth:`finish`.
    """

    def __init__(self, data: LocDict, shown: str, prefix: str, problems: Problems) -> None:
        self.data = data
        self.shown = shown
        self.prefix = prefix
        self.problems = problems
        self._seen: set[str] = set()

    def loc(self, key: str) -> Location:
        """Location of ``key`` in this mapping."""
        name = f"{self.prefix}.{key}" if self.prefix else key
        return Location(self.shown, self.data.line_of(key), name)

    def item_loc(self, key: str, index: int, sub: str = "") -> Location:
        """Location of item ``index`` of the sequence at ``key`` (optionally a field of it)."""
        seq = self.data.get(key)
        line = seq.item_lines[index] if isinstance(seq, LocList) else self.data.line_of(key)
        name = f"{self.loc(key).field}[{index}]" + (f".{sub}" if sub else "")
        return Location(self.shown, line, name)

    def error(self, key: str, message: str, *, refers_to: str = "") -> None:
        """Record an error at ``key``; ``refers_to`` marks a reference into a library (see
        :meth:`~generator.content.errors.Problems.drop_cascades`)."""
        self.problems.error(self.loc(key), message, refers_to=refers_to)

    def _get(self, key: str, required: bool) -> Any:
        self._seen.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                self.problems.error(self.loc(key), "缺少必填字段")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str | None:
        """A non-empty string of at most ``max_len`` characters, stripped.

        An unquoted number is refused, never converted: YAML reads ``0123`` as an octal
        integer, so a code written without quotes may already have lost its digits.
        """
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            hint = '（代码、编号请加英文引号，如 "0123"）' if isinstance(value, int | float) else ""
            self.error(key, f"应为文本，实际为{_kind(value)}{hint}")
            return None
        value = value.strip()
        if not value:
            if required:
                self.error(key, "不能为空")
            return None
        if len(value) > max_len:
            self.error(key, f"过长（{len(value)} 字符，上限 {max_len}）")
            return None
        unsafe = unsafe_text_message(value, multiline=True)
        if unsafe is not None:
            self.error(key, unsafe)
            return None
        return value

    def ident(self, key: str, *, required: bool = True) -> str | None:
        """An identifier: ASCII letters, digits, ``.``, ``_`` and ``-``, at most 64 characters."""
        value = self.text(key, required=required, max_len=64)
        if value is not None and not _ID_RE.match(value):
            self.error(key, f"标识“{value}”只能包含英文字母、数字、点、下划线和连字符")
            return None
        return value

    def integer(
        self, key: str, *, required: bool = True, lo: int = 0, hi: int = 10**9
    ) -> int | None:
        """An integer in ``[lo, hi]`` (booleans are not integers)."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"应为整数，实际为{_kind(value)}")
            return None
        if not lo <= value <= hi:
            self.error(key, f"应在 {lo} 到 {hi} 之间，实际为 {value}")
            return None
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        """A YAML boolean, or ``default`` when absent."""
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"应为 true 或 false，实际为{_kind(value)}")
            return default
        return value

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        """A calendar date written ``YYYY-MM-DD``."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            self.error(key, "应为日期（YYYY-MM-DD），不应包含时间")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
        self.error(key, f"应为日期（YYYY-MM-DD），实际为“{value}”")
        return None

    def ratio(self, key: str, *, required: bool = True) -> Decimal | None:
        """An exact decimal ratio in [0, 1], written as a string such as ``"0.05"`` or ``"5%"``."""
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(
                key, f'比例应写成带引号的小数或百分数（如 "0.05" 或 "5%"），实际为{_kind(value)}'
            )
            return None
        parsed = parse_ratio(value)
        if parsed is None:
            self.error(key, f"无法识别的比例“{value}”；应为 0 到 1 之间的小数或百分数")
        return parsed

    def mapping(self, key: str, *, required: bool = True) -> LocDict | None:
        """A nested mapping."""
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, LocDict):
            self.error(key, f"应为映射（键: 值），实际为{_kind(value)}")
            return None
        return value

    def sequence(
        self, key: str, *, required: bool = True, max_items: int = 10_000
    ) -> LocList | None:
        """A sequence of at most ``max_items`` items."""
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, LocList):
            self.error(key, f"应为列表，实际为{_kind(value)}")
            return None
        if len(value) > max_items:
            self.error(key, f"列表过长（{len(value)} 项，上限 {max_items}）")
            return None
        return value

    def texts(
        self, key: str, *, required: bool = True, max_len: int = MAX_TEXT
    ) -> tuple[str, ...] | None:
        """A list of non-empty strings (a single string is not accepted)."""
        seq = self.sequence(key, required=required)
        if seq is None:
            return None
        out: list[str] = []
        for i, item in enumerate(seq):
            loc = Location(self.shown, seq.item_lines[i], f"{self.loc(key).field}[{i}]")
            if not isinstance(item, str) or not item.strip():
                self.problems.error(loc, f"应为非空文本，实际为{_kind(item)}")
                return None
            if len(item) > max_len:
                self.problems.error(loc, f"过长（{len(item)} 字符，上限 {max_len}）")
                return None
            unsafe = unsafe_text_message(item.strip(), multiline=True)
            if unsafe is not None:
                self.problems.error(loc, unsafe)
                return None
            out.append(item.strip())
        return tuple(out)

    def choice(
        self, key: str, choices: Callable[[str], T | None], label: str, *, required: bool = True
    ) -> T | None:
        """A text value converted by ``choices`` (None = not one of the allowed values)."""
        value = self.text(key, required=required)
        if value is None:
            return None
        converted = choices(value)
        if converted is None:
            self.error(key, f"不是有效的{label}：“{value}”")
        return converted

    def finish(self, *, allowed_extra: frozenset[str] = frozenset()) -> None:
        """Report keys that no getter asked for (usually a typo)."""
        for key in self.data:
            if key not in self._seen and key not in allowed_extra:
                self.problems.error(self.loc(key), "未知字段（拼写错误？）")


def items_of(
    seq: LocList, shown: str, prefix: str, problems: Problems
) -> Iterator[tuple[int, Fields]]:
    """Yield ``(index, Fields)`` for each mapping item of ``seq``; non-mappings are errors."""
    for i, item in enumerate(seq):
        if not isinstance(item, LocDict):
            problems.error(
                Location(shown, seq.item_lines[i], f"{prefix}[{i}]"),
                f"应为映射，实际为{_kind(item)}",
            )
            continue
        yield i, Fields(item, shown, f"{prefix}[{i}]", problems)


def parse_date(value: str) -> dt.date | None:
    """Parse ``YYYY-MM-DD`` (also ``YYYY/MM/DD``) strictly; None if it is not a date."""
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_ratio(value: str) -> Decimal | None:
    """Parse ``"0.05"`` or ``"5%"`` into an exact Decimal in [0, 1]; None if invalid."""
    text = value.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if percent:
        number = number / 100
    if not Decimal(0) <= number <= Decimal(1):
        return None
    return number.normalize() if number else Decimal(0)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数（浮点数）"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dt.date):
        return "日期"
    return type(value).__name__
