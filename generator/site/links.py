"""Internal link check over rendered HTML: a broken link fails the build.

Every ``href``, ``src`` and ``action`` that is not external is resolved against the page's
directory and must name an output file (``x/`` names ``x/index.html``). A ``#fragment`` must be
an ``id`` of the target page when that page was rendered in this build. Root-absolute links
(``/…``) are only allowed on the 404 page, which is served at arbitrary depths; they are checked
after removing the base URL's path.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

#: A link (``href``, ``src``, ``action``) or an ``id``, with its value.
_ATTR_RE = re.compile(r'\s(href|src|action|id)="([^"]*)"')
_EXTERNAL = ("http:", "https:", "mailto:", "tel:", "data:", "//")


class BrokenLinkError(Exception):
    """Pages link to files the build does not produce."""

    def __init__(self, broken: list[tuple[str, str]]) -> None:
        self.broken = sorted(broken)
        shown = "\n".join(f"  {page}: {link}" for page, link in self.broken[:50])
        more = f"\n  ……另有 {len(self.broken) - 50} 处" if len(self.broken) > 50 else ""
        super().__init__(f"发现 {len(self.broken)} 处失效的站内链接（页面: 链接）：\n{shown}{more}")


@dataclass
class PageLinks:
    """What the check found on one page: broken links, cross-page fragments and own ids."""

    broken: list[tuple[str, str]] = field(default_factory=list)
    fragments: list[tuple[str, str, str, str]] = field(default_factory=list)
    ids: frozenset[str] = frozenset()


def resolve(page: str, href: str, base_path: str) -> str | None:
    """The output file ``href`` on ``page`` points to, or None for an external link."""
    if href.startswith(_EXTERNAL) or href.startswith("#"):
        return None
    target = href.partition("#")[0].partition("?")[0]
    if target.startswith("/"):
        if not target.startswith(base_path):
            return "\0outside:" + target
        target = target[len(base_path) :]
        joined = target
    else:
        joined = posixpath.join(posixpath.dirname(page), unquote(target))
    norm = posixpath.normpath(joined) if joined else "."
    if norm.startswith("../") or norm == "..":
        return "\0outside:" + href
    if target.endswith("/") or target == "" or norm == ".":
        return "index.html" if norm == "." else norm + "/index.html"
    return norm


def check_page(
    page: str,
    html: str,
    exists: Collection[str],
    base_path: str,
    collect_ids: bool = True,
    known: dict[str, set[str]] | None = None,
) -> PageLinks:
    """Check every link of one rendered page against the set of output files ``exists``.

    Pages link with a prefix of ``../`` that climbs to the site root (``url()`` in the
    templates), so most links resolve by cutting that prefix; others go through
    :func:`resolve`. With ``collect_ids=False`` the page's ids are not returned (bulk pages that
    no page links into with a fragment). ``known`` (by that prefix: the links found valid on
    earlier pages with the same prefix) saves checking the links every page has again; it is
    filled in, and must only be shared by checks against the same ``exists``.
    """
    out = PageLinks()
    hrefs: set[str] = set()
    id_list: list[str] = []
    for name, value in _ATTR_RE.findall(html):  # one pass for links and ids
        if name == "id":
            if value:
                id_list.append(value)
        else:
            hrefs.add(value)
    ids = frozenset(id_list)
    if collect_ids:
        out.ids = ids
    depth = page.count("/")
    root = "../" * depth
    cut = len(root)
    ok = known.setdefault(root, set()) if known is not None else set()
    for href in hrefs:
        if href in ok:
            continue
        if (
            "#" in href
            or "&" in href
            or "?" in href
            or href.startswith("/")
            or not href.startswith(root)
        ):
            _check_slow(page, href, ids, exists, base_path, out)
            continue
        rest = href[cut:]
        if rest.startswith("../") or "/./" in rest or "/../" in rest or ":" in rest:
            _check_slow(page, href, ids, exists, base_path, out)
            continue
        target = (
            "index.html"
            if rest in ("", "./")
            else (rest + "index.html" if rest.endswith("/") else rest)
        )
        if target in exists:
            ok.add(href)  # (it names the same file from every page with this prefix)
        else:
            out.broken.append((page, href))
    out.broken.sort()
    return out


def _check_slow(
    page: str,
    href: str,
    ids: frozenset[str],
    exists: Collection[str],
    base_path: str,
    out: PageLinks,
) -> None:
    if page != "404.html" and href.startswith("/") and not href.startswith("//"):
        out.broken.append((page, href))
        return
    href_text = href.replace("&amp;", "&")
    frag = href_text.partition("#")[2]
    if href_text.startswith("#"):
        if frag and frag not in ids:
            out.broken.append((page, href))
        return
    target = resolve(page, href_text, base_path)
    if target is None:
        return
    if target not in exists:
        out.broken.append((page, href))
    elif frag and target != page:
        out.fragments.append((page, href, target, frag))
    elif frag and frag not in ids:
        out.broken.append((page, href))


def check_fragments(
    fragments: Iterable[tuple[str, str, str, str]], ids: dict[str, frozenset[str]]
) -> list[tuple[str, str]]:
    """Cross-page ``#fragment`` links whose target (rendered in this build) lacks the id."""
    return [
        (page, href)
        for page, href, target, frag in fragments
        if target in ids and frag not in ids[target]
    ]
