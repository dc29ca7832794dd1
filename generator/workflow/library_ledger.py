"""The 检查对象名录库 recorded in the ledger (docs/workflow.md §9).

``gongkai library publish`` records the library in ``content/`` as the next signed
``library.publish`` version (:func:`publish_library`); before a draw is announced,
:func:`require_library` refuses unless the library in ``content/`` is the version the ledger
published last. The verifier then re-derives every announced entity snapshot from that version
(:mod:`ledger.draw.library`), so a business left out of a draw's pool is either in the published
library and reported, or removed from a published version for everyone to see.
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
from ledger.draw.library import LibraryRecord, library_document
from ledger.payloads import BlobRef, LibraryPublish, sign
from ledger.tasks import TaskLedger

__all__ = [
    "check_published_library",
    "latest_library",
    "library_bytes",
    "library_records",
    "publish_library",
    "require_library",
]


def library_records(content: Content) -> list[LibraryRecord]:
    """Every business of the content's 检查对象名录库 as a library version records it."""
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


def library_bytes(content: Content) -> bytes:
    """The library document of ``content`` (docs/workflow.md §9.1)."""
    return library_document(library_records(content))


def publish_library(
    repo: SiteRepo, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, int, int]:
    """Record the next version of the library; return the checkpoint, the version and the
    number of businesses.

    Raises:
        WorkflowError: the library is unchanged since the last version, or an earlier version
            was published by another department.
    """
    document = library_bytes(repo.content)
    digest = hashlib.sha256(document).hexdigest()
    versions = repo.state().tasks.libraries
    if versions and versions[-1].payload.document.sha256 == digest:
        raise WorkflowError(f"检查对象名录库自第 {len(versions)} 版发布以来没有变化")
    if versions and versions[0].payload.dept != dept:
        keeper = versions[0].payload.dept
        raise WorkflowError(
            f"检查对象名录库由部门“{keeper}”发布（第 1 版），新版本也须由该部门发布（--dept {keeper}）"
        )
    version = len(versions) + 1
    body = LibraryPublish(
        id=entryids.library_publish(version),
        ts=at,
        dept=dept,
        library="entities",
        version=version,
        count=len(repo.content.entities),
        document=BlobRef(sha256=digest, size=len(document), media="application/json"),
    )
    line = sign(repo.trust.origin, body, [repo.signer(dept, key)])
    cp = repo.append([line], repo.log_signer(log_key), blobs=[document])
    return cp, version, body.count


def require_library(repo: SiteRepo) -> None:
    """Refuse a draw unless the library in ``content/`` is the ledger's latest version.

    Raises:
        WorkflowError: no version is recorded, or ``content/`` holds another library.
    """
    versions = repo.state().tasks.libraries
    if not versions:
        raise WorkflowError(
            "检查对象名录库尚未记入账本：请先由名录库的维护部门运行 gongkai library publish "
            "--dept <部门> 发布，再公告抽取（docs/workflow.md §9）"
        )
    latest = versions[-1].payload
    if hashlib.sha256(library_bytes(repo.content)).hexdigest() != latest.document.sha256:
        raise WorkflowError(
            f"content/ 中的检查对象名录库与账本最新发布的名录库（第 {len(versions)} 版）不同："
            f"请先运行 gongkai library publish --dept {latest.dept} 发布新版本，再公告抽取"
        )


def check_published_library(content: Content, recorded: tuple[int, str, str] | None) -> None:
    """Require the library in ``content/`` to be the latest published version (``gongkai check``
    and ``gongkai build``: the site's business pages show what the ledger recorded).

    ``recorded`` is ``(version, SHA-256, department)`` of the latest ``library.publish``, or None
    when the ledger has none (nothing is checked).

    Raises:
        ContentError: naming the 检查对象名录库 and the fix (exit code 10).
    """
    if recorded is None:
        return
    version, digest, dept = recorded
    if hashlib.sha256(library_bytes(content)).hexdigest() == digest:
        return
    problems = Problems()
    problems.error(
        Location("content/entities"),
        f"检查对象名录库与账本最新发布的名录库（library.publish 第 {version} 版，SHA-256 "
        f"{digest[:16]}…）不同；网站只公开账本记录的版本：请恢复发布时的内容，或运行 "
        f"gongkai library publish --dept {dept} 把修改发布为新版本",
    )
    problems.raise_if_errors()


def latest_library(tasks: TaskLedger) -> tuple[int, str, str] | None:
    """``(version, SHA-256, department)`` of the ledger's latest ``library.publish`` (None: none)."""
    if not tasks.libraries:
        return None
    body = tasks.libraries[-1].payload
    return body.version, body.document.sha256, body.dept
