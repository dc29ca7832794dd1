"""Every ``gongkai`` command given hostile or invalid values: a Chinese message, exit code 2 for
option values (naming the option), the documented code otherwise, and never a traceback.

The option sweep walks the command tree, so a new command or option is covered as soon as it
uses the checked types of :mod:`generator.cli_options`.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.cli_options import AtTime, BoundedInt, Text
from tests.workflow.ceremony import Media, ceremony

ROOT = Path(__file__).resolve().parents[2]

HOSTILE_TEXT = {
    "rlo": "abc\u202edef",
    "isolate": "\u2067名称\u2069",
    "zero-width": "崇信\u200b县",
    "bom": "a\ufeffb",
    "nul": "a\x00b",
    "escape": "a\x1b[31mb",
    "line-separator": "a\u2028b",
    "not-utf8": "a\udcffb",
    "filler": "\u3164",
    "too-long": "字" * 100_000,
}
HOSTILE_AT = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01",
    "0001-01-01T00:00:00+14:00",
    "2024-02-30",
    "2024-02-22T25:00:00",  # (a time without a zone is China time: --at as staff write it)
    "2099-01-01T00:00:00+08:00",
    "tomorrow",
    "",
    "2024-02-22\u202e",
]
HOSTILE_INT = [
    "-1",
    "0",
    "1000000000",
    "1" + "0" * 30,
    "9223372036854775808",
    "x",
    "1e9",
    "١٢",  # Arabic-Indic digits: str.isdigit() says yes, int() would accept them
    "",
]


def _commands(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


#: An empty directory for every directory option (``--site``, ``--content`` …): should a value
#: pass, the command fails on the empty site instead of touching the repository's example.
EMPTY = Path(tempfile.mkdtemp(prefix="gongkai-hostile-"))
SITE_OPTIONS = ("site_root", "content_dir")


def _filler(param: click.Parameter) -> list[str]:
    """A value for ``param`` that passes click's own checks (so the target option is reached)."""
    kind = param.type
    if isinstance(kind, click.Path):
        value = str(ROOT / "README.md") if kind.dir_okay is False else str(EMPTY)
    elif isinstance(kind, click.Choice):
        value = str(kind.choices[0])
    elif isinstance(kind, BoundedInt):
        value = str(kind.lo)
    elif isinstance(kind, AtTime):
        value = "2024-02-22"
    else:
        value = "scjg=" + str(ROOT / "README.md") if param.name == "keys" else "x"
    if isinstance(param, click.Argument):
        return [value]
    assert isinstance(param, click.Option)
    if param.is_flag:
        return [param.opts[0]]
    return [param.opts[0], value]


def _cases() -> Iterator[tuple[str, list[str], str]]:
    for path, command in _commands():
        for target in command.params:
            if not isinstance(target, click.Option):
                continue
            if isinstance(target.type, Text):
                values = list(HOSTILE_TEXT.values())
            elif isinstance(target.type, AtTime):
                values = HOSTILE_AT
            elif isinstance(target.type, BoundedInt):
                kind = target.type
                values = [v for v in HOSTILE_INT if not _within(v, kind.lo, kind.hi)]
            else:
                continue
            for value in values:
                argv = [*path]
                for param in command.params:
                    if param is target:
                        argv += [target.opts[0], value]
                    elif param.required or param.name in SITE_OPTIONS:
                        argv += _filler(param)
                yield target.opts[0], argv, value


def _within(value: str, lo: int, hi: int) -> bool:
    return value.isascii() and value.isdigit() and lo <= int(value) <= hi


CASES = list(_cases())


def _no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def test_every_checked_option_is_swept() -> None:
    options = {option for option, _, _ in CASES}
    assert {"--at", "--round", "--workers", "--port", "--reason", "--note", "--name"} <= options


