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
from generator.cli_errors import EXIT_CODES
from generator.cli_text import (
    CLICK_MODULES,
    CLICK_TEXT,
    ChineseHelpFormatter,
    GongkaiCommand,
    GongkaiGroup,
    short_help,
)
from ledger.__main__ import main as ledger_main
from ledger.cli_text import (
    ARGPARSE_TEXT,
    NO_LINE_END,
    NO_LINE_START,
    ChineseArgparseFormatter,
    ChineseArgumentParser,
    MessageCatalog,
    Translation,
    display_width,
)
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
    text = ["gongkai", *EXIT_CODES.values()]
    for path in COMMAND_PATHS:
        command = _command(path)
        ctx = click.Context(
            command, info_name=path[-1] if path else "gongkai", **command.context_settings
        )
        text += [*path, command.help or "", command.short_help or ""]
        text += command.get_help_option_names(ctx)
        for param in command.params:
            text += [*param.opts, *param.secondary_opts, param.make_metavar(ctx)]
            if isinstance(param, click.Option):
                text += [param.help or "", str(param.default), str(param.envvar or "")]
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
    assert re.search(r"^  -h, --help +显示此帮助信息并退出$", text, re.MULTILINE)
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
    text = CliRunner().invoke(main, ["task", "reply", "--help"], prog_name="gongkai").output
    assert re.search(r"^  --dept 文本 +应约的配合部门标识  \[必填\]$", text, re.MULTILINE)
    assert re.search(r"^  --site 目录 +站点目录.*  \[环境变量：", text, re.MULTILINE)
    assert re.search(r"^ +GONGKAI_SITE_DIR; 默认：\.\]$", text, re.MULTILINE)


# --------------------------------------------------------------------------- usage errors

