"""The two libraries (两库) recorded in the ledger, and the snapshots they determine
(docs/workflow.md §9).

``library.publish`` stores a whole library as a blob: a canonical JSON object
``{"library": "entities" | "inspectors", "records": [...]}`` with one record per business (every
登记状态) or per inspector (every 状态), sorted by ``id``. A task's entity snapshot is then a
function of the 检查对象名录库 version in force when the draw is announced, the task's filter in
the published plan document, the 抽查频次 exclusions and the visits the ledger records
(:func:`expected_snapshot`); its inspector snapshot a function of the 执法检查人员名录库 version
and the participating departments (:func:`expected_inspectors`).
:class:`ledger.draw.libraryaudit.LibraryAudit` recomputes both for every announcement, so a
business or an inspector left out of a snapshot — or added, or shown with other fields — is
reported. Leaving one out is then only possible by removing it from a published library
version, which the site lists publicly.

Standard library only (shipped in ``gongkai-verify.pyz``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger import canonical
from ledger.errors import VerificationError

#: The keys of one library record.
RECORD_KEYS = (
    "division",
    "entity_type",
    "id",
    "industries",
    "last_inspected",
    "name",
    "risk",
    "status",
)
#: The keys of one inspector record.
INSPECTOR_KEYS = ("dept", "id", "name", "status", "tags")
#: 登记状态 whose businesses may enter a pool (the others stay in the library, never drawn).
DRAWABLE_STATUSES = frozenset({"存续", "在业"})
#: The 状态 of an inspector who may be matched.
ACTIVE_STATUS = "在岗"
#: The libraries ``library.publish`` records (its ``library`` field).
LIBRARIES = ("entities", "inspectors")
_RISKS = frozenset("ABCD")
_MAX_TEXT = 500


@dataclass(frozen=True)
class LibraryRecord:
    """One business of a published library version."""

    id: str
    name: str
    entity_type: str
    division: str
    industries: tuple[str, ...]
    status: str
    risk: str
    last_inspected: str | None

    def as_json(self) -> dict[str, Any]:
        """The record as the library document holds it."""
        return {
            "division": self.division,
            "entity_type": self.entity_type,
            "id": self.id,
            "industries": list(self.industries),
            "last_inspected": self.last_inspected,
            "name": self.name,
            "risk": self.risk,
            "status": self.status,
        }


@dataclass(frozen=True)
class InspectorRecord:
    """One inspector of a published 执法检查人员名录库 version (``id``: the 执法证号)."""

    id: str
    name: str
    dept: str
    tags: tuple[str, ...]
    status: str

    def as_json(self) -> dict[str, Any]:
        """The record as the library document holds it."""
        return {
            "dept": self.dept,
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "tags": list(self.tags),
        }


def library_document(kind: str, records: Iterable[LibraryRecord | InspectorRecord]) -> bytes:
    """The canonical bytes of a version of library ``kind`` (``entities`` or ``inspectors``)
    holding ``records`` (of that kind, in any order: sorted here).

    Raises:
        ValueError: an unknown kind, a record of the other kind, or two records sharing an id.
    """
    wanted = {"entities": LibraryRecord, "inspectors": InspectorRecord}.get(kind)
    ordered = sorted(records, key=lambda r: r.id)
    if wanted is None or any(type(r) is not wanted for r in ordered):
        raise ValueError(f"名录库 {kind!r} 的记录类型不符")
    if any(a.id == b.id for a, b in itertools.pairwise(ordered)):
        raise ValueError("名录库中有重复的标识")
    return canonical.dumps({"library": kind, "records": [r.as_json() for r in ordered]})


def _text(value: object, what: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > _MAX_TEXT:
        raise VerificationError(f"{what} 应为不超过 {_MAX_TEXT} 个字符的非空文本")
    return value


def _sorted_texts(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or value != sorted(set(value)):
        raise VerificationError(f"{what} 应为按码位排序、不重复的文本列表")
    return tuple(_text(v, what) for v in value)


def _keys(value: object, keys: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or sorted(value) != list(keys):
        raise VerificationError(f"{what} 应恰有 {'、'.join(keys)} 这些键")
    return value


def _inspector(value: object, n: int) -> InspectorRecord:
    what = f"执法检查人员名录库第 {n + 1} 条记录"
    value = _keys(value, INSPECTOR_KEYS, what)
    return InspectorRecord(
        id=_text(value["id"], f"{what}.id"),
        name=_text(value["name"], f"{what}.name"),
        dept=_text(value["dept"], f"{what}.dept"),
        tags=_sorted_texts(value["tags"], f"{what}.tags"),
        status=_text(value["status"], f"{what}.status"),
    )


def _record(value: object, n: int) -> LibraryRecord:
    what = f"名录库第 {n + 1} 条记录"
    value = _keys(value, RECORD_KEYS, what)
    industries = _sorted_texts(value["industries"], f"{what}.industries")
    last = value["last_inspected"]
    if last is not None:
        try:
            dt.date.fromisoformat(_text(last, f"{what}.last_inspected"))
        except ValueError:
            raise VerificationError(f"{what}.last_inspected 应为 YYYY-MM-DD 日期或 null") from None
        if len(last) != 10:
            raise VerificationError(f"{what}.last_inspected 应为 YYYY-MM-DD 日期或 null")
    if value["risk"] not in _RISKS:
        raise VerificationError(f"{what}.risk 应为 A、B、C、D 之一")
    return LibraryRecord(
        id=_text(value["id"], f"{what}.id"),
        name=_text(value["name"], f"{what}.name"),
        entity_type=_text(value["entity_type"], f"{what}.entity_type"),
        division=_text(value["division"], f"{what}.division"),
        industries=industries,
        status=_text(value["status"], f"{what}.status"),
        risk=value["risk"],
        last_inspected=last,
    )


def parse_library(data: bytes, kind: str = "entities") -> dict[str, Any]:
    """Parse and check a library document of ``kind`` (``entities`` or ``inspectors``); return
    its records (:class:`LibraryRecord` or :class:`InspectorRecord`) by id, in id order.

    Raises:
        VerificationError: the bytes are not the canonical document of §9.1 (shape, kind,
            types, ids strictly increasing).
    """
    try:
        document = canonical.loads(data)
    except Exception as exc:  # any parse failure of a hostile blob is the ledger's fault
        raise VerificationError(f"名录库文件不是规范 JSON：{type(exc).__name__}") from None
    if not isinstance(document, dict) or sorted(document) != ["library", "records"]:
        raise VerificationError("名录库文件应为恰有 library、records 两个键的对象")
    if document["library"] != kind or not isinstance(document["records"], list):
        raise VerificationError(f"名录库文件的 library 应为 {kind}，records 应为列表")
    records: dict[str, Any] = {}
    previous = ""
    read = _inspector if kind == "inspectors" else _record
    for n, raw in enumerate(document["records"]):
        record = read(raw, n)
        if n and record.id <= previous:
            raise VerificationError(f"名录库第 {n + 1} 条记录的 id 未按码位严格递增（重复或乱序）")
        previous = record.id
        records[record.id] = record
    if canonical.dumps(document) != data:
        raise VerificationError("名录库文件不是规范 JSON（RFC 8785）")
    return records


def division_prefixes(divisions: Iterable[str]) -> tuple[str, ...]:
    """GB/T 2260 prefixes a task's 行政区划 cover: trailing ``00`` pairs stripped (620800 → 6208,
    the whole city; 620823 → 620823)."""
    out = []
    for code in divisions:
        prefix = code
        while prefix.endswith("00") and len(prefix) > 2:
            prefix = prefix[:-2]
        out.append(prefix)
    return tuple(out)


def filter_matches(
    pool: Mapping[str, Iterable[str]],
    *,
    status: str,
    industries: Iterable[str],
    division: str,
    entity_type: str,
) -> bool:
    """Whether a business passes a task's filter (``pool``: ``industries``, ``divisions``,
    ``entity_types``, each empty for “any”) and may be drawn (登记状态 存续 or 在业)."""
    if status not in DRAWABLE_STATUSES:
        return False
    wanted = set(pool.get("industries") or ())
    if wanted and not wanted & set(industries):
        return False
    divisions = tuple(pool.get("divisions") or ())
    if divisions and not division.startswith(division_prefixes(divisions)):
        return False
    types = tuple(pool.get("entity_types") or ())
    return not (types and entity_type not in types)


def parse_pool_filter(task: Mapping[str, Any]) -> dict[str, tuple[str, ...]] | None:
    """A plan document task's ``pool`` filter, or None if it has another shape."""
    pool = task.get("pool")
    if not isinstance(pool, dict):
        return None
    out: dict[str, tuple[str, ...]] = {}
    for key in ("industries", "divisions", "entity_types"):
        values = pool.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return None
        out[key] = tuple(values)
    return out


