"""``gongkai keys new``: private keys 0600, outside repositories, never printed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from ledger.keys import read_private_key, read_public_key

ROOT = Path(__file__).resolve().parents[2]


def test_keys_new_writes_0600_and_never_prints_the_private_key(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    result = CliRunner().invoke(
        main,
        ["keys", "new", "--content", str(ROOT / "content"), "--dept", "scjg", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    private = next(out.glob("*.key"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    signer = read_private_key(private)
    # The example ledger already registers …/dept/scjg/1: numbering consults the ledger.
    assert signer.name.endswith("/dept/scjg/2")
    assert read_public_key(next(out.glob("*.pub"))) == signer.verifier()
    assert "PRIVATE" not in result.output
    assert signer.skey not in result.output
    # A second department key gets the next number; the first is never overwritten.
    again = CliRunner().invoke(
        main,
        ["keys", "new", "--content", str(ROOT / "content"), "--dept", "scjg", "--out", str(out)],
    )
    assert again.exit_code == 0
    assert len(list(out.glob("*.key"))) == 2


def test_keys_new_refuses_a_directory_inside_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    result = CliRunner().invoke(
        main, ["keys", "new", "--name", "x.example/root/1", "--out", str(repo / "keys")]
    )
    assert result.exit_code == 6
    assert "仓库" in result.output
    assert not (repo / "keys").exists()


def test_keys_new_unknown_department(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "keys",
            "new",
            "--content",
            str(ROOT / "content"),
            "--dept",
            "nope",
            "--out",
            str(tmp_path),
        ],
    )
    # an unknown --dept is a bad option value (usage error, exit code 2), not an unusable ledger
    assert result.exit_code == 2
    assert "--dept：未知部门“nope”" in result.output
    assert os.listdir(tmp_path) == []


def test_keys_new_in_two_folders_never_repeats_a_name_registered_in_the_ledger(
    tmp_path: Path,
) -> None:
    """Issue #12/14: numbering per output folder gave two different keys the name …/wsjk/1."""
    from generator.keyfiles import ledger_key_names

    registered = ledger_key_names(ROOT / "draws")
    names: set[str] = set()
    for folder in ("a", "b"):
        result = CliRunner().invoke(
            main,
            ["keys", "new", "--content", str(ROOT / "content"), "--dept", "wsjk",
             "--out", str(tmp_path / folder)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        names.add(read_private_key(next((tmp_path / folder).glob("*.key"))).name)
    assert any(n.endswith("/dept/wsjk/1") for n in registered)
    assert not names & registered
