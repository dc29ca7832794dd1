"""Build the public site: phase 1 gathers a context, phase 2 renders it through the writer.

Every page is rendered with Jinja2 (autoescape on, ``StrictUndefined``) from
``site_templates/``. Links are relative, so the site works under any sub-path and from
``file://``. The output embeds no wall-clock time: the same inputs give byte-identical files.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from markdown_it import MarkdownIt

from generator.content.loader import load_content
from generator.content.model import Content, InspectionItem
from generator.site.writer import SiteWriter

STATIC_FILES = ("static/style.css",)


def default_templates() -> Path:
    """The ``site_templates/`` directory that ships with gongkai (or ``$GONGKAI_TEMPLATES``)."""
    override = os.environ.get("GONGKAI_TEMPLATES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "site_templates"


@dataclass(frozen=True)
class BuildReport:
    """What a build produced."""

    pages: int
    files: int
    output: Path


class Renderer:
    """A Jinja environment bound to one site's context."""

    def __init__(self, templates: Path, content: Content) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.md = MarkdownIt("js-default")
        # Safe: the js-default preset escapes raw HTML and rejects javascript: links.
        self.env.filters["markdown"] = lambda text: markupsafe.Markup(self.md.render(text))  # noqa: S704
        self.content = content
        self.templates = templates

    def render(self, template: str, page_path: str, **context: Any) -> str:
        """Render ``template`` for the page at ``page_path`` (used to make links relative)."""

        def url(target: str) -> str:
            return relative_url(page_path, target)

        return self.env.get_template(template).render(
            site=self.content.site, content=self.content, url=url, page_path=page_path, **context
        )


def relative_url(page_path: str, target: str) -> str:
    """The link from the page at ``page_path`` to ``target`` (both relative to the site root).

    A target ending in ``/`` names a directory index; the link keeps the trailing slash.
    """
    base = posixpath.dirname(page_path) or "."
    rel = posixpath.relpath(target.rstrip("/") or ".", base)
    if target.endswith("/") or target == "":
        rel = rel.rstrip("/") + "/"
        if rel == "./":
            rel = "./"
    return rel


def item_page(item: InspectionItem) -> str:
    """Site path of an item's page."""
    return f"checklist/{item.id}/index.html"


def build_site(content_dir: Path, output: Path, templates: Path | None = None) -> BuildReport:
    """Validate ``content_dir`` and build the site into ``output`` (swapped in atomically).

    Raises:
        ContentError: when the content has errors (nothing is written).
        jinja2.TemplateError: when a template is broken (the previous site is kept).
    """
    content, _ = load_content(content_dir)
    templates = templates or default_templates()
    renderer = Renderer(templates, content)
    writer = SiteWriter(output)
    try:
        pages = _render_all(renderer, writer, content)
        for name in STATIC_FILES:
            writer.write(name, (templates / name).read_bytes())
        files = len(writer.written)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return BuildReport(pages=pages, files=files, output=output)


def _render_all(r: Renderer, w: SiteWriter, content: Content) -> int:
    depts = {d.id: d for d in content.departments}
    items_by_dept: Mapping[str, list[InspectionItem]] = {
        d.id: [i for i in content.items if i.dept == d.id] for d in content.departments
    }
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("index.html", "index.html", {"items_by_dept": items_by_dept}),
        ("checklist/index.html", "checklist.html", {"items_by_dept": items_by_dept}),
        ("404.html", "404.html", {}),
    ]
    for item in content.items:
        pages.append((item_page(item), "item.html", {"item": item, "dept": depts[item.dept]}))
    for plan in content.plans:
        pages.append((f"plans/{plan.id}/index.html", "plan.html", {"plan": plan, "depts": depts}))
    for path, template, extra in pages:
        w.write(path, r.render(template, path, **extra))
    return len(pages)
