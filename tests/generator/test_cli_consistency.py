"""One command line: ``-h``, Chinese placeholders and help for every option, the exit codes in
``gongkai -h`` (the same as README's table), ``--site`` / ``GONGKAI_SITE_DIR`` everywhere,
``--json`` on ``status`` and ``metrics``, ``--round-at`` and ``--at`` as staff write dates."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.cli_errors import EXIT_CODES
from generator.cli_options import staff_time
from generator.errors import OptionError
from generator.workflow.drawing import first_round_after
from ledger.draw import drand

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-12-31"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _commands(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    out: list[tuple[tuple[str, ...], click.Command]] = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
        else:
            out.append(((*path, name), command))
    return out


COMMANDS = _commands()
IDS = [" ".join(p) or "gongkai" for p, _ in COMMANDS]


def _run(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), prog_name="gongkai", env=env)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_short_help_option(path: tuple[str, ...], command: click.Command) -> None:
    short, long = _run(*path, "-h"), _run(*path, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.output == long.output
    assert "-h, --help" in short.output


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_option_has_chinese_help_and_placeholder(
    path: tuple[str, ...], command: click.Command
) -> None:
    ctx = click.Context(command, info_name=path[-1] if path else "gongkai")
    for param in command.params:
        if isinstance(param, click.Option):
            assert CJK.search(param.help or ""), (path, param.opts)
        if isinstance(param.type, click.Choice) or getattr(param, "is_flag", False):
            continue
        metavar = param.make_metavar(ctx)
        assert CJK.search(metavar), (path, param.name, metavar)
        assert not re.search(r"[A-Z]{3,}", metavar), (path, param.name, metavar)


def test_top_level_help_lists_every_exit_code() -> None:
    text = _run("-h").output
    assert "\n退出码：\n" in text
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"^  {code} +{re.escape(meaning[:8])}", text, re.MULTILINE), code
    assert "“gongkai -h”" in _run("check", "-h").output


def test_readme_table_has_the_same_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d+) \| ([^|]+) \|", readme, re.MULTILINE))
    assert {int(c) for c in rows} == set(EXIT_CODES)
    for code, meaning in EXIT_CODES.items():
        head = re.split(r"[（：]", meaning, maxsplit=1)[0]
        assert head.replace("gongkai serve", "`gongkai serve`") in rows[str(code)], code


# ---- one site directory option ----------------------------------------------------------------


def test_site_directory_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no content/ here
    by_option = _run("status", "--site", str(ROOT), "--at", AS_OF)
    by_env = _run("status", "--at", AS_OF, env={"GONGKAI_SITE_DIR": str(ROOT)})
    assert by_option.exit_code == by_env.exit_code == 0, by_env.output
    assert by_env.output == by_option.output
    checked = _run("check", env={"GONGKAI_SITE_DIR": str(ROOT)})
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("检查通过")


def test_check_takes_site_and_the_old_content_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    new = _run("check", "--site", str(ROOT))
    old = _run("check", "--content", str(ROOT / "content"))
    assert new.exit_code == old.exit_code == 0, old.output
    assert new.output == old.output
    assert "--content" not in _run("check", "-h").output  # hidden, still accepted
    missing = _run("check")  # the current directory is no site
    assert missing.exit_code == 10, missing.output


# ---- --json -----------------------------------------------------------------------------------


def test_metrics_json_matches_the_text_report() -> None:
    text = _run("metrics", "--site", str(ROOT), "--at", AS_OF)
    data = _run("metrics", "--site", str(ROOT), "--at", AS_OF, "--json")
    assert text.exit_code == data.exit_code == 0, data.output
    record = json.loads(data.output)
    assert record["as_of"] == AS_OF
    assert [f["figure"] for f in record["figures"]] == ["completion", "publication", "closure"]
    for f in record["figures"]:
        line = (
            f"{f['name']}：{f['rate']}（{f['numerator_means']} {f['numerator']} / "
            f"{f['denominator_means']} {f['denominator']}）"
        )
        assert line in text.output
    assert f"逾期未公示 {record['unpublished_overdue']} 条" in text.output
    for year, hist in record["inspections_per_business"].items():
        parts = "，".join(f"{n} 次 {count} 户" for n, count in hist.items())
        assert f"{year} 年每户入户检查次数（一次联合检查计 1 次）：{parts}" in text.output


def test_status_json_matches_the_text_report() -> None:
    text = _run("status", "--site", str(ROOT), "--at", AS_OF)
    data = _run("status", "--site", str(ROOT), "--at", AS_OF, "--json")
    assert text.exit_code == data.exit_code == 0, data.output
    record = json.loads(data.output)
    assert record["as_of"] == AS_OF
    assert f"逾期未公示的检查结果（超过20个工作日）：{len(record['overdue'])}" in text.output
    assert f"待公示的检查结果：{len(record['results_due'])}" in text.output
    assert f"未完结的后续处置：{len(record['open_followups'])}" in text.output
    for p in record["overdue"]:
        assert f"  {p['task_id']} {p['dept']} {p['entity']}：应于 {p['deadline']} 前公示" in (
            text.output
        )
    assert record["overdue"], "the example has overdue results"


# ---- --round-at -------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_first_round_after_is_the_first_round_24_hours_later(offset: int) -> None:
    base = drand.round_time(5_000_000) - 86_400 + offset  # offset 0: exactly on a round
    at = dt.datetime.fromtimestamp(base, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = first_round_after(at)
    assert drand.round_time(r) >= base + 86_400
    assert drand.round_time(r - 1) < base + 86_400
    assert r == (5_000_000 if offset == 0 else 5_000_001)


def test_round_at_before_the_chain_is_refused() -> None:
    with pytest.raises(OptionError, match="--round-at"):
        first_round_after("2020-01-01T00:00:00Z")


@pytest.mark.parametrize(
    "args",
    [[], ["--round", "5358915", "--round-at", "2024-03-01"]],
    ids=["neither", "both"],
)
def test_round_and_round_at_are_one_of_two(args: list[str]) -> None:
    result = _run("draw", "announce", "2024-YYYC-CY", "--site", str(ROOT), *args)
    assert result.exit_code == 2, result.output
    assert "须指定 --round 或 --round-at 之一" in result.output


def test_round_at_names_the_round_it_chose(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copytree(ROOT / "draws", site / "draws")
    result = _run(
        "draw", "announce", "2024-YYYC-CY", "--site", str(site), "--round-at", "2024年3月1日 10:00"
    )
    expected = first_round_after("2024-03-01T02:00:00Z")
    when = dt.datetime.fromtimestamp(drand.round_time(expected), dt.UTC) + dt.timedelta(hours=8)
    assert f"选定 drand 第 {expected} 轮：{when:%Y-%m-%d %H:%M:%S}（北京时间）" in result.output
    assert result.exit_code == 11, result.output  # the example task is announced already


# ---- --at as staff write it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-03-10", "2024-03-10"),
        ("2024/3/10", "2024-03-10"),
        ("2024.3.10", "2024-03-10"),
        ("2024年3月10日", "2024-03-10"),
        ("２０２４年３月１０日", "2024-03-10"),
        (" 2024 年 3 月 10 日 ", "2024-03-10"),
        ("2024/3/10 9:05", "2024-03-10T09:05:00+08:00"),
        ("2024年3月10日10时30分", "2024-03-10T10:30:00+08:00"),
        ("2024-03-10T10:00", "2024-03-10T10:00:00+08:00"),
        ("2024-03-10 10:00:15 +0800", "2024-03-10T10:00:15+08:00"),
        ("2024-03-10T02:00:00Z", "2024-03-10T02:00:00Z"),
        ("yesterday", "yesterday"),
    ],
)
def test_staff_time(text: str, iso: str) -> None:
    assert staff_time(text) == iso


@pytest.mark.parametrize("at", ["2024/12/31", "2024年12月31日", "2024.12.31"])
def test_at_accepts_staff_dates(at: str) -> None:
    iso = _run("status", "--site", str(ROOT), "--at", AS_OF)
    staff = _run("status", "--site", str(ROOT), "--at", at)
    assert staff.exit_code == 0, staff.output
    assert staff.output == iso.output


@pytest.mark.parametrize("at", ["2024/2/30", "2024年13月1日", "三月十日"])
def test_at_refuses_impossible_dates(at: str) -> None:
    result = _run("status", "--site", str(ROOT), "--at", at)
    assert result.exit_code == 2, result.output
    assert "'--at'" in result.output


# ---- gongkai verify = the standalone verifier ------------------------------------------------


def test_verify_has_the_standalone_verifiers_options_and_defaults() -> None:
    import argparse

    from ledger.__main__ import _parser
    from ledger.cli_text import ARGPARSE_TEXT

    with ARGPARSE_TEXT.active():
        parser = _parser("gongkai-verify")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    standalone = sub.choices["verify"]
    ours = {
        opt: p for p in main.commands["verify"].params if isinstance(p, click.Option)
        for opt in p.opts
    }  # fmt: skip
    ctx = click.Context(main.commands["verify"])
    for action in standalone._actions:
        if not action.option_strings or "--help" in action.option_strings:
            continue
        (name,) = [o for o in action.option_strings if o.startswith("--")]
        assert name in ours, name
        default = ours[name].get_default(ctx)
        if default is click.core.UNSET:  # click 8.5: no default given
            default = [] if ours[name].multiple else None  # the command gets (); argparse []
        assert default == action.default, name
