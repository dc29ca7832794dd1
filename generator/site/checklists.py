"""The 抽查事项清单 pages: the list by department, by industry and object, and one page per item.

With a ledger (``SiteData.checklists`` not None), the list shows for each department the latest
version its ``checklist.publish`` entries prove, with every earlier version and what changed
(docs/site.md §8.1); a department that published none is named as such and its items have no
page. The build has already required ``content/checklist.yaml`` to equal each latest version
(``LedgerRecord.check_content``), so an item page rendered from the content shows what the
ledger recorded. Without a ledger (library use) every item of the content is listed as before.
"""

from __future__ import annotations

from generator.content.model import InspectionItem
from generator.site.data import SiteData
from generator.site.page import Page, html_page
from generator.workflow.changes import ratio_words
from ledger.payloads import ChecklistItem

__all__ = ["checklist_pages", "limits_text"]


def _shown_items(d: SiteData) -> list[InspectionItem]:
    """The items the checklist pages list: the published ones (all without a ledger)."""
    return [i for i in d.content.items if i.id in d.item_pages]


def checklist_pages(d: SiteData) -> list[Page]:
    """``checklist/``, ``checklist/by-industry/`` and ``checklist/<item>/`` for ``d``."""
    items = _shown_items(d)
    by_dept = {dep: [i for i in items if i.dept == dep] for dep in d.depts}
    unpublished: list[str] = []
    limits: dict[str, str] = {}
    if d.checklists is not None:
        with_items = {i.dept for i in d.content.items}
        unpublished = [dep for dep in d.depts if dep in with_items and dep not in d.checklists]
        limits = {i.item_id: limits_text(i) for c in d.checklists.values() for i in c.items}
    pages = [
        html_page(
            "checklist/",
            "checklist.html",
            items_by_dept=by_dept,
            published=d.checklists,
            unpublished=unpublished,
            limits=limits,
        )
    ]
    by_industry: dict[str, list[str]] = {}
    for t in sorted(d.tasks, key=lambda t: (t.task.industry, t.task.id)):
        ids = by_industry.setdefault(t.task.industry, [])
        for part in t.task.parts:
            ids.extend(i for i in part.items if i not in ids and i in d.item_pages)
    used = {i for ids in by_industry.values() for i in ids}
    by_object: dict[str, list[str]] = {}
    for item in items:
        for ot in item.object_types:
            by_object.setdefault(ot, []).append(item.id)
    pages.append(
        html_page(
            "checklist/by-industry/",
            "checklist_industry.html",
            by_industry=sorted(by_industry.items()),
            by_object=sorted(by_object.items()),
            unused=[i.id for i in items if i.id not in used],
        )
    )
    for item in items:
        tasks = [t for t in d.tasks if any(item.id in p.items for p in t.task.parts)]
        pages.append(html_page(f"checklist/{item.id}/", "item.html", item=item, tasks=tasks))
    return pages


def limits_text(item: ChecklistItem) -> str:
    """The recorded ratio limits and 抽查频次 of ``item`` in words (``—`` when it has none)."""
    parts = []
    if item.ratio_cap is not None:
        parts.append(f"比例上限 {ratio_words(item.ratio_cap)}")
    if item.min_ratio is not None:
        parts.append(f"比例下限 {ratio_words(item.min_ratio)}")
    if item.frequency is not None:
        parts.append(f"同一检查对象每年最多抽中 {item.frequency} 次")
    return "；".join(parts) or "—"
