"""A department's 抽查事项清单 as ``checklist.publish`` records it, and the check that
``content/checklist.yaml`` is still what the ledger published (docs/workflow.md §8).

The entry lists every item with the fields a draw relies on (:func:`checklist_items`); its blob
is the department's items with every field of ``content/checklist.yaml``
(:func:`checklist_document`). The ledger is the truth the site shows: a department whose items
in ``content/`` differ from its latest published version stops ``gongkai check`` and ``gongkai
build`` (:func:`published_checklists`) until the change is published or undone.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from generator.content.errors import Location, Problems
from generator.content.model import InspectionItem
from generator.workflow.actions import jsonable
from ledger import canonical
from ledger.payloads import ChecklistItem

__all__ = [
    "CHECKLIST_FILE",
    "checklist_document",
    "checklist_items",
    "checklist_sha256",
    "published_checklists",
]

#: The content file of the 抽查事项清单, as the messages name it.
CHECKLIST_FILE = "content/checklist.yaml"


def _ratio(value: Any) -> str | None:
    return None if value is None else format(value, "f")


def checklist_items(items: Iterable[InspectionItem]) -> tuple[ChecklistItem, ...]:
    """The ``checklist.publish`` items of ``items`` (sorted by id)."""
    return tuple(
        ChecklistItem(
            item_id=i.id,
            name=i.name,
            item_class=i.item_class.value,
            ratio_cap=_ratio(i.ratio_cap),
            min_ratio=_ratio(i.min_ratio),
            legal_basis=tuple(i.legal_basis),
            frequency=i.frequency,
        )
        for i in sorted(items, key=lambda i: i.id)
    )


def checklist_document(items: Iterable[InspectionItem]) -> bytes:
    """The department's full checklist (every field) as canonical JSON: the entry's blob."""
    return canonical.dumps(
        {"items": [jsonable(dataclasses.asdict(i)) for i in sorted(items, key=lambda i: i.id)]}
    )


def checklist_sha256(items: Iterable[InspectionItem]) -> str:
    """SHA-256 (hex) of :func:`checklist_document` (the blob's name)."""
    return hashlib.sha256(checklist_document(items)).hexdigest()


def published_checklists(
    items: Iterable[InspectionItem], recorded: Mapping[str, tuple[int, str]]
) -> frozenset[str]:
    """The departments whose checklist in ``content/`` is their latest published version.

    ``recorded`` maps a department to ``(version, SHA-256 of the recorded document)`` of its
    latest ``checklist.publish``. A department not in it has published no checklist: its items
    are not shown as published and are not checked here.

    Raises:
        ContentError: naming ``content/checklist.yaml`` and each department whose items differ
            from the latest published version (or that has none left in ``content/``).
    """
    by_dept: dict[str, list[InspectionItem]] = {}
    for item in items:
        by_dept.setdefault(item.dept, []).append(item)
    problems = Problems()
    for dept, (version, digest) in sorted(recorded.items()):
        if checklist_sha256(by_dept.get(dept, [])) != digest:
            problems.error(
                Location(CHECKLIST_FILE, 0, dept),
                f"部门“{dept}”的抽查事项与账本最新发布的抽查事项清单（checklist.publish 第 "
                f"{version} 版，SHA-256 {digest[:16]}…）不符；网站只公开账本记录的版本：请恢复"
                f"发布时的内容，或运行 gongkai checklist publish --dept {dept} 把修改发布为新版本",
            )
    problems.raise_if_errors()
    return frozenset(recorded)
