"""``pip install .`` gives a gongkai that builds sites as the checkout does (issue #12, 19).

The wheel is built from the checkout, installed into a fresh venv outside it, and run with an
environment in which the checkout is not importable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ledger_steps import follow, serve
from venv_helpers import ROOT, clean_env, fresh_venv, run

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

# Builds the mini fixture site with the installed package (the checkout is not on sys.path; the
# test helpers are, and import generator from the wheel).
_BUILD_MINI = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import generator, site_helpers
assert "site-packages" in generator.__file__, generator.__file__
site_helpers.build_mini(Path(sys.argv[2]), incremental=False)
"""


def test_installed_wheel_builds_the_golden_site(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    run([installed / "python", "-c", _BUILD_MINI, ROOT / "tests" / "site", out], cwd=tmp_path)
    (out / ".gongkai-manifest.json").unlink()  # holds a hash of the site code (compared apart)
    golden = ROOT / "tests" / "site" / "golden"
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    want = {
        p.relative_to(golden).as_posix(): p.read_bytes() for p in golden.rglob("*") if p.is_file()
    }
    assert sorted(got) == sorted(want)
    assert [k for k in want if got[k] != want[k]] == []


def test_installed_cli_checks_and_builds_the_example(installed: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "draws", tmp_path / "draws")
    gongkai = installed / "gongkai"
    run([gongkai, "check", "--content", "content"], cwd=tmp_path)
    done = run([gongkai, "build", "--site", ".", "--output", "out"], cwd=tmp_path)
    assert "已生成网站" in done.stdout
    assert "未安装站内搜索索引程序 Pagefind" in done.stderr  # the extra [search] is not installed
    site = tmp_path / "out"
    for rel in ("index.html", "static/style.css", "ledger/index.html", "sitemap.xml"):
        assert (site / rel).is_file(), rel
    # The ledger page, followed by a reader with a new Python environment holding only what
    # the page says to install: download the archive over HTTP, unpack, verify (issue #12, 20).
    reader = fresh_venv(tmp_path / "reader")
    workdir = tmp_path / "download"
    workdir.mkdir()
    with serve(site) as url:
        done = follow(url, workdir, [str(reader / "python")], install=True, env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("验证通过")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _site_packages(bin_dir: Path) -> Path:
    root = bin_dir.parent
    (found,) = [*root.glob("lib/python3*/site-packages"), *root.glob("Lib/site-packages")]
    return found


def test_installed_size_and_the_search_extra(
    installed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reports the installed size (make wheel-check prints it), then adds the extra [search]:
    the example is then built with its search index. Runs last: it changes the shared venv."""
    packages = _site_packages(installed)
    base = _size(packages)
    assert not any(packages.glob("py_ecc*")), "py-ecc 只应在没有编译验证程序的平台上安装"
    (wheel,) = installed.parent.parent.glob("dist/gongkai-*.whl")
    run([installed / "python", "-m", "pip", "install", "-q", f"gongkai[search] @ {wheel.as_uri()}"],
        cwd=tmp_path)  # fmt: skip
    with_search = _size(packages)
    with capsys.disabled():
        print(
            f"\n已安装大小（site-packages，含全部依赖）：{base / 2**20:.1f} MiB；"
            f"加上 [search]（Pagefind）：{with_search / 2**20:.1f} MiB"
        )
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "draws", tmp_path / "draws")
    done = run([installed / "gongkai", "build", "--site", "."], cwd=tmp_path)
    assert "Pagefind" not in done.stderr
    assert (tmp_path / "_site" / "pagefind" / "pagefind.js").is_file()
