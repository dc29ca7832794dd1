"""The 检查对象名录库 recorded in the ledger, and the entity snapshot it determines
(docs/workflow.md §9).

``library.publish`` stores the whole library as a blob: a canonical JSON object
``{"library": "entities", "records": [...]}`` with one record per business (every 登记状态), sorted
by ``id``. A task's entity snapshot is then a function of the library version in force when the
draw is announced, the task's filter in the published plan document, the 抽查频次 exclusions and
the visits the ledger records (:func:`expected_snapshot`); :class:`LibraryAudit` recomputes it
for every announcement, so a business left out of a snapshot — or added, or shown with another
name, risk class, industries or 上次检查日期 — is reported. Leaving a business out is then only
possible by removing it from a published library version, which the site lists publicly.

Standard library only (shipped in ``gongkai-verify.pyz``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
#: 登记状态 whose businesses may enter a pool (the others stay in the library, never drawn).
DRAWABLE_STATUSES = frozenset({"存续", "在业"})
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


def library_document(records: Iterable[LibraryRecord]) -> bytes:
    """The canonical bytes of a library version holding ``records`` (any order: sorted here).

    Raises:
        ValueError: two records share an id.
    """
    ordered = sorted(records, key=lambda r: r.id)
    if any(a.id == b.id for a, b in itertools.pairwise(ordered)):
        raise ValueError("名录库中有重复的主体标识")
    return canonical.dumps({"library": "entities", "records": [r.as_json() for r in ordered]})


def _text(value: object, what: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > _MAX_TEXT:
        raise VerificationError(f"{what} 应为不超过 {_MAX_TEXT} 个字符的非空文本")
    return value


def _record(value: object, n: int) -> LibraryRecord:
    what = f"名录库第 {n + 1} 条记录"
    if not isinstance(value, dict) or sorted(value) != list(RECORD_KEYS):
        raise VerificationError(f"{what} 应恰有 {'、'.join(RECORD_KEYS)} 这些键")
    industries = value["industries"]
    if not isinstance(industries, list) or industries != sorted(set(industries)):
        raise VerificationError(f"{what}.industries 应为按码位排序、不重复的文本列表")
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
        industries=tuple(_text(i, f"{what}.industries") for i in industries),
        status=_text(value["status"], f"{what}.status"),
        risk=value["risk"],
        last_inspected=last,
    )


def parse_library(data: bytes) -> dict[str, LibraryRecord]:
    """Parse and check a library document; return its records by id (in id order).

    Raises:
        VerificationError: the bytes are not the canonical document of §9 (shape, types, ids
            strictly increasing).
    """
    try:
        document = canonical.loads(data)
    except Exception as exc:  # any parse failure of a hostile blob is the ledger's fault
        raise VerificationError(f"名录库文件不是规范 JSON：{type(exc).__name__}") from None
    if not isinstance(document, dict) or sorted(document) != ["library", "records"]:
        raise VerificationError("名录库文件应为恰有 library、records 两个键的对象")
    if document["library"] != "entities" or not isinstance(document["records"], list):
        raise VerificationError("名录库文件的 library 应为 entities，records 应为列表")
    records: dict[str, LibraryRecord] = {}
    previous = ""
    for n, raw in enumerate(document["records"]):
        record = _record(raw, n)
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


@dataclass
class LibraryAudit:
    """The library versions of one ledger and the snapshot check of each announcement."""

    #: The latest published version: (version, records by id).
    latest: tuple[int, dict[str, LibraryRecord]] | None = None
    #: Announcements whose snapshot was compared with a library version.
    checked: int = 0
    #: Announcements made while no library version was recorded.
    unchecked: list[str] = field(default_factory=list)

    def publish(self, version: int, count: int, data: bytes) -> None:
        """Read a ``library.publish`` blob.

        Raises:
            VerificationError: the document is malformed or ``count`` is not its record count.
        """
        records = parse_library(data)
        if len(records) != count:
            raise VerificationError(f"名录库记录 {len(records)} 条，与条目的 count {count} 不符")
        self.latest = (version, records)

    def announce(
        self,
        task_id: str,
        pool: Mapping[str, Iterable[str]] | None,
        snapshot: list[dict[str, Any]],
        excluded: Iterable[str],
        visits: Mapping[str, dt.date],
    ) -> None:
        """Compare an announcement's entity ``snapshot`` with the one the library determines.

        Raises:
            VerificationError: naming the first business missing, extra or different.
        """
        if self.latest is None or pool is None:
            self.unchecked.append(task_id)
            return
        version, library = self.latest
        expected = expected_snapshot(library, pool, excluded, visits)
        if snapshot != expected:
            raise VerificationError(_difference(version, snapshot, expected))
        self.checked += 1


def _difference(version: int, got: list[dict[str, Any]], want: list[dict[str, Any]]) -> str:
    have = {r.get("id"): r for r in got}
    need = {r["id"]: r for r in want}
    where = f"名录库第 {version} 版"
    for entity in sorted(need.keys() - have.keys()):
        return (
            f"主体 {entity}（{need[entity]['name']}）在{where}中且符合任务的筛选条件，却不在检查对象"
            "快照中（docs/workflow.md §9.2）"
        )
    for entity in sorted(have.keys() - need.keys(), key=str):
        return f"检查对象快照中的主体 {entity} 不在{where}中或不符合任务的筛选条件（docs/workflow.md §9.2）"
    for entity, record in need.items():
        for key in ("name", "stratum", "tags", "last_inspected"):
            if have[entity].get(key) != record[key]:
                return (
                    f"检查对象快照中主体 {entity} 的 {key} 为 {have[entity].get(key)!r}，按{where}"
                    f"及账本记录应为 {record[key]!r}（docs/workflow.md §9.2）"
                )
    return f"检查对象快照与{where}确定的快照不一致（docs/workflow.md §9.2）"
