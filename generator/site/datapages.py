"""The open-data files, Atom feeds, robots.txt and sitemaps of the site: a part of the page list.

:class:`DataPages` is mixed into :class:`generator.site.pages.PageSet`; its methods use the page
set's data, keys and page list (described by :class:`_PageHost`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Protocol

from generator.site.data import ResultRow, SiteData
from generator.site.datasets import datasets, result_record
from generator.site.feeds import FEED_LIMIT, FeedEntry, atom, robots, sitemaps
from generator.site.opendata import Dataset, datapackage
from generator.site.page import BulkPages, Page, digest

__all__ = ["DataPages"]


class _PageHost(Protocol):
    """What :class:`DataPages` needs of the page set it is part of."""

    d: SiteData
    shared: str
    pages: list[Page]
    bulk: BulkPages
    bulk_sitemap: Callable[[], list[tuple[str, dt.date | None]]]
    lines: dict[str, tuple[str, str]]
    eager: set[str]

    def add(self, page: Page) -> None: ...
    def content_only(self, name: str, compute: Callable[[], str]) -> str: ...
    def row_key(self, r: ResultRow) -> str: ...
    def dataset_key(self, name: str) -> object: ...
    def result_lines(self: _PageHost, ds: Dataset) -> tuple[list[str], list[str]]: ...
    def _dataset_digest(self: _PageHost, name: str) -> str: ...


class DataPages:
    """The data and feed sections of :class:`generator.site.pages.PageSet`."""

    def result_lines(self: _PageHost, ds: Dataset) -> tuple[list[str], list[str]]:
        """The CSV and JSON texts of every result row, from :attr:`lines` (the previous build's
        texts by row key) where possible; :attr:`lines` then holds exactly the current rows."""
        old = self.lines
        new: dict[str, tuple[str, str]] = {}
        csv_lines: list[str] = []
        json_lines: list[str] = []
        for r in self.d.rows:
            key = self.row_key(r)
            texts = old.get(key)
            if texts is None:
                record = result_record(self.d, r)
                texts = (ds.csv_line(record), ds.json_line(record))
            new[key] = texts
            csv_lines.append(texts[0])
            json_lines.append(texts[1])
        self.lines = new
        return csv_lines, json_lines

    def _dataset_digest(self: _PageHost, name: str) -> str:
        return digest(self.shared, name, self.dataset_key(name))

    def _data(self: _PageHost) -> None:
        d = self.d
        modified = max((r.result.published_on for r in d.rows), default=None)
        sets = datasets(d)
        for ds in sets:
            if ds.name == "entities":
                key = self.content_only(
                    "data:entities",
                    functools.partial(self._dataset_digest, ds.name),
                )
            else:
                key = digest(self.shared, ds.name, self.dataset_key(ds.name))
            to_csv: Callable[[], bytes]
            to_json: Callable[[], bytes]
            if ds.name == "results":
                # Every new result changes these files: they are joined from per-row texts,
                # cached by row key between builds (see :meth:`result_lines`).
                lines = functools.cache(functools.partial(self.result_lines, ds))
                to_csv = functools.partial(_csv_from_lines, ds, lines)
                to_json = functools.partial(_json_from_lines, ds, lines)
                self.eager |= {"data/results.csv", "data/results.json"}
            else:
                to_csv, to_json = ds.to_csv, ds.to_json
            self.add(Page(f"data/{ds.name}.csv", key=key, data=to_csv))
            self.add(Page(f"data/{ds.name}.json", key=key, data=to_json))
            self.add(
                Page(
                    f"data/schemas/{ds.name}.schema.json",
                    data=_schema(ds, d.content.site.base_url),
                )
            )
        site = d.content.site
        self.add(
            Page(
                "data/datapackage.json",
                data=lambda: datapackage(
                    f"gongkai-{site.region_code}",
                    f"{site.name}开放数据",
                    site.base_url,
                    sets,
                    modified.isoformat() if modified else None,
                ),
            )
        )

    def _feeds_and_sitemap(self: _PageHost) -> None:
        d = self.d
        site = d.content.site
        plan_entries = [
            FeedEntry(
                f"plans/{p.id}/",
                p.title,
                p.published_on,
                f"{p.year}年度，{len(p.tasks)} 项抽查任务",
            )
            for p in sorted(d.public_plans, key=lambda p: (p.published_on, p.id), reverse=True)
        ]
        result_entries = [
            FeedEntry(
                f"entities/{r.result.entity}/",
                f"{r.entity_name}：{r.categories_text}",
                r.result.published_on,
                f"{d.depts[r.result.dept].name if r.result.dept in d.depts else r.result.dept}"
                f" {r.result.inspected_on.isoformat()} 检查，结果：{r.categories_text}",
                # One business, several departments (joint tasks): one id each, kept by corrections.
                key=f"result-{r.result.task_id}-{r.result.dept}",
            )
            for r in d.current[:FEED_LIMIT]  # the feed shows the newest FEED_LIMIT
        ]
        self.add(
            Page(
                "feeds/plans.xml",
                data=_const(
                    atom(
                        site.base_url,
                        "feeds/plans.xml",
                        f"{site.name}：年度抽查工作计划",
                        plan_entries,
                    )
                ),
            )
        )
        self.add(
            Page(
                "feeds/results.xml",
                data=_const(
                    atom(
                        site.base_url,
                        "feeds/results.xml",
                        f"{site.name}：抽查检查结果",
                        result_entries,
                    )
                ),
            )
        )
        self.add(Page("robots.txt", data=_const(robots(site.base_url))))
        pages = self.pages
        bulk = self.bulk_sitemap

        def make_sitemaps() -> dict[str, str]:
            urls = [
                (
                    p.path[: -len("index.html")] if p.path.endswith("index.html") else p.path,
                    p.lastmod,
                )
                for p in pages
                if p.sitemap
            ]
            # The business pages come in code order: the sort is nearly a linear merge.
            urls += bulk()
            urls.sort(key=_first)
            return sitemaps(site.base_url, urls)

        n_urls = sum(1 for p in pages if p.sitemap) + len(self.bulk.paths)
        from generator.site.feeds import SITEMAP_LIMIT

        files = ["sitemap.xml"]
        if n_urls > SITEMAP_LIMIT:
            files += [
                f"sitemaps/sitemap-{i}.xml" for i in range(1, -(-n_urls // SITEMAP_LIMIT) + 1)
            ]
        cache: dict[str, dict[str, str]] = {}

        def produce(name: str) -> Callable[[], str]:
            def run() -> str:
                if "all" not in cache:
                    cache["all"] = make_sitemaps()
                return cache["all"][name]

            return run

        for name in files:
            self.add(Page(name, data=produce(name)))


def _csv_from_lines(ds: Dataset, lines: Callable[[], tuple[list[str], list[str]]]) -> bytes:
    return ds.csv_from_lines(lines()[0])


def _json_from_lines(ds: Dataset, lines: Callable[[], tuple[list[str], list[str]]]) -> bytes:
    return ds.json_from_lines(lines()[1])


def _first(item: tuple[str, dt.date | None]) -> str:
    return item[0]


def _const(value: bytes | str) -> Callable[[], bytes | str]:
    return lambda: value


def _schema(ds: Dataset, base_url: str) -> Callable[[], bytes]:
    from generator.site.urls import absolute_url

    return lambda: ds.json_schema(absolute_url(base_url, f"data/schemas/{ds.name}.schema.json"))
