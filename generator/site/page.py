"""One output file of the site (:class:`Page`), the bulk pages of one kind, and their keys.

A :class:`Page` is either rendered from a template or produced by a ``data`` callable (CSV,
JSON, XML); its ``key`` is a hash (:func:`digest`) of exactly the inputs the output depends on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.site.urls import page_file

__all__ = ["BulkPages", "Page", "digest", "html_page"]


@dataclass(slots=True)
class Page:
    """One output file."""

    path: str
    template: str | None = None
    ctx: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    data: Callable[[], bytes | str] | None = None
    sitemap: bool = False
    lastmod: dt.date | None = None
    #: Builds the context only when the page is rendered (bulk pages skip it when unchanged).
    lazy: Callable[[], dict[str, Any]] | None = None

    def context(self) -> dict[str, Any]:
        """The template context."""
        return self.lazy() if self.lazy is not None else self.ctx


@dataclass(slots=True)
class BulkPages:
    """Many pages of one kind (one per business), as parallel lists of paths and keys.

    A :class:`Page` is made (``make(i)``) only for the pages a build renders: an incremental
    build with one new result makes one, not 100,000.
    """

    paths: list[str]
    keys: list[str]
    make: Callable[[int], Page]


def digest(*parts: object) -> str:
    """A short hash of the ``repr`` of ``parts`` (frozen dataclasses have a stable repr)."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def html_page(target: str, template: str, key: str | None = None, **ctx: Any) -> Page:
    """The HTML page ``target`` (a site path ending in ``/``), rendered from ``template``."""
    return Page(page_file(target), template, ctx, key, sitemap=True)
