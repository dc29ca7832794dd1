"""Search: Pagefind (extended build, which segments Chinese) over the rendered HTML.

Only elements marked ``data-pagefind-body`` are indexed (entity, item, plan and task pages);
entity pages carry ``data-pagefind-filter`` values for 行政区划, 行业, 检查结果 and 年度, because
Pagefind does not find whole Chinese compounds reliably (docs/site.md §6). One index of 100k
pages needs ~11 GiB, so above :data:`SEARCH_SHARD_SIZE` entity pages the index is split into
bundles by the last character of the code (``pagefind-e0/`` …), merged in the browser with
``mergeIndex``. The credit-code lookup does not use Pagefind: ``search/codes/<XY>.json`` maps
the codes ending in ``XY`` to names.

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

from generator.site.data import SiteData
from generator.site.pagefind_canon import canonicalize_bundle
from generator.site.writer import remove_later

#: Entity pages per Pagefind index shard (docs/site.md §6: one index of 100k pages needs 11 GiB).
SEARCH_SHARD_SIZE = 20_000


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

#: Last characters of codes (GB 32100 charset); a character's shard is its index modulo the
#: number of shards, so a page never moves to another shard while the count stays the same.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Directories whose pages carry ``data-pagefind-body`` besides ``entities/``.
INDEXED_DIRS = ("checklist/", "plans/", "tasks/")


def shard_count(data: SiteData) -> int:
    """How many entity shards the index has (1: one index for the whole site)."""
    return max(1, -(-len(data.content.entities) // SEARCH_SHARD_SIZE))


def search_shards(data: SiteData) -> list[tuple[str, str]]:
    """Pagefind runs: (bundle directory, file glob). Entity pages are split by the last
    character of the code when there are more than :data:`SEARCH_SHARD_SIZE` of them."""
    k = shard_count(data)
    if k == 1:
        return [("pagefind", "**/*.html")]
    out = [("pagefind", "{checklist,plans,tasks}/**/*.html")]
    for i in range(k):
        chars = [c for n, c in enumerate(CODE_CHARS) if n % k == i]
        if i == 0:
            chars += ["[!" + CODE_CHARS + "]"]  # anything else (lower case, other symbols)
        out.append((f"pagefind-e{i}", "entities/*{" + ",".join(chars) + "}/index.html"))
    return out


def bundles_for(paths: Iterable[str], data: SiteData) -> set[str]:
    """The bundles that index any of ``paths`` (changed output files)."""
    k = shard_count(data)
    out: set[str] = set()
    for p in paths:
        if p.startswith("entities/") and p.count("/") == 2 and p.endswith("/index.html"):
            if k == 1:
                out.add("pagefind")
            else:
                last = p.split("/")[1][-1]
                n = CODE_CHARS.find(last)
                out.add(f"pagefind-e{n % k if n >= 0 else 0}")
        elif p.endswith(".html") and p.startswith(INDEXED_DIRS):
            out.add("pagefind")
    return out


def run_pagefind(site: Path, data: SiteData, only: Iterable[str] | None = None) -> None:
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
    for bundle, glob in search_shards(data):
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
