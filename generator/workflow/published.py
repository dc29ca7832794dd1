"""The published versions of checklists and plans, read back from a verified ledger.

The site shows the 抽查事项清单, the annual plans, the two libraries and the departments' own 检查结果
the ledger proves (docs/site.md §8.1): for each department the latest ``checklist.publish``
version with its items, for each plan the latest ``plan.publish`` version, for each department
the latest ``vocabulary.publish`` version with its words, and for all every version with its entry, the signer's time, the
time an RFC 3161 token proves it was public by (docs/ledger.md §15.4) and what changed
(:mod:`generator.workflow.changes`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from generator.workflow.changes import (
    checklist_changes,
    library_changes,
    plan_changes,
    vocabulary_changes,
)
from ledger.dept_vocabulary import DeptVocabularies, VocabularyPublish
from ledger.draw.libraryaudit import LibraryVersion
from ledger.entries import Entry
from ledger.payloads import ChecklistItem, ChecklistPublish
from ledger.tasks import CHINA, TaskLedger
from ledger.timestamp import TimeBounds

__all__ = [
    "PublishedChecklist",
    "PublishedVersion",
    "PublishedVocabulary",
    "checklist_versions",
    "library_versions",
    "plan_versions",
    "vocabulary_versions",
]


@dataclass(frozen=True)
class PublishedVersion:
    """One published version: its number, its ledger entry, its times and its changes."""

    version: int
    #: The entry's position in the log (its receipt is ``ledger/proofs/<index>.tlog-proof``).
    index: int
    entry_id: str
    #: The signing department.
    dept: str
    #: The signer's claimed time (the entry's ``ts``), UTC.
    signed_at: dt.datetime
    #: The SHA-256 of the recorded document (the blob); empty for an entry without one
    #: (``vocabulary.publish`` records its words in the entry itself).
    sha256: str
    #: What changed against the version before (the first version says it is the first).
    changes: tuple[str, ...]
    #: The time a verified token proves the entry was public by, and the TSA; None without one.
    proven: dt.datetime | None = None
    proven_tsa: str = ""

    @property
    def signed_text(self) -> str:
        """``signed_at`` in Beijing time, e.g. ``2024-01-02 11:00（北京时间）``."""
        return f"{self.signed_at.astimezone(CHINA):%Y-%m-%d %H:%M}（北京时间）"

    @property
    def proven_text(self) -> str:
        """``proven`` in Beijing time with its TSA; empty without a token."""
        if self.proven is None:
            return ""
        return f"{self.proven.astimezone(CHINA):%Y-%m-%d %H:%M:%S}（北京时间，{self.proven_tsa}）"


@dataclass(frozen=True)
class PublishedChecklist:
    """A department's 抽查事项清单 as the ledger proves it: every version, oldest first."""

    dept: str
    versions: tuple[PublishedVersion, ...]
    #: The items of the latest version (sorted by id, as recorded).
    items: tuple[ChecklistItem, ...]

    @property
    def latest(self) -> PublishedVersion:
        """The version in force."""
        return self.versions[-1]