USAGE_ERRORS = [
    (["check", "--x"], "gongkai check", "错误：无此选项 '--x'。"),
    (
        ["check", "--contnt", "c"],
        "gongkai check",
        "无此选项 '--contnt'。 您是否要使用 '--content'？",
    ),
    (["chek"], "gongkai", "错误：无此命令 'chek'。 您是否要使用 'check', 'checklist'？"),
    (["task", "reply", "T1"], "gongkai task reply", "错误：缺少选项 '--dept'。"),
    (
        ["serve", "--port", "x"],
        "gongkai serve",
        "错误：'--port' 收到无效的值：“x”不是整数",
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
    (["verify", "--workers", "many"], "gongkai verify", "“many”不是整数"),
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
    done = _gongkai_process(args, _c_locale_env(), tmp_path)
    assert done.returncode == (0 if args == ["--help"] else 2), done.stderr
    assert message in done.stdout + done.stderr
    assert _framework_english(done.stdout + done.stderr) == []


def _gongkai_process(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``gongkai ARGS`` in a fresh interpreter with ``env``; output decoded as UTF-8."""
    code = "import sys; from generator.cli import main; main(sys.argv[1:], prog_name='gongkai')"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


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


@pytest.fixture
def columns_60(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")


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
        (
            ["verify", "d", "--workers", "x"],
            "错误：参数 --workers：“x”无效：应为 0（全部 CPU 核心）到 ",
        ),
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


# --------------------------------------------------------------------------- layout in columns


def _overflowing(text: str, width: int) -> list[str]:
    """Lines wider than ``width`` columns, unless all they hold is one unbreakable ASCII word."""
    return [
        line
        for line in text.splitlines()
        if display_width(line) > width
        and not re.fullmatch(r"[\x21-\x7e]+", line.strip())  # one ASCII word, nothing else
    ]


def _kinsoku_breaks(text: str) -> list[str]:
    """Lines starting with closing or ending with opening punctuation (禁则)."""
    return [
        line
        for line in text.splitlines()
        if line.strip() and (line.strip()[0] in NO_LINE_START or line.strip()[-1] in NO_LINE_END)
    ]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "gongkai")
def test_help_fits_the_terminal_in_columns(path: tuple[str, ...]) -> None:
    for width in (50, 60, 78, 80):  # click's formatter width: min(COLUMNS, 80) - 2, at least 50
        result = CliRunner().invoke(
            main, [*path, "--help"], prog_name="gongkai", terminal_width=width
        )
        assert result.exit_code == 0, result.output
        assert _overflowing(result.output, width) == [], width
        assert _kinsoku_breaks(result.output) == [], width


ANNOUNCE_HELP_78 = """\
用法：gongkai draw announce [选项] 任务编号

  公告抽取：冻结名录库快照、各部门提交承诺、指定未来的 drand 轮次（由全部参与
  部门签署）。

选项：
  --round 整数     drand quicknet 轮次（须在公告 24 小时之后；与 --round-at 二
                   选一）
  --round-at 时间  改用此时间 24 小时之后的第一个 drand 轮次（通常与 --at 相
                   同；与 --round 二选一）
  --key 部门=文件  部门私钥，格式 部门=文件（每个参与部门一个）
  --site 目录      站点目录（含 content/ 与 draws/）  [环境变量：
                   GONGKAI_SITE_DIR; 默认：.]
  --at 时间        签署时间（默认当前时间）：2024-03-10、2024/3/10 或 2024年3
                   月10日（当天 9:00），2024-03-10 10:30（北京时间），或带时区
                   的 2024-03-10T10:30:00+08:00
  --log-key 文件   日志密钥文件（环境变量 GONGKAI_LOG_KEY）
  --secrets 目录   抽取秘密目录（须在仓库之外；默认用户配置目录下的
                   gongkai/secrets）
  -h, --help       显示此帮助信息并退出

退出码：0 表示成功；其余见“gongkai -h”。
"""


def test_announce_help_is_laid_out_in_columns() -> None:
    result = CliRunner().invoke(
        main, ["draw", "announce", "--help"], prog_name="gongkai", terminal_width=78
    )
    assert result.output == ANNOUNCE_HELP_78


def test_command_list_cuts_short_help_by_columns() -> None:
    text = CliRunner().invoke(main, ["--help"], prog_name="gongkai", terminal_width=78).output
    rows = text.split("\n命令：\n", 1)[1].split("\n\n退出码：\n", 1)[0].splitlines()
    assert len(rows) == len(main.commands)
    limit = 78 - 6 - max(map(len, main.commands))  # click's: three times the column spacing
    for row in rows:
        name, help_text = row.split(maxsplit=1)
        command = main.commands[name]
        assert display_width(help_text) <= limit, row
        assert command.help is not None
        if help_text.endswith("…"):
            assert command.help.startswith(help_text[:-1]), row
            assert display_width(command.help.split("\n\n")[0]) > limit, row
        else:
            assert help_text == command.help.split("\n\n")[0].strip(), row
    # (the name column is as wide as the longest name, "vocabulary"; the pause punctuation
    # before an ellipsis is dropped: test_short_help_cut below)
    assert "  verify      离线验证账本目录或已生成网站中的账本（签名、默克尔树、检查…" in rows
    assert "  status      待办事项：待应约的邀约、待取随机数的抽取、应公示与逾期的结…" in rows


@pytest.mark.parametrize(
    ("help_text", "limit", "expected"),
    [
        ("后续处置完结。", 64, "后续处置完结。"),
        ("第一句。第二句。", 64, "第一句。"),
        ("Build the site. Then serve it.", 64, "Build the site."),
        ("Compare a vs. b here.", 64, "Compare a vs. b here."),
        ("导入名录库。\n\n    有任何错误时逐条报告。", 64, "导入名录库。"),
        ("\b\n原样  保留的段落", 64, "原样 保留的段落"),
        ("离线验证账本（只需标准库和 cryptography）。", 30, "离线验证账本（只需标准库和…"),
        ("指定未来的 drand 轮次。", 14, "指定未来的…"),  # drand is not cut
        ("一二三四五、六七八九十", 14, "一二三四五…"),  # no "、…"
        ("一二三四五六、七八九十", 14, "一二三四五…"),  # 六 stays with 、 (禁则), both go
        ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…"),  # one word wider than the limit
        ("一二（三四五）", 5, "一二…"),  # no "（…"
        ("一二三", 1, "…"),
        ("", 10, ""),
    ],
)
def test_short_help(help_text: str, limit: int, expected: str) -> None:
    assert short_help(help_text, limit) == expected
    assert display_width(expected) <= max(limit, 1)


def test_short_help_of_commands() -> None:
    @click.command(cls=GongkaiCommand, short_help="自定义的简短说明，不截断也不改写，原样显示")
    def custom() -> None:
        """很长的帮助文本。"""

    @click.command(cls=GongkaiCommand, deprecated=True)
    def old() -> None:
        """旧的命令：请改用新的命令，本命令将在下一个版本中删除。"""

    @click.command(cls=GongkaiCommand)
    def bare() -> None:
        pass

    assert custom.get_short_help_str(10) == "自定义的简短说明，不截断也不改写，原样显示"
    assert bare.get_short_help_str(10) == ""
    with CLICK_TEXT.active():
        assert old.get_short_help_str(20) == "旧的命令：请改用新… (已弃用)"


def test_formatter_usage_wraps_at_spaces_in_columns() -> None:
    args = "[选项] 第一个参数 SECOND_ARGUMENT 第三个参数 [更多参数]... 最后一个参数"
    formatter = ChineseHelpFormatter(width=60)
    formatter.write_usage("gongkai 任务 处理", args)
    lines = formatter.getvalue().splitlines()
    assert lines[0].startswith("用法：gongkai 任务 处理 [选项] 第一个参数")
    indent = display_width("用法：gongkai 任务 处理 ")
    assert len(lines) > 1
    for line in lines[1:]:
        assert len(line) - len(line.lstrip(" ")) == indent
    assert " ".join(line.strip() for line in lines) == f"用法：gongkai 任务 处理 {args}"
    assert all(display_width(line) <= 60 for line in lines)

    narrow = ChineseHelpFormatter(width=40)  # fewer than 20 columns left: arguments below
    narrow.write_usage("gongkai 任务 处理", args)
    lines = narrow.getvalue().splitlines()
    assert lines[0] == "用法：gongkai 任务 处理"
    assert all(line.startswith(" " * 10) and line[10] != " " for line in lines[1:])
    assert all(display_width(line) <= 40 for line in lines)


def test_formatter_keeps_clicks_paragraphs() -> None:
    formatter = ChineseHelpFormatter(width=30)
    with formatter.indentation():
        formatter.write_text(
            "第一段：在终端里按显示宽度换行，每行不超过三十列。\n"
            "\n"
            "\b\n"
            "原样  保留\n"
            "  第二行\n"
            "\n"
            "    缩进的段落也按显示宽度换行。"
        )
    assert formatter.getvalue() == (
        "  第一段：在终端里按显示宽度换\n"
        "  行，每行不超过三十列。\n"
        "\n"
        "  原样  保留\n"
        "    第二行\n"
        "\n"
        "      缩进的段落也按显示宽度换\n"
        "      行。\n"
    )


def test_formatter_definition_list_measures_columns() -> None:
    formatter = ChineseHelpFormatter(width=40)
    with formatter.indentation():
        formatter.write_dl(
            [
                ("名称", "部门名称，如市场监督管理局"),
                ("--dept TEXT", "部门标识"),
                ("一个很长很长的术语", "说明文字放在下一行"),
            ],
            col_max=12,
        )
    assert formatter.getvalue() == (
        "  名称          部门名称，如市场监督管理\n"
        "                局\n"
        "  --dept TEXT   部门标识\n"
        "  一个很长很长的术语\n"
        "                说明文字放在下一行\n"
    )
    with pytest.raises(TypeError):
        formatter.write_dl([("a", "b", "c")])


@pytest.mark.parametrize("columns", ["60", "80", "200"])
def test_gongkai_help_fits_a_real_terminal(tmp_path: Path, columns: str) -> None:
    env = _c_locale_env()
    env["COLUMNS"] = columns
    for args in (["draw", "announce", "--help"], ["--help"]):
        done = _gongkai_process(args, env, tmp_path)
        assert done.returncode == 0, done.stderr
        width = min(int(columns), 80) - 2  # click: at most 80 columns, minus 2
        assert _overflowing(done.stdout, width) == [], args
        assert _kinsoku_breaks(done.stdout) == [], args


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_ledger_help_fits_the_terminal(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    for args in (["verify", "--help"], ["--help"]):
        code, out, _ = _ledger(args, capsys)
        assert code == 0
        assert _overflowing(out, columns - 2) == [], args  # argparse: COLUMNS - 2
        assert _kinsoku_breaks(out) == [], args


@pytest.mark.usefixtures("columns_60")
def test_ledger_verify_help_wraps_chinese_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _ledger(["verify", "--help"], capsys)
    options = out.split("\n选项：\n", 1)[1]
    assert options == (
        "  -h, --help         显示此帮助信息并退出\n"
        "  --trust FILE       另行取得的信任锚 trust.txt（缺省使用\n"
        "                     DIR/trust.txt，并给出警告）\n"
        "  --pin FILE         固定文件：上次验证通过的签名检查点\n"
        "                     （不存在时首次写入）\n"
        "  --no-update-pin    验证通过后不更新固定文件\n"
        "  --json             以 JSON 输出报告\n"
        "  --workers N        并行验证签名的进程数（缺省 0 = 全部\n"
        "                     CPU 核心；1 = 单进程）\n"
        "  --evidence FILE    发现分叉或回滚时，把可移交的证据写入\n"
        "                     此文件\n"
        "  --allow-type TYPE  接受本验证器未内置的部门条目类型（仍\n"
        "                     要求部门签名与授权范围；会给出警告）\n"
    )


def test_ledger_usage_counts_the_prefix_in_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 40 columns: 用法：python -m ledger verify (29 columns) exceeds 3/4 of the width, so
    # argparse puts the arguments below, indented by the prefix: 6 columns, not 3 characters.
    monkeypatch.setenv("COLUMNS", "40")
    _, out, _ = _ledger(["verify", "--help"], capsys)
    usage = out.split("\n\n")[0].splitlines()
    assert usage[0] == "用法：python -m ledger verify"
    assert all(line.startswith("      [") or line == "      DIR" for line in usage[1:])


@pytest.mark.usefixtures("columns_60")
def test_argparse_formatter_measures_wide_names_and_metavars() -> None:
    with ARGPARSE_TEXT.active():
        parser = ChineseArgumentParser(
            prog="审计工具", description="按显示宽度换行的说明文字，" * 6
        )
        parser.add_argument("目录", help="账本目录")
        parser.add_argument("--名单", metavar="文件", help="名单文件，" * 8)
        parser.add_argument("-n", type=int, help="份数")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--甲", action="store_true")
        group.add_argument("--乙", action="store_true")
        for n in range(8):
            parser.add_argument(f"--参数{n}", metavar="值")
        text = parser.format_help()
        assert parser.format_usage() == text.split("\n\n")[0] + "\n"
    assert parser._option_string_actions["--甲"].option_strings == ["--甲"]  # left alone
    assert "[--甲 | --乙]" in text
    assert _overflowing(text, 58) == []
    assert _kinsoku_breaks(text) == []
    # The help column is the same display column for every option, wide names included.
    starts = {
        display_width(m.group(1))
        for m in re.finditer(r"^(  \S.*?  +)(?:账本目录|名单文件|份数)", text, re.MULTILINE)
    }
    assert len(starts) == 1
    # Usage lines wrap in columns and continue under the first argument.
    usage = text.split("\n\n")[0].splitlines()
    assert len(usage) > 1
    indent = display_width("用法：审计工具 ")
    assert all(len(line) - len(line.lstrip(" ")) == indent for line in usage[1:])
    assert all(display_width(line) <= 58 for line in usage)


def test_chinese_parser_defaults_to_the_column_formatter() -> None:
    parser = ChineseArgumentParser(prog="p")
    assert parser.formatter_class is ChineseArgparseFormatter
    sub = parser.add_subparsers().add_parser("s")
    assert sub.formatter_class is ChineseArgparseFormatter
    raw = ChineseArgumentParser(prog="p", formatter_class=argparse.RawTextHelpFormatter)
    assert raw.formatter_class is argparse.RawTextHelpFormatter


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
