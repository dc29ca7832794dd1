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

What is published is what one audit verified (:func:`publish_verified` of a
:class:`~ledger.verified.VerifiedLedger`): the entry lines, notes and tokens the audit kept, never
a second reading of the directory. An ``overlay`` over the publication of a prefix of the same
log writes only what the newer checkpoints add (docs/ledger.md §13.7).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import ledger
from ledger.auditdir import collect_blob_refs
from ledger.durable import write_atomic
from ledger.entries import Entry
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
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.pubarchive import (
    ARCHIVE_NAME,
    ARCHIVE_ROOT,
    SUMS_NAME,
    format_sums,
    parse_sums,
    write_archive,
)
from ledger.receipt import Receipt, format_receipt
from ledger.registry import TrustAnchor
from ledger.tiles import (
    TILE_WIDTH,
    TileRef,
    bundles_for_size,
    encode_bundle,
    tile_bytes,
    tiles_for_size,
)
from ledger.timestamp import TSA_DIR
from ledger.trust import format_trust
from ledger.verified import VerifiedLedger, verify_ledger

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
    "publish_verified",
]

PYZ_NAME: Final = "gongkai-verify.pyz"
"""File name of the published auditor zipapp."""
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
        files: Files of the publication.
        unchanged_immutable: Immutable files already present (in ``previous`` or ``out_dir``)
            with identical bytes (kept, not produced again, by an overlay over a prefix).
        warnings: Warnings of the verification that preceded publication.
        paths: Every file of the publication, sorted.
        written: The files written into ``out_dir`` (all of them, but in an overlay).
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
    paths: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


class _Output:
    """Writes files under ``out_dir``, refusing to change immutable ones (vs ``previous``).

    With ``overlay``, ``out_dir`` is a staging folder laid over ``previous``: a file whose bytes
    equal ``previous``'s is not written (the caller keeps the published copy), and
    :meth:`keep` adds a file of ``previous`` to the publication without producing it.
    """

    def __init__(self, out_dir: Path, previous: Path | None, *, overlay: bool = False) -> None:
        self.out_dir = out_dir
        self.previous = previous
        self.overlay = overlay and previous is not None
        self.paths: set[str] = set()  # every file of the publication
        self.written: set[str] = set()  # the files written into out_dir
        self.hashes: dict[str, str] = {}  # SHA-256 of every file of the publication
        self.unchanged = 0
        self.dirs: set[Path] = set()

    def keep(self, rel: str, digest: str) -> None:
        """Publish ``previous``'s ``rel`` (SHA-256 ``digest``) as it is (overlay only)."""
        self.paths.add(rel)
        self.hashes[rel] = digest
        self.unchanged += rel.startswith(IMMUTABLE_PREFIXES)

    def located(self, rel: str) -> Path:
        """Where the published ``rel`` is now: written here, or kept in ``previous``."""
        if rel in self.written or self.previous is None:
            return self.out_dir / rel
        return self.previous / rel

    def write(self, rel: str, data: bytes) -> None:
        self.paths.add(rel)
        self.hashes[rel] = hashlib.sha256(data).hexdigest()
        immutable = rel.startswith(IMMUTABLE_PREFIXES)
        if immutable or self.overlay:
            bases = (self.previous,) if self.overlay else (self.previous, self.out_dir)
            for base in bases:
                if base is None:
                    continue
                old = _read_optional(base / rel)
                if old is None:
                    continue
                if old != data:
                    if not immutable:
                        break  # a mutable file that changed
                    raise FatalStoreError(
                        f"不可变文件发生变化：{rel}（{base / rel} 已发布的内容与本次生成的不同；"
                        "不可变文件一经发布不得改变，发布中止）"
                    )
                self.unchanged += immutable
                if self.overlay:
                    return  # identical: the published copy stays
                break
        self.put(rel, data)

    def put(self, rel: str, data: bytes) -> None:
        """Write ``rel`` into ``out_dir`` (no checks)."""
        target = self.out_dir / rel
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
            if rel.startswith(IMMUTABLE_PREFIXES) and rel not in self.paths:
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
    """Audit a ledger directory once and publish what the audit verified (docs/ledger.md §13.7).

    :func:`~ledger.verified.verify_ledger` (under the shared ``LOCK``, if the directory has one:
    every signature, the registry, every archived checkpoint, the tokens, the blobs, every draw
    re-run), then :func:`publish_verified` of its result.

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
        FatalStoreError: An immutable file would change or disappear.
        VerificationError / MalformedError: The ledger does not verify.
        StoreError: I/O errors, no checkpoint yet, or a writer holds the lock.
    """
    verified = verify_ledger(ledger_dir, trust, workers=workers, types=types)
    return publish_verified(verified, out_dir, previous=previous)


