"""Chinese framework text of the ``gongkai`` command line (click's own messages).

click (pinned to 8.5.x in ``pyproject.toml``) resolves every message it shows through
module-level ``_``/``ngettext`` (``gettext``): ``Usage:``, ``Options``, ``Commands``,
``Show this message and exit.``, ``Error: {message}``, ``Missing option``, ``No such option``,
``Invalid value for …``, ``[default: …]``, ``[required]``, ``Aborted!`` and the rest.
:data:`CLICK_TEXT` maps every msgid of click 8.5 to Chinese and is active only while
:class:`GongkaiCommand.main` runs (see :class:`ledger.cli_text.MessageCatalog`: other click
programs in the same process keep their text, and the result does not depend on the locale).

The command classes add what click does not pass through gettext: the ``[选项]`` and
``命令 [参数]...`` placeholders of the usage line, full-width colons after ``用法``/section
headings, Chinese punctuation in "missing parameter" errors, and a help option whose text does
not depend on when click first built it. :class:`ChineseHelpFormatter` lays help out in terminal
columns (a Chinese character takes two) with :func:`ledger.cli_text.wrap_cjk`, and the command
list of a group cuts each command's help to its column with ``…`` (:func:`short_help`). ``tests/generator/test_cli_chinese.py`` fails when a
click release adds, changes or drops a msgid.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import click
from click.core import _format_deprecated_label

from ledger.cli_text import NO_LINE_END, MessageCatalog, Translation, display_width, wrap_cjk

__all__ = [
    "CLICK_MODULES",
    "CLICK_TEXT",
    "COMMAND_METAVAR",
    "HELP_OPTIONS",
    "OPTIONS_METAVAR",
    "VERSION_HELP",
    "VERSION_MESSAGE",
    "ChineseHelpFormatter",
    "GongkaiCommand",
    "GongkaiContext",
    "GongkaiGroup",
    "chinese_metavar",
    "short_help",
]

CLICK_MODULES: Final = (
    "click._termui_impl",
    *(("click._winconsole",) if sys.platform == "win32" else ()),  # asserts win32 on import
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
)
"""Every click module that imports ``gettext`` on this platform (a test checks the list)."""

_PARAM_TYPE: Final = {"option": "选项", "argument": "参数", "parameter": "参数"}
_PATH_KIND: Final = {"File": "文件", "Directory": "目录", "Path": "路径"}
_NUMBER_TYPE: Final = {
    "integer": "整数",
    "integer range": "整数",
    "float": "浮点数",
    "float range": "浮点数",
}

CLICK_TEXT: Final = MessageCatalog(
    "click",
    CLICK_MODULES,
    {
        # Help pages
        "Usage:": "用法：",
        "Options": "选项",
        "Positional arguments": "位置参数",
        "Commands": "命令",
        "Show this message and exit.": "显示此帮助信息并退出",
        "Show the version and exit.": "显示版本信息并退出",
        "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
        "default: {default}": "默认：{default}",
        "required": "必填",
        "env var: {var}": "环境变量：{var}",
        "(dynamic)": "（动态）",
        "deprecated": "已弃用",
        "Confirm the action without prompting.": "直接确认操作，不再询问",
        # Errors and their parts
        "Error: {message}": "错误：{message}",
        "Try '{command} {option}' for help.": "请运行“{command} {option}”查看帮助。",
        "Aborted!": "已中止！",
        "Missing command.": "缺少命令。",
        "Missing argument": "缺少参数",
        "Missing option": "缺少选项",
        "Missing parameter": "缺少参数",
        "Missing {param_type}": Translation("缺少{param_type}", {"param_type": _PARAM_TYPE}),
        "Missing parameter: {param_name}": "缺少参数：{param_name}",
        "No such option {name!r}.": "无此选项 {name!r}。",
        "No such command {name!r}.": "无此命令 {name!r}。",
        "Invalid value for {param_hint}: {message}": "{param_hint} 收到无效的值：{message}",
        "Invalid value: {message}": "无效的值：{message}",
        "Value must be an iterable.": "值必须是可迭代对象。",
        "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
        "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
        "Invalid start character for option ({option})": "选项的起始字符无效（{option}）",
        "Choose from:\n\t{choices}": "可选值：\n\t{choices}",
        "{value!r} is not a valid {number_type}.": Translation(
            "{value!r} 不是有效的{number_type}。", {"number_type": _NUMBER_TYPE}
        ),
        "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
        "{value!r} is not a valid boolean. Recognized values: {states}": (
            "{value!r} 不是有效的布尔值。可识别的值：{states}"
        ),
        "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
        "file": "文件",
        "directory": "目录",
        "path": "路径",
        "{name} {filename!r} does not exist.": Translation(
            "{name} {filename!r} 不存在。", {"name": _PATH_KIND}
        ),
        "{name} {filename!r} is a file.": Translation(
            "{name} {filename!r} 是文件。", {"name": _PATH_KIND}
        ),
        "{name} {filename!r} is a directory.": Translation(
            "{name} {filename!r} 是目录。", {"name": _PATH_KIND}
        ),
        "{name} {filename!r} is not readable.": Translation(
            "{name} {filename!r} 不可读。", {"name": _PATH_KIND}
        ),
        "{name} {filename!r} is not writable.": Translation(
            "{name} {filename!r} 不可写。", {"name": _PATH_KIND}
        ),
        "{name} {filename!r} is not executable.": Translation(
            "{name} {filename!r} 不可执行。", {"name": _PATH_KIND}
        ),
        "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
        "unknown error": "未知错误",
        "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
            "弃用警告：命令 {name!r} 已弃用。{extra_message}"
        ),
        "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
            Translation(
                "弃用警告：{param_type} {name!r} 已弃用。{extra_message}",
                {"param_type": _PARAM_TYPE},
            )
        ),
        # Prompts, pager, editor, progress bar, terminal
        "Do you want to continue?": "是否继续？",
        "Repeat for confirmation": "请再次输入以确认",
        "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
        "Error: invalid input": "错误：输入无效",
        "Press any key to continue...": "按任意键继续……",
        "{editor}: Editing failed": "{editor}：编辑失败",
        "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
        "d": "天",  # progress bar ETA: "1天 02:00:00"
        "Unknown color {colour!r}": "未知颜色 {colour!r}",
        "Unknown standard stream '{name}'": "未知的标准流“{name}”",
        "Windows error: {error}": "Windows 错误：{error}",
        "Couldn't detect Bash version, shell completion is not supported.": (
            "无法检测 Bash 版本，不支持 shell 补全。"
        ),
        "Shell completion is not supported for Bash versions older than 4.4.": (
            "Bash 4.4 以下版本不支持 shell 补全。"
        ),
        # Programming errors (raised while commands are defined)
        "Choice({choices})": "Choice({choices})",  # repr() of a type, for developers
        "Name '{name}' defined twice": "名称“{name}”重复定义",
        "Could not determine name for option with declarations {decls!r}": (
            "无法根据声明 {decls!r} 确定选项名称"
        ),
        "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean to pass '--{name}'?": (
            "未定义任何选项，却传入了名称（{name}）。是否应声明为参数？或应传入“--{name}”？"
        ),
        "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
            "参数只能有一个声明，实际为 {length} 个：{decls}。"
        ),
        "Boolean option {decl!r} cannot use the same flag for true/false.": (
            "布尔选项 {decl!r} 的真值与假值不能使用同一个标志。"
        ),
    },
    {
        ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
            "收到多余的参数（{args}）"
        ),
        ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
            "您是否要使用 {possibilities}？"
        ),
        ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
            "选项 {name!r} 需要 {nargs} 个值。"
        ),
        ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
            "需要 {nargs} 个值，实际给出 {len} 个。"
        ),
        ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
            "{value!r} 不是可选值 {choices} 之一。"
        ),
        (
            "{value!r} does not match the format {format}.",
            "{value!r} does not match the formats {formats}.",
        ): "{value!r} 不符合格式 {formats}。",
        (
            "{len_type} values are required, but {len_value} was given.",
            "{len_type} values are required, but {len_value} were given.",
        ): "需要 {len_type} 个值，实际给出 {len_value} 个。",
    },
)
"""Chinese for every msgid of click 8.5 (the tests compare the two sets both ways)."""

OPTIONS_METAVAR: Final = "[选项]"
"""Usage-line placeholder for a command's options (click: ``[OPTIONS]``)."""

