"""The internal link checker."""

from __future__ import annotations

from generator.site.links import check_fragments, check_page, resolve
from generator.site.urls import relative_url

EXISTS = frozenset({"index.html", "a/index.html", "a/b/index.html", "data/x.csv", "404.html"})


def _broken(page: str, body: str) -> list[str]:
    return [link for _, link in check_page(page, body, EXISTS, "/sub/").broken]


def test_good_links_pass() -> None:
    body = (
        '<a href="../../">h</a><a href="../../a/">a</a><a href="../../data/x.csv">x</a>'
        '<a href="./">self</a><a href="https://example.org/">e</a><a href="mailto:x@y">m</a>'
        '<p id="top"></p><a href="#top">t</a>'
    )
    assert _broken("a/b/index.html", body) == []


def test_broken_links_are_named() -> None:
    body = (
        '<a href="../../nope/">n</a><a href="../../../../etc/">up</a><a href="#missing">f</a>'
        '<a href="/a/">abs</a><img src="../../data/y.png">'
    )
    assert sorted(_broken("a/b/index.html", body)) == sorted(
        ["../../nope/", "../../../../etc/", "#missing", "/a/", "../../data/y.png"]
    )


def test_root_absolute_links_only_on_404() -> None:
    assert _broken("404.html", '<a href="/sub/a/">a</a><a href="/other/">o</a>') == ["/other/"]


def test_cross_page_fragments() -> None:
    result = check_page("index.html", '<a href="a/#x">x</a>', EXISTS, "/")
    assert result.fragments == [("index.html", "a/#x", "a/index.html", "x")]
    assert check_fragments(result.fragments, {"a/index.html": frozenset({"y"})}) == [
        ("index.html", "a/#x")
    ]
    assert check_fragments(result.fragments, {"a/index.html": frozenset({"x"})}) == []


def test_resolve_and_relative_url_agree() -> None:
    for page in ["index.html", "a/index.html", "a/b/index.html"]:
        for target in ["", "a/", "a/b/", "data/x.csv"]:
            href = relative_url(page, target)
            want = target + "index.html" if target.endswith("/") or not target else target
            assert resolve(page, href, "/") == want, (page, target, href)