def _when(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(dt.UTC)


def _version(
    entry: Entry, number: int, sha256: str, changes: tuple[str, ...], bounds: TimeBounds
) -> PublishedVersion:
    proof = bounds.public_by(entry.index)
    return PublishedVersion(
        version=number,
        index=entry.index,
        entry_id=entry.id,
        dept=str(entry.body.get("dept", "")),
        signed_at=_when(entry.ts),
        sha256=sha256,
        changes=changes,
        proven=proof.latest if proof is not None else None,
        proven_tsa=proof.tsa if proof is not None else "",
    )


def checklist_versions(tasks: TaskLedger, bounds: TimeBounds) -> dict[str, PublishedChecklist]:
    """Every department's published checklist (departments that published none are absent).

    Precondition: ``tasks`` was replayed from a verified ledger and ``bounds`` are its
    verified tokens (the entries' bodies and order are then trusted as they are).
    """
    out: dict[str, PublishedChecklist] = {}
    for dept, entries in sorted(tasks.checklists.items()):
        versions: list[PublishedVersion] = []
        previous: tuple[ChecklistItem, ...] | None = None
        for entry in entries:
            body = entry.payload
            assert isinstance(body, ChecklistPublish)
            changes = checklist_changes(previous, body.items)
            versions.append(_version(entry, body.version, body.document.sha256, changes, bounds))
            previous = body.items
        assert previous is not None
        out[dept] = PublishedChecklist(dept, tuple(versions), previous)
    return out


def plan_versions(
    tasks: TaskLedger, bounds: TimeBounds, read_blob: Callable[[str], bytes]
) -> dict[str, tuple[PublishedVersion, ...]]:
    """Every version of each published plan, oldest first.

    ``read_blob`` returns a blob's bytes by SHA-256 (the plan documents the entries hash).

    Raises:
        As ``read_blob`` (a missing blob; the audit already read each one); ValueError if a
        document is not JSON (a verified ledger's plan documents are).
    """
    out: dict[str, tuple[PublishedVersion, ...]] = {}
    for plan_id, entries in sorted(tasks.plan_versions.items()):
        versions: list[PublishedVersion] = []
        previous: Mapping[str, object] | None = None
        for number, entry in enumerate(entries, start=1):
            sha256 = entry.payload.document.sha256
            document = json.loads(read_blob(sha256))
            changes = plan_changes(previous, document)
            versions.append(_version(entry, number, sha256, changes, bounds))
            previous = document
        out[plan_id] = tuple(versions)
    return out


def library_versions(
    tasks: TaskLedger, bounds: TimeBounds, audited: Mapping[str, Sequence[LibraryVersion]]
) -> dict[str, tuple[PublishedVersion, ...]]:
    """Every version of each of the two libraries (docs/workflow.md §9), oldest first, with the
    records each version removed, added and changed (libraries never published are absent).

    ``audited`` is what the audit read of each version (:attr:`ledger.kept.Kept.libraries`): the
    blobs are not read again.

    Precondition: as :func:`checklist_versions`, and ``audited`` comes from the same audit.

    Raises:
        ValueError: ``audited`` does not hold exactly the versions ``tasks`` records (it comes
            from another audit).
    """
    out: dict[str, tuple[PublishedVersion, ...]] = {}
    for kind, entries in sorted(tasks.libraries.items()):
        read = audited.get(kind, ())
        numbers = [e.payload.version for e in entries]
        if numbers != [v.version for v in read] or any(v.kind != kind for v in read):
            raise ValueError(f"名录库 {kind} 的版本与本次核验读取的版本不一致")
        unit = "人" if kind == "inspectors" else "户"
        out[kind] = tuple(
            _version(
                e, e.payload.version, e.payload.document.sha256, library_changes(v, unit), bounds
            )
            for e, v in zip(entries, read, strict=True)
        )
    return out


@dataclass(frozen=True)
class PublishedVocabulary:
    """A department's own 检查结果 as the ledger proves them (docs/workflow.md §10): every
    version, oldest first, with its recorded body (the words, in the recorded order)."""

    dept: str
    versions: tuple[PublishedVersion, ...]
    bodies: tuple[VocabularyPublish, ...]

    @property
    def latest(self) -> VocabularyPublish:
        """The version in force: what new results of the department may use."""
        return self.bodies[-1]


def vocabulary_versions(
    book: DeptVocabularies, entries: Sequence[Entry], bounds: TimeBounds
) -> dict[str, PublishedVocabulary]:
    """Every department's published vocabulary versions (departments that published none are
    absent), each with the words it removed and added.

    Precondition: as :func:`checklist_versions`; ``entries`` are the replayed ledger's entries,
    by log index (``book`` records each version's index).
    """
    out: dict[str, PublishedVocabulary] = {}
    for dept, recorded in sorted(book.versions.items()):
        versions: list[PublishedVersion] = []
        previous: VocabularyPublish | None = None
        for index, body in recorded:
            changes = vocabulary_changes(previous.findings if previous else None, body.findings)
            versions.append(_version(entries[index], body.version, "", changes, bounds))
            previous = body
        out[dept] = PublishedVocabulary(dept, tuple(versions), tuple(b for _, b in recorded))
    return out
