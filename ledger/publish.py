"""Publish a ledger directory as static files (docs/ledger.md §13.7; C2SP tlog-tiles, tlog-proof).

:func:`publish_ledger` writes, into ``out_dir``::

    checkpoint                      the latest signed checkpoint (mutable; written last)
    checkpoints/<size>              every archived checkpoint, verbatim (immutable)
    checkpoints/<size>.<tsa>.tsr    its RFC 3161 time-stamp tokens (immutable; §15)
    tsa/<name>.pem                  each TSA's certificate chain, pinned by trust.txt
    entries.jsonl                   the checkpointed lines (grows; always a prefix-extension)
    tile/<L>/<N>[.p/<W>]            hash tiles for every archived size (immutable)
    tile/entries/<N>[.p/<W>]        entry bundles for every archived size (immutable)
    proofs/<i>.tlog-proof           a receipt per entry, against the FIRST archived checkpoint
                                    whose size covers i, so it never changes (immutable)
    blobs/sha256/<hex>              every blob an entry references (immutable)
    trust.txt                       the trust anchor (to be compared with the published one)
    gongkai-verify.pyz              the offline auditor as a stdlib zipapp
    SHA256SUMS                      every file above: ``<sha256 hex>  <path>`` (sha256sum -c)
    ledger.tar.gz                   all of the above in one archive, under ``ledger/``

Partial tiles and bundles are produced for *every* archived size, so a client holding any
archived checkpoint finds the tiles of exactly that tree (tlog-tiles: "partial tiles MUST be
available for every checkpointed size until the full tile exists"; we keep them for good).

The output is deterministic: the same ledger gives byte-identical files, the zipapp included
(sorted members, fixed timestamps and modes, stored without compression so that zlib versions
do not matter), and the archive (sorted members, fixed mtime, uid, gid and modes, gzip header
without name or time; byte-identical for one zlib version). With ``previous`` (an earlier published folder), an immutable file that would
change, or disappear, aborts with :class:`~ledger.errors.FatalStoreError`, as Sunlight's
``compareFile`` and Tessera's ``createIdempotent`` do.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import ledger
from ledger.auditdir import collect_blob_refs
from ledger.auditread import EntryLines
from ledger.durable import LOCK_NAME, LedgerLock, write_atomic
from ledger.entries import parse_entry
from ledger.errors import FatalStoreError, StoreError, VerificationError, os_reason
from ledger.layout import (
    ARCHIVE_DIR,
    BLOB_DIR,
    CHECKPOINT_NAME,
    ENTRIES_NAME,
    PROOF_DIR,
    RECEIPT_SUFFIX,
    TRUST_NAME,
)
from ledger.merkle import MerkleTree, leaf_hash
from ledger.note import parse_vkey
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.receipt import Receipt, format_receipt
from ledger.registry import TrustAnchor
from ledger.store import LedgerStore
from ledger.tiles import (
    TILE_WIDTH,
    TileRef,
    bundles_for_size,
    encode_bundle,
    tile_bytes,
    tiles_for_size,
)
from ledger.timestamp import TSA_DIR, read_tokens
from ledger.trust import format_trust
from ledger.verify import verify_directory

__all__ = [
    "ARCHIVE_NAME",
    "ARCHIVE_ROOT",
    "IMMUTABLE_PREFIXES",
    "PYZ_NAME",
    "SUMS_NAME",
    "VERIFIER_FALLBACK",
    "VERIFIER_REQUIREMENTS",
    "PublishReport",
    "build_zipapp",
    "publish_ledger",
]

PYZ_NAME: Final = "gongkai-verify.pyz"
"""File name of the published auditor zipapp."""
ARCHIVE_NAME: Final = "ledger.tar.gz"
"""The whole published folder as one archive (every file but itself, under ``ledger/``)."""
ARCHIVE_ROOT: Final = "ledger"
"""The directory the archive unpacks into."""
SUMS_NAME: Final = "SHA256SUMS"
"""The list of published files with their SHA-256 (``sha256sum -c`` format)."""
VERIFIER_REQUIREMENTS: Final = (
    "cryptography>=42,<51",
    "py-arkworks-bls12381>=0.5,<0.6",
    "rfc3161-client>=1.0.9,<2",
)
"""What the zipapp needs besides Python ≥ 3.11: Ed25519 signatures, the BLS signatures of
drand beacons and the RFC 3161 time-stamp tokens on checkpoints (docs/ledger.md §15; the same
pins as ``pyproject.toml``; tests/ledger/test_publish.py checks them)."""
VERIFIER_FALLBACK: Final = "py-ecc>=8,<9"
"""Pure-Python BLS, for platforms without a py-arkworks-bls12381 wheel (slower)."""

_ARCHIVE_MTIME: Final = 946684800  # 2000-01-01T00:00:00Z: no build time leaks in

IMMUTABLE_PREFIXES: Final = ("tile/", f"{PROOF_DIR}/", f"{ARCHIVE_DIR}/", "blobs/")
"""Published paths under these prefixes never change once written (docs/ledger.md §13.7)."""

_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # the earliest DOS timestamp: no build time leaks in
_SHEBANG: Final = b"#!/usr/bin/env python3\n"
_ZIP_MAIN: Final = b'''"""gongkai-verify: the offline auditor of the gongkai ledger (python3 gongkai-verify.pyz DIR)."""

import sys

from ledger.__main__ import main

raise SystemExit(main(["verify", *sys.argv[1:]], prog="gongkai-verify.pyz"))
'''


@dataclass
class PublishReport:
    """What :func:`publish_ledger` wrote.

    Attributes:
        out_dir: The output folder.
        size: The published checkpoint size.
        root: Its root, lowercase hex.
        archived_sizes: Every archived checkpoint size, ascending.
        tiles: Hash tiles written.
        bundles: Entry bundles written.
        receipts: Receipts written.
        blobs: Blobs written.
        files: Files written in total.
        unchanged_immutable: Immutable files already present (in ``previous`` or ``out_dir``)
            with identical bytes.
        warnings: Warnings of the verification that preceded publication.
    """

    out_dir: Path
    size: int
    root: str
    archived_sizes: list[int]
    tiles: int = 0
    bundles: int = 0
    receipts: int = 0
    blobs: int = 0
    files: int = 0
    unchanged_immutable: int = 0
    warnings: list[str] = field(default_factory=list)


class _Output:
    """Writes files under ``out_dir``, refusing to change immutable ones (vs ``previous``)."""

    def __init__(self, out_dir: Path, previous: Path | None) -> None:
        self.out_dir = out_dir
        self.previous = previous
        self.written: set[str] = set()
        self.unchanged = 0
        self.dirs: set[Path] = set()

    def write(self, rel: str, data: bytes) -> None:
        immutable = rel.startswith(IMMUTABLE_PREFIXES)
        target = self.out_dir / rel
        if immutable:
            for base in (self.previous, self.out_dir):
                if base is None:
                    continue
                old = _read_optional(base / rel)
                if old is None:
                    continue
                if old != data:
                    raise FatalStoreError(
                        f"不可变文件发生变化：{rel}（{base / rel} 已发布的内容与本次生成的不同；"
                        "不可变文件一经发布不得改变，发布中止）"
                    )
                self.unchanged += 1
                break
        parent = target.parent
        if parent not in self.dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(parent)
        try:
            with open(target, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise StoreError(f"无法写入 {target}：{os_reason(exc)}") from exc
        self.written.add(rel)

    def check_previous_kept(self) -> None:
        """Every immutable file of ``previous`` must still be published."""
        if self.previous is None:
            return
        for rel in _walk(self.previous):
            if rel.startswith(IMMUTABLE_PREFIXES) and rel not in self.written:
                raise FatalStoreError(
                    f"不可变文件被删除：{rel}（上次发布的不可变文件本次不再生成：存档或条目被删除？）"
                )


def _read_optional(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{os_reason(exc)}") from exc


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield (Path(folder) / name).relative_to(root).as_posix()


def _extends(old: Path, new: Path) -> bool:
    """Whether ``new`` starts with the bytes of ``old`` (True if ``old`` does not exist)."""
    try:
        with open(old, "rb") as a, open(new, "rb") as b:
            while block := a.read(1 << 20):
                if b.read(len(block)) != block:
                    return False
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise StoreError(f"无法比较 {old} 与 {new}：{os_reason(exc)}") from exc
    return True


def build_zipapp() -> bytes:
    """Return ``gongkai-verify.pyz``: a shebang, then a zip of the ``ledger`` package.

    Deterministic: members sorted, timestamps fixed at 1980-01-01, mode 0644, stored (no
    compression). Only ``.py`` files are included (no ``__pycache__``). Its ``__main__``
    runs ``ledger.__main__.main(["verify", *argv])``.
    """
    package = Path(ledger.__file__).resolve().parent
    members: list[tuple[str, bytes]] = [("__main__.py", _ZIP_MAIN)]
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder) / name
                rel = "ledger/" + path.relative_to(package).as_posix()
                members.append((rel, path.read_bytes()))
    buf = io.BytesIO()
    buf.write(_SHEBANG)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for rel, data in sorted(members):
            info = zipfile.ZipInfo(rel, date_time=_ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, whatever the build host
            archive.writestr(info, data)
    return buf.getvalue()


def publish_ledger(
    ledger_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    trust: TrustAnchor,
    previous: Path | None = None,
    workers: int = 1,
    types: EntryTypes = ENTRY_TYPES,
) -> PublishReport:
    """Publish the checkpointed part of a ledger directory as static files (docs/ledger.md §13.7).

    Steps: (1) hold the shared ``LOCK`` (if the directory has one), audit the directory with
    :func:`~ledger.verify.verify_directory` (every signature, the registry, every archived
    checkpoint, the blobs), then read it through :meth:`LedgerStore.read_state` with every log
    key ever valid (the store's own crash-state checks) and require both to agree; (2) build the
    Merkle tree of the first C lines (C = the latest archived size); (3) write archived
    checkpoints, tiles and bundles for every archived size, receipts, blobs, ``entries.jsonl``,
    ``trust.txt`` and the zipapp; (4) check that nothing immutable of ``previous`` changed or
    vanished; (5) write ``checkpoint`` last (atomically).

    Args:
        ledger_dir: The ledger directory (``draws/``).
        out_dir: The output folder (created if missing; existing immutable files must match).
        trust: The trust anchor (also written as ``trust.txt``).
        previous: An earlier published folder whose immutable files must not change.
        workers: Processes for signature verification during the audit.
        types: The entry types the audit accepts (default: every gongkai-ledger/v1 type).

    Returns:
        The report.

    Raises:
        FatalStoreError: An immutable file would change or disappear, or the store is corrupt.
        VerificationError / MalformedError: The ledger does not verify.
        StoreError: I/O errors, or a writer holds the lock.
    """
    src = Path(ledger_dir)
    out = Path(out_dir)
    lock = LedgerLock(src, exclusive=False, timeout=10.0) if (src / LOCK_NAME).exists() else None
    if lock is not None:
        lock.acquire()
    try:
        return _publish(src, out, trust, previous, workers, types)
    finally:
        if lock is not None:
            lock.release()


def _publish(
    src: Path,
    out: Path,
    trust: TrustAnchor,
    previous: Path | None,
    workers: int,
    types: EntryTypes,
) -> PublishReport:
    """The steps of :func:`publish_ledger` (the caller holds the lock, if any)."""
    # Step 1. Audit, then the store's own verified read; they must describe the same log.
    source = _audit_and_read(src, trust, workers, types)
    size, archived = source.size, list(source.archived)
    report = PublishReport(out, size, source.root.hex(), archived, warnings=list(source.warnings))
    output = _Output(out, previous)

    # Step 2. The tree of the checkpointed lines (leaf hashes only; ~2n hashes in memory).
    tree = MerkleTree([leaf_hash(line) for _, line in EntryLines(src / ENTRIES_NAME, limit=size)])
    if tree.size != size or tree.root != source.root:
        raise VerificationError(f"{src}：entries.jsonl 在读取期间发生了变化")

    # Step 3a. Archived checkpoints, verbatim (already verified by the audit and read_state).
    notes: dict[int, bytes] = {}
    for s in archived:
        notes[s] = (src / ARCHIVE_DIR / str(s)).read_bytes()
        output.write(f"{ARCHIVE_DIR}/{s}", notes[s])

    # Step 3a'. RFC 3161 tokens beside them and the TSA chains (docs/ledger.md §15.1; verified
    # by the audit of step 1).
    _copy_timestamps(src, output, trust, set(archived))

    # Step 3b. Hash tiles for every archived size (C2SP tlog-tiles; docs/ledger.md §10.5).
    refs: set[TileRef] = set()
    for s in archived:
        refs.update(tiles_for_size(s))
    for ref in sorted(refs, key=lambda r: (r.level, r.index, r.width)):
        output.write(ref.path, tile_bytes(tree, ref))
        report.tiles += 1

    # Step 3c. Stream the lines: entries.jsonl, bundles, receipts, blob references.
    blob_refs = _write_entries(src, output, tree, notes, report)
    if previous is not None and not _extends(previous / ENTRIES_NAME, out / ENTRIES_NAME):
        raise FatalStoreError(
            f"不可变文件发生变化：{ENTRIES_NAME} 不是上次发布内容的延伸（历史被改写）"
        )

    # Step 3d. Blobs referenced by entries (verified by the audit; re-checked on copy).
    for digest in sorted(blob_refs):
        data = (src / BLOB_DIR / digest).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise VerificationError(f"{BLOB_DIR}/{digest} 在发布期间被改动")
        output.write(f"{BLOB_DIR}/{digest}", data)
        report.blobs += 1

    output.write(TRUST_NAME, format_trust(trust))
    output.write(PYZ_NAME, build_zipapp())

    # Step 4. Nothing immutable of the previous publication may vanish.
    output.check_previous_kept()

    # Step 5. The file list and the archive (they hold the checkpoint's bytes already), then
    # the mutable checkpoint, last (Sunlight: publish only after everything it names).
    _write_sums_and_archive(out, sorted(output.written), source.note)
    output.written.update((SUMS_NAME, ARCHIVE_NAME))
    write_atomic(out / CHECKPOINT_NAME, source.note)
    output.written.add(CHECKPOINT_NAME)
    report.files = len(output.written)
    report.unchanged_immutable = output.unchanged
    return report


def _copy_timestamps(src: Path, output: _Output, trust: TrustAnchor, archived: set[int]) -> None:
    """Copy ``checkpoints/<size>.<tsa>.tsr`` of the archived sizes and ``tsa/<name>.pem``."""
    for name, _ in trust.tsas:
        rel = f"{TSA_DIR}/{name}.pem"
        if (src / rel).exists():
            output.write(rel, (src / rel).read_bytes())
    for size, _, name in read_tokens(src / ARCHIVE_DIR):
        if size in archived:
            output.write(f"{ARCHIVE_DIR}/{name}", (src / ARCHIVE_DIR / name).read_bytes())


@dataclass(frozen=True)
class _Source:
    """The audited ledger to publish: its checkpoint and archive, and the audit's warnings."""

    size: int
    root: bytes
    note: bytes
    archived: tuple[int, ...]
    warnings: tuple[str, ...]


def _audit_and_read(src: Path, trust: TrustAnchor, workers: int, types: EntryTypes) -> _Source:
    """Audit ``src``, then read it with the store's own checks; both must see the same log.

    The store's checkpoint is its latest archived one, so every entry is covered by an
    archived checkpoint.

    Raises:
        StoreError: no checkpoint yet, or the ledger changed between the audit and the read.
        LedgerError: whatever the audit or the read raises.
    """
    audit = verify_directory(src, trust=trust, update_pin=False, workers=workers, types=types)
    log_keys = [parse_vkey(v) for v in audit.log_keys_ever]
    state = LedgerStore(src, trust.origin, log_keys).read_state()
    if state.checkpoint is None or state.checkpoint_note is None:
        raise StoreError(f"{src}：账本尚无检查点，无可发布内容")
    size = state.checkpoint.size
    if size != audit.size or state.checkpoint.root.hex() != audit.root:
        raise StoreError(f"{src}：审计与读取之间账本发生了变化，请重试")
    archived = tuple(sorted(state.archived_sizes))
    note, root = state.checkpoint_note, state.checkpoint.root
    return _Source(size, root, note, archived, tuple(audit.warnings))


def _write_entries(
    src: Path,
    output: _Output,
    tree: MerkleTree,
    notes: dict[int, bytes],
    report: PublishReport,
) -> set[str]:
    """Stream the checkpointed lines into ``entries.jsonl``, the entry bundles and receipts.

    Bundles are written full, and partial for each archived size (the sizes are the keys of
    ``notes``); a receipt proves each entry against the first archived checkpoint covering it.

    Returns:
        The digests of the blobs the entries reference.

    Raises:
        StoreError: a file cannot be written.
        FatalStoreError: an immutable file would change.
    """
    archived = sorted(notes)
    size = tree.size
    widths: dict[int, set[int]] = {}
    for s in archived:
        for ref in bundles_for_size(s):
            widths.setdefault(ref.index, set()).add(ref.width)
    blob_refs: set[str] = set()
    chunk: list[bytes] = []
    output.out_dir.mkdir(parents=True, exist_ok=True)
    entries_path = output.out_dir / ENTRIES_NAME
    try:
        entries = open(entries_path, "wb")  # noqa: SIM115 - closed below, streamed into
    except OSError as exc:
        raise StoreError(f"无法写入 {entries_path}：{os_reason(exc)}") from exc
    with entries:
        for index, line in EntryLines(src / ENTRIES_NAME, limit=size):
            entries.write(line + b"\n")
            chunk.append(line)
            if len(chunk) == TILE_WIDTH or index == size - 1:
                n = index // TILE_WIDTH
                for width in sorted(widths.get(n, ())):
                    output.write(TileRef(-1, n, width).path, encode_bundle(chunk[:width]))
                    report.bundles += 1
                chunk = []
            covering = archived[bisect.bisect_right(archived, index)]
            receipt = Receipt(
                index=index,
                proof=tuple(tree.inclusion_proof(index, covering)),
                checkpoint_note=notes[covering],
                extra=line,
            )
            output.write(f"{PROOF_DIR}/{index}{RECEIPT_SUFFIX}", format_receipt(receipt))
            report.receipts += 1
            blob_refs.update(_blob_digests(line, index))
    output.written.add(ENTRIES_NAME)
    return blob_refs


def _blob_digests(line: bytes, index: int) -> list[str]:
    """The digests of every blob entry ``index`` references, the draw snapshots included."""
    refs_found: list[tuple[str, int]] = []
    body = parse_entry(line, index).body
    collect_blob_refs(body, refs_found)
    # draw.announce names its snapshot files by {"sha256", "count"} (draw-v1 §3), not
    # {"sha256", "size"}: publish them too, or nobody can re-run the draw.
    if body.get("type") == "draw.announce" and isinstance(body.get("pools"), dict):
        for ref in body["pools"].values():
            if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                refs_found.append((ref["sha256"], -1))
    return [digest for digest, _ in refs_found]


def _write_sums_and_archive(out: Path, written: list[str], checkpoint: bytes) -> None:
    """Write ``SHA256SUMS`` and ``ledger.tar.gz`` for the files ``written`` under ``out`` plus
    the ``checkpoint`` (not yet on disk). Deterministic (see the module docstring).

    Raises:
        StoreError: if a file cannot be read or the archive cannot be written.
    """
    names = sorted({*written, CHECKPOINT_NAME} - {SUMS_NAME, ARCHIVE_NAME})
    sums: list[str] = []
    for name in names:
        h = hashlib.sha256()
        if name == CHECKPOINT_NAME:
            h.update(checkpoint)
        else:
            with _opened(out / name) as f:
                while block := f.read(1 << 20):
                    h.update(block)
        sums.append(f"{h.hexdigest()}  {name}\n")
    sums_bytes = "".join(sums).encode("ascii")
    _write_file(out / SUMS_NAME, sums_bytes)
    members = [*names, SUMS_NAME]
    parts = [m.split("/") for m in members]
    dirs = {"/".join(p[:i]) for p in parts for i in range(1, len(p))}
    target = out / ARCHIVE_NAME
    try:
        with (
            open(target, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            tar.addfile(_tar_info(ARCHIVE_ROOT, 0, directory=True))
            for rel in sorted([*dirs, *members]):
                name = f"{ARCHIVE_ROOT}/{rel}"
                if rel in dirs:
                    tar.addfile(_tar_info(name, 0, directory=True))
                elif rel == CHECKPOINT_NAME:
                    tar.addfile(_tar_info(name, len(checkpoint)), io.BytesIO(checkpoint))
                elif rel == SUMS_NAME:
                    tar.addfile(_tar_info(name, len(sums_bytes)), io.BytesIO(sums_bytes))
                else:
                    with _opened(out / rel) as f:
                        size = os.fstat(f.fileno()).st_size
                        tar.addfile(_tar_info(name, size), f)
    except OSError as exc:
        raise StoreError(f"无法写入 {target}：{os_reason(exc)}") from exc


def _tar_info(name: str, size: int, *, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = _ARCHIVE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def _opened(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{os_reason(exc)}") from exc


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise StoreError(f"无法写入 {path}：{os_reason(exc)}") from exc
