"""Chinese text for the command lines: message catalogs for a library's own ``gettext`` calls.

click and argparse look up every message they show (``usage:``, ``Options``, ``error:``,
``Missing option`` …) through module-level names bound at import, ``_`` (``gettext.gettext``)
and ``ngettext``. A :class:`MessageCatalog` maps those English msgids to Chinese and, once
installed, replaces the two names in the library modules it lists with wrappers that translate
from the catalog only while :meth:`MessageCatalog.active` is in effect, and otherwise call the
function they replaced. The switch is a :class:`contextvars.ContextVar`, so it is per thread (and
per asyncio task): another user of the same library in the process, before, after or beside our
command line, sees the library's usual text. No locale, environment variable or ``.mo`` file is
involved, so the output is the same on every machine, ``LANG=C`` included.

:data:`ARGPARSE_TEXT` and :class:`ChineseArgumentParser` serve ``python -m ledger``;
``generator.cli_text`` builds the click catalog of ``gongkai`` with the same class.

Both libraries also lay help out by counting characters, while a Chinese character or full-width
punctuation mark takes two terminal columns. :func:`display_width` measures columns and
:func:`wrap_cjk` breaks a paragraph into lines of a given width: between Chinese characters
(Chinese has no spaces), never inside an ASCII word, and by the Chinese line-breaking rules
(禁则). :class:`ChineseArgparseFormatter` uses them for argparse and ``generator.cli_text`` for
click, so both help pages fit the terminal. This module uses the standard library only:
``ledger/`` also runs as a stdlib zipapp.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "ARGPARSE_TEXT",
    "NO_LINE_END",
    "NO_LINE_START",
    "ChineseArgparseFormatter",
    "ChineseArgumentParser",
    "MessageCatalog",
    "Translation",
    "display_width",
    "wrap_cjk",
]


@dataclass(frozen=True)
class Translation:
    """A translated message whose named fields may receive English words from the library.

    Attributes:
        text: The Chinese message, with the msgid's placeholders (``{name}`` or ``%(name)s``).
        fields: Placeholder name -> {English value -> Chinese value}, applied to the keyword
            values when the message is formatted (``str.format`` keywords, or ``%`` with a
            mapping): e.g. click's ``{number_type}`` receives ``"integer"``.
    """

    text: str
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class _Template(str):
    """A translated message that also translates the values of its named fields when formatted."""

    _fields: Mapping[str, Mapping[str, str]]

    def __new__(cls, text: str, fields: Mapping[str, Mapping[str, str]]) -> _Template:
        self = super().__new__(cls, text)
        self._fields = fields
        return self

    def _translate(self, values: Mapping[str, object]) -> dict[str, object]:
        out = dict(values)
        for name, words in self._fields.items():
            value = out.get(name)
            if isinstance(value, str) and value in words:
                out[name] = words[value]
        return out

    def format(self, *args: object, **kwargs: object) -> str:
        return str(self).format(*args, **self._translate(kwargs))

    def __mod__(self, values: Any) -> str:
        if isinstance(values, Mapping):
            values = self._translate(values)
        text: str = str(self) % values
        return text


class _Gettext:
    """Replacement for a module's ``_``: the catalog while active, else the replaced function."""

    __slots__ = ("catalog", "original")

    def __init__(self, catalog: MessageCatalog, original: Callable[[str], str]) -> None:
        self.catalog = catalog
        self.original = original

    def __call__(self, message: str) -> str:
        if self.catalog.is_active():
            return self.catalog.gettext(message)
        return self.original(message)


class _Ngettext:
    """Replacement for a module's ``ngettext``: the catalog while active, else the replaced one."""

    __slots__ = ("catalog", "original")

    def __init__(self, catalog: MessageCatalog, original: Callable[[str, str, int], str]) -> None:
        self.catalog = catalog
        self.original = original

    def __call__(self, singular: str, plural: str, n: int) -> str:
        if self.catalog.is_active():
            return self.catalog.ngettext(singular, plural, n)
        return self.original(singular, plural, n)