def publish_verified(
    verified: VerifiedLedger,
    out_dir: str | os.PathLike[str],
    *,
    previous: Path | None = None,
    overlay: bool = False,
) -> PublishReport:
    """Publish the checkpointed part of a verified ledger as static files (docs/ledger.md §13.7).

    Every entry line, checkpoint note and token published is the one the audit verified (kept in
    ``verified``); only blobs are read from the directory again, each checked against its SHA-256.
    Steps: (1) the published checkpoint must be the latest archived one; (2) build the Merkle tree
    of the C lines; (3) write archived checkpoints, tokens, tiles and bundles for every archived
    size, receipts, blobs, ``entries.jsonl``, ``trust.txt`` and the zipapp; (4) check that nothing
    immutable of ``previous`` changed or vanished; (5) ``SHA256SUMS`` and ``ledger.tar.gz``, then
    ``checkpoint`` last (atomically).

    With ``overlay``, ``out_dir`` is a staging folder over ``previous`` (the caller moves what is
    written there over ``previous``): files equal to ``previous``'s are not written. When
    ``previous`` holds a publication of a prefix of this log (its ``checkpoint`` is one of the
    verified archived notes, and its ``SHA256SUMS`` lists exactly the archived checkpoints up to
    that size and every file of that prefix), the immutable files of that prefix are kept as
    they are, neither produced again nor compared: only what the newer checkpoints add is
    written, and the result is byte for byte what a full publication gives.

    Args:
        verified: The audited ledger (:func:`~ledger.verified.verify_ledger`).
        out_dir: The output folder (created if missing; existing immutable files must match).
        previous: An earlier published folder whose immutable files must not change.
        overlay: Write into ``out_dir`` only what differs from ``previous`` (see above).

    Returns:
        The report (``paths``: every file of the publication; ``written``: those written).

    Raises:
        FatalStoreError: An immutable file would change or disappear.
        VerificationError: A blob changed since the audit.
        StoreError: I/O errors, or the ledger has no archived checkpoint to publish.
    """
    out = Path(out_dir)
    source = _source(verified)
    report = PublishReport(
        out, source.size, source.root.hex(), list(source.archived), warnings=list(source.warnings)
    )
    output = _Output(out, previous, overlay=overlay)
    prefix = _published_prefix(output, source) if output.overlay else None
    out.mkdir(parents=True, exist_ok=True)

    # Step 2. The tree of the checkpointed lines (leaf hashes only; ~2n hashes in memory).
    tree = MerkleTree([leaf_hash(e.line) for e in source.entries])
    if tree.size != source.size or tree.root != source.root:
        raise VerificationError(f"{verified.directory}：验证保留的条目与检查点不符")
    kept = prefix.kept if prefix is not None else frozenset()
    for rel in sorted(kept):
        output.keep(rel, prefix.sums[rel])  # type: ignore[union-attr]

    # Step 3a–b. Archived checkpoints, tokens and chains; hash tiles.
    _write_notes_and_tiles(verified, source, output, tree, kept, report)

    # Step 3c. The lines: entries.jsonl, bundles, receipts, blob references.
    blob_refs = _write_entries(source, output, tree, prefix, report)
    if (
        previous is not None
        and prefix is None
        and not _extends(previous / ENTRIES_NAME, output.located(ENTRIES_NAME))
    ):
        raise FatalStoreError(
            f"不可变文件发生变化：{ENTRIES_NAME} 不是上次发布内容的延伸（历史被改写）"
        )

    # Step 3d. Blobs referenced by entries (verified by the audit; re-checked on reading).
    for digest in sorted(blob_refs):
        if f"{BLOB_DIR}/{digest}" not in kept:
            output.write(f"{BLOB_DIR}/{digest}", verified.read_blob(digest))
            report.blobs += 1

    output.write(TRUST_NAME, format_trust(verified.trust))
    output.write(PYZ_NAME, build_zipapp())

    # Step 4. Nothing immutable of the previous publication may vanish (a kept prefix keeps
    # every immutable file of that publication by construction).
    if prefix is None:
        output.check_previous_kept()

    # Step 5. The file list and the archive (they hold the checkpoint's bytes already), then
    # the mutable checkpoint, last (Sunlight: publish only after everything it names).
    _write_sums_and_archive(output, source.note)
    output.paths.add(CHECKPOINT_NAME)
    if output.overlay and prefix is not None and prefix.size == source.size:
        pass  # the same checkpoint note (that is how the prefix was found)
    else:
        write_atomic(out / CHECKPOINT_NAME, source.note)
        output.written.add(CHECKPOINT_NAME)
    report.paths = sorted(output.paths)
    report.written = sorted(output.written)
    report.files = len(output.paths)
    report.unchanged_immutable = output.unchanged
    return report


