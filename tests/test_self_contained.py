"""The repository stands alone: no file points to a specification outside it.

Every normative rule lives in ``docs/`` (with its own section numbers) and every data source is
cited by its public address, so a reader can follow every reference. This test fails when a
tracked file names one of the design notes that were never part of the repository, or a path
outside it, and when a ``docs/<name>.md §N`` reference names a section that does not exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The outside design notes, spelled so that this file does not match its own pattern.
_OUTSIDE = ("DRAWS", "LEDGER", "DOMAIN", "STYLE", "SITE")
FORBIDDEN = re.compile(
    r"\b(?:" + "|".join(_OUTSIDE) + r")(?:\.md\b| §)"
    r"|\.\./shared\b|/work/" + r"shared\b|shared/[A-Z]+\.md"
)
#: ``docs/ledger.md §13.2``, ``docs/draw-v1.md §W`` …: the first section number of a reference.
DOC_REF = re.compile(r"docs/([a-z0-9-]+)\.md §([0-9]+(?:\.[0-9]+)*|W(?:\.[0-9]+)?)")
#: Larger files are data, not prose, and are not read.
MAX_SIZE = 1 << 20
_HEADING = re.compile(r"^#{2,4} ([0-9]+(?:\.[0-9]+)*|W(?:\.[0-9]+)?)\.? ", re.MULTILINE)


def tracked_files() -> list[Path]:
    """Every file git tracks (or, without git, every file outside build and cache folders)."""
    git = shutil.which("git")
    if git is not None and (ROOT / ".git").exists():
        out = subprocess.run(
            [git, "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
        return [ROOT / name for name in out.decode("utf-8").split("\0") if name]
    skip = {".git", ".venv", "_site", "__pycache__", ".pytest_cache", ".mypy_cache", "build"}
    return [
        p
        for p in ROOT.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
    ]


def _texts() -> list[tuple[str, str]]:
    out = []
    for path in tracked_files():
        if path.is_file() and path.stat().st_size > MAX_SIZE:
            continue  # data (snapshots, blobs), not prose
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (images, compiled data) cite nothing
        out.append((path.relative_to(ROOT).as_posix(), text))
    return out


def outside_references(texts: list[tuple[str, str]]) -> list[str]:
    """``file:line: text`` for every reference to a file outside the repository."""
    found = []
    for rel, text in texts:
        for n, line in enumerate(text.split("\n"), 1):
            if FORBIDDEN.search(line):
                found.append(f"{rel}:{n}: {line.strip()[:120]}")
    return found


def dangling_section_references(texts: list[tuple[str, str]]) -> list[str]:
    """``file:line: docs/x.md §N`` for every reference to a section that ``docs/x.md`` lacks."""
    sections: dict[str, set[str]] = {}
    for doc in (ROOT / "docs").glob("*.md"):
        sections[doc.stem] = set(_HEADING.findall(doc.read_text(encoding="utf-8")))
    found = []
    for rel, text in texts:
        for n, line in enumerate(text.split("\n"), 1):
            for name, number in DOC_REF.findall(line):
                if number not in sections.get(name, set()):
                    found.append(f"{rel}:{n}: docs/{name}.md §{number}")
    return found


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return _texts()


def test_no_reference_outside_the_repository(texts: list[tuple[str, str]]) -> None:
    found = outside_references(texts)
    assert not found, (
        "these files cite specifications or paths outside the repository; cite the docs/ section "
        "(e.g. docs/draw-v1.md §8) or the public address instead:\n" + "\n".join(found)
    )


def test_every_docs_section_reference_exists(texts: list[tuple[str, str]]) -> None:
    found = dangling_section_references(texts)
    assert not found, "these references name a section the document lacks:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "see " + _OUTSIDE[0] + ".md §7.1",
        "(" + _OUTSIDE[1] + " §3.6)",
        "copied from /work/" + "shared" + "/data/x.json",
        "background: shared/" + _OUTSIDE[2] + ".md",
    ],
)
def test_the_pattern_catches_outside_references(line: str) -> None:
    assert outside_references([("x.py", line)]) == ["x.py:1: " + line]


def test_the_section_check_catches_a_missing_section() -> None:
    missing = "docs/ledger.md " + "§99.9"  # split so that this file does not cite it
    assert dangling_section_references([("x.py", f"({missing})")]) == [f"x.py:1: {missing}"]
    assert dangling_section_references([("x.py", "(docs/ledger.md §13.2, §99)")]) == []