_INSTALL_LOCK: Final = threading.Lock()


class MessageCatalog:
    """English msgid -> Chinese text for the ``gettext`` calls of one library's modules.

    Args:
        name: Short name, used for the context variable (e.g. ``"click"``).
        modules: Dotted names of the modules whose ``_`` and ``ngettext`` are wrapped (imported
            if need be; one that raises :class:`ImportError` is skipped).
        messages: msgid -> Chinese text (or :class:`Translation`).
        plurals: (singular msgid, plural msgid) -> Chinese text. Chinese has a single plural
            form, so one text serves every count; it may use any placeholder of either msgid.

    A msgid missing from the catalog is shown as the library wrote it (English), never an error:
    the tests compare the catalog with the installed library's msgids instead.
    """

    def __init__(
        self,
        name: str,
        modules: Sequence[str],
        messages: Mapping[str, str | Translation],
        plurals: Mapping[tuple[str, str], str | Translation] | None = None,
    ) -> None:
        self.name = name
        self.modules = tuple(modules)
        self.messages: Mapping[str, str | Translation] = MappingProxyType(dict(messages))
        self.plurals: Mapping[tuple[str, str], str | Translation] = MappingProxyType(
            dict(plurals or {})
        )
        self._active: ContextVar[bool] = ContextVar(f"gongkai_cli_text_{name}", default=False)
        self._installed: tuple[str, ...] | None = None

    @staticmethod
    def _text(entry: str | Translation) -> str:
        if isinstance(entry, Translation):
            return _Template(entry.text, entry.fields) if entry.fields else entry.text
        return entry

    def gettext(self, message: str) -> str:
        """Return the Chinese text of ``message`` (an English msgid), or ``message`` if unknown.

        Works whether or not the catalog is active; never raises.
        """
        entry = self.messages.get(message)
        return message if entry is None else self._text(entry)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the Chinese text of the msgid pair (one form for every ``n``).

        An unknown pair falls back to the English rule (``singular`` if ``n == 1``). Never raises.
        """
        entry = self.plurals.get((singular, plural))
        if entry is None:
            return singular if n == 1 else plural
        return self._text(entry)

    def is_active(self) -> bool:
        """Whether the catalog translates in the current thread / context."""
        return self._active.get()

    def install(self) -> tuple[str, ...]:
        """Wrap ``_`` and ``ngettext`` of every importable module in :attr:`modules` (once).

        Idempotent and thread-safe. The wrappers pass every call through to the function they
        replaced unless the catalog is active, so installing changes nothing by itself (beyond
        importing a listed module the library would have imported later).

        Returns:
            The names of the modules in which at least one of the two names was wrapped.

        Raises:
            Exception: whatever importing a listed module raises, :class:`ImportError` aside.
        """
        with _INSTALL_LOCK:
            if self._installed is not None:
                return self._installed
            done: list[str] = []
            for module_name in self.modules:
                try:
                    module = importlib.import_module(module_name)
                except ImportError:  # an optional part of the library that is not installed
                    continue
                current = getattr(module, "_", None)
                if callable(current) and not self.wraps(current):
                    module._ = _Gettext(self, current)  # type: ignore[attr-defined]
                current = getattr(module, "ngettext", None)
                if callable(current) and not self.wraps(current):
                    module.ngettext = _Ngettext(self, current)  # type: ignore[attr-defined]
                if self.wraps(getattr(module, "_", None)) or self.wraps(
                    getattr(module, "ngettext", None)
                ):
                    done.append(module_name)
            self._installed = tuple(done)
            return self._installed

    def wraps(self, function: object) -> bool:
        """Whether ``function`` (a module's ``_`` or ``ngettext``) is this catalog's wrapper."""
        return isinstance(function, _Gettext | _Ngettext) and function.catalog is self

    @contextmanager
    def active(self) -> Iterator[None]:
        """Translate the listed modules' messages inside the ``with`` block (this context only).

        Installs the wrappers on first use; nests; restores the previous state on exit, also when
        the block raises (``SystemExit`` from a parser included).
        """
        self.install()
        token = self._active.set(True)
        try:
            yield
        finally:
            self._active.reset(token)


_CSI: Final = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
"""An ANSI control sequence (colours, bold …): no width on a terminal."""

_SPACES: Final = str.maketrans("\t\n\r\f\v", "     ")

NO_LINE_START: Final = "，。、；：！？）］｝〕〉》」』】〗〙〛’”…‥·・％～"
"""Closing and pausing punctuation that never starts a line (禁则：行首禁则).

ASCII ``,.:;!?)]}%`` follow the same rule where they are attached to the preceding text (no space
in between), i.e. right after a wide character: ``文件:行`` never breaks before the colon."""

NO_LINE_END: Final = "（［｛〔〈《「『【〖〘〚‘“"
"""Opening punctuation that never ends a line (禁则：行尾禁则).