def _write_notes_and_tiles(
    verified: VerifiedLedger,
    source: _Source,
    output: _Output,
    tree: MerkleTree,
    kept: frozenset[str],
    report: PublishReport,
) -> None:
    """Steps 3a–3b of :func:`publish_verified` (files in ``kept`` are not produced)."""
    # Archived checkpoints and their RFC 3161 tokens, verbatim (verified by the audit),
    # and the TSA chains (docs/ledger.md §15.1).
    for s in source.archived:
        if f"{ARCHIVE_DIR}/{s}" not in kept:
            output.write(f"{ARCHIVE_DIR}/{s}", source.notes[s])
    for name, data in sorted(verified.chains.items()):
        output.write(f"{TSA_DIR}/{name}.pem", data)
    for rel, data in sorted(verified.kept.files.items()):
        if rel.startswith(f"{ARCHIVE_DIR}/"):
            output.write(rel, data)

    # Step 3b. Hash tiles for every archived size (C2SP tlog-tiles; docs/ledger.md §10.5).
    refs: set[TileRef] = set()
    for s in source.archived:
        refs.update(tiles_for_size(s))
    for ref in sorted(refs, key=lambda r: (r.level, r.index, r.width)):
        if ref.path not in kept:
            output.write(ref.path, tile_bytes(tree, ref))
            report.tiles += 1


@dataclass(frozen=True)
class _Source:
    """The audited ledger to publish: its checkpoint, archive and lines, the audit's warnings."""

    size: int
    root: bytes
    note: bytes
    archived: tuple[int, ...]
    notes: dict[int, bytes]
    entries: list[Entry]
    warnings: tuple[str, ...]


def _source(verified: VerifiedLedger) -> _Source:
    """What ``verified`` publishes: its checkpoint must be its latest archived checkpoint, so
    every entry is covered by an archived one (as the store requires of a clean directory).

    Raises:
        StoreError: no archived checkpoint yet, or ``checkpoint`` is not the latest archived one.
    """
    kept, report = verified.kept, verified.report
    archived = tuple(sorted(kept.archives))
    src = verified.directory
    if not archived:
        raise StoreError(f"{src}：账本尚无检查点，无可发布内容")
    if archived[-1] != report.size or kept.archives[report.size] != kept.note:
        raise StoreError(
            f"{src}：{CHECKPOINT_NAME}（大小 {report.size}）与最新的存档检查点 "
            f"{ARCHIVE_DIR}/{archived[-1]} 不是同一份，无法发布；请先运行 gongkai status 检查账本"
        )
    if len(kept.entries) != report.size:
        raise StoreError(
            f"{src}：验证保留了 {len(kept.entries)} 条条目，检查点大小为 {report.size}"
        )
    return _Source(
        report.size,
        bytes.fromhex(report.root),
        kept.note,
        archived,
        dict(kept.archives),
        kept.entries,
        tuple(report.warnings),
    )


@dataclass(frozen=True)
class _Prefix:
    """An earlier publication of a prefix of this log, in the overlay's ``previous`` folder.

    ``size``: its checkpoint size; ``sums``: its ``SHA256SUMS``; ``kept``: the immutable files
    of the prefix (published then, kept as they are).
    """

    size: int
    sums: dict[str, str]
    kept: frozenset[str]


def _published_prefix(output: _Output, source: _Source) -> _Prefix | None:
    """The earlier publication in ``output.previous``, if it is one of a prefix of this log
    (see :func:`publish_verified`); None otherwise (everything is then produced and compared).

    Raises:
        StoreError: a file of ``previous`` cannot be read.
    """
    assert output.previous is not None
    note = _read_optional(output.previous / CHECKPOINT_NAME)
    sums_bytes = _read_optional(output.previous / SUMS_NAME)
    s = next((a for a in source.archived if source.notes[a] == note), None)
    if s is None or sums_bytes is None:
        return None
    sums = parse_sums(sums_bytes)
    if sums is None:
        return None
    then = [a for a in source.archived if a <= s]
    listed = {
        r for r in sums if r.startswith(f"{ARCHIVE_DIR}/") and r[len(ARCHIVE_DIR) + 1 :].isdigit()
    }
    if listed != {f"{ARCHIVE_DIR}/{a}" for a in then}:
        return None
    kept: set[str] = set(listed)
    for a in then:
        kept.update(ref.path for ref in tiles_for_size(a))
        kept.update(ref.path for ref in bundles_for_size(a))
    kept.update(f"{PROOF_DIR}/{i}{RECEIPT_SUFFIX}" for i in range(s))
    for entry in source.entries[:s]:
        kept.update(f"{BLOB_DIR}/{d}" for d in _blob_digests(entry))
    if not kept <= sums.keys() or ENTRIES_NAME not in sums:
        return None
    return _Prefix(s, sums, frozenset(kept))


