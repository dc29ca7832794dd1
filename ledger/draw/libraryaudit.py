"""The audit of the two libraries (两库) a ledger records (docs/workflow.md §9.2): each
``library.publish`` blob read, and each announcement's entity and inspector snapshots compared
with the ones the library versions in force determine (:mod:`ledger.draw.library`).

Each blob is parsed once per audit. What the site shows of a version (its record count and the
records it removed, added and changed against the version before, docs/site.md §8.1) is kept
from that one parse (:class:`LibraryVersion`), so the site never reads the blob again.

Standard library only (shipped in ``gongkai-verify.pyz``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.draw.library import (
    InspectorRecord,
    LibraryRecord,
    expected_inspectors,
    expected_snapshot,
    parse_library,
)
from ledger.draw.snapshot import ENTITIES, parse_snapshot
from ledger.errors import VerificationError

__all__ = ["NAMED", "LibraryAudit", "LibraryVersion", "RecordChanges"]

_NAMES = {"entities": "检查对象名录库", "inspectors": "执法检查人员名录库"}

#: Records of each kind of change a :class:`LibraryVersion` keeps by name (the site names them).
NAMED = 100


@dataclass(frozen=True)
class RecordChanges:
    """The records of one kind of change between two versions of a library, in id order: the
    first :data:`NAMED` of them, and how many there are in all."""

    first: tuple[LibraryRecord | InspectorRecord, ...] = ()
    total: int = 0


@dataclass(frozen=True)
class LibraryVersion:
    """One ``library.publish`` version as the audit read it: its record count and, against the
    version before it (none for the first), the records removed, added and with changed fields."""

    kind: str
    version: int
    count: int
    #: Whether it is the first version of its library (the changes are then empty).
    first: bool
    removed: RecordChanges = RecordChanges()
    added: RecordChanges = RecordChanges()
    changed: RecordChanges = RecordChanges()


def _changes(ids: Iterable[str], records: Mapping[str, Any]) -> RecordChanges:
    chosen = list(ids)
    return RecordChanges(tuple(records[i] for i in chosen[:NAMED]), len(chosen))


def _version(
    kind: str, version: int, old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> LibraryVersion:
    """``new`` against ``old`` (both in id order, as :func:`parse_library` returns them)."""
    if old is None:
        return LibraryVersion(kind, version, len(new), first=True)
    return LibraryVersion(
        kind,
        version,
        len(new),
        first=False,
        removed=_changes((i for i in old if i not in new), old),
        added=_changes((i for i in new if i not in old), new),
        changed=_changes((i for i, r in new.items() if i in old and old[i] != r), new),
    )


@dataclass
class LibraryAudit:
    """The library versions of one ledger and the snapshot checks of each announcement."""

    #: The latest published version of each library: kind → (version, records by id).
    latest: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: Entity snapshots compared with a 检查对象名录库 version.
    checked: int = 0
    #: Inspector snapshots compared with a 执法检查人员名录库 version.
    inspectors_checked: int = 0
    #: Announcements made while a library had no version recorded: (task id, kind).
    unchecked: list[tuple[str, str]] = field(default_factory=list)
    #: Every version read, by kind, in log order (what the site shows of each).
    versions: dict[str, list[LibraryVersion]] = field(default_factory=dict)

    def publish(self, kind: str, version: int, count: int, data: bytes) -> None:
        """Read a ``library.publish`` blob of ``kind`` (the next version of it in log order).

        Raises:
            VerificationError: the document is malformed or ``count`` is not its record count.
        """
        records = parse_library(data, kind)
        if len(records) != count:
            raise VerificationError(f"名录库记录 {len(records)} 条，与条目的 count {count} 不符")
        previous = self.latest.get(kind)
        read = _version(kind, version, None if previous is None else previous[1], records)
        self.versions.setdefault(kind, []).append(read)
        self.latest[kind] = (version, records)

    def announce(
        self,
        task_id: str,
        pool: Mapping[str, Iterable[str]] | None,
        snapshot: bytes | list[dict[str, Any]],
        excluded: Iterable[str],
        visits: Mapping[str, dt.date],
    ) -> None:
        """Compare an announcement's entity ``snapshot`` with the one the library determines.

        ``snapshot`` is the parsed records, or the snapshot file itself when the caller has
        already validated it (:func:`~ledger.draw.snapshot.parse_entity_table` accepted it): the
        file is then compared with the expected records' encoding, and parsed only if that
        differs (the fast check can only fail to match, never match wrongly).

        Raises:
            VerificationError: naming the first business missing, extra or different.
            MalformedError: ``snapshot`` is a file that is not a valid entity snapshot.
        """
        latest = self.latest.get("entities")
        if latest is None or pool is None:
            self.unchecked.append((task_id, "entities"))
            return
        expected = expected_snapshot(latest[1], pool, excluded, visits)
        if isinstance(snapshot, bytes):
            if _same_records(snapshot, expected):
                self.checked += 1
                return
            snapshot = parse_snapshot(ENTITIES, snapshot)
        if snapshot != expected:
            raise VerificationError(_difference("entities", latest[0], snapshot, expected))
        self.checked += 1

    def inspectors(
        self, task_id: str, departments: Iterable[str], snapshot: list[dict[str, Any]]
    ) -> None:
        """Compare an announcement's inspector ``snapshot`` with the one the library determines
        for the participating ``departments``.

        Raises:
            VerificationError: naming the first inspector missing, extra or different.
        """
        latest = self.latest.get("inspectors")
        if latest is None:
            self.unchecked.append((task_id, "inspectors"))
            return
        expected = expected_inspectors(latest[1], departments)
        if snapshot != expected:
            raise VerificationError(_difference("inspectors", latest[0], snapshot, expected))
        self.inspectors_checked += 1


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def _same_records(data: bytes, records: list[dict[str, Any]]) -> bool:
    """Whether the snapshot file ``data`` (valid: one JSON object per ``\n``-ended line) holds
    exactly ``records``: its lines joined as one JSON array are the text the C encoder writes
    for ``records``. Equal texts parse to equal values, so True means the parsed lines equal
    ``records``; False may also mean only that the encoder spells a value otherwise than the
    file (the caller then parses the file and compares the records).
    """
    if not data:
        return not records
    joined = b"[" + data[:-1].replace(b"\n", b",") + b"]"
    try:
        return _ENCODER.encode(records).encode("utf-8") == joined
    except (TypeError, ValueError, UnicodeEncodeError):
        return False


def _difference(
    kind: str, version: int, got: list[dict[str, Any]], want: list[dict[str, Any]]
) -> str:
    have = {r.get("id"): r for r in got}
    need = {r["id"]: r for r in want}
    where = f"{_NAMES[kind]}第 {version} 版"
    what, snap = (
        ("主体", "检查对象快照") if kind == "entities" else ("执法检查人员", "执法检查人员快照")
    )
    for key in sorted(need.keys() - have.keys()):
        shown = f"（{need[key]['name']}）" if "name" in need[key] else ""
        return f"{what} {key}{shown}在{where}中且符合任务的条件，却不在{snap}中（docs/workflow.md §9.2）"
    for key in sorted(have.keys() - need.keys(), key=str):
        return f"{snap}中的{what} {key} 不在{where}中或不符合任务的条件（docs/workflow.md §9.2）"
    for key, record in need.items():
        for field_name, value in record.items():
            if have[key].get(field_name) != value:
                return (
                    f"{snap}中{what} {key} 的 {field_name} 为 {have[key].get(field_name)!r}，"
                    f"按{where}及账本记录应为 {value!r}（docs/workflow.md §9.2）"
                )
    return f"{snap}与{where}确定的快照不一致（docs/workflow.md §9.2）"
