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
``generator.cli_text`` builds the click catalog of ``gongkai`` with the same class. This module
uses the standard library only: ``ledger/`` also runs as a stdlib zipapp.
"""

from __future__ import annotations

import argparse
import importlib
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "ARGPARSE_TEXT",
    "ChineseArgumentParser",
    "MessageCatalog",
    "Translation",
    "display_width",
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


def display_width(text: str) -> int:
    """Terminal columns of ``text``: 2 for East Asian wide and fullwidth characters, else 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


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


class ChineseArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose help reads right with :data:`ARGPARSE_TEXT`.

    Translation itself happens through :data:`ARGPARSE_TEXT` (build and run the parser inside
    ``ARGPARSE_TEXT.active()``). This subclass only fixes two things argparse hard-codes: the
    ASCII colon after section headings (Python before 3.13 does not pass it through gettext) and
    the indent of wrapped usage lines, which argparse counts in characters although the Chinese
    prefix ``用法：`` is twice as wide on a terminal. Sub-parsers inherit the class.
    """

    def format_usage(self) -> str:
        """Return the usage text, wrapped lines aligned under the first.

        Chinese (``用法：…``) when called inside ``ARGPARSE_TEXT.active()``, like every method.
        """
        return _align_usage(super().format_usage())

    def format_help(self) -> str:
        """Return the help text, section headings followed by a full-width colon (``选项：``)."""
        text = _align_usage(super().format_help())
        for english in ("positional arguments", "options", "subcommands"):
            heading = ARGPARSE_TEXT.gettext(english)
            text = text.replace(f"\n{heading}:\n", f"\n{heading}：\n")
        return text


def _align_usage(text: str) -> str:
    prefix = ARGPARSE_TEXT.gettext("usage: ")
    extra = display_width(prefix) - len(prefix)
    if extra <= 0 or not text.startswith(prefix):
        return text
    usage, sep, rest = text.partition("\n\n")
    first, *others = usage.split("\n")
    lines = [first, *(" " * extra + line if line.startswith(" ") else line for line in others)]
    return "\n".join(lines) + sep + rest