ASCII ``([{`` follow the same rule where the following text is attached to them."""

_ATTACHED_NO_LINE_START: Final = ",.:;!?)]}%"
_ATTACHED_NO_LINE_END: Final = "([{"


def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiners …
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns of ``text``.

    East Asian wide and fullwidth characters (``unicodedata.east_asian_width`` ``W`` and ``F``:
    汉字, ``，``, ``（``, ``：`` …) take 2 columns; combining marks and format characters
    (categories ``Mn``, ``Me``, ``Cf``) and ANSI control sequences (``ESC [ … m``) take none;
    every other character, ambiguous-width ones such as ``“`` and ``…`` and controls included,
    takes 1. Never raises.
    """
    return sum(_char_width(ch) for ch in _CSI.sub("", text))


def _atoms(text: str) -> tuple[list[str], list[str]]:
    """Split ``text`` into atoms (a wide character, or a run of other non-space characters).

    Returns the atoms and, for each, the spaces before it (``""`` for the first atom and for an
    atom attached to the previous one). Zero-width characters stay with the character before.
    """
    atoms: list[str] = []
    gaps: list[str] = []
    for match in re.finditer(r"( *)([^ ]+)", text.translate(_SPACES).strip(" ")):
        gap, word = match.group(1), match.group(2)
        atom = ""
        wide = False
        for ch in word:
            width = _char_width(ch)
            if atom and width and (width == 2 or wide):
                atoms.append(atom)
                gaps.append(gap)
                atom, gap = "", ""
            atom += ch
            if width:
                wide = width == 2
        atoms.append(atom)
        gaps.append(gap)
    return atoms, gaps


def _may_break(before: str, gap: str, after: str, widths: tuple[int, int]) -> bool:
    """Whether a line may end with ``before`` and the next one start with ``after``."""
    if 0 in widths:  # an escape sequence (or a stray combining mark) stays with its neighbours
        return False
    first, last = after[0], before[-1]
    if first in NO_LINE_START or last in NO_LINE_END:
        return False
    return bool(gap) or (first not in _ATTACHED_NO_LINE_START and last not in _ATTACHED_NO_LINE_END)


def wrap_cjk(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` terminal columns (:func:`display_width`).

    Lines break at runs of spaces, which the break removes (inside a line they are kept as they
    are), and between two characters of which at least one is wide (Chinese text has no spaces),
    so an ASCII word (``--round``, ``drand``, ``2024-02-22T10:00:00+08:00``, ``trust.txt``) is
    never cut. Chinese line-breaking rules (禁则) hold: no line starts with a character of
    :data:`NO_LINE_START` or ends with one of :data:`NO_LINE_END` (see their notes for the ASCII
    ones). Lines are filled greedily; when a rule would leave a line short, the line ends at the
    last earlier break that keeps the rules, so ``次（`` + ``drand`` moves ``（`` along.

    The rules give way only when nothing else fits: a run of characters joined by the rules that
    is wider than ``width`` breaks before the character that overflows, and an atom wider than
    ``width`` (an ASCII word, or a wide character when ``width`` is 1) gets a line of its own,
    wider than ``width``.

    Args:
        text: One paragraph. Tabs, newlines and the other ASCII whitespace count as spaces;
            leading and trailing whitespace is dropped. The ideographic space (U+3000) is an
            ordinary wide character.
        width: Columns available for each line; at least 1.

    Returns:
        The lines, none empty and none starting or ending with a space; ``[]`` if ``text`` is
        blank. Joining them, with the whitespace each break removed put back, gives ``text``
        (whitespace counted as above).

    Raises:
        ValueError: ``width`` is less than 1.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    atoms, gaps = _atoms(text)
    if not atoms:
        return []
    widths = [display_width(atom) for atom in atoms]
    allowed = [False] + [
        _may_break(atoms[i - 1], gaps[i], atoms[i], (widths[i - 1], widths[i]))
        for i in range(1, len(atoms))
    ]
    ends = [0]  # ends[k]: columns from the start of the text to the end of atom k - 1
    for gap, atom_width in zip(gaps, widths, strict=True):
        ends.append(ends[-1] + len(gap) + atom_width)

    def join(start: int, stop: int) -> str:
        return atoms[start] + "".join(gaps[k] + atoms[k] for k in range(start + 1, stop))

    lines: list[str] = []
    start, i = 0, 1  # the line holds atoms[start:i] (never empty); atom i is next
    while i < len(atoms):
        if ends[i + 1] - ends[start] - len(gaps[start]) <= width:
            i += 1
            continue
        cut = i  # atom i overflows: end the line at the last allowed break, else before atom i
        while cut > start and not allowed[cut]:
            cut -= 1
        if cut == start:
            cut = i
        lines.append(join(start, cut))
        start = cut
        i = max(i, start + 1)
    lines.append(join(start, len(atoms)))
    return lines


_ARGPARSE_TYPES: Final = Translation(
    "无效的%(type)s值：%(value)r", {"type": {"int": "整数", "float": "浮点数"}}
)

ARGPARSE_TEXT: Final = MessageCatalog(
    "argparse",
    ("argparse",),
    {
        # Help
        "usage: ": "用法：",
        "%(heading)s:": "%(heading)s：",  # Python 3.13+
        "positional arguments": "位置参数",
        "options": "选项",
        "subcommands": "子命令",
        "show this help message and exit": "显示此帮助信息并退出",
        "show program's version number and exit": "显示版本信息并退出",  # 3.13+
        " (default: %(default)s)": "（默认：%(default)s）",  # 3.13+
        # Usage errors
        "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
        "%(prog)s: warning: %(message)s\n": "%(prog)s：警告：%(message)s\n",  # 3.13+
        "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
        "the following arguments are required: %s": "缺少必填参数：%s",
        "one of the arguments %s is required": "必须提供以下参数之一：%s",
        "unrecognized arguments: %s": "无法识别的参数：%s",
        "ambiguous option: %(option)s could match %(matches)s": (
            "有歧义的选项：%(option)s 可以匹配 %(matches)s"
        ),
        "expected one argument": "需要一个值",
        "expected at most one argument": "最多需要一个值",
        "expected at least one argument": "至少需要一个值",
        "invalid %(type)s value: %(value)r": _ARGPARSE_TYPES,
        "invalid choice: %(value)r (choose from %(choices)s)": (
            "无效的选择：%(value)r（可选值：%(choices)s）"
        ),
        "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)": (
            "无效的选择：%(value)r，您是否要使用 %(closest)r？（可选值：%(choices)s）"
        ),  # 3.14+
        "invalid choice: %(value)r, maybe you meant %(closest)r?": (
            "无效的选择：%(value)r，您是否要使用 %(closest)r？"
        ),  # 3.14 pre-releases
        "unknown parser %(parser_name)r (choices: %(choices)s)": (
            "未知的子命令 %(parser_name)r（可选值：%(choices)s）"
        ),
        "not allowed with argument %s": "不能与参数 %s 同时使用",
        "ignored explicit argument %r": "忽略了显式给出的值 %r",
        "unexpected option string: %s": "意外的选项字符串：%s",
        "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
        "argument '%(argument_name)s' is deprecated": "参数“%(argument_name)s”已弃用",  # 3.13+
        "command '%(parser_name)s' is deprecated": "命令“%(parser_name)s”已弃用",  # 3.13+
        "option '%(option)s' is deprecated": "选项“%(option)s”已弃用",  # 3.13+
        # Programming errors (raised while a parser is built; listed so that nothing is English)
        ".__call__() not defined": "未定义 .__call__()",
        "'required' is an invalid argument for positionals": "位置参数不能使用 'required'",
        "mutually exclusive arguments must be optional": "互斥的参数必须是可选参数",
        "%r is not callable": "%r 不可调用",
        "cannot merge actions - two groups are named %r": "无法合并参数：两个参数组都名为 %r",
        "invalid option string %(option)r: must start with a character %(prefix_chars)r": (
            "无效的选项字符串 %(option)r：必须以字符 %(prefix_chars)r 开头"
        ),
        "dest= is required for options like %r": "%r 这样的选项必须指定 dest=",
        "invalid conflict_resolution value: %r": "无效的 conflict_resolution 值：%r",
        "cannot have multiple subparser arguments": "不能有多个子命令参数",
        "conflicting subparser: %s": "子命令冲突：%s",
        "conflicting subparser alias: %s": "子命令别名冲突：%s",
        'argument "-" with mode %r': "参数“-”不能使用模式 %r",
    },
    {
        ("expected %s argument", "expected %s arguments"): "需要 %s 个值",
        ("conflicting option string: %s", "conflicting option strings: %s"): "选项字符串冲突：%s",
    },
)
"""Chinese for argparse, covering the msgids of Python 3.11 to 3.14 (tests check the running one)."""


_WIDE_MARK: Final = "\ufdd0"
"""A Unicode noncharacter (never in real text) put after each wide character while argparse
lays out the usage, so that its ``len()`` counts terminal columns; removed afterwards."""


def _widen(text: str) -> str:
    return "".join(ch + _WIDE_MARK if _char_width(ch) == 2 else ch for ch in text)


def _widened_options(
    actions: list[argparse.Action], groups: list[argparse._MutuallyExclusiveGroup]
) -> tuple[list[argparse.Action], list[argparse._MutuallyExclusiveGroup]]:
    """Shallow copies of ``actions`` with :func:`_widen`-ed option strings, and of ``groups``
    holding the copies (the parser's own objects are left alone)."""
    twins: dict[argparse.Action, argparse.Action] = {}
    for action in actions:
        twin = copy.copy(action)
        twin.option_strings = [_widen(name) for name in action.option_strings]
        twins[action] = twin
    twin_groups = []
    for group in groups:
        twin_group = copy.copy(group)
        twin_group._group_actions = [twins.get(action, action) for action in group._group_actions]
        twin_groups.append(twin_group)
    return [twins[action] for action in actions], twin_groups


class ChineseArgparseFormatter(argparse.HelpFormatter):
    """argparse's help layout, measured in terminal columns (:func:`display_width`).

    argparse counts characters, but Chinese characters and full-width punctuation take two
    columns. This formatter keeps argparse's layout (indents, the help column, usage wrapping)
    and fixes the widths: descriptions and help texts are wrapped with :func:`wrap_cjk` (between
    Chinese characters, never inside an ASCII word, following 禁则), the help column and the
    padding after option names count columns, and the usage is wrapped as if each wide character
    were two characters long (prefix ``用法：``, program name, option names and metavars
    included), so wrapped usage lines start under the first argument. Lines fit in the
    formatter's width (``COLUMNS`` minus 2 by default), an ASCII word wider than the help column
    aside (and argparse's minimum help width of 11 columns on very narrow terminals).
    """

    _widening = False

    def _format_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None,
    ) -> str:
        if prefix is None:  # argparse's own default, translated when ARGPARSE_TEXT is active
            gettext = getattr(argparse, "_", None)
            prefix = str(gettext("usage: ")) if callable(gettext) else "usage: "
        actions, groups = list(actions), list(groups)
        if any(_widen(name) != name for action in actions for name in action.option_strings):
            actions, groups = _widened_options(actions, groups)
        prog = self._prog
        self._prog, self._widening = _widen(prog), True
        try:
            text = super()._format_usage(usage, actions, groups, _widen(prefix))
        finally:
            self._prog, self._widening = prog, False
        return text.replace(_WIDE_MARK, "")

    def _metavar_formatter(
        self, action: argparse.Action, default_metavar: str
    ) -> Callable[[int], tuple[str, ...]]:
        metavars = super()._metavar_formatter(action, default_metavar)
        if not self._widening:
            return metavars
        return lambda size: tuple(_widen(metavar) for metavar in metavars(size))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # argparse measured the names with len()
            invocations = [self._format_action_invocation(action)]
            invocations += map(
                self._format_action_invocation, self._iter_indented_subactions(action)
            )
            length = max(map(display_width, invocations)) + self._current_indent
            self._action_max_length = max(self._action_max_length, length)

    def _format_action(self, action: argparse.Action) -> str:
        # argparse's HelpFormatter._format_action, with widths in columns.
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        indent = " " * self._current_indent
        indent_first = 0
        if not action.help:
            header = f"{indent}{header}\n"
        elif display_width(header) <= action_width:
            header = f"{indent}{header}{' ' * (action_width - display_width(header))}  "
        else:
            header = f"{indent}{header}\n"
            indent_first = help_position
        parts = [header]
        help_lines = self._split_lines(self._expand_help(action), help_width) if action.help else []
        if help_lines:
            parts.append(f"{' ' * indent_first}{help_lines[0]}\n")
            parts += (f"{' ' * help_position}{line}\n" for line in help_lines[1:])
        elif not header.endswith("\n"):
            parts.append("\n")
        parts += map(self._format_action, self._iter_indented_subactions(action))
        return self._join_parts(parts)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_cjk(self._whitespace_matcher.sub(" ", text), max(width, 1))

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        text = self._whitespace_matcher.sub(" ", text)
        lines = wrap_cjk(text, max(width - display_width(indent), 1))
        return "\n".join(indent + line for line in lines)


class ChineseArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose help reads right with :data:`ARGPARSE_TEXT`.

    Translation itself happens through :data:`ARGPARSE_TEXT` (build and run the parser inside
    ``ARGPARSE_TEXT.active()``). This subclass lays help out in terminal columns with
    :class:`ChineseArgparseFormatter` (the default ``formatter_class``) and fixes the ASCII colon
    after section headings, which Python before 3.13 does not pass through gettext. Sub-parsers
    inherit the class, hence the formatter.

    Args:
        *args: As for :class:`argparse.ArgumentParser`.
        **kwargs: As for :class:`argparse.ArgumentParser`; ``formatter_class`` defaults to
            :class:`ChineseArgparseFormatter` (another class gives argparse's character counts).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) < 6:  # formatter_class is the sixth positional parameter
            kwargs.setdefault("formatter_class", ChineseArgparseFormatter)
        super().__init__(*args, **kwargs)

    def format_help(self) -> str:
        """Return the help text, section headings followed by a full-width colon (``选项：``)."""
        text = super().format_help()
        for english in ("positional arguments", "options", "subcommands"):
            heading = ARGPARSE_TEXT.gettext(english)
            text = text.replace(f"\n{heading}:\n", f"\n{heading}：\n")
        return text
