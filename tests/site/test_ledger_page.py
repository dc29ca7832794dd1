"""The ``/ledger/`` page's instructions are true as written (issue #12, item 20): a reader who
downloads the archive the page links (over HTTP), unpacks it and runs the command the page shows
gets a verified ledger; the archive holds every published file; the page names what the
standalone verifier needs."""

from __future__ import annotations

import hashlib
import shlex
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from ledger_steps import follow, read_page, serve

from generator.site.build import build_site
from ledger.publish import (
    ARCHIVE_NAME,
    ARCHIVE_ROOT,
    SUMS_NAME,
    VERIFIER_FALLBACK,
    VERIFIER_REQUIREMENTS,
)

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "site" / "fixtures" / "mini"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini site publishing the example ledger (``draws/``; no search index)."""
    out = tmp_path_factory.mktemp("ledger-page") / "site"
    build_site(MINI, out, draws_dir=ROOT / "draws", search=False, incremental=False)
    return out


def test_following_the_page_verifies_the_ledger(site: Path, tmp_path: Path) -> None:
    # -I: the checkout is not importable; the verifier runs from the downloaded zipapp.
    with serve(site) as url:
        done = follow(url, tmp_path, [sys.executable, "-I"], install=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("验证通过")
    assert "重新运行抽取 6 次" in done.stdout
    # The only message: the example ledger is signed with the public example keys (#12/15).
    assert done.stderr.startswith("警告：本账本由公开的示例密钥签署")
    assert done.stderr.count("\n") == 1


def test_the_archive_holds_every_published_file(site: Path) -> None:
    ledger = site / "ledger"
    published = {
        p.relative_to(ledger).as_posix()
        for p in ledger.rglob("*")
        if p.is_file() and p.name not in {ARCHIVE_NAME, "index.html"}
    }
    with tarfile.open(ledger / ARCHIVE_NAME) as tar:
        members = {m.name: m for m in tar.getmembers()}
        files = {n.removeprefix(ARCHIVE_ROOT + "/") for n, m in members.items() if m.isfile()}
        assert files == published
        for rel in [*sorted(published)[:50], "checkpoint", "entries.jsonl", SUMS_NAME]:
            extracted = tar.extractfile(f"{ARCHIVE_ROOT}/{rel}")
            assert extracted is not None
            assert extracted.read() == (ledger / rel).read_bytes(), rel
    assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, 946684800)}
    sums = (ledger / SUMS_NAME).read_text(encoding="ascii").splitlines()
    listed = {}
    for line in sums:
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    assert set(listed) == published - {SUMS_NAME}
    for rel, digest in listed.items():
        assert hashlib.sha256((ledger / rel).read_bytes()).hexdigest() == digest, rel


def test_the_page_names_what_the_verifier_needs(site: Path) -> None:
    page = read_page((site / "ledger" / "index.html").read_text(encoding="utf-8"))
    words = shlex.split(page.commands["install"])
    assert words[:4] == ["python3", "-m", "pip", "install"]
    assert tuple(words[4:]) == VERIFIER_REQUIREMENTS
    with open(ROOT / "pyproject.toml", "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    # The same pins as the package itself (its environment markers aside: the package installs
    # the compiled or the pure-Python BLS verifier by platform): the page never promises another
    # version range.
    pins = {dependency.split(";")[0].strip() for dependency in dependencies}
    assert {*VERIFIER_REQUIREMENTS, VERIFIER_FALLBACK} <= pins
    for name in (ARCHIVE_NAME, SUMS_NAME):  # linked, and there
        assert (site / "ledger" / page.links[name]).resolve() == site / "ledger" / name
        assert (site / "ledger" / name).is_file()