COMMAND_METAVAR: Final = "命令 [参数]..."
"""Usage-line placeholder for a group's sub-command (click: ``COMMAND [ARGS]...``)."""

VERSION_HELP: Final = CLICK_TEXT.gettext("Show the version and exit.")
"""Help of ``--version`` (click reads it when the decorator runs, before any command runs)."""

VERSION_MESSAGE: Final = CLICK_TEXT.gettext("%(prog)s, version %(version)s")
"""Output of ``--version``: ``gongkai，版本 0.1.0``."""


def _wrap_text(
    text: str,
    width: int,
    initial_indent: str = "",
    subsequent_indent: str = "",
    preserve_paragraphs: bool = False,
) -> str:
    """click's :func:`click.formatting.wrap_text`, measured in columns and wrapped by 禁则.

    Same paragraphs as click's: with ``preserve_paragraphs``, blank lines separate paragraphs,
    a paragraph keeps the indent of its first line, and one whose first line is ``\\b`` is
    indented but not re-wrapped. Lines are wrapped with :func:`ledger.cli_text.wrap_cjk` to
    ``width`` columns, indent included (the wider of the two indents counts for every line);
    click's long-word breaking is dropped: an ASCII word wider than the line stays whole.
    """
    text = text.expandtabs()
    paragraphs: list[tuple[int, bool, str]] = []
    if not preserve_paragraphs:
        paragraphs.append((0, False, text))
    else:
        lines: list[str] = []
        indent = 0

        def flush() -> None:
            if lines:
                if lines[0].strip() == "\b":
                    paragraphs.append((indent, True, "\n".join(lines[1:])))
                else:
                    paragraphs.append((indent, False, " ".join(lines)))
                lines.clear()

        for line in text.splitlines():
            if not line:
                flush()
            else:
                if not lines:
                    indent = display_width(line) - display_width(line.lstrip())
                    line = line.lstrip()
                lines.append(line)
        flush()
    out = []
    for extra, raw, body in paragraphs:
        first, rest = initial_indent + " " * extra, subsequent_indent + " " * extra
        if raw:
            wrapped = body.splitlines()
        else:
            budget = width - max(display_width(first), display_width(rest))
            wrapped = wrap_cjk(body, max(budget, 1))
        out.append("\n".join((rest if i else first) + line for i, line in enumerate(wrapped)))
    return "\n\n".join(out)


