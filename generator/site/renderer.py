"""The site's Jinja environment: autoescape, ``StrictUndefined`` and the globals every page uses.

:class:`Renderer` renders one template for one page path; links are relative to that path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from generator.site.data import SiteData, division_name, ratio_text
from generator.site.markdown import make_renderer as make_markdown_renderer
from generator.site.urls import base_path, code_shard
from ledger.publish import (
    ARCHIVE_NAME,
    ARCHIVE_ROOT,
    PYZ_NAME,
    SUMS_NAME,
    VERIFIER_FALLBACK,
    VERIFIER_REQUIREMENTS,
)

__all__ = ["Renderer"]


class Renderer:
    """A Jinja environment (autoescape, ``StrictUndefined``) with the site's globals."""

    def __init__(self, templates: Path, data: SiteData, cache_dir: Path | None = None) -> None:
        bytecode = None
        if cache_dir is not None:  # compiled templates survive between builds
            (cache_dir / "jinja").mkdir(parents=True, exist_ok=True)
            bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir / "jinja"))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            bytecode_cache=bytecode,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        # js-default (raw HTML escaped, javascript: links refused); CJK line breaks joined.
        self.env.filters["markdown"] = make_markdown_renderer()
        self.env.filters["pct"] = ratio_text
        self.env.filters["division"] = division_name
        self.env.filters["shard"] = code_shard
        self.env.globals.update(
            site=data.content.site,
            content=data.content,
            d=data,
            url=_url,
            ledger=data.ledger,
            ledger_download=_LEDGER_DOWNLOAD,
        )
        self.templates = templates
        self.root_404 = base_path(data.content.site.base_url)
        self._cache: dict[str, jinja2.Template] = {}

    def render(self, template: str, page_path: str, ctx: dict[str, Any]) -> str:
        """Render ``template`` for the page at ``page_path``."""
        tmpl = self._cache.get(template)
        if tmpl is None:
            tmpl = self._cache[template] = self.env.get_template(template)
        # The 404 page is served at any depth: it alone uses root-absolute links.
        root = self.root_404 if page_path == "404.html" else "../" * page_path.count("/")
        # ``page_url``: the page's site path as linked (``a/`` for ``a/index.html``).
        url = page_path[:-10] if page_path.endswith("index.html") else page_path
        return tmpl.render(page_path=page_path, page_url=url, root=root, **ctx)


#: The ledger page's download and verification instructions (names and requirements as
#: :mod:`ledger.publish` writes and states them).
_LEDGER_DOWNLOAD = {
    "archive": ARCHIVE_NAME,
    "root": ARCHIVE_ROOT,
    "sums": SUMS_NAME,
    "pyz": PYZ_NAME,
    "requirements": VERIFIER_REQUIREMENTS,
    "fallback": VERIFIER_FALLBACK,
}


@jinja2.pass_context
def _url(ctx: jinja2.runtime.Context, target: str) -> str:
    """The relative link to the site path ``target`` from the page being rendered."""
    return ctx["root"] + target or "./"
