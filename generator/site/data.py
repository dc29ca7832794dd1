"""Phase 1 of the build: everything the pages need, derived once from content and results.

:class:`SiteData` indexes the content (departments, items, tasks, entities) and the published
results (by entity, department, industry, year, category, task), gets the "两个100%" figures
from :mod:`generator.workflow.metrics` (docs/domain.md §5, docs/workflow.md §4.2), and reads the
ledger's public files (checkpoint, trust anchors). No I/O besides reading ``draws/``; every
collection is in a fixed, sorted order so the output is deterministic.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.content.drawsize import draw_size
from generator.content.model import (
    AnnualPlan,
    Content,
    CreditRisk,
    Department,
    InspectionItem,
    MarketEntity,
    SpotCheckTask,
)
from generator.content.results import Category, DeptFinding, InspectionResult, ResultCategory
from generator.content.workdays import CalendarUnavailableError, publication_deadline
from generator.site.urls import code_shard, slug
from generator.workflow.metrics import Figures, Rate, compute_figures
from generator.workflow.published import (
    PublishedChecklist,
    PublishedVersion,
    PublishedVocabulary,
)

if TYPE_CHECKING:
    from ledger.verified import VerifiedLedger

__all__ = ["Rate", "SiteData"]

#: GB/T 2260 names of the divisions around the example county (docs/domain.md §8). Unknown codes
#: are shown as the bare code.
DIVISION_NAMES: dict[str, str] = {
    "620000": "甘肃省",
    "620800": "平凉市",
    "620802": "崆峒区",
    "620821": "泾川县",
    "620822": "灵台县",
    "620823": "崇信县",
    "620825": "庄浪县",
    "620826": "静宁县",
    "620881": "华亭市",
    "621000": "庆阳市",
    "620500": "天水市",
    "621100": "定西市",
}


def division_name(code: str) -> str:
    """``code`` with its name when known: ``崇信县（620823）``."""
    name = DIVISION_NAMES.get(code)
    return f"{name}（{code}）" if name else code


@dataclass(frozen=True)
class Checkpoint:
    """The ledger's current signed checkpoint (``draws/checkpoint``), as text and parsed."""

    text: str
    origin: str
    size: int
    root_b64: str

    @property
    def root_hex(self) -> str:
        """The tree root in hex."""
        return base64.b64decode(self.root_b64).hex()


def read_checkpoint(text: str) -> Checkpoint | None:
    """Parse the body of a C2SP checkpoint note (origin, size, base64 root); None if malformed.

    The signature lines are shown verbatim; they are verified by ``gongkai verify``, not here.
    """
    lines = text.split("\n")
    if len(lines) < 3 or not lines[1].isdigit() or lines[1] != str(int(lines[1])):
        return None
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        return None
    if len(root) != 32:
        return None
    return Checkpoint(text=text, origin=lines[0], size=int(lines[1]), root_b64=lines[2])


@dataclass(frozen=True)
class LedgerInfo:
    """The public ledger files the site shows (absent files give None)."""

    checkpoint: Checkpoint | None
    checkpoint_text: str | None
    trust_text: str | None


def read_ledger(draws_dir: Path | None) -> LedgerInfo:
    """Read ``checkpoint`` and ``trust.txt`` from ``draws_dir`` (either may be missing)."""

    def text(name: str) -> str | None:
        if draws_dir is None or not (draws_dir / name).is_file():
            return None
        return (draws_dir / name).read_text(encoding="utf-8")

    cp_text = text("checkpoint")
    cp = read_checkpoint(cp_text) if cp_text is not None else None
    return LedgerInfo(checkpoint=cp, checkpoint_text=cp_text, trust_text=text("trust.txt"))