@pytest.mark.parametrize(
    ("option", "argv", "value"),
    CASES,
    # The same ids in every process (pytest-xdist compares them): the temporary path is named.
    ids=[
        f"{' '.join(a[:2]).replace(str(EMPTY), 'EMPTY')}-{o}-{i}"
        for i, (o, a, _) in enumerate(CASES)
    ],
)
def test_invalid_option_value_is_a_usage_error_naming_the_option(
    option: str, argv: list[str], value: str
) -> None:
    if option == "--at" and argv[0] in ("status", "metrics") and value.startswith("2099"):
        pytest.skip("a reporting date may lie in the future")
    result = CliRunner().invoke(main, argv, prog_name="gongkai")
    _no_traceback(result)
    assert result.exit_code == 2, result.output
    assert f"'{option}'" in result.stderr, result.stderr
    assert "\u202e" not in result.output
    assert "\udcff" not in result.output


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the example site (content and ledger) that a command may write to."""
    shutil.copytree(ROOT / "content", tmp_path / "site" / "content")
    shutil.copytree(ROOT / "draws", tmp_path / "site" / "draws")
    return tmp_path / "site"


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), prog_name="gongkai")
    _no_traceback(result)
    return result


def test_the_documented_exit_codes_come_from_real_cases(site: Path, tmp_path: Path) -> None:
    """README's table of exit codes, each produced by a real invocation.

    7 (a corrupt store) is produced by tests/workflow/test_ledger_recovery.py and 8 (an
    interrupted append) by tests/ledger/test_verify.py.
    """
    not_a_ledger = tmp_path / "empty"
    not_a_ledger.mkdir()
    real = site / "content" / "gongkai.yaml"
    cases: dict[int, Result] = {
        0: _run("verify", str(site / "draws")),
        2: _run("status", "--site", str(site), "--at", "0001-01-01"),
        3: _broken_trust(site),
        4: _tampered_blob(site),
        5: _rolled_back(site),
        6: _run("verify", str(not_a_ledger)),
        12: _missing_blob(site),
        10: _run("check", "--content", str(_content_with(site, "名称\u202e"))),
        11: _run(
            "task",
            "reply",
            "NOPE",
            "--dept",
            "wsjk",
            "--accept",
            "--site",
            str(site),
            "--at",
            "2024-03-01",
        ),
    }
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cases[13] = _run("serve", "--dir", str(not_a_ledger), "--port", str(busy.getsockname()[1]))
    real.write_text(real.read_text(encoding="utf-8").replace("example: true", "example: false"))
    cases[9] = _run("check", "--content", str(site / "content"))
    for code, result in cases.items():
        assert result.exit_code == code, (code, result.output)
    assert "示例密钥" in cases[9].output


def _broken_trust(site: Path) -> Result:
    copy = site.parent / "broken"
    shutil.copytree(site / "draws", copy)
    (copy / "trust.txt").write_text("not a trust anchor\n", encoding="utf-8")
    return _run("verify", str(copy))


def _tampered_blob(site: Path) -> Result:
    copy = site.parent / "tampered"
    shutil.copytree(site / "draws", copy)
    blob = next(p for p in sorted((copy / "blobs").rglob("*")) if p.is_file())
    blob.write_bytes(blob.read_bytes() + b" ")
    return _run("verify", str(copy))


def _rolled_back(site: Path) -> Result:
    """The log served at an older size than the pinned checkpoint."""
    pin = site.parent / "pin"
    pin.write_bytes((site / "draws" / "checkpoint").read_bytes())
    copy = site.parent / "rolled-back"
    shutil.copytree(site / "draws", copy)
    sizes = sorted(int(p.name) for p in (copy / "checkpoints").iterdir() if p.name.isdigit())
    (copy / "checkpoint").write_bytes((copy / "checkpoints" / str(sizes[-2])).read_bytes())
    for gone in (copy / "checkpoints").glob(f"{sizes[-1]}*"):  # the checkpoint and its tokens
        gone.unlink()
    lines = (copy / "entries.jsonl").read_bytes().splitlines(keepends=True)
    (copy / "entries.jsonl").write_bytes(b"".join(lines[: sizes[-2]]))
    return _run("verify", str(copy), "--pin", str(pin))


def _missing_blob(site: Path) -> Result:
    copy = site.parent / "incomplete"
    shutil.copytree(site / "draws", copy)
    next(p for p in sorted((copy / "blobs").rglob("*")) if p.is_file()).unlink()
    return _run("verify", str(copy))


def _content_with(site: Path, name: str) -> Path:
    copy = site.parent / "bad-content"
    shutil.copytree(site / "content", copy)
    path = copy / "gongkai.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nname:") + 1
    end = text.index("\n", start)
    path.write_text(f"{text[:start]}name: {name}{text[end:]}", encoding="utf-8")
    return copy


def test_missing_key_on_a_real_site_is_a_usage_error(site: Path, tmp_path: Path) -> None:
    """README: a missing --key is a usage error (2), not a workflow refusal (11)."""
    _make_real(site, tmp_path)
    result = _run("plan", "publish", "2024", "--site", str(site), "--at", "2024-03-01")
    assert result.exit_code == 2, result.output
    assert "--key" in result.output


def _make_real(site: Path, tmp_path: Path) -> None:
    """Turn the copy into a real site with its own fresh ledger (no example keys)."""
    fresh = tmp_path / "fresh"

    def run(*args: str) -> None:
        result = _run(*args)
        assert result.exit_code == 0, result.output

    ceremony(run, fresh, Media(tmp_path / "keys", "test.example/gongkai/ledger"),
             ["--name", "测试站点", "--region-code", "620823", "--region-name", "崇信县",
              "--base-url", "https://test.example/gongkai/"], "2024-01-02")  # fmt: skip
    shutil.rmtree(site / "draws")
    shutil.copytree(fresh / "draws", site / "draws")
    conf = site / "content" / "gongkai.yaml"
    text = conf.read_text(encoding="utf-8").replace("example: true", "example: false")
    start = text.index("ledger_origin:")
    end = text.index("\n", start)
    conf.write_text(
        f"{text[:start]}ledger_origin: test.example/gongkai/ledger{text[end:]}", encoding="utf-8"
    )


def test_example_key_on_a_real_site_is_refused_without_traceback(
    site: Path, tmp_path: Path
) -> None:
    """#15: an example key file used on a real site: exit 9 and a Chinese message."""
    from generator.example.keys import example_signer
    from ledger.keys import write_private_key

    _make_real(site, tmp_path)
    key = tmp_path / "example.key"
    write_private_key(key, example_signer("test.example/gongkai/dept/scjg/1"))
    result = _run("plan", "publish", "2024", "--site", str(site), "--key", str(key),
                  "--at", "2024-03-01")  # fmt: skip
    assert result.exit_code == 9, result.output
    assert "公开的示例密钥" in result.output