def _write_entries(
    source: _Source,
    output: _Output,
    tree: MerkleTree,
    prefix: _Prefix | None,
    report: PublishReport,
) -> set[str]:
    """Write ``entries.jsonl``, the entry bundles and the receipts of the checkpointed lines
    (those a kept ``prefix`` holds excepted).

    Bundles are written full, and partial for each archived size; a receipt proves each entry
    against the first archived checkpoint covering it.

    Returns:
        The digests of the blobs the entries reference.

    Raises:
        StoreError: a file cannot be written.
        FatalStoreError: an immutable file would change.
    """
    archived = list(source.archived)
    size = source.size
    kept = prefix.kept if prefix is not None else frozenset()
    first = prefix.size if prefix is not None else 0  # receipts below it are kept
    widths: dict[int, set[int]] = {}
    for s in archived:
        for ref in bundles_for_size(s):
            if ref.path not in kept:
                widths.setdefault(ref.index, set()).add(ref.width)
    blob_refs: set[str] = set()
    for index, entry in enumerate(source.entries):
        blob_refs.update(_blob_digests(entry))
        n = index // TILE_WIDTH
        if (index + 1) % TILE_WIDTH == 0 or index == size - 1:
            for width in sorted(widths.get(n, ())):
                lines = [e.line for e in source.entries[n * TILE_WIDTH : n * TILE_WIDTH + width]]
                output.write(TileRef(-1, n, width).path, encode_bundle(lines))
                report.bundles += 1
        if index < first:
            continue
        covering = archived[bisect.bisect_right(archived, index)]
        receipt = Receipt(
            index=index,
            proof=tuple(tree.inclusion_proof(index, covering)),
            checkpoint_note=source.notes[covering],
            extra=entry.line,
        )
        output.write(f"{PROOF_DIR}/{index}{RECEIPT_SUFFIX}", format_receipt(receipt))
        report.receipts += 1
    if prefix is not None and prefix.size == size:  # the same lines: kept
        output.keep(ENTRIES_NAME, prefix.sums[ENTRIES_NAME])
    else:
        data = b"".join(e.line + b"\n" for e in source.entries)
        output.write(ENTRIES_NAME, data)
    return blob_refs


def _blob_digests(entry: Entry) -> list[str]:
    """The digests of every blob ``entry`` references, the draw snapshots included."""
    refs_found: list[tuple[str, int]] = []
    body = entry.body
    collect_blob_refs(body, refs_found)
    # draw.announce names its snapshot files by {"sha256", "count"} (draw-v1 §3), not
    # {"sha256", "size"}: publish them too, or nobody can re-run the draw.
    if body.get("type") == "draw.announce" and isinstance(body.get("pools"), dict):
        for ref in body["pools"].values():
            if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                refs_found.append((ref["sha256"], -1))
    return [digest for digest, _ in refs_found]


def _write_sums_and_archive(output: _Output, checkpoint: bytes) -> None:
    """Write ``SHA256SUMS`` and ``ledger.tar.gz`` for every file of the publication plus the
    ``checkpoint`` (not yet on disk). Deterministic (see :mod:`ledger.pubarchive`). In an
    overlay whose file list is unchanged, neither is written (the archive would be the same).

    Raises:
        StoreError: if a file cannot be read or the archive cannot be written.
    """
    hashes = {n: h for n, h in output.hashes.items() if n not in (SUMS_NAME, ARCHIVE_NAME)}
    hashes[CHECKPOINT_NAME] = hashlib.sha256(checkpoint).hexdigest()
    sums = format_sums(hashes)
    output.paths.update((SUMS_NAME, ARCHIVE_NAME))
    if output.overlay:
        assert output.previous is not None
        old = _read_optional(output.previous / SUMS_NAME)
        if old == sums and (output.previous / ARCHIVE_NAME).is_file():
            return
    output.put(SUMS_NAME, sums)
    names = [*sorted(hashes), SUMS_NAME]
    memory = {CHECKPOINT_NAME: checkpoint, SUMS_NAME: sums}
    write_archive(output.out_dir / ARCHIVE_NAME, sorted(names), output.located, memory)
    output.written.add(ARCHIVE_NAME)