@dataclass(frozen=True)
class LedgerRecord:
    """What the verified ledger proves besides results and task facts (``gongkai build``).

    ``plans``: plan id → SHA-256 of the document each ``plan.publish`` recorded; the build
    refuses content that differs (``generator.workflow.actions.published_plans``), and only
    these plans appear on the site, unless ``preview``, where the others are shown marked
    预览（未发布） and kept out of feeds, sitemap and open data (docs/site.md §8). None: the
    caller has no ledger to check against (library use; every plan is shown as before).
    ``as_of``: the China date of the ledger's last entry, the date of every figure.
    ``checklists``: each department's published 抽查事项清单 (docs/site.md §8.1); the build
    refuses content that differs from a latest version, and the checklist pages list only these
    departments' items. None: no ledger to check against (every item is shown as before).
    ``verified``: the audit of this build (:func:`ledger.verified.verify_ledger`), which the
    ledger page, the draw proof pages and the published ``ledger/`` are made from; None: the
    build audits ``draws/`` itself when it has a ``trust.txt``.
    """

    as_of: dt.date | None = None
    plans: Mapping[str, str] | None = None
    preview: bool = False
    #: Every published version of each plan, oldest first (docs/workflow.md §8).
    plan_history: Mapping[str, tuple[PublishedVersion, ...]] = field(default_factory=dict)
    checklists: Mapping[str, PublishedChecklist] | None = None
    #: Every version of each library the ledger records (docs/workflow.md §9), oldest first; the
    #: build refuses a library in ``content/`` that differs from its latest version.
    library: Mapping[str, tuple[PublishedVersion, ...]] = field(default_factory=dict)
    verified: VerifiedLedger | None = None
    #: Each department's own 检查结果 the ledger records, every version (docs/workflow.md §10);
    #: the build refuses a ``content/vocabulary.yaml`` whose list differs from a latest version.
    vocabularies: Mapping[str, PublishedVocabulary] = field(default_factory=dict)

    def check_content(self, content: Content, library: Mapping[str, str] | None = None) -> None:
        """Require ``content`` to be what the ledger published: every published plan, each
        department's checklist, each library and each department's own 检查结果 equal to its
        latest version (nothing is checked against a ``None`` record). ``library`` holds the
        SHA-256 of the content's library documents when the caller has them
        (``generator.site.cache.library_digests``).

        Raises:
            ContentError: naming the plan, the library, or ``content/checklist.yaml`` or
                ``content/vocabulary.yaml`` and the department.
        """
        from generator.workflow.actions import published_plans  # (only with a ledger)
        from generator.workflow.checklists import published_checklists
        from generator.workflow.library_ledger import check_published_library
        from generator.workflow.vocabularies import check_published_vocabularies

        if self.plans is not None:
            published_plans(content.plans, self.plans, {i.id: i for i in content.items})
        if self.checklists is not None:
            recorded = {d: (c.latest.version, c.latest.sha256) for d, c in self.checklists.items()}
            published_checklists(content.items, recorded)
        for kind, versions in self.library.items():
            latest = versions[-1]
            check_published_library(
                content,
                kind,
                (latest.version, latest.sha256, latest.dept),
                (library or {}).get(kind),
            )
        check_published_vocabularies(content, {d: v.latest for d, v in self.vocabularies.items()})


@dataclass(frozen=True)
class ResultRow:
    """A published result with what the lists need: the entity, the deadline and lateness.

    ``deadline`` is recomputed with :func:`publication_deadline`; it is None when the year's
    holiday arrangement is not available (``deadline_note`` says so; never a guess).
    """

    result: InspectionResult
    entity: MarketEntity | None
    entity_name: str
    deadline: dt.date | None
    deadline_note: str

    @property
    def overdue(self) -> bool:
        """Published after the 20-working-day deadline."""
        return self.deadline is not None and self.result.published_on > self.deadline

    @property
    def superseded(self) -> bool:
        """Replaced by a correction (shown as 已更正, not counted)."""
        return self.result.superseded_by is not None

    @property
    def year(self) -> int:
        """The year of the inspection."""
        return self.result.inspected_on.year

    @property
    def categories_text(self) -> str:
        """The result categories joined with 、."""
        return "、".join(c.value for c in self.result.categories)


def _tie_key(row: ResultRow) -> tuple[str, str, str, int]:
    r = row.result
    return (r.entity, r.task_id, r.dept, r.ledger_index)


def _published(row: ResultRow) -> dt.date:
    return row.result.published_on


