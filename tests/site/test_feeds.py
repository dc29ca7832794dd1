"""Feeds, sitemap, robots.txt and the icon (issue #12, item 18): every URL that the specs
require to be absolute is absolute, every Atom id unique, and no visit asks for a missing icon."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_helpers import build_mini

from generator.site.feeds import DuplicateEntryIdError, FeedEntry, atom, robots

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://example.gov.cn/gongkai/"  # the mini fixture's base_url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds") / "site"
    build_mini(out, incremental=False)
    return out


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.netloc == "example.gov.cn"


@pytest.mark.parametrize("feed", ["feeds/results.xml", "feeds/plans.xml"])
def test_feed_ids_are_absolute_and_unique(site: Path, feed: str) -> None:
    root = ET.parse(site / feed).getroot()
    ids = [e.text or "" for e in root.iter(f"{ATOM}id")]
    assert len(ids) > 1
    assert [i for i in ids if not _absolute(i)] == []
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    links = [e.get("href", "") for e in root.iter(f"{ATOM}link")]
    assert [u for u in links if not _absolute(u)] == []


def test_joint_results_of_one_business_have_their_own_ids(site: Path) -> None:
    root = ET.parse(site / "feeds" / "results.xml").getroot()
    by_link: dict[str, list[str]] = {}
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        assert link is not None
        by_link.setdefault(link.get("href", ""), []).append(entry.findtext(f"{ATOM}id") or "")
    shared = {link: ids for link, ids in by_link.items() if len(ids) > 1}
    assert shared, "the mini fixture has a business with results of two departments"
    for link, ids in shared.items():
        assert all(i.startswith(link + "#result-") for i in ids), ids


def test_sitemap_locations_are_absolute(site: Path) -> None:
    root = ET.parse(site / "sitemap.xml").getroot()
    locs = [e.text or "" for e in root.iter(f"{SITEMAP}loc")]
    assert len(locs) > 10
    assert [u for u in locs if not (_absolute(u) and u.startswith(BASE))] == []


def test_robots_allows_all_and_names_the_sitemap(site: Path) -> None:
    text = (site / "robots.txt").read_text(encoding="utf-8")
    assert text.splitlines() == ["User-agent: *", "Allow: /", f"Sitemap: {BASE}sitemap.xml"]


def test_every_page_links_an_icon_that_exists(site: Path) -> None:
    assert (site / "favicon.ico").read_bytes()[:4] == b"\0\0\1\0"  # ICO header
    assert (site / "static" / "favicon.ico").read_bytes() == (site / "favicon.ico").read_bytes()
    assert (site / "static" / "favicon.svg").read_bytes().startswith(b"<svg")
    for page in (site / "index.html", site / "entities" / "index.html", site / "404.html"):
        html = page.read_text(encoding="utf-8")
        icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
        assert len(icons) == 2, page
        for href in icons:  # the 404 page alone links root-absolute (it is served anywhere)
            path = (
                site / href.removeprefix("/gongkai/")
                if href.startswith("/")
                else page.parent / href
            )
            assert path.resolve().is_file(), (page, href)


def test_duplicate_entry_ids_are_refused() -> None:
    day = dt.date(2024, 5, 1)
    same = [
        FeedEntry("entities/X/", "a", day, "s", key="k"),
        FeedEntry("entities/X/", "b", day, "s", key="k"),
    ]
    with pytest.raises(DuplicateEntryIdError):
        atom(BASE, "feeds/results.xml", "t", same)
    other = [same[0], FeedEntry("entities/X/", "b", day, "s", key="k2")]
    assert atom(BASE, "feeds/results.xml", "t", other).count("<entry>") == 2


def test_robots_leaves_out_a_relative_sitemap() -> None:
    assert robots("/") == "User-agent: *\nAllow: /\n"
