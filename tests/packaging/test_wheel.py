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
    done = run([gongkai, "build", "--content", "content", "--output", "out"], cwd=tmp_path)
    assert "已生成网站" in done.stdout
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
