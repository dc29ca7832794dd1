"""Both command lines speak Chinese, framework text included: ``gongkai`` (click) and the
auditor ``python -m ledger verify`` (argparse), whatever the locale.

The catalog tests compare :data:`generator.cli_text.CLICK_TEXT` with the msgids of the installed
click (both ways) and :data:`ledger.cli_text.ARGPARSE_TEXT` with the running Python's argparse,
so a library upgrade that adds, rewords or drops a message fails here instead of leaking English.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.cli_text import (
    CLICK_MODULES,
    CLICK_TEXT,
    ChineseHelpFormatter,
    GongkaiCommand,
    GongkaiGroup,
)
from ledger.__main__ import main as ledger_main
from ledger.cli_text import ARGPARSE_TEXT, MessageCatalog, Translation, display_width
from ledger.publish import build_zipapp

ROOT = Path(__file__).resolve().parents[2]

# English words of click's and argparse's framework text (help pages and usage errors).
FRAMEWORK_WORDS = re.compile(
    r"\b(usage|options?|commands?|arguments?|positional|show this|show the|show program|"
    r"error|try|default|required|missing|invalid|no such|got unexpected|unexpected|aborted|"
    r"version|expected|unrecognized|the following|choose from|did you mean|possible|"
    r"does not|is not|not a valid|help)\b",
    re.IGNORECASE,
)
OPTION_NAME = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def _framework_english(text: str) -> list[str]:
    """English framework words in ``text``, option names (``--version``, ``-h``) set aside."""
    return FRAMEWORK_WORDS.findall(OPTION_NAME.sub(" ", text))


# --------------------------------------------------------------------------- gongkai --help


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], (*path, name))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMAND_PATHS = list(_walk(main))


def _own_words() -> set[str]:
    """ASCII words that gongkai itself puts on its help pages: names, help, metavars, defaults."""
    text = ["gongkai"]
    for path in COMMAND_PATHS:
        command = _command(path)
        ctx = click.Context(command, info_name=path[-1] if path else "gongkai")
        text += [*path, command.help or "", command.short_help or ""]
        text += command.get_help_option_names(ctx)
        for param in command.params:
            text += [*param.opts, *param.secondary_opts, param.make_metavar(ctx)]
            if isinstance(param, click.Option):
                text += [param.help or "", str(param.default)]
    return set(re.findall(r"[A-Za-z]+", " ".join(text)))


OWN_WORDS = _own_words()


def test_every_command_has_the_chinese_classes() -> None:
    assert len(COMMAND_PATHS) > 25
    for path in COMMAND_PATHS:
        command = _command(path)
        assert isinstance(command, GongkaiCommand), path
        assert isinstance(command, click.Group) == isinstance(command, GongkaiGroup), path
        assert command.context_class.formatter_class is ChineseHelpFormatter


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "gongkai")
def test_help_is_chinese(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="gongkai")
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith(f"用法：{' '.join(['gongkai', *path])} [选项]")
    assert "\n选项：\n" in text
    assert re.search(r"^  --help +显示此帮助信息并退出$", text, re.MULTILINE)
    if isinstance(_command(path), click.Group):
        assert "[选项] 命令 [参数]..." in text
        assert "\n命令：\n" in text
    assert _framework_english(text) == []
    assert set(re.findall(r"[A-Za-z]+", text)) - OWN_WORDS == set()


def test_top_level_help_and_version() -> None:
    text = CliRunner().invoke(main, ["--help"], prog_name="gongkai").output
    assert text.startswith("用法：gongkai [选项] 命令 [参数]...\n")
    assert re.search(r"^  --version +显示版本信息并退出$", text, re.MULTILINE)
    version = CliRunner().invoke(main, ["--version"], prog_name="gongkai")
    assert version.exit_code == 0
    assert re.fullmatch(r"gongkai，版本 \S+\n", version.output)


def test_help_marks_defaults_and_required_options() -> None:
    text = CliRunner().invoke(main, ["draw", "announce", "--help"], prog_name="gongkai").output
    assert re.search(r"^  --round INTEGER +drand .*  \[必填\]$", text, re.MULTILINE)
    assert re.search(r"^  --site DIRECTORY +站点目录.*  \[默认：\.\]$", text, re.MULTILINE)


# --------------------------------------------------------------------------- usage errors

USAGE_ERRORS = [
    (["check", "--x"], "gongkai check", "错误：无此选项 '--x'。"),
    (
        ["check", "--contnt", "c"],
        "gongkai check",
        "无此选项 '--contnt'。 您是否要使用 '--content'？",
    ),
    (["chek"], "gongkai", "错误：无此命令 'chek'。 您是否要使用 'check'？"),
    (["task", "reply", "T1"], "gongkai task reply", "错误：缺少选项 '--dept'。"),
    (
        ["serve", "--port", "x"],
        "gongkai serve",
        "错误：'--port' 收到无效的值：'x' 不是有效的整数。",
    ),
    (["check", "extra"], "gongkai check", "错误：收到多余的参数（extra）"),
    (["check", "a", "b"], "gongkai check", "错误：收到多余的参数（a b）"),
    (
        ["import"],
        "gongkai import",
        "错误：缺少参数 '{entities|inspectors}'。可选值：\n\tentities,\n\tinspectors",
    ),
    (
        ["import", "people", "x.csv"],
        "gongkai import",
        "错误：'{entities|inspectors}' 收到无效的值：'people' 不是可选值 'entities', 'inspectors' 之一。",
    ),
    (
        ["serve", "--dir", "/nonexistent-gongkai"],
        "gongkai serve",
        "错误：'--dir' 收到无效的值：目录 '/nonexistent-gongkai' 不存在。",
    ),
    (["verify", "--workers", "many"], "gongkai verify", "'many' 不是有效的整数。"),
    (["draw", "announce", "T1", "--round"], None, "错误：选项 '--round' 需要 1 个值。"),
]


@pytest.mark.parametrize(
    ("args", "command", "message"), USAGE_ERRORS, ids=[" ".join(a) for a, _, _ in USAGE_ERRORS]
)
def test_usage_errors_are_chinese_and_exit_2(
    args: list[str], command: str | None, message: str
) -> None:
    result = CliRunner().invoke(main, args, prog_name="gongkai")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    if command is not None:
        assert result.stderr.startswith(f"用法：{command} [选项]")
        assert f"请运行“{command} --help”查看帮助。" in result.stderr
    assert _framework_english(result.output) == []


def test_no_arguments_shows_the_chinese_help_and_exits_2() -> None:
    result = CliRunner().invoke(main, [], prog_name="gongkai")
    assert result.exit_code == 2
    assert result.stderr.startswith("用法：gongkai [选项] 命令 [参数]...")
    assert _framework_english(result.output) == []


def test_abort_is_chinese() -> None:
    @click.command(cls=GongkaiCommand)
    def interrupted() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(interrupted, [])
    assert result.exit_code == 1
    assert result.stderr == "\n已中止！\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--x"], "错误：无此选项 '--x'。"),
        (["--help"], "用法：gongkai [选项] 命令 [参数]..."),
    ],
    ids=["check --x", "--help"],
)
def test_gongkai_under_the_c_locale(tmp_path: Path, args: list[str], message: str) -> None:
    code = "import sys; from generator.cli import main; main(sys.argv[1:], prog_name='gongkai')"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=_c_locale_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == (0 if args == ["--help"] else 2), done.stderr
    assert message in done.stdout + done.stderr
    assert _framework_english(done.stdout + done.stderr) == []


def _c_locale_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LC_", "LANG", "PYTHONUTF8", "PYTHONIOENCODING"))
    }
    env.update(LANG="C", LC_ALL="C", PYTHONPATH=str(ROOT), COLUMNS="80")
    return env


# --------------------------------------------------------------------------- python -m ledger


@pytest.fixture
def columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _ledger(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    with pytest.raises(SystemExit) as exited:
        ledger_main(args, prog="python -m ledger")
    out, err = capsys.readouterr()
    return exited.value.code, out, err


@pytest.mark.usefixtures("columns_80")
def test_ledger_verify_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _ledger(["verify", "--help"], capsys)
    assert code == 0
    assert out.startswith("用法：python -m ledger verify [-h] [--trust FILE]")
    assert "\n位置参数：\n  DIR " in out
    assert "\n选项：\n" in out
    assert re.search(r"^  -h, --help +显示此帮助信息并退出$", out, re.MULTILINE)
    assert _framework_english(out) == []
    # Wrapped usage lines start under the first argument, counting 用法： as 6 columns.
    usage = out.split("\n\n")[0].split("\n")
    assert len(usage) > 1
    first = display_width("用法：python -m ledger verify ")
    assert all(len(line) - len(line.lstrip(" ")) == first for line in usage[1:])


@pytest.mark.usefixtures("columns_80")
def test_ledger_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _ledger(["--help"], capsys)
    assert code == 0
    assert out.startswith("用法：python -m ledger [-h] 命令 ...\n")
    assert _framework_english(out) == []


@pytest.mark.usefixtures("columns_80")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify"], "python -m ledger verify：错误：缺少必填参数：DIR\n"),
        ([], "python -m ledger：错误：缺少必填参数：命令\n"),
        (["verify", "d", "--workers", "x"], "错误：参数 --workers：无效的整数值：'x'\n"),
        (["verify", "d", "--trust"], "错误：参数 --trust：需要一个值\n"),
        (["verify", "d", "--bogus"], "python -m ledger：错误：无法识别的参数：--bogus\n"),
        (["verfy"], "错误：参数 命令：无效的选择：'verfy'"),
    ],
    ids=["verify", "none", "workers", "trust", "bogus", "verfy"],
)
def test_ledger_usage_errors_are_chinese_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _ledger(args, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("用法：python -m ledger")
    assert message in err
    assert _framework_english(err) == []


def test_gongkai_verify_passes_through_the_chinese_auditor(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(tmp_path)], prog_name="gongkai")
    assert result.exit_code not in (0, 2)
    assert _framework_english(result.output) == []


def test_zipapp_under_the_c_locale(tmp_path: Path) -> None:
    pyz = tmp_path / "gongkai-verify.pyz"
    pyz.write_bytes(build_zipapp())
    env = _c_locale_env()
    del env["PYTHONPATH"]
    done = subprocess.run(
        [sys.executable, str(pyz)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("用法：gongkai-verify.pyz verify")
    assert "错误：缺少必填参数：DIR" in done.stderr
    assert _framework_english(done.stderr) == []


# --------------------------------------------------------------------------- isolation


def test_other_click_and_argparse_programs_keep_their_text() -> None:
    CliRunner().invoke(main, ["--help"])  # installs the click wrappers
    ARGPARSE_TEXT.install()

    @click.command()
    @click.option("--name")
    def plain(name: str | None) -> None:
        """A program that is not gongkai."""

    result = CliRunner().invoke(plain, ["--nope"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: plain [OPTIONS]\nTry 'plain --help' for help.")
    assert "Error: No such option '--nope'." in result.stderr
    help_text = CliRunner().invoke(plain, ["--help"]).output
    assert "Options:\n" in help_text
    assert "Show this message and exit." in help_text

    parser = argparse.ArgumentParser(prog="plain")
    assert parser.format_help().startswith("usage: plain [-h]")
    assert "show this help message and exit" in parser.format_help()


def test_the_catalog_is_per_thread() -> None:
    from click import exceptions

    seen: list[str] = []
    with CLICK_TEXT.active():
        assert exceptions._("Error: {message}") == "错误：{message}"
        thread = threading.Thread(target=lambda: seen.append(exceptions._("Error: {message}")))
        thread.start()
        thread.join()
        with CLICK_TEXT.active():  # nests
            assert CLICK_TEXT.is_active()
        assert CLICK_TEXT.is_active()
    assert seen == ["Error: {message}"]
    assert not CLICK_TEXT.is_active()
    assert exceptions._("Error: {message}") == "Error: {message}"


def test_field_values_are_translated_only_in_their_field() -> None:
    number = CLICK_TEXT.gettext("{value!r} is not a valid {number_type}.")
    assert number.format(value="integer", number_type="integer") == "'integer' 不是有效的整数。"
    path = CLICK_TEXT.gettext("{name} {filename!r} does not exist.")
    assert path.format(name="Directory", filename="Directory") == "目录 'Directory' 不存在。"
    typed = ARGPARSE_TEXT.gettext("invalid %(type)s value: %(value)r")
    assert typed % {"type": "int", "value": "int"} == "无效的整数值：'int'"
    assert CLICK_TEXT.gettext("not a msgid") == "not a msgid"
    assert CLICK_TEXT.ngettext("one thing", "{n} things", 2) == "{n} things"


# --------------------------------------------------------------------------- catalogs vs libraries


def _literal(node: ast.expr, where: str) -> str | None:
    """The msgid of a ``_(…)``/``ngettext(…)`` argument; fails on one it cannot read."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (  # click: _(extra["required"]), where extra["required"] = "required"
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == "required"
    ):
        return "required"
    if (  # argparse < 3.13: _(kwargs.pop('title', 'subcommands')), _(kwargs.pop('description', None))
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "pop"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
    ):
        default = node.args[1].value
        assert default is None or isinstance(default, str), where
        return default
    raise AssertionError(f"{where}: a msgid this test cannot read: {ast.dump(node)}")