class ChineseHelpFormatter(click.HelpFormatter):
    """click's help formatter with full-width colons and widths in terminal columns.

    ``用法：gongkai …``, ``选项：``. Text is measured with :func:`ledger.cli_text.display_width`
    (a Chinese character takes two columns) and wrapped with :func:`ledger.cli_text.wrap_cjk`:
    between Chinese characters, never inside an ASCII word, following 禁则. click's layout is
    otherwise kept (indents, paragraphs, the two-column definition lists), and every line fits
    in :attr:`width` (``COLUMNS`` up to 80, minus 2), an ASCII word wider than its column aside.
    """

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line; the default prefix is ``用法：`` (no space after the colon).

        As click's, with widths in columns: the arguments follow ``用法：prog`` and wrap at
        spaces only (``[选项]`` stays whole) under their first line, or, if fewer than 20 columns
        would remain, start on the next line.
        """
        if prefix is None:
            prefix = CLICK_TEXT.gettext("Usage:")
        pad = " " * max(self.current_indent - display_width(prefix), 0)
        usage_prefix = f"{pad}{prefix}{prog} "
        if not args:
            self.write(f"{usage_prefix.rstrip(' ')}\n")
            return
        text_width = self.width - self.current_indent
        if text_width >= display_width(usage_prefix) + 20:
            first, indent = usage_prefix, " " * display_width(usage_prefix)
        else:
            self.write(f"{usage_prefix.rstrip(' ')}\n")
            first = indent = " " * (max(self.current_indent, display_width(prefix)) + 4)
        self.write(f"{_wrap_words(args, text_width - display_width(indent), first, indent)}\n")

    def write_heading(self, heading: str) -> None:
        """Write a section heading followed by a full-width colon (``选项：``)."""
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        """Write ``text`` re-wrapped to the width at the current indent, paragraphs kept."""
        indent = " " * self.current_indent
        self.write(_wrap_text(text, self.width, indent, indent, preserve_paragraphs=True))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Write a definition list (options, commands) as click does, widths in columns.

        The first column is as wide as its widest term, up to ``col_max`` columns (a wider term
        puts its text on the next line); the text column is wrapped to the rest of the width.

        Raises:
            TypeError: a row has more than two items, or every row has fewer than two.
        """
        rows = list(rows)
        widths: dict[int, int] = {}
        for row in rows:
            for column, cell in enumerate(row):
                widths[column] = max(widths.get(column, 0), display_width(cell))
        if len(widths) != 2:
            raise TypeError("Expected two columns for definition list")
        first_col = min(widths[0], col_max) + col_spacing
        margin = " " * (first_col + self.current_indent)
        text_width = max(self.width - first_col - self.current_indent, 10)
        for row in rows:
            first, second = (*row, "", "")[:2]
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write(f"\n{margin}")
            lines = _wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0]}\n" if lines else "\n")
            for line in lines[1:]:
                self.write(f"{margin}{line}\n")


