"""Search: Pagefind (extended build, which segments Chinese) over the checklist, plan and task
pages (elements marked ``data-pagefind-body``); the businesses are in gongkai's own index
(:mod:`generator.site.bizsearch`, docs/site.md §6), because Pagefind needed ~110 KiB of memory
per page and re-indexed thousands of pages after one new result. The credit-code lookup uses
neither: ``search/codes/<XY>.json`` maps the codes ending in ``XY`` to names.

Values reach the browser as text (docs/site.md §6.1): the index holds the pages' text as
written by publishers and imported spreadsheets, and Pagefind's stock UI inserts filter values
(and excerpts) as HTML. The search page therefore renders results with its own script
(``static/search.js``, text nodes only) over Pagefind's JavaScript API, and :func:`run_pagefind`
removes the stock UI files (:data:`STOCK_UI_FILES`) from every bundle, so no page can load them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from generator.site.pagefind_canon import canonicalize_bundle
from generator.site.writer import remove_later


def pagefind_available() -> bool:
    """Whether the extended Pagefind binary (Chinese segmentation) is installed."""
    return _pagefind_binary() is not None


def _pagefind_binary() -> str | None:
    spec = importlib.util.find_spec("pagefind_bin_extended")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "pagefind_extended"
    return str(binary) if binary.is_file() else None


#: Pagefind's own UIs and highlighter: they insert index values as HTML (docs/site.md §6.1), so
#: they are not published; the search page uses ``pagefind.js`` (the API) only.
STOCK_UI_FILES = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)

#: Directories whose pages carry ``data-pagefind-body``: Pagefind indexes only these (a few
#: hundred pages); businesses are in gongkai's own index (:mod:`generator.site.bizsearch`).
INDEXED_DIRS = ("checklist/", "plans/", "tasks/")
#: The one Pagefind bundle and the pages it indexes.
BUNDLE = "pagefind"
GLOB = "{checklist,plans,tasks}/**/*.html"


def search_shards() -> list[tuple[str, str]]:
    """Pagefind runs: (bundle directory, file glob)."""
    return [(BUNDLE, GLOB)]


def bundles_for(paths: Iterable[str]) -> set[str]:
    """The bundles that index any of ``paths`` (changed output files)."""
    if any(p.endswith(".html") and p.startswith(INDEXED_DIRS) for p in paths):
        return {BUNDLE}
    return set()


def run_pagefind(site: Path, only: Iterable[str] | None = None) -> None:
    """Index the HTML under ``site`` with Pagefind (extended), one bundle per shard (only the
    bundles named in ``only`` when given), each made byte-identical for identical pages by
    :func:`~generator.site.pagefind_canon.canonicalize_bundle` and stripped of Pagefind's stock
    UI (:data:`STOCK_UI_FILES`) before it replaces the old one (moved aside by a rename and
    deleted by a detached process: :func:`~generator.site.writer.remove_later`).

    Precondition: ``site`` holds the rendered pages and nothing else writes its bundles meanwhile.
    Raises ``RuntimeError`` without the Pagefind binary, ``subprocess.CalledProcessError`` if
    Pagefind fails, :class:`~generator.site.pagefind_canon.PagefindFormatError` if its output is
    not in the layout the canonicalization knows, and ``OSError`` on I/O errors; a bundle is
    replaced only once it is complete.
    """
    binary = _pagefind_binary()
    if binary is None:
        raise RuntimeError("未安装 pagefind[extended]，无法生成全文搜索索引")
    for bundle, glob in search_shards():
        if only is not None and bundle not in only:
            continue
        tmp = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site.parent))
        try:
            subprocess.run(  # noqa: S603  # fixed binary, arguments we build
                [
                    binary,
                    "--site",
                    str(site),
                    "--glob",
                    glob,
                    "--output-path",
                    str(tmp / "out"),
                    "--force-language",
                    "zh-cn",
                    "--silent",
                ],
                check=True,
                capture_output=True,
            )
            canonicalize_bundle(tmp / "out")
            for name in STOCK_UI_FILES:
                (tmp / "out" / name).unlink(missing_ok=True)
            dest = site / bundle
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():  # moved aside, deleted in the background (below)
                os.replace(dest, tmp / "old")
            try:
                os.replace(tmp / "out", dest)
            except OSError:
                if (tmp / "old").exists():
                    os.replace(tmp / "old", dest)
                raise
        finally:
            if (tmp / "old").exists():
                remove_later(tmp)  # ~20,000 files of an entity bundle: seconds to delete
            else:
                shutil.rmtree(tmp, ignore_errors=True)