def expected_snapshot(
    library: Mapping[str, LibraryRecord],
    pool: Mapping[str, Iterable[str]],
    excluded: Iterable[str],
    visits: Mapping[str, dt.date],
) -> list[dict[str, Any]]:
    """The entity snapshot records a task's announcement must hold (docs/workflow.md §9.2), in
    id order: every library business the filter admits, except ``excluded`` (抽查频次), with
    ``last_inspected`` the later of the library's date and the ledger's last visit."""
    out = []
    skip = set(excluded)
    for record in library.values():
        if record.id in skip or not filter_matches(
            pool,
            status=record.status,
            industries=record.industries,
            division=record.division,
            entity_type=record.entity_type,
        ):
            continue
        visited = visits.get(record.id)
        last = record.last_inspected
        if visited is not None and (last is None or visited.isoformat() > last):
            last = visited.isoformat()
        out.append(
            {
                "id": record.id,
                "last_inspected": last,
                "name": record.name,
                "stratum": record.risk,
                "tags": list(record.industries),
            }
        )
    return out


def expected_inspectors(
    library: Mapping[str, InspectorRecord], departments: Iterable[str]
) -> list[dict[str, Any]]:
    """The inspector snapshot records a task's announcement must hold (docs/workflow.md §9.2),
    in id order: every inspector of the participating ``departments`` whose 状态 is 在岗."""
    depts = set(departments)
    return [
        {"active": True, "dept": r.dept, "id": r.id, "tags": list(r.tags)}
        for r in library.values()
        if r.dept in depts and r.status == ACTIVE_STATUS
    ]
