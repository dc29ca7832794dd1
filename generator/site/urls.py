"""Site paths (the URL scheme) and relative links between pages.

Every page lives at ``<dir>/index.html`` and is linked as ``<dir>/``; links are always relative,
so the site works under any sub-path and from ``file://``. Only feeds, the sitemap and the
404 page need absolute URLs; they come from ``site.base_url`` (:func:`absolute_url`).

The full URL scheme is documented in ``docs/site.md``.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from urllib.parse import quote, urlsplit

#: Site paths that need no percent-encoding in an absolute URL (and no XML escaping).
SAFE_PATH = re.compile(r"[A-Za-z0-9._~/\-]*")

#: Rows per page of every paginated list.
PAGE_SIZE = 50


def relative_url(page_path: str, target: str) -> str:
    """The link from the page at ``page_path`` to ``target`` (both relative to the site root).

    A target ending in ``/`` (or the empty string, the home page) names a directory index; the
    link keeps the trailing slash. A ``#fragment`` is kept.

    >>> relative_url("entities/X/index.html", "checklist/A/")
    '../../checklist/A/'
    >>> relative_url("index.html", "")
    './'
    """
    target, sep, fragment = target.partition("#")
    base = posixpath.dirname(page_path) or "."
    rel = posixpath.relpath(target.rstrip("/") or ".", base)
    if target.endswith("/") or target == "":
        rel = "./" if rel == "." else rel + "/"
    return rel + sep + fragment


def absolute_url(base_url: str, target: str) -> str:
    """``target`` (a site path) joined to ``base_url``, percent-encoded for feeds and sitemaps.

    >>> absolute_url("https://example.gov.cn/sub/", "entities/91X/")
    'https://example.gov.cn/sub/entities/91X/'
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    if SAFE_PATH.fullmatch(target):
        return base + target  # nothing to encode (the common case; quote() is slow)
    return base + quote(target, safe="/#")


def base_path(base_url: str) -> str:
    """The path part of ``base_url``, with a trailing slash (``/`` for a bare host)."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def page_file(target: str) -> str:
    """The output file of a directory target: ``a/b/`` → ``a/b/index.html``."""
    return target + "index.html" if target.endswith("/") or target == "" else target


def slug(name: str) -> str:
    """A stable ASCII path segment for a Chinese name (industry): ``i`` + 8 hex digits.

    Stable across builds and independent of other names, so permalinks never shift.
    """
    return "i" + hashlib.blake2s(name.encode("utf-8"), digest_size=4).hexdigest()


def paged(prefix: str, page: int) -> str:
    """The directory of page ``page`` (1-based) of the list at ``prefix``."""
    return prefix if page == 1 else f"{prefix}page/{page}/"


def code_shard(code: str) -> str:
    """The shard of the credit-code lookup index holding ``code`` (its last two characters).

    The last characters of a 统一社会信用代码 (check characters) spread evenly, unlike its
    prefix, which is shared by every business of one county. The browser computes the same key.
    """
    return code[-2:].upper()