def _wrap_words(text: str, width: int, first: str, indent: str) -> str:
    """Wrap ``text`` at its spaces to ``width`` columns after ``first``/``indent`` (click usage)."""
    lines: list[str] = []
    for word in text.split():
        if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join((indent if i else first) + line for i, line in enumerate(lines))


_SENTENCE_END: Final = re.compile(r"[。！？]")
_PAUSE: Final = "，、；：,;: "


def short_help(help_text: str, limit: int) -> str:
    """The first sentence of ``help_text``, cut to ``limit`` columns with ``…``.

    click's :func:`click.utils._make_default_short_help`, for Chinese and in columns: the first
    paragraph (a leading ``\\b`` line skipped), whitespace collapsed, up to the first sentence end
    (``。``, ``！``, ``？``, or click's rule for an ASCII ``.``); if wider than ``limit``, the
    longest first line :func:`ledger.cli_text.wrap_cjk` makes in ``limit - 1`` columns (so no
    ASCII word is cut, and 禁则 hold), without trailing pause punctuation (``，``, ``、`` …),
    followed by ``…`` (one column). An ASCII word wider than that is cut between characters.
    A ``limit`` below 2 gives ``…``. Never raises.
    """
    words = help_text.partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    for i, word in enumerate(words):  # click's rule: "x." ends a sentence unless "x. lower" follows
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            words = words[: i + 1]
            break
    text = " ".join(words)
    end = _SENTENCE_END.search(text)
    if end is not None:
        text = text[: end.end()]
    if display_width(text) <= limit:
        return text
    if limit < 2:
        return "…"
    head = wrap_cjk(text, limit - 1)[0]
    while display_width(head) > limit - 1:  # a single ASCII word wider than the limit
        head = head[:-1]
    head = head.rstrip(_PAUSE)
    while head and head[-1] in NO_LINE_END:  # 禁则 gave way: no "（…"
        head = head[:-1].rstrip(_PAUSE)
    return f"{head}…"


EXIT_CODES_HEADING: Final = "退出码"
EXIT_CODES_POINTER: Final = "退出码：0 表示成功；其余见“{root} -h”。"

HELP_OPTIONS: Final = ("-h", "--help")
"""The help options of every ``gongkai`` command."""

_ARGUMENT_METAVAR: Final = {
    "task_id": "任务编号",
    "plan_id": "计划编号",
    "entity": "统一社会信用代码",
    "source": "文件",
    "out": "文件",
    "form": "录入表",
    "public_key": "公钥文件",
    "directory": "目录",
}


def chinese_metavar(param: click.Parameter) -> str | None:
    """The Chinese placeholder of ``param`` in help pages (click: ``TEXT``, ``DIRECTORY`` …).

    Arguments by name (``任务编号``; ``[目录]`` when optional), options by type: a directory
    ``目录``, a file ``文件``, an integer ``整数``; the checked types of
    :mod:`generator.cli_options` give their own (``文本``, ``时间`` …). ``None`` (click's
    rendering) for flags and choices, which show no placeholder or their choices.
    """
    if isinstance(param, click.Option) and (param.is_flag or param.count):
        return None
    kind = param.type
    if isinstance(kind, click.Choice):
        return None
    name = _ARGUMENT_METAVAR.get(param.name or "") if isinstance(param, click.Argument) else None
    if name is None:
        if isinstance(kind, click.Path):
            name = "目录" if not kind.file_okay else "文件" if not kind.dir_okay else "路径"
        elif isinstance(kind, click.types.IntParamType):
            name = "整数"
        else:
            name = getattr(kind, "metavar", None) or "文本"
    if isinstance(param, click.Argument) and not param.required:
        return f"[{name}]"
    return name


class GongkaiContext(click.Context):
    """Context whose help pages use :class:`ChineseHelpFormatter`."""

    formatter_class = ChineseHelpFormatter


