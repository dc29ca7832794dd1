"""The two libraries (两库) recorded in the ledger (docs/workflow.md §9).

``gongkai library publish entities|inspectors`` records a library in ``content/`` as the next
signed ``library.publish`` version (:func:`publish_library`); before a draw is announced,
:func:`require_library` refuses unless both libraries in ``content/`` are the versions the ledger
published last. The verifier then re-derives every announced entity and inspector snapshot from
those versions (:mod:`ledger.draw.library`), so a business or an inspector left out of a draw is
either in the published library and reported, or removed from a published version for everyone
to see.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator import entryids
from generator.content.errors import Location, Problems
from generator.content.model import Content
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.draw.library import LIBRARIES, InspectorRecord, LibraryRecord, library_document
from ledger.payloads import BlobRef, LibraryPublish, sign
from ledger.tasks import TaskLedger

__all__ = [
    "LIBRARY_NAMES",
    "check_published_library",
    "latest_library",
    "library_bytes",
    "library_records",
    "library_sha256",
    "publish_library",
    "require_library",
]

#: Each library's Chinese name, and the unit of its records.
LIBRARY_NAMES = {"entities": ("检查对象名录库", "户"), "inspectors": ("执法检查人员名录库", "人")}


def library_records(content: Content, kind: str) -> list[LibraryRecord | InspectorRecord]:
    """Every record of the content's library ``kind`` as a library version records it."""
    if kind == "inspectors":
        return [
            InspectorRecord(
                id=i.id,
                name=i.name,
                dept=i.dept,
                tags=tuple(sorted(set(i.tags))),
                status=i.status.value,
            )
            for i in content.inspectors
        ]
    return [
        LibraryRecord(
            id=e.id,
            name=e.name,
            entity_type=e.entity_type.value,
            division=e.division,
            industries=tuple(sorted(set(e.industries))),
            status=e.status.value,
            risk=e.risk.value,
            last_inspected=e.last_inspected.isoformat() if e.last_inspected else None,
        )
        for e in content.entities
    ]


def library_bytes(content: Content, kind: str) -> bytes:
    """The library document of ``content``'s library ``kind`` (docs/workflow.md §9.1)."""
    return library_document(kind, library_records(content, kind))


def library_sha256(content: Content, kind: str) -> str:
    """The SHA-256 (hex) of :func:`library_bytes`, as ``library.publish`` records it."""
    return hashlib.sha256(library_bytes(content, kind)).hexdigest()


def publish_library(
    repo: SiteRepo, kind: str, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, int, int]:
    """Record the next version of library ``kind``; return the checkpoint, the version and the
    number of records.

    Raises:
        WorkflowError: the library is unchanged since the last version, or an earlier version
            was published by another department.
    """
    name, _ = LIBRARY_NAMES[kind]
    document = library_bytes(repo.content, kind)
    digest = hashlib.sha256(document).hexdigest()
    versions = repo.state().tasks.libraries.get(kind, [])
    if versions and versions[-1].payload.document.sha256 == digest:
        raise WorkflowError(f"{name}自第 {len(versions)} 版发布以来没有变化")
    if versions and versions[0].payload.dept != dept:
        keeper = versions[0].payload.dept
        raise WorkflowError(
            f"{name}由部门“{keeper}”发布（第 1 版），新版本也须由该部门发布（--dept {keeper}）"
        )
    version = len(versions) + 1
    count = len(repo.content.inspectors if kind == "inspectors" else repo.content.entities)
    body = LibraryPublish(
        id=entryids.library_publish(kind, version),
        ts=at,
        dept=dept,
        library=kind,
        version=version,
        count=count,
        document=BlobRef(sha256=digest, size=len(document), media="application/json"),
    )
    line = sign(repo.trust.origin, body, [repo.signer(dept, key)])
    cp = repo.append([line], repo.log_signer(log_key), blobs=[document])
    return cp, version, count


def require_library(repo: SiteRepo) -> None:
    """Refuse a draw unless both libraries in ``content/`` are the ledger's latest versions.

    Raises:
        WorkflowError: a library has no version recorded, or ``content/`` holds another one.
    """
    for kind in LIBRARIES:
        name, _ = LIBRARY_NAMES[kind]
        versions = repo.state().tasks.libraries.get(kind, [])
        if not versions:
            raise WorkflowError(
                f"{name}尚未记入账本：请先由名录库的维护部门运行 gongkai library publish {kind} "
                "--dept <部门> 发布，再公告抽取（docs/workflow.md §9）"
            )
        latest = versions[-1].payload
        if library_sha256(repo.content, kind) != latest.document.sha256:
            raise WorkflowError(
                f"content/ 中的{name}与账本最新发布的{name}（第 {len(versions)} 版）不同："
                f"请先运行 gongkai library publish {kind} --dept {latest.dept} 发布新版本，再公告抽取"
            )


def latest_library(tasks: TaskLedger, kind: str) -> tuple[int, str, str] | None:
    """``(version, SHA-256, department)`` of the ledger's latest ``library.publish`` of ``kind``
    (None: none)."""
    versions = tasks.libraries.get(kind)
    if not versions:
        return None
    body = versions[-1].payload
    return body.version, body.document.sha256, body.dept


def check_published_library(
    content: Content, kind: str, recorded: tuple[int, str, str] | None, digest: str | None = None
) -> None:
    """Require library ``kind`` in ``content/`` to be the latest published version (``gongkai
    check`` and ``gongkai build``: the site's library pages show what the ledger recorded).

    ``recorded`` is ``(version, SHA-256, department)`` of the latest ``library.publish`` of
    ``kind``, or None when the ledger has none (nothing is checked). ``digest`` is
    :func:`library_sha256` of ``content`` and ``kind`` when the caller has it (else computed).

    Raises:
        ContentError: naming the library and the fix (exit code 10).
    """
    if recorded is None:
        return
    version, published, dept = recorded
    if (digest or library_sha256(content, kind)) == published:
        return
    name, _ = LIBRARY_NAMES[kind]
    problems = Problems()
    problems.error(
        Location(f"content/{kind}"),
        f"{name}与账本最新发布的{name}（library.publish 第 {version} 版，SHA-256 "
        f"{published[:16]}…）不同；网站只公开账本记录的版本：请恢复发布时的内容，或运行 "
        f"gongkai library publish {kind} --dept {dept} 把修改发布为新版本",
    )
    problems.raise_if_errors()