def _msgids(path: Path) -> tuple[set[str], set[tuple[str, str]]]:
    singles: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        where = f"{path}:{node.lineno}"
        if node.func.id == "_":
            msgid = _literal(node.args[0], where)
            if msgid is not None:
                singles.add(msgid)
        elif node.func.id == "ngettext":
            singular, plural = _literal(node.args[0], where), _literal(node.args[1], where)
            assert singular is not None, where
            assert plural is not None, where
            pairs.add((singular, plural))
    return singles, pairs


def _click_sources() -> dict[str, Path]:
    package = Path(click.__file__).parent
    return {
        f"click.{path.stem}": path
        for path in sorted(package.glob("*.py"))
        if re.search(r"^from gettext import", path.read_text(encoding="utf-8"), re.MULTILINE)
    }


def test_click_modules_are_all_wrapped() -> None:
    expected = set(_click_sources())
    if sys.platform != "win32":
        expected.discard("click._winconsole")
    assert set(CLICK_MODULES) == expected
    assert set(CLICK_TEXT.install()) == expected
    for name in expected:
        module = sys.modules[name]
        assert CLICK_TEXT.wraps(module._), name
        assert module._.original is gettext.gettext, name
        if hasattr(module, "ngettext"):
            assert CLICK_TEXT.wraps(module.ngettext), name
            assert module.ngettext.original is gettext.ngettext, name


