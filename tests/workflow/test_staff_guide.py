"""The staff guide (docs/staff-guide.md) cannot drift from the CLI.

Every ``$ gongkai …`` line of its ```console blocks is resolved against the real command tree:
each subcommand exists, each option is one the command accepts and lists in its ``-h`` help,
an option that takes a value has one, and the number of positional arguments is the
command's. The guide's commands were run on a fresh county while it was written.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "staff-guide.md"
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)


def guide_commands(text: str) -> list[str]:
    """The ``$ `` lines of the ```console blocks (with ``\\`` continuations joined)."""
    out: list[str] = []
    for block in BLOCK.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        out += [line[2:] for line in joined.splitlines() if line.startswith("$ ")]
    return out


def _help(path: list[str]) -> str:
    result = CliRunner().invoke(main, [*path, "-h"])
    assert result.exit_code == 0, result.output
    return result.output


def problems(line: str) -> list[str]:
    """What is wrong with one guide command (empty when it matches the CLI)."""
    words = shlex.split(line)
    if not words or words[0] != "gongkai":
        return [f"不是 gongkai 命令：{line}"]
    command: click.Command = main
    path: list[str] = []
    rest = words[1:]
    while isinstance(command, click.Group):
        if not rest or rest[0] not in command.commands:
            return [f"“gongkai {' '.join(path)}”没有子命令“{rest[0] if rest else ''}”：{line}"]
        command = command.commands[rest[0]]
        path.append(rest.pop(0))
    options = {
        name: p
        for p in command.params
        if isinstance(p, click.Option)
        for name in (*p.opts, *p.secondary_opts)
    }
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    helptext = _help(path)
    found: list[str] = []
    positional = 0
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            option = options.get(name)
            if option is None:
                found.append(f"“gongkai {' '.join(path)}”没有选项 {name}：{line}")
            elif name not in helptext:
                found.append(f"“gongkai {' '.join(path)} -h”未列出 {name}")
            elif not option.is_flag and "=" not in word:
                if i + 1 >= len(rest):
                    found.append(f"{name} 缺少取值：{line}")
                i += 1
        else:
            positional += 1
        i += 1
    required = sum(1 for a in arguments if a.required)
    most = float("inf") if any(a.nargs == -1 for a in arguments) else len(arguments)
    if not required <= positional <= most:
        found.append(f"位置参数 {positional} 个，应为 {required}–{most} 个：{line}")
    return found


def test_the_guide_exists_and_is_linked_from_readme() -> None:
    assert GUIDE.is_file()
    readme = (GUIDE.parents[1] / "README.md").read_text("utf-8")
    assert "docs/staff-guide.md" in readme


def test_every_guide_command_and_option_exists() -> None:
    commands = guide_commands(GUIDE.read_text("utf-8"))
    assert len(commands) >= 25
    used = {" ".join(shlex.split(c)[1:3]) for c in commands}
    for step in ("init xian", "plan publish", "task invite", "task reply", "draw announce",
                 "draw reveal", "draw beacon", "draw run", "draw replace", "task confirm",
                 "task reissue", "results import", "followup record", "followup close"):  # fmt: skip
        assert any(u.startswith(step.split()[0]) and step.split()[1] in u for u in used), step
    assert [p for c in commands for p in problems(c)] == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("gongkai draw announce T --round-later 5", "没有选项 --round-later"),
        ("gongkai draw fetch T", "没有子命令“fetch”"),
        ("gongkai task reissue", "位置参数 0 个"),
        ("gongkai results import T f.xlsx --dept", "--dept 缺少取值"),
        ("curl https://example.org/", "不是 gongkai 命令"),
    ],
)
def test_the_checker_catches_drift(line: str, expected: str) -> None:
    assert any(expected in p for p in problems(line))
