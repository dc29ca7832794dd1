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

import contextlib
import datetime as dt
import gc
import itertools
import operator
from collections.abc import Iterable, Iterator, Mapping
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
    if not isinstance(value, list):
        raise VerificationError(f"{what} 应为按码位排序、不重复的文本列表")
    texts = tuple(_text(v, what) for v in value)  # first: sorting other values may raise
    if value != sorted(set(texts)):
        raise VerificationError(f"{what} 应为按码位排序、不重复的文本列表")
    return texts


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
    if not isinstance(value["risk"], str) or value["risk"] not in _RISKS:
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

    A 检查对象名录库 is checked column by column first (:func:`_entity_records`: each distinct
    value once); any record that fails is then found record by record, which names it.

    Raises:
        VerificationError: the bytes are not the canonical document of §9.1 (shape, kind,
            types, ids strictly increasing).
    """
    with _collector_paused():
        return _parse_library(data, kind)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: reading a library of 10^5 records makes millions
    of objects, none in a cycle, and collections triggered meanwhile walk them all (about a
    third of the time at 100,000 businesses); garbage is still freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_library(data: bytes, kind: str) -> dict[str, Any]:
    try:
        # Canonical: canonical.loads accepts exactly the texts canonical.dumps writes.
        document = canonical.loads(data)
    except Exception as exc:  # any parse failure of a hostile blob is the ledger's fault
        raise VerificationError(f"名录库文件不是规范 JSON：{type(exc).__name__}") from None
    if not isinstance(document, dict) or sorted(document) != ["library", "records"]:
        raise VerificationError("名录库文件应为恰有 library、records 两个键的对象")
    if document["library"] != kind or not isinstance(document["records"], list):
        raise VerificationError(f"名录库文件的 library 应为 {kind}，records 应为列表")
    if kind == "entities":
        fast = _entity_records(document["records"])
        if fast is not None:
            return fast
    records: dict[str, Any] = {}
    previous = ""
    read = _inspector if kind == "inspectors" else _record
    for n, raw in enumerate(document["records"]):
        record = read(raw, n)
        if n and record.id <= previous:
            raise VerificationError(f"名录库第 {n + 1} 条记录的 id 未按码位严格递增（重复或乱序）")
        previous = record.id
        records[record.id] = record
    return records


_RECORD_KEYSET = frozenset(RECORD_KEYS)


def _texts_ok(column: list[Any]) -> bool:
    """Whether every value is a text of 1 to :data:`_MAX_TEXT` characters (as :func:`_text`)."""
    return (
        set(map(type, column)) <= {str} and "" not in column and max(map(len, column)) <= _MAX_TEXT
    )


def _entity_records(raws: list[Any]) -> dict[str, LibraryRecord] | None:
    """The records of a 检查对象名录库 document when every one passes the checks of
    :func:`_record` and the ids strictly increase, checked column by column (dates, industry
    lists and risks once per distinct value); None if any check fails or there is no record
    (the caller then reads record by record)."""
    if not raws or not all(type(r) is dict and r.keys() == _RECORD_KEYSET for r in raws):
        return None
    columns = {key: [r[key] for r in raws] for key in RECORD_KEYS}
    ids = columns["id"]
    try:
        if not all(
            _texts_ok(columns[k]) for k in ("id", "name", "entity_type", "division", "status")
        ):
            return None
        if not set(columns["risk"]) <= _RISKS:
            return None
        for last in set(columns["last_inspected"]):
            if last is not None and not (type(last) is str and len(last) == 10):
                return None
            if last is not None:
                dt.date.fromisoformat(last)
        if set(map(type, columns["industries"])) != {list}:
            return None
        for spelling in {tuple(v) for v in columns["industries"]}:
            if spelling and not _texts_ok(list(spelling)):
                return None
            if list(spelling) != sorted(set(spelling)):
                return None
        if not all(map(operator.lt, ids, itertools.islice(ids, 1, None))):
            return None
    except (TypeError, ValueError):  # an unhashable value, mixed types, an invalid date
        return None
    return {
        r[0]: LibraryRecord(r[0], r[1], r[2], r[3], tuple(r[4]), r[5], r[6], r[7])
        for r in zip(
            ids,
            columns["name"],
            columns["entity_type"],
            columns["division"],
            columns["industries"],
            columns["status"],
            columns["risk"],
            columns["last_inspected"],
            strict=True,
        )
    }


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


@dataclass(frozen=True)
class PoolFilter:
    """A task's filter (``pool``: ``industries``, ``divisions``, ``entity_types``, each empty for
    “any”), prepared once for many businesses."""

    industries: frozenset[str]
    prefixes: tuple[str, ...]
    entity_types: tuple[str, ...]

    @classmethod
    def of(cls, pool: Mapping[str, Iterable[str]]) -> PoolFilter:
        """The filter of ``pool``."""
        return cls(
            frozenset(pool.get("industries") or ()),
            division_prefixes(tuple(pool.get("divisions") or ())),
            tuple(pool.get("entity_types") or ()),
        )

    def matches(
        self, *, status: str, industries: Iterable[str], division: str, entity_type: str
    ) -> bool:
        """Whether a business passes the filter and may be drawn (登记状态 存续 or 在业)."""
        if status not in DRAWABLE_STATUSES:
            return False
        if self.industries and self.industries.isdisjoint(industries):
            return False
        if self.prefixes and not division.startswith(self.prefixes):
            return False
        return not (self.entity_types and entity_type not in self.entity_types)


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
    return PoolFilter.of(pool).matches(
        status=status, industries=industries, division=division, entity_type=entity_type
    )


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
    admits = PoolFilter.of(pool).matches
    for record in library.values():
        if record.id in skip or not admits(
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
