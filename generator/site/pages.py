"""The page list: every output file of the site, with its template, context and dependency key.

A :class:`Page` is either rendered from a template or produced by a ``data`` callable (CSV,
JSON, XML). Its ``key`` is a hash of exactly the inputs the output depends on; an incremental
build skips a page whose key is unchanged (``docs/site.md`` lists the keys). ``key=None`` means
"depends on everything": the page is always produced and rewritten only if its bytes changed.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from generator.content.model import (
    CreditRisk,
    EntityType,
    MarketEntity,
    RegStatus,
    SpotCheckTask,
)
from generator.content.results import InspectionResult, ResultCategory
from generator.site import followups
from generator.site.bizsearch import BLOCK, GROUPS, BizIndex, entity_filters
from generator.site.charts import bar_chart
from generator.site.checklists import checklist_pages
from generator.site.data import ResultRow, SiteData, division_name, ratio_text
from generator.site.datapages import DataPages
from generator.site.datasets import DATASETS, ENTITY_FIELDS, datasets, entity_record
from generator.site.opendata import Dataset
from generator.site.page import BulkPages, Page, digest, html_page
from generator.site.pagetypes import PageType, page_types, pages_of
from generator.site.templates_dir import default_templates
from generator.site.urls import PAGE_SIZE, paged
from generator.site.vocabularies import vocabulary_page
from generator.workflow.metrics import inspections_by_year, joint_visits


class PageSet(DataPages):
    """Builds the page list of one site from its :class:`SiteData`."""

    def __init__(
        self,
        d: SiteData,
        shared_key: str,
        *,
        search: bool,
        content_key: str | None = None,
        memo: dict[str, Any] | None = None,
        lines: dict[str, tuple[str, str]] | None = None,
        types: Sequence[PageType] | None = None,
    ) -> None:
        """Args:
        d: the site data.
        shared_key: the hash of what every page depends on (templates, code, config …).
        search: whether the search index is built.
        content_key: a hash of the whole content directory, when known (cached builds). Pages
            that depend on content only are then keyed by it, and their keys are memoized.
        memo: memoized content-only keys (from the previous build with the same content and
            shared key); filled in by this build.
        lines: the open-data texts of result rows by row key (from the previous build with the
            same shared key).
        types: the plugged-in page types (default: those of :mod:`generator.site.pagetypes`).
        """
        self.d = d
        self.shared = shared_key
        self.search = search
        self.content_key = content_key
        self.memo: dict[str, Any] = memo if memo is not None and content_key else {}
        self.pages: list[Page] = []
        #: The per-business pages, kept out of :attr:`pages` (see :class:`BulkPages`).
        self.bulk = BulkPages([], [], lambda i: Page(""))
        #: Sitemap entries of the bulk pages: (site path, lastmod), in code order.
        #: (Made when the sitemap is produced: not held by the render processes.)
        self.bulk_sitemap: Callable[[], list[tuple[str, dt.date | None]]] = list
        #: Open-data texts of result rows by row key (a cache between builds).
        self.lines: dict[str, tuple[str, str]] = lines if lines is not None else {}
        #: Data files to produce in the build process, before rendering forks (they fill
        #: :attr:`lines`, which the build saves).
        self.eager: set[str] = set()
        self._rk: dict[int, tuple[object, ...]] = {}
        self._row: dict[int, str] = {}
        self._entity_base: dict[str, str] = {}
        self.page_types = tuple(types) if types is not None else page_types()

    def release(self) -> None:
        """Drop the memos of record and row keys once the page list is complete and the eager
        data files are produced (the render processes need none of them)."""
        self._rk.clear()
        self._row.clear()
        self._entity_base.clear()

    def content_only(self, name: str, compute: Callable[[], str]) -> str:
        """The key of a content-only input ``name``: memoized when the content key is known."""
        if not self.content_key:
            return compute()
        key = self.memo.get(name)
        if not isinstance(key, str):
            key = self.memo[name] = compute()
        return key

    def rk(self, record: object) -> tuple[object, ...]:
        """:func:`record_key` of ``record``, memoized for this build (records are shared by
        many pages: an entity is on its page, a list page, a pool and a dataset)."""
        key = self._rk.get(id(record))
        if key is None:
            key = self._rk[id(record)] = record_key(record)
        return key

    def entity_base(self, e: MarketEntity) -> str:
        """The key of an entity record (with the shared key): what its page depends on besides
        its results; memoized with the content."""
        key = self._entity_base.get(e.id)
        if key is None:
            key = self._entity_base[e.id] = digest(self.shared, self.rk(e))
        return key

    def row_key(self, r: ResultRow) -> str:
        """The key of a result row: the result, its entity record and its deadline (a short
        hash, computed once per build: a row is on its entity's page and in several lists)."""
        key = self._row.get(id(r))
        if key is None:
            ent = self.entity_base(r.entity) if r.entity is not None else None
            key = self._row[id(r)] = digest(result_key(r.result), ent, r.deadline)
        return key

    def row_keys(self, rows: Sequence[Any]) -> list[object]:
        """Dependency keys of list rows (results or entities)."""
        out: list[object] = []
        for r in rows:
            if isinstance(r, ResultRow):
                out.append(self.row_key(r))
            elif isinstance(r, MarketEntity):
                out.append(self.rk(r))
            else:
                out.append(r)
        return out

    def dataset_key(self, name: str) -> object:
        """The inputs of a dataset."""
        d = self.d
        if name == "entities":
            return [self.rk(e) for e in d.content.entities]
        if name == "results":
            return [self.row_key(r) for r in d.rows]
        if name == "items":
            return d.content.items
        if name == "figures":
            return (d.as_of, [(k, r) for k, _, r, _, _ in d.figures.rows()])
        if name in ("cases", "notices"):
            return followups.dataset_key(d)
        return (d.public_plans, [(t.task.id, t.planned, len(t.pool)) for t in d.public_tasks])

    def add(self, page: Page) -> None:
        """Append a page (the writer refuses duplicates later)."""
        self.pages.append(page)

    def build(self) -> list[Page]:
        """Every page of the site, in a fixed order."""
        self._fixed()
        self._checklist()
        self._libraries()
        self._plans()
        self._entities()
        self._results()
        for page in pages_of(self.page_types, self.d):
            self.add(page)
        self._data()
        self._feeds_and_sitemap()
        return self.pages

    # ---- sections -------------------------------------------------------------------------

    def _fixed(self) -> None:
        d = self.d
        plans = d.plans
        self.add(
            html_page(
                "",
                "index.html",
                plans=plans[:5],
                latest=d.current[:10],
                figures=d.figures,
            )
        )
        self.add(Page("404.html", "404.html"))
        self.add(html_page("ledger/", "ledger.html"))
        self.add(html_page("search/", "search.html", pagefind=self.search))
        self.add(html_page("data/", "data.html", datasets=DATASETS))
        self.add(Page("static/style.css", data=lambda: _static("style.css")))
        self.add(Page("static/lookup.js", data=lambda: _static("lookup.js")))
        self.add(Page("static/search.js", data=lambda: _static("search.js")))
        # The icon: linked from every page; also at the root, where clients look without a link.
        for icon in ("static/favicon.svg", "static/favicon.ico", "favicon.ico"):
            self.add(Page(icon, data=functools.partial(_static, icon.rpartition("/")[2])))
        # The draw verifier; noble-bls12-381.js is the vendored BLS12-381 library it imports
        # (docs/draw-proof-page.md, “Vendored BLS12-381 library”); the check of inspectors'
        # signatures on business pages (docs/mobile.md §10).
        for js in ("ledger-v1.js", "draw-v1.js", "noble-bls12-381.js", "inspection-v1.js"):
            self.add(Page(f"static/verify/{js}", data=functools.partial(_static, f"verify/{js}")))

    def _checklist(self) -> None:
        for page in checklist_pages(self.d):
            self.add(page)

    def _libraries(self) -> None:
        d = self.d
        page = Page(
            "libraries/index.html",
            "libraries.html",
            key=self.content_key
            and digest(
                self.shared,
                self.content_key,
                "libraries",
                [
                    (k, v.version, v.index, v.sha256, v.proven_text, v.changes)
                    for k, versions in sorted(d.library_versions.items())
                    for v in versions
                ],
            ),
            sitemap=True,
            lazy=functools.partial(_libraries_ctx, d),
        )
        self.add(page)
        self.add(html_page("libraries/inspectors/", "inspectors.html"))
        for t in d.tasks:
            self.add(
                Page(
                    f"pools/{t.task.id}.csv",
                    key=self.content_only(
                        f"pool:{t.task.id}",
                        functools.partial(self._pool_key, t.task, t.pool),
                    ),
                    data=_pool_csv(t.pool),
                )
            )
        # The plain entity list (the no-JavaScript way to find a business).
        ents = d.content.entities
        ordered = [ents[i] for i in d.derived["order"]]
        self._paged("entities/", ordered, "entities.html", title="检查对象名录")

    def _pool_key(self, task: SpotCheckTask, pool: Sequence[MarketEntity]) -> str:
        return digest(task, [self.rk(e) for e in pool])

    def _plans(self) -> None:
        d = self.d
        self.add(html_page("plans/", "plans.html", plans=d.plans))
        for plan in d.plans:
            infos = [t for t in d.tasks if t.plan is plan]
            self.add(html_page(f"plans/{plan.id}/", "plan.html", plan=plan, infos=infos))
        groups = d.group("task")
        for t in d.tasks:
            rows = [r for r in groups.get(t.task.id, []) if not r.superseded]
            per_dept = Counter(r.result.dept for r in rows)
            facts = d.task_facts.get(t.task.id)
            events = _timeline(t.plan.published_on, t.task)
            for day, label, index, dept in facts.events if facts else ():
                name = d.depts[dept].name if dept in d.depts else dept
                events.append((day, label.replace("{dept}", name), index))
            timeline = sorted(events, key=lambda x: (x[0], x[2]))
            self.add(
                html_page(
                    f"tasks/{t.task.id}/",
                    "task.html",
                    info=t,
                    timeline=timeline,
                    facts=facts,
                    inspector_names={i.id: i.name for i in d.content.inspectors},
                    per_dept=per_dept,
                    result_count=len(rows),
                    ratio_text=ratio_text,
                )
            )
            proof = d.draw_proofs.get(t.task.id)
            if proof is None:
                self.add(html_page(f"tasks/{t.task.id}/draw/", "draw.html", info=t))
            else:
                # Imported when needed: the ledger code costs a republish ~0.07 s to import.
                from generator.site.drawproof import draw_proof_page, proof_json_bytes

                names = {k: v.name for k, v in d.depts.items()}
                # Its context is the proof and the department names (the draw's page is large:
                # ~10^4 drawn rows; a republish renders it only when the proof changed).
                self.add(
                    html_page(
                        f"tasks/{t.task.id}/draw/",
                        "draw_proof.html",
                        digest(self.shared, "draw_proof.html", proof, names),
                        info=t,
                        **draw_proof_page(proof, names),
                    )
                )
                self.add(
                    Page(
                        f"tasks/{t.task.id}/draw/proof.json",
                        data=functools.partial(proof_json_bytes, proof),
                    )
                )
        # A preview shows unpublished plans, but never offers them to crawlers (docs/site.md §8).
        hidden = tuple(f"plans/{p}/" for p in d.unpublished)
        hidden += tuple(f"tasks/{t.task.id}/" for t in d.tasks if t.plan.id in d.unpublished)
        for page in self.pages:
            if hidden and page.path.startswith(hidden):
                page.sitemap = False

    def _entities(self) -> None:
        d = self.d
        ents = d.content.entities
        # One page per business: the keys of the records are memoized with the content (a
        # republish with new results then hashes only the businesses that have results).
        bases = self.memo.get("entities")
        if not isinstance(bases, list) or len(bases) != len(ents):
            bases = [self.entity_base(e) for e in ents]
            if self.content_key:
                self.memo["entities"] = bases
        paths = [f"entities/{e.id}/index.html" for e in ents]
        keys = list(bases)
        lastmod: dict[int, dt.date] = {}
        by_entity = d.by_entity
        stories = followups.stories(d)
        for i, e in enumerate(ents):
            rows = by_entity.get(e.id)
            if rows:
                self._entity_base[e.id] = bases[i]  # (the rows' keys include it)
                story = followups.story_key(stories.get(e.id))
                keys[i] = digest(bases[i], [self.row_key(r) for r in rows], *story)
                lastmod[i] = max(r.result.published_on for r in rows)
        empty: list[ResultRow] = []

        def make(i: int) -> Page:
            e = ents[i]
            return Page(
                paths[i],
                "entity.html",
                key=keys[i],
                sitemap=True,
                lastmod=lastmod.get(i),
                lazy=functools.partial(
                    _entity_ctx, e, by_entity.get(e.id, empty), stories.get(e.id)
                ),
            )

        self.bulk = BulkPages(paths, keys, make)
        self.bulk_sitemap = functools.partial(_bulk_sitemap, paths, lastmod, d.derived["order"])
        # Credit-code lookup index, sharded by the last two characters of the code.
        for shard, members in sorted(d.derived["shards"].items()):
            produce = functools.partial(_shard_json, ents, members)
            key = self.content_only(f"codes:{shard}", functools.partial(_digest_of, produce))
            self.add(Page(f"search/codes/{shard}.json", key=key, data=produce))
        self._business_index(bases)

    def _business_index(self, bases: list[str]) -> None:
        """The businesses' search index ``search/biz/`` (:mod:`generator.site.bizsearch`).

        Keys: the posting shards and the 行政区划/行业 files depend on the entity records only;
        a document file on its block's records and their results' filter values; the
        检查结果/年度 files and ``meta.json`` on every business's filter values. (A republish
        after one new result thus rewrites one document file and a few small files.)"""
        d = self.d
        ents = d.content.entities
        order: list[int] = d.derived["order"]
        index = BizIndex([ents[i] for i in order], d.by_entity)
        ents_key = self.content_only(
            "bizsearch", lambda: digest(self.shared, [bases[i] for i in order])
        )
        by_entity = d.by_entity
        with_rows = {
            k: tuple(map(tuple, entity_filters(ents[i], by_entity[ents[i].id]).values()))
            for k, i in enumerate(order)
            if ents[i].id in by_entity
        }
        rows_key = digest(sorted(with_rows.items()))
        # The records' part of the document files' keys, memoized with the content.
        blocks = self.memo.get("bizsearch:blocks")
        if not isinstance(blocks, list) or len(blocks) != index.blocks():
            blocks = [
                digest(self.shared, [bases[i] for i in order[k * BLOCK : (k + 1) * BLOCK]])
                for k in range(index.blocks())
            ]
            if self.content_key:
                self.memo["bizsearch:blocks"] = blocks
        block_rows: dict[int, list[tuple[int, object]]] = {}
        for i, values in with_rows.items():
            block_rows.setdefault(i // BLOCK, []).append((i, values))
        base = "search/biz/"
        static = {f"f/{GROUPS.index(g)}.json" for g in ("行政区划", "行业")}  # entity fields only
        for path in index.files():
            kind = path.partition("/")[0]
            if kind == "d":
                k = int(path[2:-5])
                key = digest(blocks[k], path, block_rows.get(k, []))
            elif kind == "p" or path in static:
                key = digest(ents_key, path)
            else:
                key = digest(ents_key, rows_key, path)
            if kind != "d":
                self.eager.add(base + path)  # produced once, in the build process
            self.add(Page(base + path, key=key, data=functools.partial(index.produce, path)))

    def _results(self) -> None:
        d = self.d
        self._archived("results/", d.rows, title="抽查检查结果", kind="all")
        groups: list[tuple[str, str, str, Callable[[str], str]]] = [
            (
                "dept",
                "按检查实施机关",
                "results/dept/",
                lambda k: d.depts[k].name if k in d.depts else k,
            ),
            ("industry", "按行业", "results/industry/", lambda k: k),
            ("year", "按年度", "results/year/", lambda k: f"{k}年"),
            ("category", "按检查结果", "results/category/", d.category_name),
            (
                "task",
                "按抽查任务",
                "results/task/",
                lambda k: d.task_by_id[k].task.name if k in d.task_by_id else k,
            ),
        ]
        index_links: list[tuple[str, str, str]] = []
        for key, title, prefix, name_of in groups:
            grouped = d.group(key)
            if key == "dept":
                keys = sorted(set(grouped) | set(d.depts))
            elif key == "task":
                keys = sorted(set(grouped) | set(d.task_by_id))
            else:
                keys = list(grouped)
            entries = []
            for k in keys:
                seg = d.industry_slug(k) if key == "industry" else k
                rows = grouped.get(k, [])
                self._archived(
                    f"{prefix}{seg}/",
                    rows,
                    title=f"抽查检查结果：{name_of(k)}",
                    kind=key,
                )
                entries.append(
                    (f"{prefix}{seg}/", name_of(k), sum(1 for r in rows if not r.superseded))
                )
            self.add(
                html_page(
                    prefix, "results_index.html", title=f"抽查检查结果{title}", entries=entries
                )
            )
            index_links.append((prefix, title, ""))
        self.add(vocabulary_page(d))  # the departments' own 检查结果 (docs/workflow.md §10)
        self._archived(
            "results/overdue/",
            d.overdue,
            title="逾期公示的抽查检查结果",
            kind="overdue",
            no_calendar=d.no_calendar,
            unpublished=list(d.figures.unpublished_overdue),
            as_of=d.as_of,
        )
        stats = {
            "category": [(d.category_label(c), n) for c, n in d.category_counts()],
            "dept": sorted(
                (
                    (d.depts[k].name if k in d.depts else k, sum(1 for r in v if not r.superseded))
                    for k, v in d.group("dept").items()
                ),
                key=lambda kv: (-kv[1], kv[0]),
            ),
            "year": [
                (f"{k}年", sum(1 for r in v if not r.superseded))
                for k, v in d.group("year").items()
            ],
            "industry": sorted(
                (
                    (k, sum(1 for r in v if not r.superseded))
                    for k, v in d.group("industry").items()
                ),
                key=lambda kv: (-kv[1], kv[0]),
            ),
        }
        titles = {
            "category": "按检查结果",
            "dept": "按检查实施机关",
            "year": "按年度",
            "industry": "按行业",
        }
        charts = {
            k: bar_chart(f"抽查检查结果{titles[k]}统计", v, f"chart-{k}") for k, v in stats.items()
        }
        self.add(
            html_page(
                "results/stats/",
                "stats.html",
                stats=stats,
                titles=titles,
                charts=charts,
                figures=d.figures,
            )
        )

    def _archived(self, prefix: str, rows: Sequence[ResultRow], **ctx: Any) -> None:
        """A results list (newest first) with stable archive pages.

        ``prefix`` shows the newest :data:`PAGE_SIZE` rows. ``prefix/page/<k>/`` holds the k-th
        block of :data:`PAGE_SIZE` rows in publication order (block 1 = the oldest), so a new
        result changes the newest page and at most one archive page, not every page (which a
        newest-first numbering would shift).
        """
        total = len(rows)
        full = total // PAGE_SIZE
        extra = [
            (k, self.row_keys(v) if isinstance(v, list) else v) for k, v in sorted(ctx.items())
        ]
        newest = list(rows[:PAGE_SIZE])
        recent = [(k, f"{prefix}page/{k}/") for k in range(full, max(0, full - 6), -1)]
        self.add(
            html_page(
                prefix,
                "results.html",
                digest(self.shared, prefix, total, full, self.row_keys(newest), extra),
                rows=newest,
                top=total,
                total=total,
                archive={"page": 0, "pages": full, "recent": recent, "oldest": f"{prefix}page/1/"},
                **ctx,
            )
        )
        chrono = list(reversed(rows))
        for k in range(1, full + 1):
            block = list(reversed(chrono[(k - 1) * PAGE_SIZE : k * PAGE_SIZE]))
            nav = {
                "page": k,
                "newer": f"{prefix}page/{k + 1}/" if k < full else prefix,
                "older": f"{prefix}page/{k - 1}/" if k > 1 else None,
                "oldest": f"{prefix}page/1/",
                "newest": prefix,
            }
            self.add(
                html_page(
                    f"{prefix}page/{k}/",
                    "results.html",
                    digest(self.shared, prefix, k, k == full, self.row_keys(block), extra),
                    rows=block,
                    top=k * PAGE_SIZE,
                    total=None,
                    archive=nav,
                    **ctx,
                )
            )

    def _paged(self, prefix: str, rows: Sequence[Any], template: str, **ctx: Any) -> None:
        """A paginated list of content records (their keys are content-only)."""
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        for n in range(1, pages + 1):
            chunk = rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]
            extra = [(k, v) for k, v in sorted(ctx.items())]
            key = self.content_only(
                f"list:{prefix}{n}",
                functools.partial(
                    self._list_key, template, prefix, n, pages, len(rows), chunk, extra
                ),
            )
            self.add(
                html_page(
                    paged(prefix, n),
                    template,
                    key,
                    rows=chunk,
                    start=(n - 1) * PAGE_SIZE,
                    total=len(rows),
                    pager=_pager(prefix, n, pages),
                    **ctx,
                )
            )

    def _list_key(
        self, template: str, prefix: str, n: int, pages: int, total: int, chunk: Any, extra: Any
    ) -> str:
        return digest(self.shared, template, prefix, n, pages, total, self.row_keys(chunk), extra)


# ---- helpers ---------------------------------------------------------------------------------


def _bulk_sitemap(
    paths: Sequence[str], lastmod: dict[int, dt.date], order: Sequence[int]
) -> list[tuple[str, dt.date | None]]:
    """Sitemap entries (site path, lastmod) of the business pages, in ``order``."""
    return [(paths[i][: -len("index.html")], lastmod.get(i)) for i in order]


def _static(name: str) -> bytes:
    return (default_templates() / "static" / name).read_bytes()


def _pager(prefix: str, n: int, pages: int) -> dict[str, Any]:
    near = [p for p in range(max(1, n - 3), min(pages, n + 3) + 1)]
    return {
        "current": n,
        "pages": pages,
        "prev": paged(prefix, n - 1) if n > 1 else None,
        "next": paged(prefix, n + 1) if n < pages else None,
        "first": paged(prefix, 1),
        "last": paged(prefix, pages),
        "near": [(p, paged(prefix, p)) for p in near],
    }


def _timeline(published: dt.date, task: Any) -> list[tuple[dt.date, str, int]]:
    events = [(published, "年度抽查工作计划印发", -5)]
    if task.invitation_opens:
        events.append((task.invitation_opens, "联合抽查邀约期限开始", -4))
    if task.invitation_closes:
        events.append((task.invitation_closes, "邀约截止", -3))
    events.append((task.period_start, "抽查实施开始", -2))
    events.append((task.period_end, "抽查实施结束", -1))
    return events


def _digest_of(produce: Callable[[], str]) -> str:
    return digest(produce())


def _shard_json(ents: Sequence[MarketEntity], members: Sequence[int]) -> str:
    codes = {e.id: e.name for e in sorted((ents[i] for i in members), key=lambda e: e.id)}
    return json.dumps(codes, ensure_ascii=False, separators=(",", ":")) + "\n"


def _libraries_ctx(d: SiteData) -> dict[str, Any]:
    ents = d.content.entities
    industries = Counter(i for e in ents for i in e.industries)
    divisions = Counter(e.division for e in ents)
    risks = Counter(e.risk for e in ents)
    types = Counter(e.entity_type for e in ents)
    statuses = Counter(e.status for e in ents)
    tables: dict[str, list[tuple[str, int]]] = {
        "industry": sorted(industries.items(), key=lambda kv: (-kv[1], kv[0])),
        "division": [(division_name(k), v) for k, v in sorted(divisions.items())],
        "risk": [(f"{r.value}类（{r.label}）", risks[r]) for r in CreditRisk],
        "type": [(t.value, types[t]) for t in EntityType if types[t]],
        "status": [(s.value, statuses[s]) for s in RegStatus if statuses[s]],
    }
    titles = {
        "industry": "按行业",
        "division": "按行政区划",
        "risk": "按信用风险分类",
        "type": "按主体类型",
        "status": "按登记状态",
    }
    charts = {k: bar_chart(f"检查对象{titles[k]}统计", v, f"chart-{k}") for k, v in tables.items()}
    inspectors = Counter((i.dept, i.status.value) for i in d.content.inspectors)
    return {
        "tables": tables,
        "titles": titles,
        "charts": charts,
        "inspector_counts": sorted(inspectors.items()),
    }


def _entity_ctx(
    e: MarketEntity, rows: Sequence[ResultRow], story: followups.EntityStory | None = None
) -> dict[str, Any]:
    years = inspections_by_year(r.result for r in rows)
    return {
        "entity": e,
        "rows": rows,
        "visits": joint_visits(r.result for r in rows),
        "story": story or followups.EntityStory(),
        "years": list(years.items()),
        "division": division_name(e.division),
    }


def record_key(record: object) -> tuple[object, ...]:
    """A cheap, stable stand-in for ``repr(record)`` of a flat dataclass: its field values, with
    enum members replaced by their values (``repr`` of an enum member is slow)."""
    if type(record) is MarketEntity:  # the hot case: 10^5 records; every field, in order
        e = record
        return (
            e.id,
            e.name,
            e.entity_type.value,
            e.division,
            e.industries,
            e.status.value,
            e.risk.value,
            e.last_inspected,
            e.address,
            e.legacy_code,
        )
    return tuple(_flat(v) for v in record.__dict__.values())  # every field


def result_key(r: InspectionResult) -> tuple[object, ...]:
    """:func:`record_key` of an inspection result (every field, in order), without the generic
    walk over fields: a republish keys every published result."""
    f = r.followup
    # ``_value_`` is ``.value`` without the descriptor (slow on Python 3.11).
    return (
        r.task_id,
        r.dept,
        r.entity,
        r.items,
        tuple(m._value_ for m in r.methods),
        tuple(c._value_ for c in r.categories),
        r.detail,
        r.inspectors,
        r.inspected_on,
        r.completed_on,
        r.published_on,
        (f.measure._value_, f.state._value_, f.note, f.closed_on, f.deadline, f.recheck),
        r.ledger_index,
        r.superseded_by,
        r.proven_public,
        r.proven_tsa,
        r.signed_by,
        r.compromised,
    )


def _flat(value: object) -> object:
    """``value`` with enum members replaced by their values and nested dataclasses flattened."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return tuple(_flat(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return record_key(value)
    return value


def _pool_csv(pool: Sequence[MarketEntity]) -> Callable[[], bytes]:
    ds = Dataset(
        "pool",
        "抽查对象库快照",
        "",
        ENTITY_FIELDS[:6],
        lambda: map(entity_record, pool),
    )
    return ds.to_csv


__all__ = ["DATASETS", "Page", "PageSet", "ResultCategory", "datasets", "digest"]
