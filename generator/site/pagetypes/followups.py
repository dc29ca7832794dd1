"""The follow-up list page (``followups/``) and its Atom feed (``followups/feed.xml``).

Every case (立案 → 查处进展 → 结案) and every 抄告 with its 签收, newest first, as the verified
ledger records them (:mod:`generator.site.followups`; docs/site.md §3.2). A page type
(docs/extending.md §2): keyed by what it shows, so an unchanged story is not rewritten.
"""

from __future__ import annotations

from generator.site import followups
from generator.site.data import SiteData
from generator.site.feeds import atom
from generator.site.page import Page, digest, html_page


def pages(d: SiteData) -> list[Page]:
    """``followups/index.html`` and ``followups/feed.xml``."""
    cases, notices = followups.all_cases(d), followups.all_notices(d)
    key = digest("followups", followups.dataset_key(d), sorted(d.depts))
    site = d.content.site
    feed = atom(site.base_url, "followups/feed.xml", f"{site.name}：立案查处与抄告",
                followups.feed_entries(d))  # fmt: skip
    return [
        html_page("followups/", "followups.html", key=None, cases=cases, notices=notices),
        Page("followups/feed.xml", key=key, data=lambda: feed),
    ]
