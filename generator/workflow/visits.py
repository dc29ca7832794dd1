"""Visits the ledger records, and what they take out of a new draw (docs/workflow.md §6).

Two rules use gongkai's own records when a task's draw is announced, so that nobody has to
trust a hand-kept 上次检查日期 alone and the same business is not visited again within a limit:

* **last visit** — the entity snapshot's ``last_inspected`` is the later of the library's
  上次检查日期 and the latest ``inspected_on`` of the current results (``result.publish`` /
  ``result.correct``) recorded for the business before the announcement; DRAW-V1's recency
  exclusion (docs/draw-v1.md §8) then applies unchanged;
* **抽查频次** — for each item of the announced task with a ``frequency`` ``f``: a business is
  left out of the pool when ``f`` other tasks of the same plan year, already drawn, have it in
  their drawn list (after replacements) and inspect that item (in a participating department's
  part of their published plan document). Another task of that year that shares such an item
  and is announced but not drawn yet makes the announcement wait (its list is not known).

Everything is read from the replayed ledger (entries, task records, the plan documents stored as
blobs) except the items' ``frequency``, which comes from the published 抽查事项清单.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from generator.content.model import InspectionItem, SpotCheckTask
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.payloads import PlanPublish


@dataclass(frozen=True)
class PoolRules:
    """What the ledger changes in a task's entity pool at its announcement."""

    #: entity id → latest ``inspected_on`` of its current results in the ledger.
    last_visit: Mapping[str, dt.date] = field(default_factory=dict)
    #: entity id → why it is left out (an item's 抽查频次 is reached this year).
    excluded: Mapping[str, str] = field(default_factory=dict)

    def last_inspected(self, entity: str, library: dt.date | None) -> dt.date | None:
        """The snapshot's ``last_inspected``: the later of the library's date and the ledger's."""
        recorded = self.last_visit.get(entity)
        if library is None or (recorded is not None and recorded > library):
            return recorded
        return library


def last_visits(repo: SiteRepo) -> dict[str, dt.date]:
    """Latest ``inspected_on`` per business among the current results of the ledger.

    A ``result.correct`` replaces the version it corrects (same task, department, business), so
    only the latest version of each result counts; the verifier reads it the same way
    (:meth:`ledger.tasks.TaskLedger.last_visits`).
    """
    return repo.state().tasks.last_visits()


def _plan_facts(repo: SiteRepo) -> tuple[dict[str, int], dict[str, dict[str, set[str]]]]:
    """Plan year and items by department of every published task, from the ledger's plans."""
    years: dict[str, int] = {}
    items: dict[str, dict[str, set[str]]] = {}
    for entry in repo.state().entries:
        body = entry.payload
        if not isinstance(body, PlanPublish):
            continue
        document = canonical.loads(repo.store.get_blob(body.document.sha256))
        for task in document.get("tasks", ()):
            years[task["id"]] = body.year
            items[task["id"]] = {p["dept"]: set(p["items"]) for p in task.get("parts", ())}
    return years, items


def pool_rules(
    repo: SiteRepo,
    task: SpotCheckTask,
    departments: list[str],
    items: Mapping[str, InspectionItem],
) -> PoolRules:
    """The ledger's effect on ``task``'s pool if it is announced now.

    Args:
        repo: the site (its ledger is read as replayed).
        task: the task to announce.
        departments: its participating departments (lead and accepting partners).
        items: the checklist by id (for each item's ``frequency``).

    Raises:
        WorkflowError: if another task of the same year that shares a frequency-limited item is
            announced but not drawn yet.
    """
    limited = {
        i: items[i].frequency
        for p in task.parts
        if p.dept in departments
        for i in p.items
        if i in items and items[i].frequency is not None
    }
    last = last_visits(repo)
    if not limited:
        return PoolRules(last_visit=last)
    years, plan_items = _plan_facts(repo)
    year = years.get(task.id)
    counts: dict[tuple[str, str], int] = defaultdict(int)  # (entity, item) → other tasks
    for other, record in sorted(repo.state().tasks.tasks.items()):
        if other == task.id or years.get(other) != year or record.announce is None:
            continue
        inspected = set().union(
            *(plan_items.get(other, {}).get(d, set()) for d in record.participants)
        )
        shared = sorted(inspected & set(limited))
        if not shared:
            continue
        if record.result is None:
            raise WorkflowError(
                f"任务“{other}”已公告抽取但尚未抽取，与本任务“{task.id}”同属 {year} 年度计划，"
                f"都检查有抽查频次限制的事项 {'、'.join(shared)}：请在其抽取完成后再公告本任务"
                "（docs/workflow.md §6）"
            )
        for entity in record.drawn:
            for item_id in shared:
                counts[(entity, item_id)] += 1
    excluded: dict[str, str] = {}
    for (entity, item_id), n in sorted(counts.items()):
        limit = limited[item_id]
        assert limit is not None
        if n >= limit and entity not in excluded:
            excluded[entity] = f"事项 {item_id} 本年度已抽中 {n} 次（抽查频次上限 {limit} 次）"
    return PoolRules(last_visit=last, excluded=excluded)
