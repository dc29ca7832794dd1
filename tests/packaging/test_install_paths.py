"""What ``pip install gongkai`` brings and what happens without the optional parts: the search
indexer (extra ``search``) and the pure-Python BLS verifier (only where the compiled one has no
wheel), the licence, and the writers' need for POSIX file locks (runs in the default suite)."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from example_facts import open_rectify_followup

from generator.cli import main

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MINI = ROOT / "tests" / "site" / "fixtures" / "mini"


def _names(requirements: list[str]) -> dict[str, str]:
    """Requirement name → its environment marker ("" when unconditional)."""
    out = {}
    for req in requirements:
        spec, _, marker = req.partition(";")
        name = spec.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
        out[name] = marker.strip()
    return out


def test_licence_file_is_the_declared_licence() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text


def test_heavy_parts_are_optional() -> None:
    project = PYPROJECT["project"]
    deps = _names(project["dependencies"])
    assert "pagefind" not in deps
    assert _names(project["optional-dependencies"]["search"]) == {"pagefind": ""}
    # The compiled verifier where it has wheels; the pure-Python one exactly elsewhere.
    assert deps["py-arkworks-bls12381"] == (
        "platform_python_implementation == 'CPython' and python_version < '3.15'"
    )
    assert deps["py-ecc"] == (
        "platform_python_implementation != 'CPython' or python_version >= '3.15'"
    )
    assert "py-ecc" in _names(project["optional-dependencies"]["bls-pure"])


def test_build_without_the_search_indexer_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.site.search as search

    monkeypatch.setattr(search, "_pagefind_binary", lambda: None)
    shutil.copytree(MINI, tmp_path / "content")
    result = CliRunner().invoke(main, ["build", "--site", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "警告：未安装站内搜索索引程序 Pagefind（pip install 'gongkai[search]'）" in result.stderr
    assert (tmp_path / "_site" / "index.html").is_file()
    assert not (tmp_path / "_site" / "pagefind").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl 本来就不存在")
def test_writer_without_posix_locks_says_where_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copytree(ROOT / "draws", site / "draws")
    before = (site / "draws" / "entries.jsonl").read_bytes()
    task, entity = open_rectify_followup()  # a follow-up the ledger allows to close
    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on Windows: import fcntl fails
    result = CliRunner().invoke(
        main,
        ["followup", "close", task, entity, "--dept", "scjg",
         "--note", "已整改", "--site", str(site), "--at", "2024-12-31"],
    )  # fmt: skip
    assert (site / "draws" / "entries.jsonl").read_bytes() == before
    assert result.exit_code == 6, result.output
    assert "POSIX 文件锁" in result.output
    assert "WSL" in result.output
    assert "Traceback" not in result.output