def test_a_copy_of_the_example_ledger_claiming_to_be_real_is_refused(site: Path) -> None:
    """#15: example: false over the example ledger — check, build and workflow commands refuse."""
    conf = site / "content" / "gongkai.yaml"
    conf.write_text(conf.read_text(encoding="utf-8").replace("example: true", "example: false"))
    for args in (
        ["check", "--content", str(site / "content")],
        ["status", "--site", str(site), "--at", "2024-03-01"],
        ["build", "--content", str(site / "content"), "--output", str(site / "_site")],
    ):
        result = _run(*args)
        assert result.exit_code == 9, (args, result.output)
        assert "示例密钥" in result.output


def test_verify_warns_that_an_example_ledger_proves_nothing() -> None:
    result = _run("verify", str(ROOT / "draws"))
    assert result.exit_code == 0
    assert "公开的示例密钥签署" in result.stderr


def test_a_round_far_beyond_the_announcement_names_the_option(site: Path) -> None:
    from ledger.draw.drand import round_at

    late = round_at(1708567200) + 40 * 86400 // 3  # 40 days after 2024-02-22T10:00+08:00
    result = _run("draw", "announce", "NOPE", "--round", str(late), "--site", str(site),
                  "--at", "2024-02-22T10:00:00+08:00")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--round" in result.output
    assert "31 天" in result.output


