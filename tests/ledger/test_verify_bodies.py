"""A validly signed entry with a body of the wrong shape is refused everywhere, by field.

Each case appends one entry, signed by the example department key and checkpointed by the
example log key (exactly what a careless or hostile operator could publish), to a copy of the
example site. ``gongkai verify``, the published ``gongkai-verify.pyz`` (run where ``fcntl`` does
not exist) and every command that reads the ledger (``status``, ``metrics``, ``build``, the next
append) must stop with a Chinese message naming the entry and the field: never a traceback, and
never a silently reinterpreted result.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.example.keys import dept_key_name, example_signer
from generator.ledgerops import read_trust
from ledger import canonical
from ledger.entries import make_entry
from ledger.merkle import leaf_hash
from ledger.publish import build_zipapp
from ledger.store import LedgerStore

ROOT = Path(__file__).resolve().parents[2]
INDEX = len((ROOT / "draws" / "entries.jsonl").read_bytes().splitlines())


def _example_body(type_: str) -> dict[str, Any]:
    for line in (ROOT / "draws" / "entries.jsonl").read_bytes().splitlines():
        body: dict[str, Any] = canonical.loads(line)["body"]
        if body["type"] == type_:
            return body
    raise AssertionError(type_)


def _result(**change: Any) -> dict[str, Any]:
    """A correction of the first published result (otherwise valid: the latest version)."""
    lines = (ROOT / "draws" / "entries.jsonl").read_bytes().splitlines()
    index = next(i for i, line in enumerate(lines) if b'"type":"result.publish"' in line)
    body = _example_body("result.publish")
    body.update(
        type="result.correct",
        id="result.correct/bad",
        ts="2024-12-20T02:00:00Z",
        refers={"index": index, "leaf_hash": leaf_hash(lines[index]).hex()},
        reason="更正",
    )
    body["result"].update(change)
    return body


def _announce(**change: Any) -> dict[str, Any]:
    body = _example_body("draw.announce")
    body["id"] = "draw.announce/bad"
    body.update(change)
    return body


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "list entity": (_result(entity=["92620823GK39DL6J5L"]), "result.entity 应为字符串，实为数组"),
    "unknown category": (
        _result(categories=["无此类别"]),
        "result.categories[0]：检查结果“无此类别”不是省级检查结果录入表的用语",
    ),
    "int for string": (_result(detail=7), "result.detail 应为字符串，实为整数"),
    "empty reveal_deadline": (_announce(reveal_deadline=""), "reveal_deadline 应为 UTC 时间"),
    "extra key": ({**_result(), "secret": "x"}, "字段 secret 是未定义的字段"),
}


def _site(tmp_path: Path, body: dict[str, Any]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copytree(ROOT / "draws", site / "draws")
    trust = read_trust(site / "draws")
    signers = [example_signer(dept_key_name(trust.origin, body["dept"]))]
    if body["type"] == "draw.announce":  # co-signed by every participating department
        depts = sorted({d["dept"] for d in body["rules"]["departments"]} - {body["dept"]})
        signers += [example_signer(dept_key_name(trust.origin, d)) for d in depts]
    line = make_entry(trust.origin, body, signers)
    store = LedgerStore(site / "draws", trust.origin, trust.log_keys)
    store.append([line], [example_signer(trust.origin)])  # no validator: the operator's choice
    return site


def _refused(result: Result, message: str, code: int = 4) -> None:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"第 {INDEX} 条条目" in result.output, result.output
    assert message in result.output, result.output


@pytest.mark.parametrize("name", list(CASES))
def test_gongkai_verify_names_entry_and_field(tmp_path: Path, name: str) -> None:
    body, message = CASES[name]
    site = _site(tmp_path, body)
    _refused(CliRunner().invoke(main, ["verify", str(site / "draws")]), message)


def test_readers_and_writers_never_see_the_malformed_ledger(tmp_path: Path) -> None:
    body, message = CASES["unknown category"]
    site = _site(tmp_path, body)
    runner = CliRunner()
    for args in (["status"], ["metrics"]):
        _refused(runner.invoke(main, [*args, "--site", str(site), "--at", "2024-12-31"]), message)
    built = runner.invoke(
        main, ["build", "--content", str(site / "content"), "--output", str(tmp_path / "out")]
    )
    _refused(built, message)
    assert not (tmp_path / "out" / "index.html").exists()
    # The next append replays the ledger first: refused, nothing written.
    before = (site / "draws" / "entries.jsonl").read_bytes()
    reply = runner.invoke(
        main,
        ["task", "reply", "2024-YYYC-CY", "--dept", "wsjk", "--accept", "--site", str(site)],
    )
    _refused(reply, message)
    assert (site / "draws" / "entries.jsonl").read_bytes() == before


def test_standalone_verifier_without_fcntl(tmp_path: Path) -> None:
    """The published zipapp applies the same checks, on a system without fcntl."""
    body, message = CASES["list entity"]
    site = _site(tmp_path, body)
    pyz = tmp_path / "gongkai-verify.pyz"
    pyz.write_bytes(build_zipapp())
    code = (
        "import runpy, sys; sys.modules['fcntl'] = None; "  # import fcntl → ImportError
        f"sys.argv = ['gongkai-verify.pyz', {str(site / 'draws')!r}, '--workers', '1']; "
        f"runpy.run_path({str(pyz)!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert f"第 {INDEX} 条条目" in done.stderr, done.stderr
    assert message in done.stderr, done.stderr


def test_the_result_reader_never_drops_an_unknown_word() -> None:
    """Reading a result takes its typed payload: an unknown category is an error, never an
    empty (“no problem found”) list, even for an entry that skipped verification."""
    from generator.workflow.records import result_from_entry
    from ledger.entries import parse_entry
    from ledger.errors import VerificationError

    body = _result(categories=["无此类别"])
    line = make_entry("o", body, [example_signer("x")])
    with pytest.raises(VerificationError, match=r"result\.categories\[0\]：检查结果“无此类别”不是"):
        result_from_entry(parse_entry(line, 9), 9)
    good = _result(categories=["发现问题经责令已改正"])
    read = result_from_entry(parse_entry(make_entry("o", good, [example_signer("x")]), 9), 9)
    assert [c.value for c in read.categories] == ["发现问题经责令已改正"]
    assert read.problem_found


def test_allowing_a_known_type_changes_nothing_for_the_next_audit() -> None:
    """Issue #13: ``allow_types`` used to be added to, then removed from, a module-level set, so
    in a fresh process allowing a type the verifier knows made the *next* audit reject it."""
    code = (
        "from ledger.verify import verify_directory\n"
        f"d = {str(ROOT / 'draws')!r}\n"
        "verify_directory(d, allow_types=['task.invite'], update_pin=False)\n"
        "print(verify_directory(d, update_pin=False).size)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(INDEX)