def test_click_catalog_matches_the_installed_click_exactly() -> None:
    singles: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for path in _click_sources().values():
        more_singles, more_pairs = _msgids(path)
        singles |= more_singles
        pairs |= more_pairs
    assert sorted(singles - set(CLICK_TEXT.messages)) == [], "click msgids without Chinese"
    assert sorted(set(CLICK_TEXT.messages) - singles) == [], "Chinese for msgids click dropped"
    assert sorted(pairs - set(CLICK_TEXT.plurals)) == [], "click plural msgids without Chinese"
    assert sorted(set(CLICK_TEXT.plurals) - pairs) == [], "Chinese for plurals click dropped"


def test_argparse_catalog_covers_this_python() -> None:
    singles, pairs = _msgids(Path(argparse.__file__))
    assert sorted(singles - set(ARGPARSE_TEXT.messages)) == []
    assert sorted(pairs - set(ARGPARSE_TEXT.plurals)) == []
    assert ARGPARSE_TEXT.install() == ("argparse",)
    assert ARGPARSE_TEXT.wraps(argparse._)  # type: ignore[attr-defined]


_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[rsd]|%[rsd]")


def _placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def _text(entry: str | Translation) -> str:
    if isinstance(entry, Translation):
        assert entry.fields, entry
        for name in entry.fields:
            assert f"{{{name}}}" in entry.text or f"%({name})" in entry.text, entry
        return entry.text
    return entry


@pytest.mark.parametrize("catalog", [CLICK_TEXT, ARGPARSE_TEXT], ids=lambda c: c.name)
def test_translations_keep_the_placeholders(catalog: MessageCatalog) -> None:
    for msgid, entry in catalog.messages.items():
        text = _text(entry)
        assert _placeholders(text) == _placeholders(msgid), (msgid, text)
        # Translated, not copied: Chinese text or punctuation (the repr of click's Choice aside).
        assert re.search(r"[^\x00-\x7f]", text) or msgid == "Choice({choices})", msgid
    for (singular, plural), entry in catalog.plurals.items():
        text = _text(entry)
        assert re.search(r"[^\x00-\x7f]", text), singular
        allowed = _placeholders(singular) | _placeholders(plural)
        assert set(_placeholders(text)) <= set(allowed), (singular, text)
        positional = _placeholders(text)["%s"]
        assert positional == _placeholders(singular)["%s"] == _placeholders(plural)["%s"]