@dataclass(frozen=True)
class TaskInfo:
    """A task with its plan, pool size and the planned number of entities."""

    task: SpotCheckTask
    plan: AnnualPlan
    pool: tuple[MarketEntity, ...]
    pool_by_risk: tuple[tuple[CreditRisk, int, int], ...]  # (risk, in pool, planned)
    planned: int


def planned_count(
    task: SpotCheckTask, pool: Sequence[MarketEntity]
) -> tuple[tuple[CreditRisk, int, int], ...]:
    """Per risk class: (class, entities in the pool, entities planned = min(n, ceil(n × ratio)))."""
    counts = Counter(e.risk for e in pool)
    out = []
    for risk in CreditRisk:
        n = counts.get(risk, 0)
        out.append((risk, n, min(n, math.ceil(n * task.ratio_for(risk)))))
    return tuple(out)


class SiteData:
    """Indexes over content and results, built once per build (phase 1)."""

    depts: dict[str, Department]
    items: dict[str, InspectionItem]
    entities: dict[str, MarketEntity]
    inspector_names: dict[str, str]
    tasks: list[TaskInfo]
    task_by_id: dict[str, TaskInfo]
    rows: list[ResultRow]
    current: list[ResultRow]
    by_entity: dict[str, list[ResultRow]]
    industries: list[str]
    #: Files published under ``ledger/`` by this build (set by the build before rendering).
    ledger_files: frozenset[str]
    #: Draw proof data by task id (generator.site.drawproof.load_draw_proofs).
    draw_proofs: dict[str, dict[str, Any]]
    #: Ledger events and drawn lists by task id (generator.workflow.timeline.task_facts).
    task_facts: Mapping[str, Any]
    #: China date of the ledger's last entry (set by the build when it has the ledger).
    ledger_as_of: dt.date | None

    def __init__(
        self,
        content: Content,
        results: Iterable[InspectionResult],
        ledger: LedgerInfo,
        derived: Mapping[str, Any] | None = None,
        deadlines: dict[int, tuple[int | None, str]] | None = None,
        record: LedgerRecord | None = None,
    ) -> None:
        """Args:
        content: the validated content.
        results: the published results.
        ledger: the ledger's public files.
        derived: :func:`derive` of this content, when cached (else computed here).
        deadlines: publication deadlines by completion day (ordinals), as computed by an
            earlier build with the same calendar (:attr:`deadlines`; the calendar is slow).
        record: what the ledger proves about plans and dates (:class:`LedgerRecord`).
        """
        self.content = content
        record = record or LedgerRecord()
        #: A preview build (every page marked 预览（未发布）).
        self.preview = record.preview
        published = record.plans
        #: Published versions of each plan (docs/workflow.md §8), shown on the plan page.
        self.plan_history = dict(record.plan_history)
        #: Ids of plans shown although the ledger does not record them (preview builds only).
        self.unpublished = frozenset(
            p.id for p in content.plans if published is not None and p.id not in published
        )
        #: The plans the site shows, newest year first.
        self.plans = sorted(
            (p for p in content.plans if self.preview or p.id not in self.unpublished),
            key=lambda p: (-p.year, p.id),
        )
        #: Deadline and note by completion day (ordinal), including those computed here.
        self.deadlines = dict(deadlines) if deadlines else {}
        self._deadline_dates: dict[int, tuple[dt.date | None, str]] = {}
        self._groups: dict[str, dict[str, list[ResultRow]]] = {}
        self.ledger = ledger
        self.draw_proofs = {}
        self.task_facts = {}
        self.ledger_as_of = record.as_of
        self.depts = {d.id: d for d in content.departments}
        self.items = {i.id: i for i in content.items}
        #: Published checklists by department; None without a ledger (docs/site.md §8.1).
        self.checklists = None if record.checklists is None else dict(record.checklists)
        #: Every version of each library the ledger records (docs/workflow.md §9).
        self.library_versions = dict(record.library)
        #: Each department's own 检查结果, every version (docs/workflow.md §10).
        self.vocabularies = dict(record.vocabularies)
        #: The items with a page: those of a department's latest published checklist (all
        #: items without a ledger).
        self.item_pages = frozenset(
            i.id for i in content.items if self.checklists is None or i.dept in self.checklists
        )
        self.entities = {e.id: e for e in content.entities}
        # 姓名 by 执法证号 (the inspector library publishes both, docs/site.md).
        self.inspector_names = {i.id: i.name for i in content.inspectors}
        self.tasks = []
        if derived is None:
            derived = derive(content)
        #: :func:`derive` of the content.
        self.derived = derived
        ents = content.entities
        pools = {t: tuple(ents[i] for i in idx) for t, idx in derived["pools"].items()}
        for plan in self.plans:
            for task in plan.tasks:
                pool = pools[task.id]
                by_risk = planned_count(task, pool)
                planned = draw_size(task, {r: n for r, n, _ in by_risk}).drawn
                self.tasks.append(TaskInfo(task, plan, pool, by_risk, planned))
        self.task_by_id = {t.task.id: t for t in self.tasks}
        self.rows = [self._row(r) for r in results]
        # Newest publication first; ties in a fixed order (entity, task, department, ledger
        # index). Two passes of a stable sort: no per-row key strings to build.
        self.rows.sort(key=_tie_key)
        self.rows.sort(key=_published, reverse=True)
        # Results not superseded by a correction: what counts and charts use.
        self.current = [r for r in self.rows if not r.superseded]
        self.by_entity = defaultdict(list)
        for row in self.rows:
            self.by_entity[row.result.entity].append(row)
        names = set(derived["industries"])
        names |= {t.task.industry for t in self.tasks}
        self.industries = sorted(names)
        self.ledger_files = frozenset()

    def _row(self, r: InspectionResult) -> ResultRow:
        entity = self.entities.get(r.entity)
        deadline, note = self._deadline(r.completed_on)
        return ResultRow(r, entity, entity.name if entity else r.entity, deadline, note)

    def _deadline(self, day: dt.date) -> tuple[dt.date | None, str]:
        got = self._deadline_dates.get(day.toordinal())
        if got is None:
            known = self.deadlines.get(day.toordinal())
            if known is None:
                deadline, note = _deadline(day)
                known = (deadline.toordinal() if deadline else None, note)
                self.deadlines[day.toordinal()] = known
            got = (dt.date.fromordinal(known[0]) if known[0] is not None else None, known[1])
            self._deadline_dates[day.toordinal()] = got
        return got

    # ---- views ---------------------------------------------------------------------------

    def group(self, key: str) -> dict[str, list[ResultRow]]:
        """All rows (newest first) grouped by ``dept``, ``industry``, ``year``, ``category``
        or ``task``; keys sorted. A row with several industries/categories is in each group.
        Computed once per key (callers must not modify the lists)."""
        done = self._groups.get(key)
        if done is not None:
            return done
        out: dict[str, list[ResultRow]] = defaultdict(list)
        for row in self.rows:
            for k in self._keys(row, key):
                out[k].append(row)
        done = self._groups[key] = {k: out[k] for k in sorted(out)}
        return done

    def _keys(self, row: ResultRow, key: str) -> list[str]:
        r = row.result
        if key == "dept":
            return [r.dept]
        if key == "year":
            return [str(row.year)]
        if key == "task":
            return [r.task_id]
        if key == "category":
            return sorted({c.code for c in r.categories})
        if key == "industry":
            return sorted(set(row.entity.industries)) if row.entity else []
        raise ValueError(key)

    @property
    def overdue(self) -> list[ResultRow]:
        """Results published after their deadline (corrections included, newest first)."""
        return [r for r in self.rows if r.overdue]

    @property
    def no_calendar(self) -> list[ResultRow]:
        """Results whose deadline cannot be computed (year without calendar data)."""
        return [r for r in self.rows if r.deadline is None]

    @property
    def public_plans(self) -> list[AnnualPlan]:
        """The shown plans the ledger records (feeds, sitemap and open data list only these)."""
        return [p for p in self.plans if p.id not in self.unpublished]

    @property
    def public_tasks(self) -> list[TaskInfo]:
        """The tasks of :attr:`public_plans`."""
        return [t for t in self.tasks if t.plan.id not in self.unpublished]

    @property
    def as_of(self) -> dt.date | None:
        """The date the figures are computed for: the China date of the ledger's last entry
        when the build has the ledger (:attr:`ledger_as_of`), else the latest date the results
        speak of. The site embeds no wall-clock time."""
        if self.ledger_as_of is not None:
            return self.ledger_as_of
        days = [e[0] for f in self.task_facts.values() for e in f.events]
        days += [r.result.published_on for r in self.rows]
        return max(days) if days else None

    @functools.cached_property
    def figures(self) -> Figures:
        """The figures of “两个100%”, 完结率 and inspection counts (docs/workflow.md §4.2), from
        the same function as ``gongkai metrics``. Read only after :attr:`task_facts` is set."""
        return compute_figures(
            self.content,
            self.task_facts,
            (r.result for r in self.current),
            self.as_of or dt.date.min,
            lambda day: self._deadline(day)[0],
        )

    def category_counts(self) -> list[tuple[Category, int]]:
        """Current results per category (zeros omitted): the form's categories in its order,
        then departments' own words (docs/workflow.md §10) by department and code."""
        counts = Counter(c for r in self.current for c in r.result.categories)
        own = sorted(
            (c for c in counts if isinstance(c, DeptFinding)),
            key=lambda c: (c.dept, int(c.code.rpartition("-")[2])),
        )
        return [(c, counts[c]) for c in ResultCategory if counts[c]] + [(c, counts[c]) for c in own]

    def category(self, code: str) -> Category:
        """The category with code ``code``: a form code, or ``<dept>-<n>`` of a department's
        own word that a result uses."""
        found = next((c for c in ResultCategory if c.code == code), None)
        if found is not None:
            return found
        return next(c for r in self.rows for c in r.result.categories if c.code == code)

    def category_name(self, code: str) -> str:
        """:meth:`category_label` of the category with code ``code``."""
        return self.category_label(self.category(code))

    def category_label(self, c: Category) -> str:
        """How a category is named on its page and in the statistics: the wording, and for a
        department's own word also the department (two may publish the same wording)."""
        if isinstance(c, DeptFinding):
            dept = self.depts[c.dept].name if c.dept in self.depts else c.dept
            return f"{c.value}（{dept}本部门用语）"
        return c.value

    def industry_slug(self, name: str) -> str:
        """The path segment of an industry."""
        return slug(name)


