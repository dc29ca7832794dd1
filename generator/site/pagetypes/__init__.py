"""Page types that plug into the site: one module in this package and one template.

A page type is a module ``generator/site/pagetypes/<name>.py`` (a name not starting with ``_``)
defining ``pages(d: SiteData) -> list[Page]``, usually ``[html_page("<path>/", "<name>.html",
…context…)]``, and a template ``site_templates/<name>.html``. Nothing else is edited: the
site build asks :func:`page_types` for the modules of this package, sorted by name (so the
output order, and the bytes of the sitemap, do not depend on the file system), and adds their
pages after the result pages (docs/extending.md §2). The list is computed from the package on
each build and passed on as a value; nothing is registered at import.

A page type's pages have no dependency key unless it gives one (``key=None``: rendered on every
build, rewritten only if the bytes changed, docs/site.md). Its template gets the context it
passes plus what every page gets (``site``, ``root``, ``url`` …), and renders with autoescape
and StrictUndefined like every other template.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from generator.site.data import SiteData
from generator.site.page import Page

__all__ = ["PageType", "page_types", "pages_of"]


@dataclass(frozen=True)
class PageType:
    """One plugged-in page type: its module name and its ``pages`` function."""

    name: str
    pages: Callable[[SiteData], Sequence[Page]]


def page_types() -> tuple[PageType, ...]:
    """The page types of this package, sorted by module name.

    Raises:
        TypeError: if a module has no callable ``pages`` (a broken page type stops the build
            instead of silently leaving its pages out).
    """
    found: list[PageType] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        pages = getattr(module, "pages", None)
        if not callable(pages):
            raise TypeError(f"页面类型模块 {module.__name__} 没有 pages(d) 函数")
        found.append(PageType(info.name, pages))
    return tuple(found)


def pages_of(types: Sequence[PageType], d: SiteData) -> list[Page]:
    """Every page of ``types`` for the site data ``d``, in the order of ``types``."""
    return [page for t in types for page in t.pages(d)]