class _MissingParameter(click.MissingParameter):
    """click's missing-parameter error, worded and punctuated in Chinese.

    click appends an ASCII period and a space outside gettext (``Missing option '--dept'.``);
    this gives ``缺少选项 '--dept'。`` and ``缺少参数 'KIND'。可选值：…``.
    """

    def format_message(self) -> str:
        """Return ``缺少<类型> <参数>。`` plus click's details (e.g. the choices)."""
        hint: Sequence[str] | str | None = self.param_hint
        if hint is None and self.param is not None:
            hint = self.param.get_error_hint(self.ctx)
        if hint is not None and not isinstance(hint, str):
            hint = " / ".join(repr(x) for x in hint)
        kind = self.param_type
        if kind is None and self.param is not None:
            kind = self.param.param_type_name
        msgid = {"argument": "Missing argument", "option": "Missing option"}.get(
            kind or "parameter", "Missing parameter"
        )
        details = [self.message] if self.message else []
        if self.param is not None:
            extra = self.param.type.get_missing_message(param=self.param, ctx=self.ctx)
            if extra:
                details.append(extra)
        head = CLICK_TEXT.gettext(msgid) + (f" {hint}" if hint else "")
        return "。".join([head, *details]) if details else f"{head}。"


class GongkaiCommand(click.Command):
    """A click command whose framework text is Chinese (see the module docstring).

    Behaviour (parsing, exit codes, output streams) is click's; only text changes.
    """

    context_class = GongkaiContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        settings = dict(kwargs.get("context_settings") or {})
        settings.setdefault("help_option_names", list(HELP_OPTIONS))
        kwargs["context_settings"] = settings
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is None:
                param.metavar = chinese_metavar(param)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run click's :meth:`click.Command.main` with :data:`CLICK_TEXT` active.

        Same arguments, return value, exceptions and exit codes as click's (usage errors exit 2).
        """
        with CLICK_TEXT.active():
            return super().main(*args, **kwargs)

    def get_short_help_str(self, limit: int = 45) -> str:
        """Help shown in a group's command list: :func:`short_help` of :attr:`help`, ``limit``
        columns at most, or click's own result when :attr:`short_help` is set or there is no help.

        click derives ``limit`` from the length of the longest command name, which is its width
        in columns for the ASCII names of ``gongkai``. Never raises.
        """
        if self.short_help or not self.help:
            return super().get_short_help_str(limit)
        text = short_help(inspect.cleandoc(self.help).partition("\f")[0], limit)
        if self.deprecated:  # after the cut text, as click does
            text = f"{text} {_format_deprecated_label(self.deprecated)}"
        return text.strip()

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's epilog; a sub-command without one says where the exit codes are listed."""
        if self.epilog is None and ctx.parent is not None and isinstance(self, click.Command):
            formatter.write_paragraph()
            formatter.write_text(EXIT_CODES_POINTER.format(root=ctx.find_root().info_name))
            return
        super().format_epilog(ctx, formatter)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """click's ``--help`` option, with the Chinese help text whenever click first built it."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = CLICK_TEXT.gettext("Show this message and exit.")
        return option

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """click's parsing; a missing required parameter raises the Chinese-worded error.

        Raises:
            click.UsageError: as click does (exit code 2); ``click.MissingParameter`` is re-raised
                as a subclass with the same attributes and Chinese punctuation.
        """
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as exc:
            if type(exc) is not click.MissingParameter:
                raise
            raise _MissingParameter(
                exc.message, exc.ctx, exc.param, exc.param_hint, exc.param_type
            ) from None


class GongkaiGroup(GongkaiCommand, click.Group):
    """A click group with Chinese framework text; its sub-commands and sub-groups inherit it.

    ``exit_codes`` (code → meaning), when given, is listed after the commands (``退出码：``).
    """

    command_class = GongkaiCommand
    group_class = type  # sub-groups are GongkaiGroup too

    def __init__(
        self, *args: Any, exit_codes: Mapping[int, str] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("subcommand_metavar", COMMAND_METAVAR)
        super().__init__(*args, **kwargs)
        self.exit_codes = dict(exit_codes or {})

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's epilog, then the exit codes as a definition list."""
        super().format_epilog(ctx, formatter)
        if self.exit_codes:
            with formatter.section(EXIT_CODES_HEADING):
                formatter.write_dl([(str(c), text) for c, text in self.exit_codes.items()])