def _deadline(completed_on: dt.date) -> tuple[dt.date | None, str]:
    """The publication deadline of a completion date, or None and the reason
    (``publication_deadline`` is memoized: many results share a date)."""
    try:
        return publication_deadline(completed_on), ""
    except CalendarUnavailableError as exc:
        return None, f"{exc.day.year}年节假日安排未收录，无法计算公示期限"


def derive(content: Content) -> dict[str, Any]:
    """What the site derives from the content alone, in plain values (cached with the content
    by the build): ``pools`` (task id → positions of the pool's entities in
    ``content.entities``), ``industries`` (of the entities, sorted), ``shards`` (lookup shard →
    positions of its entities) and ``order`` (positions sorted by code)."""
    ents = content.entities
    pools = {
        task.id: [i for i, e in enumerate(ents) if task.pool.matches(e)]
        for plan in content.plans
        for task in plan.tasks
    }
    industries = sorted({i for e in ents for i in e.industries})
    shards: dict[str, list[int]] = {}
    for i, e in enumerate(ents):
        shards.setdefault(code_shard(e.id), []).append(i)
    order = sorted(range(len(ents)), key=lambda i: ents[i].id)
    return {"pools": pools, "industries": industries, "shards": shards, "order": order}


def ratio_text(ratio: Decimal) -> str:
    """A ratio as a percentage without trailing zeros: ``Decimal('0.05')`` → ``5%``."""
    pct = (ratio * 100).normalize()
    text = format(pct, "f")
    return f"{text}%"
