"""Shared helpers of the site tests: build the mini fixture site, compare directory trees."""

from __future__ import annotations

import shutil
from pathlib import Path

from site_results import mini_results

from generator.site.build import BuildReport, build_site

HERE = Path(__file__).resolve().parent
MINI = HERE / "fixtures" / "mini"
DRAWS = HERE / "fixtures" / "draws"
GOLDEN = HERE / "golden"
REGENERATE = ".venv/bin/python tests/site/regen.py"


def build_mini(out: Path, content: Path = MINI, **kw: object) -> BuildReport:
    """Build the mini site (no search index, fixture results, fixture checkpoint)."""
    kw.setdefault("results", mini_results())
    kw.setdefault("draws_dir", DRAWS)
    kw.setdefault("search", False)
    return build_site(content, out, **kw)  # type: ignore[arg-type]


def copy_content(tmp: Path) -> Path:
    """A writable copy of the mini content directory."""
    dest = tmp / "content"
    shutil.copytree(MINI, dest)
    return dest


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path → bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
