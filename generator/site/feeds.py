"""Atom feeds, the sitemap and ``robots.txt``, with absolute URLs from ``site.base_url``.

Sitemaps (sitemaps.org), Atom ids (RFC 4287 §4.2.6) and the ``Sitemap:`` line of robots.txt
(RFC 9309 §2.3.5) must be absolute URLs; ``gongkai check`` therefore requires an absolute
``https://`` base URL of every published site (docs/content.md, “base_url”). Every Atom entry id
is unique in its feed: entries that share a page (the results of several departments for one
business) tell themselves apart by a fragment of their own (:attr:`FeedEntry.key`).

Dates come from the data (publication dates), never from the clock, so rebuilds are
byte-identical. A sitemap file holds at most :data:`SITEMAP_LIMIT` URLs; larger sites get a
sitemap index (``sitemap.xml``) pointing at ``sitemaps/sitemap-N.xml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from generator.site.urls import SAFE_PATH, absolute_url

#: URLs per sitemap file (sitemaps.org protocol limit).
SITEMAP_LIMIT = 50_000
#: Entries per Atom feed.
FEED_LIMIT = 100
#: Used as the feed date when there is no data at all (a fixed, documented value).
EPOCH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class FeedEntry:
    """One Atom entry: a site path, a title, a date and a plain-text summary.

    ``key`` tells apart entries that link to one page: the entry id is then the page's URL with
    ``#key`` (ASCII letters, digits, ``.``, ``_`` and ``-``). It must stay the same when the
    thing the entry announces is updated (a corrected result keeps its id).
    """

    path: str
    title: str
    updated: dt.date
    summary: str
    key: str = ""


class DuplicateEntryIdError(ValueError):
    """Two entries of one feed would have the same id (RFC 4287 §4.2.6 forbids it)."""


def atom(base_url: str, feed_path: str, title: str, entries: Sequence[FeedEntry]) -> str:
    """An Atom 1.0 feed (RFC 4287) of ``entries`` (already newest first; capped).

    Raises:
        DuplicateEntryIdError: if two of the shown entries have the same path and key.
    """
    shown = list(entries)[:FEED_LIMIT]
    seen: set[tuple[str, str]] = set()
    for e in shown:
        if (e.path, e.key) in seen:
            raise DuplicateEntryIdError(f"{feed_path}：两个条目的 id 相同（{e.path}#{e.key}）")
        seen.add((e.path, e.key))
    updated = max((e.updated for e in shown), default=EPOCH)
    self_url = absolute_url(base_url, feed_path)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"<title>{escape(title)}</title>",
        f"<id>{escape(self_url)}</id>",
        f'<link rel="self" href={quoteattr(self_url)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(absolute_url(base_url, ""))}/>',
        f"<updated>{_stamp(updated)}</updated>",
        "<author><name>gongkai</name></author>",
    ]
    for e in shown:
        url = absolute_url(base_url, e.path)
        entry_id = f"{url}#{quote(e.key, safe='')}" if e.key else url
        out += [
            "<entry>",
            f"<title>{escape(e.title)}</title>",
            f"<id>{escape(entry_id)}</id>",
            f"<link href={quoteattr(url)}/>",
            f"<updated>{_stamp(e.updated)}</updated>",
            f"<summary>{escape(e.summary)}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"


def robots(base_url: str) -> str:
    """``robots.txt`` (RFC 9309): every crawler may fetch everything; where the sitemap is.

    The ``Sitemap:`` line needs an absolute URL; it is left out for a relative ``base_url``
    (allowed for example sites only). Crawlers read robots.txt only at the root of a host, so
    it takes effect when the site is published there (or copied there).
    """
    lines = ["User-agent: *", "Allow: /"]
    if urlsplit(base_url).scheme:
        lines.append(f"Sitemap: {absolute_url(base_url, 'sitemap.xml')}")
    return "\n".join(lines) + "\n"


def sitemaps(
    base_url: str, urls: Sequence[tuple[str, dt.date | None]], limit: int = SITEMAP_LIMIT
) -> dict[str, str]:
    """Sitemap files for ``urls`` (site path, optional lastmod): {output path: XML}."""
    chunks = [urls[i : i + limit] for i in range(0, len(urls), limit)] or [urls]
    if len(chunks) == 1:
        return {"sitemap.xml": _urlset(base_url, chunks[0])}
    files = {f"sitemaps/sitemap-{n}.xml": _urlset(base_url, c) for n, c in enumerate(chunks, 1)}
    index = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path, chunk in zip(files, chunks, strict=True):
        dates = [d for _, d in chunk if d is not None]
        lastmod = f"<lastmod>{max(dates).isoformat()}</lastmod>" if dates else ""
        index.append(
            f"<sitemap><loc>{escape(absolute_url(base_url, path))}</loc>{lastmod}</sitemap>"
        )
    index.append("</sitemapindex>")
    files["sitemap.xml"] = "\n".join(index) + "\n"
    return files


def _urlset(base_url: str, urls: Sequence[tuple[str, dt.date | None]]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    # escape(absolute_url(base, path)) is escape(base) + path for a path of safe characters
    # (no &, <, >; nothing to percent-encode): the common case, taken without the calls.
    head = "<url><loc>" + escape(absolute_url(base_url, ""))
    all_safe = SAFE_PATH.fullmatch("".join(path for path, _ in urls)) is not None
    safe = SAFE_PATH.fullmatch
    for path, lastmod in urls:
        if all_safe or safe(path):
            loc = head + path
        else:
            loc = "<url><loc>" + escape(absolute_url(base_url, path))
        if lastmod:
            out.append(f"{loc}</loc><lastmod>{lastmod.isoformat()}</lastmod></url>")
        else:
            out.append(loc + "</loc></url>")
    out.append("</urlset>")
    return "\n".join(out) + "\n"