def test_unwritable_output_is_exit_6_in_chinese(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = _run("keys", "new", "--name", "x.example/root/1", "--out", str(blocker / "keys"))
    assert result.exit_code == 6, result.output
    assert "无法读写文件" in result.output
    assert "路径中有一项不是目录" in result.output


def test_an_unexpected_error_is_exit_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import generator.cli

    def broken(_: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.cli, "load_content", broken)
    monkeypatch.delenv("GONGKAI_DEBUG", raising=False)
    result = _run("check", "--content", str(ROOT / "content"))
    assert result.exit_code == 1
    assert "程序内部错误" in result.output
    assert "GONGKAI_DEBUG" in result.output


def test_an_entry_dated_before_the_last_one_is_refused(site: Path) -> None:
    """#12: ``--at`` earlier than the entry it would follow is refused (exit 11), nothing written;
    the same command dated after the last entry succeeds."""
    import datetime as dt

    from generator.workflow.site import SiteRepo
    from generator.workflow.status import compute_status

    repo = SiteRepo.open(site)
    last = repo.state().entries[-1].ts
    task_id, dept, entity = compute_status(
        repo.content, repo.state(), dt.date(2024, 12, 31)
    ).open_followups[0]
    before = (site / "draws" / "entries.jsonl").read_bytes()
    early = _run("followup", "close", task_id, entity, "--dept", dept, "--note", "复查",
                 "--site", str(site), "--at", "2024-06-30")  # fmt: skip
    assert last > "2024-06-30"
    assert early.exit_code == 11, early.output
    assert "早于账本最后一条条目" in early.output
    assert last in early.output
    assert (site / "draws" / "entries.jsonl").read_bytes() == before
    later = _run("followup", "close", task_id, entity, "--dept", dept, "--note", "复查",
                 "--site", str(site), "--at", "2024-12-31")  # fmt: skip
    assert later.exit_code == 0, later.output


def test_the_example_ledger_is_in_time_order() -> None:
    from ledger.entries import parse_entry

    stamps = [
        parse_entry(line).ts
        for line in (ROOT / "draws" / "entries.jsonl").read_bytes().splitlines()
    ]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("entity", ["某某餐饮有限公司", "9" * 200, "../../etc/passwd"])
def test_a_follow_up_of_an_entity_without_a_result_is_a_refusal(site: Path, entity: str) -> None:
    """The typed entity is checked against the published results before an entry id is built
    from it; it used to reach the entry parser (exit 3, "条目 body.id 缺失或格式错误")."""
    before = (site / "draws" / "entries.jsonl").read_bytes()
    result = _run(
        "followup", "record", "2024-YYYC-CY", entity, "--dept", "scjg", "--measure", "其他",
        "--site", str(site), "--at", "2024-12-01",
    )  # fmt: skip
    assert result.exit_code == 11, result.output
    assert f"没有主体“{entity}”的已公示检查结果" in result.output
    assert (site / "draws" / "entries.jsonl").read_bytes() == before


def test_an_operating_system_error_is_explained_in_chinese(site: Path, tmp_path: Path) -> None:
    """One errno table (ledger.errors.os_reason) for the ledger's and the CLI's messages: an
    export into a missing folder said “No such file or directory [ENOENT]”."""
    target = tmp_path / "missing" / "entities.csv"
    result = _run("export", "entities", str(target), "--content", str(site / "content"))
    assert result.exit_code == 6, result.output
    assert "文件或目录不存在 [ENOENT]" in result.output
    assert "No such file" not in result.output


@pytest.mark.parametrize("kind", ["zip-without-workbook", "garbage"])
def test_an_unreadable_workbook_is_explained_in_chinese(
    site: Path, tmp_path: Path, kind: str
) -> None:
    """openpyxl's English text (“There is no item named '[Content_Types].xml'…”) is not shown."""
    path = tmp_path / "entities.xlsx"
    if kind == "garbage":
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hi")
    result = _run("import", "entities", str(path), "--content", str(site / "content"))
    assert result.exit_code == 10, result.output
    assert "无法读取 XLSX 工作簿：文件损坏或不是 XLSX 格式" in result.output
    assert "There is no item" not in result.output


def test_a_folder_where_a_plan_file_belongs_is_explained_in_chinese(site: Path) -> None:
    """The reason came as the system's English text (“Is a directory”)."""
    (site / "content" / "plans" / "2025.yaml").mkdir()
    result = _run("check", "--content", str(site / "content"))
    assert result.exit_code == 10, result.output
    assert "plans/2025.yaml: 错误: 无法读取文件：是目录而不是文件 [EISDIR]" in result.output


def test_a_ledger_cut_inside_its_first_line_says_so(site: Path) -> None:
    """The report of a truncated entries.jsonl spoke of the bytes “after line -1”."""
    entries = site / "draws" / "entries.jsonl"
    entries.write_bytes(entries.read_bytes()[:100])
    result = _run("status", "--site", str(site))
    assert result.exit_code == 7, result.output
    assert "只有 0 个完整行" in result.output
    assert "文件开头还有 100 字节没有换行符" in result.output
    assert "第 -1 行" not in result.output
