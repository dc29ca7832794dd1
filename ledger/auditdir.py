"""The directory under audit: its trust anchor, files, blobs, bundles, archive and counters.

:class:`AuditedDirectory` is the state one run of :func:`ledger.verify.verify_directory`
shares between its steps (docs/ledger.md §13.5): it reads the files the audit needs (with
errors naming them), checks every blob an entry references (:func:`collect_blob_refs`,
docs/ledger.md §13.1) and every entry bundle, lists the checkpoint archive, and counts what
the report shows.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ledger.auditread import DECIMAL, READ_CHUNK, read_required
from ledger.errors import (
    MalformedError,
    StoreError,
    UnverifiableError,
    VerificationError,
    os_reason,
)
from ledger.journal import JOURNAL_NAME
from ledger.layout import ARCHIVE_DIR, BLOB_DIR, CHECKPOINT_NAME, TILE_DIR, TRUST_NAME
from ledger.payloads import EntryTypes
from ledger.pin import parse_note_checkpoint
from ledger.registry import TrustAnchor
from ledger.tiles import TILE_WIDTH, TileRef, decode_bundle
from ledger.timestamp import parse_token_name
from ledger.trust import parse_trust

__all__ = ["Archive", "AuditedDirectory", "collect_blob_refs", "load_trust"]

_HEX64: Final = re.compile("[0-9a-f]{64}")


@dataclass
class Archive:
    """An archived checkpoint ``checkpoints/<size>``: its note and root (signature unchecked)."""

    size: int
    note: bytes
    root: bytes


def collect_blob_refs(value: Any, out: list[tuple[str, int]]) -> None:
    """Append ``(hex, size)`` for every ``{"sha256": hex, "size": n, ...}`` object in ``value``.

    This is how an entry references a blob (docs/ledger.md §13.1): any JSON object, at any depth of
    the body, with a 64-lowercase-hex ``sha256`` and an integer ``size``.
    """
    if isinstance(value, dict):
        digest, size = value.get("sha256"), value.get("size")
        if (
            isinstance(digest, str)
            and _HEX64.fullmatch(digest)
            and isinstance(size, int)
            and not isinstance(size, bool)
        ):
            out.append((digest, size))
        for item in value.values():
            if isinstance(item, dict | list):
                collect_blob_refs(item, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                collect_blob_refs(item, out)


class AuditedDirectory:
    """One run of :func:`ledger.verify.verify_directory` (state shared by its steps).

    Attributes:
        path: The audited directory.
        trust: The trust anchor; ``origin`` is its origin.
        workers: Processes for signature verification (≥ 1).
        types: The entry types accepted.
        warnings: Chinese warnings for the report, in the order found.
        trust_from_dir: Whether the anchor is the directory's own ``trust.txt``.
        blob_sizes: Every blob checked so far, with its size.
        has_tiles: Whether ``tile/`` exists (a published folder).
        tiles_checked: The tile paths read.
        bundles_checked: Entry bundles compared with the lines.
        archived_above: Archived sizes above ``checkpoint`` left by an interrupted append.
    """

    def __init__(self, path: Path, trust: TrustAnchor, workers: int, types: EntryTypes) -> None:
        self.path = path
        self.trust = trust
        self.origin = trust.origin
        self.workers = workers
        self.types = types
        self.warnings: list[str] = []
        self.trust_from_dir = False
        self.blob_sizes: dict[str, int] = {}
        self.has_tiles = (path / TILE_DIR).is_dir()
        self.tiles_checked: set[str] = set()
        self.bundles_checked = 0
        self.archived_above: list[int] = []  # archive newer than `checkpoint`: reported later

    def read_tile(self, ref: TileRef) -> bytes:
        """The bytes of tile ``ref`` (counted as checked).

        Raises:
            UnverifiableError / StoreError: as :func:`~ledger.auditread.read_required`.
        """
        rel = ref.path
        self.tiles_checked.add(rel)
        return read_required(self.path / rel, f"瓦片 {rel}")

    def read_blob(self, digest: str) -> bytes:
        """The bytes of blob ``digest``, checked against it (a :data:`~ledger.verify.BlobReader`).

        Raises:
            MalformedError: ``digest`` is not 64 lowercase hex digits.
            VerificationError: the content does not hash to ``digest``.
            UnverifiableError / StoreError: the blob is missing or unreadable.
        """
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise MalformedError(f"blob 名称应为 64 位小写十六进制：{digest!r}")
        data = read_required(self.path / BLOB_DIR / digest, f"blob {digest}")
        if hashlib.sha256(data).hexdigest() != digest:
            raise VerificationError(f"blob {BLOB_DIR}/{digest} 的内容与其 SHA-256 不符（被改动）")
        return data

    def check_blob(self, index: int, digest: str, size: int) -> None:
        """Check a blob entry ``index`` references: it exists, hashes to ``digest``, has ``size``.

        Each blob is read once; a later reference must state the same size.

        Raises:
            VerificationError: wrong content, wrong size, or a size other references contradict.
            UnverifiableError: the blob is missing.
            StoreError: it cannot be read.
        """
        known = self.blob_sizes.get(digest)
        if known is not None:
            if known != size:
                raise VerificationError(
                    f"第 {index} 条条目引用 blob {digest} 的大小 {size} 与之前的引用 {known} 不符"
                )
            return
        rel = f"{BLOB_DIR}/{digest}"
        blob = self.path / BLOB_DIR / digest
        h = hashlib.sha256()
        actual = 0
        try:
            with open(blob, "rb") as f:
                while chunk := f.read(READ_CHUNK):
                    h.update(chunk)
                    actual += len(chunk)
        except FileNotFoundError:
            raise UnverifiableError(f"第 {index} 条条目引用的 blob 缺失：{rel}") from None
        except OSError as exc:
            raise StoreError(f"无法读取 {blob}：{os_reason(exc)}") from exc
        if h.hexdigest() != digest:
            raise VerificationError(
                f"第 {index} 条条目引用的 blob {rel} 内容哈希为 {h.hexdigest()}，与引用不符（被改动）"
            )
        if actual != size:
            raise VerificationError(
                f"第 {index} 条条目引用的 blob {rel} 大小为 {actual} 字节，条目声明 {size} 字节"
            )
        self.blob_sizes[digest] = size

    def check_bundle(self, first: int, lines: list[bytes]) -> None:
        """Check that the entry bundle of ``lines`` (entries from ``first``) holds exactly them.

        Precondition: ``first`` is a multiple of 256 and ``0 < len(lines) ≤ 256``.

        Raises:
            MalformedError: the bundle does not decode to ``len(lines)`` entries.
            VerificationError: an entry differs from its line.
            UnverifiableError / StoreError: the bundle is missing or unreadable.
        """
        ref = TileRef(-1, first // TILE_WIDTH, len(lines))
        data = read_required(self.path / ref.path, f"条目包 {ref.path}")
        try:
            got = decode_bundle(data, len(lines))
        except MalformedError as exc:
            raise MalformedError(f"条目包 {ref.path} 格式错误：{exc}") from exc
        for k, (a, b) in enumerate(zip(got, lines, strict=True)):
            if a != b:
                raise VerificationError(
                    f"条目包 {ref.path} 的第 {k} 条与 entries.jsonl 第 {first + k} 行不符"
                )
        self.bundles_checked += 1

    def list_archive(self, size: int) -> dict[int, Archive]:
        """The archived checkpoints up to ``size`` (docs/ledger.md §13.5 step 3), by size.

        A larger archive is recorded in ``archived_above`` when a ``journal`` exists (an
        interrupted append, reported later); otherwise it is an error. Signatures are not
        checked here (the keys are known only during the replay).

        Raises:
            MalformedError: a name is not a canonical decimal, or a note does not parse.
            VerificationError: a note's size differs from its name, its origin is wrong, or it
                is newer than ``checkpoint`` without a journal.
            StoreError: the folder or a file cannot be read.
        """
        folder = self.path / ARCHIVE_DIR
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"无法列出 {folder}：{os_reason(exc)}") from exc
        found: dict[int, Archive] = {}
        for name in names:
            if name.startswith("."):
                continue  # a crashed writer's temp file is never part of the log
            if parse_token_name(name) is not None:
                continue  # a time-stamp token, checked by ledger.timestamp (§15.3)
            rel = f"{ARCHIVE_DIR}/{name}"
            if not DECIMAL.fullmatch(name):
                raise MalformedError(f"{rel}：存档文件名应为规范的十进制大小")
            note = read_required(folder / name, f"存档检查点 {rel}")
            cp = parse_note_checkpoint(note, self.origin, rel)
            if cp.size != int(name):
                raise VerificationError(f"{rel}：文件名为 {name}，签名检查点的大小却是 {cp.size}")
            if cp.size > size and (self.path / JOURNAL_NAME).exists():
                self.archived_above.append(cp.size)  # an interrupted append: reported later
                continue
            if cp.size > size:
                raise VerificationError(
                    f"存档 {rel} 比 {CHECKPOINT_NAME}（大小 {size}）更新：发布的检查点落后于存档"
                    "（被回退或发布不完整）"
                )
            found[cp.size] = Archive(cp.size, note, cp.root)
        return found


def load_trust(path: Path, trust: TrustAnchor | None) -> tuple[TrustAnchor, bool]:
    """``trust`` if given, else ``<path>/trust.txt``; and whether it came from the directory.

    Raises:
        MalformedError: ``trust.txt`` does not parse.
        UnverifiableError / StoreError: it is missing or unreadable.
    """
    if trust is not None:
        return trust, False
    data = read_required(path / TRUST_NAME, f"信任锚 {TRUST_NAME}（可用 --trust 指定）")
    try:
        return parse_trust(data), True
    except MalformedError as exc:
        raise MalformedError(f"{path / TRUST_NAME}：{exc}") from exc
