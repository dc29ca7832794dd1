"""The offline auditor: verify a ledger directory or a published site folder (docs/ledger.md §13.5).

:func:`verify_directory` checks, with nothing but the files and an out-of-band trust anchor,
that every entry is canonical and signed by a key the log itself registered at that position,
that the signed checkpoint (and every archived one) commits to exactly these entries, that the
published tiles, entry bundles, receipts and blobs agree with them, and that the log only grew
since the auditor's last visit (the pin). Any failure raises the matching
:class:`~ledger.errors.LedgerError` subclass with a message naming the file and the index; a
fork or rollback raises :class:`~ledger.errors.InconsistencyError` carrying portable evidence
(both signed notes and a consistency proof, as Go's ``sumdb/client.go checkTrees`` prints).

Memory is O(log n) for the tree (:class:`~ledger.merkle.RootBuilder`) plus the key registry
(which remembers every entry id): ``entries.jsonl`` is streamed, never loaded. Ed25519
verification dominates the cost, so with ``workers > 1`` the main process streams, parses,
hashes and replays the registry while it defers the department signature checks, in batches, to
a pool of processes; a failing signature is reported at its index, and the first error in log
order wins, exactly as with ``workers=1`` (which verifies inline).

This module, like all of ``ledger``, imports only the standard library and ``cryptography``:
it is shipped as ``gongkai-verify.pyz`` (see :mod:`ledger.publish`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from ledger.entries import MAX_ENTRY_SIZE, Entry, parse_entry
from ledger.errors import (
    InconsistencyError,
    InterruptedAppendError,
    LedgerError,
    MalformedError,
    StoreError,
    UnverifiableError,
    VerificationError,
)
from ledger.journal import JOURNAL_NAME
from ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    RootBuilder,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import Verifier, parse_note
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.receipt import parse_receipt, verify_receipt
from ledger.registry import ROOT_TYPES, Registry, TrustAnchor
from ledger.storescan import describe_interruption
from ledger.tiles import (
    TILE_WIDTH,
    TileRef,
    decode_bundle,
    hash_from_tiles,
    root_from_tiles,
    tile_bytes,
    tiles_for_size,
)
from ledger.trust import parse_trust

__all__ = [
    "DRAW_CHECKS",
    "EVIDENCE_HEADER",
    "REPORT_SCHEMA",
    "BlobReader",
    "DrawCheck",
    "EntryLines",
    "ForkEvidence",
    "VerifyReport",
    "check_fork_evidence",
    "collect_blob_refs",
    "consistency_proof_from_tiles",
    "consistency_ranges",
    "inclusion_proof_from_tiles",
    "inclusion_ranges",
    "parse_fork_evidence",
    "range_hash_from_tiles",
    "verify_directory",
]

REPORT_SCHEMA: Final = "gongkai-verify-report/v1"
"""Value of the ``schema`` key of :meth:`VerifyReport.to_json`."""

EVIDENCE_HEADER: Final = "gongkai-fork-evidence/v1"
"""First line of the portable fork/rollback evidence (see :class:`ForkEvidence`)."""

ENTRIES_NAME: Final = "entries.jsonl"
CHECKPOINT_NAME: Final = "checkpoint"
ARCHIVE_DIR: Final = "checkpoints"
BLOB_DIR: Final = "blobs/sha256"
TILE_DIR: Final = "tile"
PROOF_DIR: Final = "proofs"
TRUST_NAME: Final = "trust.txt"
RECEIPT_SUFFIX: Final = ".tlog-proof"

BlobReader = Callable[[str], bytes]
"""``read_blob(hex_sha256) -> bytes``: a blob's bytes, already checked against its hash."""

DrawCheck = Callable[[Entry, BlobReader], None]
"""A re-execution hook: raise a :class:`~ledger.errors.LedgerError` if the entry is wrong."""

DRAW_CHECKS: list[DrawCheck] = []
"""Hooks called for every verified entry, in log order, with a blob reader (docs/ledger.md §13.5
step 4). The draws module appends its DRAW-V1 re-execution here; an exception aborts the audit
at that entry."""

_READ_CHUNK: Final = 1 << 20
_DECIMAL: Final = re.compile("0|[1-9][0-9]{0,18}")
_HEX64: Final = re.compile("[0-9a-f]{64}")
_BATCH: Final = 256  # signatures per pool task
_IN_FLIGHT_PER_WORKER: Final = 4  # bounded queue: memory stays O(workers × batch)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- report


@dataclass
class VerifyReport:
    """What a successful audit established (see :meth:`to_json` for the stable schema).

    Attributes:
        origin: The log origin (from the trust anchor, equal to the checkpoint's).
        size: The size of the verified checkpoint.
        root: The checkpoint's root, lowercase hex.
        entries_verified: Entries checked (canonical, registry replay, signatures, tree).
        unverified_tail: Lines after the checkpoint size (not covered by any signature).
        signatures_checked: Ed25519 entry signatures verified.
        threshold: The root-key threshold after replay.
        root_keys: The root authority vkeys after replay.
        log_keys: The log (checkpoint) vkeys valid at ``size``.
        log_keys_ever: Every log vkey valid at some index (old keys of a rotation included).
        keys: Every department key the log registered, with its validity window.
        flagged: Entries signed by a key later revoked as compromised: ``{index: key}``.
        warnings: Human-readable warnings (Chinese).
        trust_source: ``"given"`` or ``"directory"`` (``trust.txt`` next to the data).
        checkpoints_checked: Archived checkpoints verified (signature and root).
        tiles_checked: Hash tiles read and checked.
        bundles_checked: Entry bundles compared with the lines.
        receipts_checked: ``proofs/*.tlog-proof`` receipts verified.
        blobs_checked: Distinct blobs checked (hash and size).
        pin_previous_size: The pinned size before this run (None without a pin).
        pin_updated: Whether the pin file was (re)written.
        workers: Processes used for signature verification.
    """

    origin: str
    size: int
    root: str
    entries_verified: int
    unverified_tail: int
    signatures_checked: int
    threshold: int
    root_keys: list[str]
    log_keys: list[str]
    log_keys_ever: list[str]
    keys: list[dict[str, Any]]
    flagged: dict[int, str]
    warnings: list[str] = field(default_factory=list)
    trust_source: str = "given"
    checkpoints_checked: int = 0
    tiles_checked: int = 0
    bundles_checked: int = 0
    receipts_checked: int = 0
    blobs_checked: int = 0
    pin_previous_size: int | None = None
    pin_updated: bool = False
    workers: int = 1
    draws_checked: int = 0
    beacons_checked: int = 0
    replacements_checked: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (the schema documented in :meth:`to_json`)."""
        return {
            "schema": REPORT_SCHEMA,
            "ok": True,
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "entries_verified": self.entries_verified,
            "unverified_tail": self.unverified_tail,
            "signatures_checked": self.signatures_checked,
            "threshold": self.threshold,
            "root_keys": list(self.root_keys),
            "log_keys": list(self.log_keys),
            "log_keys_ever": list(self.log_keys_ever),
            "keys": [dict(k) for k in self.keys],
            "flagged": [{"index": i, "key": k} for i, k in sorted(self.flagged.items())],
            "warnings": list(self.warnings),
            "trust_source": self.trust_source,
            "checked": {
                "checkpoints": self.checkpoints_checked,
                "tiles": self.tiles_checked,
                "bundles": self.bundles_checked,
                "receipts": self.receipts_checked,
                "blobs": self.blobs_checked,
                "draws": self.draws_checked,
                "beacons": self.beacons_checked,
                "replacements": self.replacements_checked,
            },
            "pin": {"previous_size": self.pin_previous_size, "updated": self.pin_updated},
        }

    def to_json(self) -> str:
        """Serialize the report as JSON (sorted keys, two-space indent, final newline).

        Schema ``gongkai-verify-report/v1`` (keys are stable; new keys may be added)::

            schema              "gongkai-verify-report/v1"
            ok                  true (failures are not reports: the CLI prints an error object)
            origin              log origin
            size                verified checkpoint size
            root                checkpoint root, lowercase hex
            entries_verified    entries checked (= size)
            unverified_tail     lines after the checkpoint (not yet signed)
            signatures_checked  Ed25519 entry signatures verified
            threshold           root threshold after replay
            root_keys           [vkey]        root authority keys after replay
            log_keys            [vkey]        log keys valid at `size`
            log_keys_ever       [vkey]        every log key valid at some index
            keys                [{key, vkey, dept, scopes, added_at, revoked_at,
                                  compromised_from}]   department keys (null = not set)
            flagged             [{index, key}] entries signed after a key's compromise
            warnings            [string]      Chinese warnings
            trust_source        "given" | "directory"
            checked             {checkpoints, tiles, bundles, receipts, blobs, draws,
                                 beacons, replacements}: counts (draws re-run byte for byte)
            pin                 {previous_size: int|null, updated: bool}
        """
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, indent=2) + "\n"

    def to_text(self) -> str:
        """A short human-readable summary in Chinese, starting with ``验证通过：``."""
        revoked = sum(1 for k in self.keys if k["revoked_at"] is not None)
        lines = [
            f"验证通过：日志 {self.origin}",
            f"  检查点大小 {self.size}，根哈希 {self.root}",
            f"  已验证条目 {self.entries_verified} 条，条目签名 {self.signatures_checked} 个；"
            f"检查点之后未验证的行 {self.unverified_tail} 行",
            f"  存档检查点 {self.checkpoints_checked} 个，瓦片 {self.tiles_checked} 个，"
            f"条目包 {self.bundles_checked} 个，回执 {self.receipts_checked} 个，"
            f"blob {self.blobs_checked} 个",
            f"  重新运行抽取 {self.draws_checked} 次（逐字节一致），drand 随机数签名 "
            f"{self.beacons_checked} 个，替补 {self.replacements_checked} 次",
            f"  根密钥 {len(self.root_keys)} 个（门限 {self.threshold}），"
            f"日志密钥 {len(self.log_keys)} 个，部门密钥 {len(self.keys)} 个（已撤销 {revoked} 个）",
        ]
        if self.flagged:
            shown = "、".join(f"第 {i} 条（{k}）" for i, k in sorted(self.flagged.items())[:20])
            more = "等" if len(self.flagged) > 20 else ""
            lines.append(
                f"  注意：{len(self.flagged)} 条条目由事后声明泄露的密钥签署：{shown}{more}"
            )
        if self.pin_previous_size is not None:
            lines.append(
                f"  与固定的检查点（大小 {self.pin_previous_size}）一致"
                + ("，已更新固定文件" if self.pin_updated else "")
            )
        elif self.pin_updated:
            lines.append("  首次固定检查点（信任首次使用），已写入固定文件")
        for warning in self.warnings:
            lines.append(f"警告：{warning}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- fork evidence


@dataclass(frozen=True)
class ForkEvidence:
    """Portable proof that a log signed two inconsistent checkpoints, or rolled back.

    Text format (UTF-8; ``#`` lines are explanations and are ignored by the parser)::

        gongkai-fork-evidence/v1
        kind fork|rollback
        origin <origin>
        old <size> <b64 root>          the pinned (earlier verified) checkpoint
        new <size> <b64 root>          the checkpoint now presented
        computed <b64 root>            fork only: MTH of the first <old size> entries of the
                                       new log, as the consistency proof commits to it
        proof <b64 hash>               fork only, zero or more: consistency proof old → new
        note old <byte length>         followed by a newline and exactly that many bytes
        note new <byte length>         likewise

    A fork is proven when both notes verify under the log's keys and ``verify_consistency(old,
    new, proof, computed, new_root)`` succeeds while ``computed != old_root`` (then no proof at
    all can link the two roots, by collision resistance of SHA-256). A rollback is two verified
    notes where the newly presented size is smaller than the pinned one.
    """

    kind: str
    origin: str
    old_size: int
    old_root: bytes
    new_size: int
    new_root: bytes
    computed: bytes | None
    proof: tuple[bytes, ...]
    old_note: bytes
    new_note: bytes

    def to_text(self) -> str:
        """Serialize (see the class docstring); :func:`parse_fork_evidence` inverts it."""
        if self.kind == "fork":
            explain = [
                "# 分叉证据：同一日志签署了两个互不一致的检查点。",
                f"# 旧检查点（大小 {self.old_size}）此前已通过验证并被固定；新检查点（大小 "
                f"{self.new_size}）所承诺的日志，其前 {self.old_size} 条的根为 computed，",
                "# 与旧检查点的根不同。下面的一致性证明由新日志的条目计算（RFC 9162 §2.1.4），",
                "# 用 computed 可验证通过，用旧检查点的根则不通过。任何人只需两份签名检查点、",
                "# 日志公钥和 SHA-256 即可复核，无需信任本工具或日志运营者。",
            ]
        else:
            explain = [
                "# 回滚证据：日志出示的检查点（大小 "
                f"{self.new_size}）比审计者此前已验证并固定的检查点（大小 {self.old_size}）更旧。",
                "# 两份检查点均由日志密钥签署；日志只能增长，出示旧状态意味着回滚或分割视图。",
            ]
        lines = [
            EVIDENCE_HEADER,
            *explain,
            f"kind {self.kind}",
            f"origin {self.origin}",
            f"old {self.old_size} {_b64(self.old_root)}",
            f"new {self.new_size} {_b64(self.new_root)}",
        ]
        if self.computed is not None:
            lines.append(f"computed {_b64(self.computed)}")
        lines += [f"proof {_b64(h)}" for h in self.proof]
        head = "\n".join(lines) + "\n"
        old = self.old_note.decode("utf-8")
        new = self.new_note.decode("utf-8")
        return f"{head}note old {len(self.old_note)}\n{old}note new {len(self.new_note)}\n{new}"


def parse_fork_evidence(text: str) -> ForkEvidence:
    """Parse evidence produced by :meth:`ForkEvidence.to_text` (strict; notes not verified).

    Raises:
        MalformedError: If the text does not follow the format.
    """
    data = text.encode("utf-8")
    notes: dict[str, bytes] = {}
    fields: dict[str, str] = {}
    proof: list[bytes] = []
    pos = 0
    first = True
    try:
        while pos < len(data):
            end = data.index(b"\n", pos)
            line = data[pos:end].decode("utf-8")
            pos = end + 1
            if first:
                if line != EVIDENCE_HEADER:
                    raise MalformedError(f"证据首行应为 {EVIDENCE_HEADER}")
                first = False
                continue
            if line.startswith("#"):
                continue
            keyword, _, value = line.partition(" ")
            if keyword == "note":
                which, _, length = value.partition(" ")
                if which not in ("old", "new") or which in notes or not _DECIMAL.fullmatch(length):
                    raise MalformedError(f"证据中的 note 行无效：{line!r}")
                notes[which] = data[pos : pos + int(length)]
                if len(notes[which]) != int(length):
                    raise MalformedError("证据中的签名检查点被截断")
                pos += int(length)
            elif keyword == "proof":
                proof.append(_strict_b64(value))
            elif keyword in ("kind", "origin", "old", "new", "computed") and keyword not in fields:
                fields[keyword] = value
            else:
                raise MalformedError(f"证据中有未知或重复的行：{line!r}")
    except ValueError as exc:  # index() without a newline, or a decoding error
        raise MalformedError(f"证据格式错误：{exc}") from None
    if first or set(notes) != {"old", "new"} or not {"kind", "origin", "old", "new"} <= set(fields):
        raise MalformedError("证据缺少必需的行（kind、origin、old、new、两份 note）")
    kind = fields["kind"]
    if kind not in ("fork", "rollback"):
        raise MalformedError(f"证据的 kind 无效：{kind!r}")
    old_size, old_root = _size_root(fields["old"])
    new_size, new_root = _size_root(fields["new"])
    computed = _strict_b64(fields["computed"]) if "computed" in fields else None
    return ForkEvidence(
        kind,
        fields["origin"],
        old_size,
        old_root,
        new_size,
        new_root,
        computed,
        tuple(proof),
        notes["old"],
        notes["new"],
    )


def _strict_b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise MalformedError(f"无效的 base64：{text!r}") from None
    if _b64(raw) != text or len(raw) != 32:
        raise MalformedError(f"应为 32 字节哈希的规范 base64：{text!r}")
    return raw


def _size_root(value: str) -> tuple[int, bytes]:
    size, _, root = value.partition(" ")
    if not _DECIMAL.fullmatch(size):
        raise MalformedError(f"证据中的大小无效：{size!r}")
    return int(size), _strict_b64(root)


def check_fork_evidence(evidence: ForkEvidence, log_keys: Iterable[Verifier]) -> str:
    """Check that ``evidence`` really proves misbehaviour of the log signed by ``log_keys``.

    Args:
        evidence: Parsed evidence.
        log_keys: The log's verifier keys (old and new ones after a rotation).

    Returns:
        A one-line Chinese conclusion.

    Raises:
        VerificationError: If the evidence does not prove a fork or rollback (a signature does
            not verify, the notes disagree with the stated sizes/roots, or the roots are in
            fact consistent).
        MalformedError: If an embedded note does not parse.
    """
    keys = list(log_keys)
    try:
        old, _ = open_checkpoint(evidence.old_note, evidence.origin, keys)
        new, _ = open_checkpoint(evidence.new_note, evidence.origin, keys)
    except ValueError as exc:
        raise VerificationError(f"日志密钥有歧义：{exc}") from None
    if (old.size, old.root, new.size, new.root) != (
        evidence.old_size,
        evidence.old_root,
        evidence.new_size,
        evidence.new_root,
    ):
        raise VerificationError("证据中的大小或根与签名检查点不符")
    if evidence.kind == "rollback":
        if new.size >= old.size:
            raise VerificationError("不构成回滚：新检查点并不比旧检查点小")
        return f"已证实回滚：日志先签署了大小 {old.size}，又出示了更小的 {new.size}"
    if evidence.computed is None:
        raise VerificationError("分叉证据缺少 computed 行")
    if old.size == 0:
        raise VerificationError("空树与任何树都一致，不构成分叉")
    verify_consistency(old.size, new.size, list(evidence.proof), evidence.computed, new.root)
    if evidence.computed == old.root:
        raise VerificationError("不构成分叉：旧检查点与新检查点一致")
    return (
        f"已证实分叉：大小 {new.size} 的检查点承诺的前 {old.size} 条的根为 "
        f"{evidence.computed.hex()}，而另一份签名检查点声称是 {old.root.hex()}"
    )


# --------------------------------------------------------------------------- proof ranges


def _split_point(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), in order.

    Raises:
        ValueError: unless 0 ≤ index < size.
    """
    if not 0 <= index < size:
        raise ValueError(f"序号 {index} 不在 0..{size - 1} 范围内")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1).

    Raises:
        ValueError: unless 0 < old_size ≤ new_size.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(f"旧大小 {old_size} 不在 1..{new_size} 范围内")
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, new_size, old_size
    known = True  # SUBPROOF's flag b
    while m != end - start:
        k = _split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            known = False
    if not known:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def range_hash_from_tiles(
    size: int, start: int, end: int, read: Callable[[TileRef], bytes]
) -> bytes:
    """MTH(D[start:end]) of a tree published as tiles for ``size`` (unverified: check a proof).

    ``start`` must be aligned to a power of two ≥ ``end − start`` (true of every range in an
    RFC 9162 proof); the range is folded from its perfect subtrees (docs/ledger.md §10.2).
    """
    pieces: list[bytes] = []
    pos, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        pieces.append(hash_from_tiles(size, level, pos >> level, read))
        pos += 1 << level
        remaining -= 1 << level
    result = pieces[-1]
    for h in reversed(pieces[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_proof_from_tiles(
    index: int, size: int, read: Callable[[TileRef], bytes]
) -> list[bytes]:
    """An inclusion proof for leaf ``index`` in the tree of ``size``, read from its tiles."""
    return [range_hash_from_tiles(size, s, e, read) for s, e in inclusion_ranges(index, size)]


def consistency_proof_from_tiles(
    old_size: int, new_size: int, read: Callable[[TileRef], bytes]
) -> list[bytes]:
    """A consistency proof old_size → new_size, read from the tiles of ``new_size``."""
    return [
        range_hash_from_tiles(new_size, s, e, read)
        for s, e in consistency_ranges(old_size, new_size)
    ]


# --------------------------------------------------------------------------- line reader


class _Overlong(Exception):
    """An unterminated run of bytes longer than any entry (raised by :class:`EntryLines`)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class EntryLines:
    """Stream ``entries.jsonl`` as ``(index, line)``; O(chunk + longest line) memory.

    Iteration stops after ``limit`` lines when given. After a complete iteration, ``tail``
    holds the bytes after the last newline (an unterminated line). A missing file raises
    :class:`~ledger.errors.VerificationError`; a run of more than 65536 bytes without a newline
    raises the internal ``_Overlong``.
    """

    def __init__(self, path: Path, limit: int | None = None) -> None:
        self.path = path
        self.tail = b""
        self.limit = limit

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open across yields
        except FileNotFoundError:
            raise UnverifiableError(f"缺少 {self.path.name}（{self.path}）") from None
        except OSError as exc:
            raise StoreError(f"无法读取 {self.path}：{exc.strerror or exc}") from exc
        index = 0
        with f:
            buf = b""
            while self.limit is None or index < self.limit:
                try:
                    chunk = f.read(_READ_CHUNK)
                except OSError as exc:
                    raise StoreError(f"无法读取 {self.path}：{exc.strerror or exc}") from exc
                if not chunk:
                    break
                buf = buf + chunk if buf else chunk
                start = 0
                while (nl := buf.find(b"\n", start)) != -1:
                    yield index, buf[start:nl]
                    index += 1
                    start = nl + 1
                    if self.limit is not None and index >= self.limit:
                        return
                buf = buf[start:]
                if len(buf) > MAX_ENTRY_SIZE + 1:
                    raise _Overlong(index)
            self.tail = buf


def _count_rest(path: Path, skip_lines: int) -> tuple[int, bytes]:
    """Count the complete lines after the first ``skip_lines``; also return the torn tail."""
    count = 0
    seen = 0
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(_READ_CHUNK):
            tail = (tail + chunk)[-(MAX_ENTRY_SIZE + 2) :]
            n = chunk.count(b"\n")
            if seen + n > skip_lines:
                count += seen + n - max(seen, skip_lines)
            seen += n
    last_nl = tail.rfind(b"\n")
    return count, tail[last_nl + 1 :]


# --------------------------------------------------------------------------- signatures


_KEY_CACHE: dict[bytes, Ed25519PublicKey] = {}


def _verify_batch(blob: bytes) -> int:
    """Pool task: verify the signatures packed in ``blob`` (see :meth:`_SigChecker.add`).

    Each item is ``public key (32) ‖ signature (64) ‖ u32be(len(message)) ‖ message``: one bytes
    object per batch pickles and travels far faster than a tuple of objects per signature.

    Returns:
        The position in the batch of the first invalid signature, or -1.
    """
    view = memoryview(blob)
    pos = 0
    k = 0
    end = len(blob)
    while pos < end:
        pub = bytes(view[pos : pos + 32])
        sig = bytes(view[pos + 32 : pos + 96])
        n = int.from_bytes(view[pos + 96 : pos + 100], "big")
        msg = bytes(view[pos + 100 : pos + 100 + n])
        pos += 100 + n
        key = _KEY_CACHE.get(pub)
        if key is None:
            if len(_KEY_CACHE) > 4096:
                _KEY_CACHE.clear()
            key = _KEY_CACHE[pub] = Ed25519PublicKey.from_public_bytes(pub)
        try:
            key.verify(sig, msg)
        except (InvalidSignature, ValueError):
            return k
        k += 1
    return -1


def _sig_error(failure: tuple[int, str, str]) -> VerificationError:
    # The same wording as Registry._valid_sigs, so workers=1 and workers=N report alike.
    _, ref, where = failure
    return VerificationError(f"{where}：密钥 {ref} 的签名无效")


def _pool_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork: no re-import of the (possibly zipped) program; the children only run _verify_batch.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _SigChecker:
    """Deferred Ed25519 checks, verified in order by a process pool (bounded in flight)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: Pool = _pool_context().Pool(workers)
        self.parts: list[bytes] = []  # the packed items of the batch being filled
        self.meta: list[tuple[int, str, str]] = []  # (index, key ref, where) of each item
        self.pending: deque[tuple[AsyncResult[int], list[tuple[int, str, str]]]] = deque()
        self.failure: tuple[int, str, str] | None = None

    def add(self, index: int, pub: bytes, msg: bytes, sig: bytes, ref: str, where: str) -> None:
        """Queue one check. Preconditions: ``len(pub) == 32``, ``len(sig) == 64``."""
        self.parts += (pub, sig, len(msg).to_bytes(4, "big"), msg)
        self.meta.append((index, ref, where))
        if len(self.meta) >= _BATCH:
            self._submit()

    def _send(self) -> None:
        if self.meta:
            blob = b"".join(self.parts)
            self.pending.append((self.pool.apply_async(_verify_batch, (blob,)), self.meta))
            self.parts = []
            self.meta = []

    def _submit(self) -> None:
        self._send()
        while len(self.pending) > self.workers * _IN_FLIGHT_PER_WORKER:
            self._collect_one()
            if self.failure is not None:
                raise _sig_error(self.failure)

    def _collect_one(self) -> None:
        result, meta = self.pending.popleft()
        at = result.get()
        if at >= 0 and self.failure is None:
            self.failure = meta[at]

    def first_failure(self) -> tuple[int, str, str] | None:
        """Verify everything queued; return the earliest failure in log order, if any."""
        self._send()
        while self.pending and self.failure is None:
            self._collect_one()
        return self.failure

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


class _DeferringRegistry(Registry):
    """A registry whose department signature checks are queued on a :class:`_SigChecker`.

    Key-management entries (rare) are verified inline as usual. A queued signature is assumed
    valid for the replay; if it is not, the audit fails at its index anyway, and the earliest
    error in log order is reported (see :func:`verify_directory`), so the outcome equals an
    inline replay.
    """

    checker: _SigChecker | None = None

    def _valid_sigs(
        self, entry: Entry, msg: bytes, candidates: Mapping[str, Verifier], where: str
    ) -> set[str]:
        checker = self.checker
        if checker is None or entry.type in ROOT_TYPES:
            return super()._valid_sigs(entry, msg, candidates, where)
        good: set[str] = set()
        for sig in entry.sigs:
            verifier = candidates.get(sig.key)
            if verifier is None:
                continue
            checker.add(self.size, verifier.public_key, msg, sig.sig, sig.key, where)
            good.add(sig.key)
        return good


# --------------------------------------------------------------------------- the audit


@dataclass
class _Archive:
    size: int
    note: bytes
    root: bytes


def _read(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UnverifiableError(f"缺少{what}：{path}") from None
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{exc.strerror or exc}") from exc


def _parse_note_checkpoint(note: bytes, origin: str, name: str) -> Checkpoint:
    """Strict syntax of a checkpoint note (signatures are checked later, with replayed keys)."""
    try:
        text, _ = parse_note(note)
        return parse_checkpoint(text, origin)
    except MalformedError as exc:
        raise MalformedError(f"{name} 不是合格的签名检查点：{exc}") from exc
    except VerificationError as exc:  # origin mismatch
        raise VerificationError(f"{name}：{exc}（信任锚的 origin 为 {origin!r}）") from exc


def _open_with(note: bytes, origin: str, keys: Iterable[Verifier], name: str) -> Checkpoint:
    try:
        cp, _ = open_checkpoint(note, origin, keys)
    except ValueError as exc:
        raise VerificationError(f"{name}：日志密钥有歧义：{exc}") from None
    except MalformedError as exc:
        raise MalformedError(f"{name} 不是合格的签名检查点：{exc}") from exc
    except VerificationError as exc:
        raise VerificationError(
            f"{name} 的签名无法用日志密钥验证（未知密钥签署或内容被改动）：{exc}"
        ) from exc
    return cp


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


class _Auditor:
    """One run of :func:`verify_directory` (state shared by its steps)."""

    def __init__(
        self,
        path: Path,
        trust: TrustAnchor,
        workers: int,
        types: EntryTypes,
    ) -> None:
        self.path = path
        self.trust = trust
        self.origin = trust.origin
        self.workers = workers
        self.types = types
        self.warnings: list[str] = []
        self.trust_from_dir = False
        self.blob_sizes: dict[str, int] = {}
        self.has_tiles = (path / TILE_DIR).is_dir()
        self.tile_cache: dict[str, bytes] = {}
        self.tiles_checked: set[str] = set()
        self.bundles_checked = 0
        self.archived_above: list[int] = []  # archive newer than `checkpoint`: reported later

    # -- files -----------------------------------------------------------------------------

    def read_tile(self, ref: TileRef) -> bytes:
        rel = ref.path
        self.tiles_checked.add(rel)
        return _read(self.path / rel, f"瓦片 {rel}")

    def read_blob(self, digest: str) -> bytes:
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise MalformedError(f"blob 名称应为 64 位小写十六进制：{digest!r}")
        data = _read(self.path / BLOB_DIR / digest, f"blob {digest}")
        if hashlib.sha256(data).hexdigest() != digest:
            raise VerificationError(f"blob {BLOB_DIR}/{digest} 的内容与其 SHA-256 不符（被改动）")
        return data

    def check_blob(self, index: int, digest: str, size: int) -> None:
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
                while chunk := f.read(_READ_CHUNK):
                    h.update(chunk)
                    actual += len(chunk)
        except FileNotFoundError:
            raise UnverifiableError(f"第 {index} 条条目引用的 blob 缺失：{rel}") from None
        except OSError as exc:
            raise StoreError(f"无法读取 {blob}：{exc.strerror or exc}") from exc
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
        ref = TileRef(-1, first // TILE_WIDTH, len(lines))
        data = _read(self.path / ref.path, f"条目包 {ref.path}")
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

    # -- archive ---------------------------------------------------------------------------

    def list_archive(self, size: int) -> dict[int, _Archive]:
        folder = self.path / ARCHIVE_DIR
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"无法列出 {folder}：{exc.strerror or exc}") from exc
        found: dict[int, _Archive] = {}
        for name in names:
            if name.startswith("."):
                continue  # a crashed writer's temp file is never part of the log
            rel = f"{ARCHIVE_DIR}/{name}"
            if not _DECIMAL.fullmatch(name):
                raise MalformedError(f"{rel}：存档文件名应为规范的十进制大小")
            note = _read(folder / name, f"存档检查点 {rel}")
            cp = _parse_note_checkpoint(note, self.origin, rel)
            if cp.size != int(name):
                raise VerificationError(f"{rel}：文件名为 {name}，签名检查点的大小却是 {cp.size}")
            if cp.size > size and (self.path / JOURNAL_NAME).exists():
                self.archived_above.append(cp.size)  # an interrupted append (see _run)
                continue
            if cp.size > size:
                raise VerificationError(
                    f"存档 {rel} 比 {CHECKPOINT_NAME}（大小 {size}）更新：发布的检查点落后于存档"
                    "（被回退或发布不完整）"
                )
            found[cp.size] = _Archive(cp.size, note, cp.root)
        return found


def _load_trust(path: Path, trust: TrustAnchor | None) -> tuple[TrustAnchor, bool]:
    if trust is not None:
        return trust, False
    data = _read(path / TRUST_NAME, f"信任锚 {TRUST_NAME}（可用 --trust 指定）")
    try:
        return parse_trust(data), True
    except MalformedError as exc:
        raise MalformedError(f"{path / TRUST_NAME}：{exc}") from exc


def _read_pin(pin_path: Path | None, origin: str) -> tuple[bytes, Checkpoint] | None:
    if pin_path is None or not pin_path.exists():
        return None
    note = _read(pin_path, "固定文件")
    return note, _parse_note_checkpoint(note, origin, f"固定文件 {pin_path}")


def verify_directory(
    path: str | os.PathLike[str],
    *,
    trust: TrustAnchor | None = None,
    pin_path: Path | None = None,
    update_pin: bool = True,
    workers: int = 1,
    allow_types: Iterable[str] = (),
    types: EntryTypes = ENTRY_TYPES,
) -> VerifyReport:
    """Audit a ledger directory or a published ledger folder, offline (docs/ledger.md §13.5).

    Args:
        path: A ledger directory (``entries.jsonl``, ``checkpoint``, ``checkpoints/``,
            ``blobs/``) or a published folder (the same plus ``tile/``, ``proofs/``,
            ``trust.txt``).
        trust: The trust anchor obtained out of band; if None, ``<path>/trust.txt`` is used and
            the report warns that it must be compared with the published anchor.
        pin_path: The pin file: the last verified signed checkpoint note. Missing: trust on
            first use. Present: the log must extend it.
        update_pin: Write the verified checkpoint to ``pin_path`` (atomically) on success.
        workers: Processes for Ed25519 verification (1 = inline, in this process).
        allow_types: Extra department entry types to accept under the usual department-key
            rules (for types this verifier version does not know yet; reported as a warning;
            only their common fields are checked).
        types: The entry types and their body schemas (default: every gongkai-ledger/v1 type).

    Returns:
        The report.

    Raises:
        MalformedError: A file does not parse (entry line, note, tile, receipt, trust.txt).
        VerificationError: A signature, hash, root, proof or registry rule fails.
        UnverifiableError: A file the audit needs is missing (an incomplete copy), or a library
            it needs (drand BLS) is not installed: nothing was found wrong, nothing verified.
        InconsistencyError: The checkpoint contradicts the pin (fork or rollback); its
            ``evidence`` holds the portable :class:`ForkEvidence` text.
        StoreError: ``path`` is not a ledger directory, a file cannot be read or the pin cannot
            be written.
    """
    root = Path(path)
    if not root.is_dir() or not any(
        (root / name).exists() for name in (CHECKPOINT_NAME, TRUST_NAME, "entries.jsonl")
    ):
        raise StoreError(
            f"{root}：不是账本目录（没有 {CHECKPOINT_NAME}、{TRUST_NAME} 或 entries.jsonl）"
        )
    anchor, from_dir = _load_trust(root, trust)
    auditor = _Auditor(root, anchor, max(1, workers), types.allowing(allow_types))
    auditor.trust_from_dir = from_dir
    if from_dir:
        auditor.warnings.append(
            f"信任锚取自被验证目录自身的 {TRUST_NAME}，不能证明日志身份；"
            "请与另行公布的信任锚（网站、公告、政府公报）逐字核对"
        )
    return _run(auditor, pin_path, update_pin)


def _run(auditor: _Auditor, pin_path: Path | None, update_pin: bool) -> VerifyReport:
    path, origin, trust = auditor.path, auditor.origin, auditor.trust
    if auditor.types.unchecked:
        auditor.warnings.append(
            "按调用者要求接受了本验证器未内置的条目类型："
            + "、".join(sorted(auditor.types.unchecked))
            + "（仍要求部门密钥签名与授权范围）"
        )

    # Step 1. The signed checkpoint, strictly parsed (C2SP tlog-checkpoint; docs/ledger.md
    # §11.3–§11.4): exactly three lines (no extension lines), canonical size and root, origin ==
    # trust.origin. Its signature is checked in step 3 with the log keys the registry holds at that
    # size.
    cp_note = _read(path / CHECKPOINT_NAME, f"签名检查点 {CHECKPOINT_NAME}")
    checkpoint = _parse_note_checkpoint(cp_note, origin, CHECKPOINT_NAME)
    size = checkpoint.size

    # Step 2. The archive checkpoints/<size> (list it first, so that the stream can compare
    # roots at every archived size); an archive newer than `checkpoint` is an error.
    archives = auditor.list_archive(size)
    if size not in archives and archives:
        auditor.warnings.append(f"{CHECKPOINT_NAME}（大小 {size}）不在存档 {ARCHIVE_DIR}/ 中")
    pin = _read_pin(pin_path, origin)
    pin_size = pin[1].size if pin is not None else None

    # Step 3. Stream entries.jsonl: canonical line ≤ 65535 bytes → parse_entry → registry
    # replay by log index (docs/ledger.md §13.3) → leaf hash into the O(log n) RootBuilder
    # (RFC 9162 §2.1.1) → blobs, draw hooks, bundles; at every archived size, verify the
    # archived note and compare its root; at `size`, open `checkpoint` with the current keys.
    # Step 4 (docs/ledger.md §13.5): one task replay per audit; it re-runs every draw.
    from ledger.draw.audit import LedgerAudit

    draw_audit = LedgerAudit()
    registry: Registry
    checker: _SigChecker | None = None
    if auditor.workers > 1:
        checker = _SigChecker(auditor.workers)
        deferring = _DeferringRegistry(origin=origin, trust=trust, types=auditor.types)
        deferring.checker = checker
        registry = deferring
    else:
        registry = Registry(origin=origin, trust=trust, types=auditor.types)
    builder = RootBuilder()
    log_keys_ever: dict[str, Verifier] = {}
    roots_at: dict[int, bytes] = {}
    signatures = 0
    checked_archives = 0
    last_checked = 0
    chunk: list[bytes] = []
    partial_bundle_sizes = {s for s in archives if s % TILE_WIDTH} | (
        {size} if size % TILE_WIDTH else set()
    )
    lines = EntryLines(path / ENTRIES_NAME, limit=size)
    index = -1
    try:
        try:
            for index, line in lines:
                if line.endswith(b"\r"):
                    raise MalformedError(
                        f"entries.jsonl 第 {index} 行以 CRLF（\\r\\n）结尾；行尾只能是 \\n"
                    )
                entry = parse_entry(line, index)
                registry.apply(entry)
                signatures += len(entry.sigs)
                if entry.type in ROOT_TYPES or index == 0:
                    for v in registry.log_keys:
                        log_keys_ever.setdefault(v.key_ref, v)
                builder.append(leaf_hash(line))
                if b'"sha256":' in line:  # cheap pre-filter: a blob reference needs this key
                    refs: list[tuple[str, int]] = []
                    collect_blob_refs(entry.body, refs)
                    for digest, blob_size in refs:
                        auditor.check_blob(index, digest, blob_size)
                draw_audit(entry, auditor.read_blob)
                for check in DRAW_CHECKS:
                    check(entry, auditor.read_blob)
                n = index + 1
                if auditor.has_tiles:
                    chunk.append(line)
                    if len(chunk) == TILE_WIDTH:
                        auditor.check_bundle(n - TILE_WIDTH, chunk)
                        chunk = []
                    elif n in partial_bundle_sizes:
                        auditor.check_bundle(n - len(chunk), chunk)
                if n == pin_size:
                    roots_at[n] = builder.root()
                archive = archives.get(n)
                if archive is not None:
                    _open_with(archive.note, origin, log_keys_ever.values(), f"{ARCHIVE_DIR}/{n}")
                    actual = builder.root()
                    if actual != archive.root:
                        raise VerificationError(
                            f"{ARCHIVE_DIR}/{n} 签名的根 {archive.root.hex()} 与 entries.jsonl "
                            f"前 {n} 行重算的根 {actual.hex()} 不符：第 {last_checked}..{n - 1} "
                            "行之间有条目被修改、插入、删除或重排"
                        )
                    roots_at[n] = actual
                    checked_archives += 1
                    last_checked = n
        except _Overlong as exc:
            raise MalformedError(
                f"entries.jsonl 第 {exc.index} 行超过 {MAX_ENTRY_SIZE} 字节（瓦片条目包的上限）"
            ) from None
        verified = index + 1
        if verified < size:
            detail = ""
            if lines.tail:
                detail = f"；其后还有 {len(lines.tail)} 字节没有换行符（最后一行缺少 \\n）"
            raise VerificationError(
                f"entries.jsonl 只有 {verified} 个完整行，少于检查点大小 {size}"
                f"（末尾被截断或行被删除）{detail}"
            )
        if checker is not None:
            failure = checker.first_failure()
            if failure is not None:
                raise _sig_error(failure)
    except LedgerError as exc:
        # The earliest error in log order wins: a deferred signature failure at an index ≤ the
        # one that failed here comes first (as it would have with an inline replay).
        if checker is not None:
            failure = checker.first_failure()
            if failure is not None and failure[0] <= max(index, 0):
                raise _sig_error(failure) from exc
        raise
    finally:
        if checker is not None:
            checker.close()

    root = builder.root()
    current_keys = registry.log_keys if registry.size else trust.log_keys
    if not registry.size:
        for v in trust.log_keys:
            log_keys_ever.setdefault(v.key_ref, v)
    # The anchor's log keys must be keys the log itself named (log.init / logkey.rotate):
    # entry 0 is pinned by its leaf hash, so a different key means a wrong or forged anchor.
    for v in trust.log_keys:
        if log_keys_ever.get(v.key_ref) != v:
            raise VerificationError(
                f"信任锚 trust.txt 中的日志密钥 {v.key_ref} 从未在日志中生效"
                "（log.init 与 logkey.rotate 均未登记该密钥）"
            )
    _open_with(cp_note, origin, current_keys, CHECKPOINT_NAME)
    if root != checkpoint.root:
        raise VerificationError(
            f"{CHECKPOINT_NAME} 签名的根 {checkpoint.root.hex()} 与 entries.jsonl 前 {size} 行"
            f"重算的根 {root.hex()} 不符：第 {last_checked}..{size - 1} 行之间有条目被修改、"
            "插入、删除或重排"
        )
    roots_at[size] = root
    tail_count, torn = _count_rest(path / ENTRIES_NAME, size)
    # An interrupted append (docs/ledger.md §12.7): reported after the pin check below.
    left = describe_interruption(path, size, tail_count, len(torn), auditor.archived_above)

    # Step 4. Tiles (C2SP tlog-tiles): every tile of `size` is checked against the level
    # below and must give the checkpoint root; every archived size's partial tiles must give
    # that archive's root.
    if auditor.has_tiles:
        _check_tiles(auditor, size, root, archives)

    # Step 5. Receipts proofs/<i>.tlog-proof (C2SP tlog-proof): each verifies offline and its
    # `extra` equals line i; its checkpoint is one of the archived ones.
    receipts = _check_receipts(auditor, size, roots_at, list(log_keys_ever.values()))

    # Step 6. The pin (docs/ledger.md §13.5 step 7, §13.6, Go sumdb checkTrees): the log must extend
    # the last checkpoint this auditor verified; otherwise a fork or rollback, with portable
    # evidence.
    previous: int | None = None
    if pin is not None:
        pin_note, pinned = pin
        previous = pinned.size
        _open_with(pin_note, origin, log_keys_ever.values(), f"固定文件 {pin_path}")
        _check_pin(auditor, pin_note, pinned, cp_note, checkpoint, roots_at)
    if left:  # every file an interrupted append left, exit code 8 (docs/ledger.md §12.7)
        journal = (path / JOURNAL_NAME).exists()
        raise InterruptedAppendError(
            (
                "账本目录中有一次被中断、尚未完成或撤销的追加："
                if journal
                else "账本目录中有检查点之外的内容："
            )
            + "；".join(left)
            + f"。已发布的检查点（大小 {size}）所覆盖的条目、签名与存档检查点均已验证通过；"
            + (
                "下一条打开该站点的 gongkai 命令（例如 gongkai status）会完成或撤销这次追加"
                if journal
                else "没有追加日志说明这些内容的来源，写入命令会拒绝继续（退出码 7），请人工检查"
            )
        )
    pin_updated = False
    if pin_path is not None and update_pin:
        old = pin[0] if pin is not None else None
        if old != cp_note and (pin is None or pin[1].size <= size):
            # Imported here: ledger.durable needs fcntl (POSIX), and the auditor must run where
            # there is none (Windows); only updating a pin writes anything.
            from ledger.durable import write_atomic

            write_atomic(pin_path, cp_note)
            pin_updated = True

    keys = [
        {
            "key": ref,
            "vkey": rec.verifier.vkey,
            "dept": rec.dept,
            "scopes": sorted(rec.scopes),
            "added_at": rec.added_at,
            "revoked_at": rec.revoked_at,
            "compromised_from": rec.compromised_from,
        }
        for ref, rec in sorted(registry.keys.items())
    ]
    if registry.flagged:
        auditor.warnings.append(
            f"{len(registry.flagged)} 条条目由事后声明泄露（compromised）的密钥签署，已标记"
        )
    return VerifyReport(
        origin=origin,
        size=size,
        root=root.hex(),
        entries_verified=size,
        unverified_tail=tail_count,
        signatures_checked=signatures,
        threshold=registry.threshold,
        root_keys=sorted(v.vkey for v in registry.roots.values()),
        log_keys=[v.vkey for v in current_keys],
        log_keys_ever=sorted(v.vkey for v in log_keys_ever.values()),
        keys=keys,
        flagged=dict(registry.flagged),
        warnings=auditor.warnings,
        trust_source="directory" if auditor.trust_from_dir else "given",
        checkpoints_checked=checked_archives,
        tiles_checked=len(auditor.tiles_checked),
        bundles_checked=auditor.bundles_checked,
        receipts_checked=receipts,
        blobs_checked=len(auditor.blob_sizes),
        pin_previous_size=previous,
        pin_updated=pin_updated,
        workers=auditor.workers,
        draws_checked=draw_audit.draws_checked,
        beacons_checked=draw_audit.beacons_checked,
        replacements_checked=draw_audit.replacements_checked,
    )


def _check_tiles(
    auditor: _Auditor, size: int, root: bytes, archives: Mapping[int, _Archive]
) -> None:
    try:
        from_tiles = root_from_tiles(size, auditor.read_tile)
    except MalformedError as exc:
        raise MalformedError(f"瓦片格式错误：{exc}") from exc
    except VerificationError as exc:
        raise VerificationError(f"瓦片与下层不一致（被改动）：{exc}") from exc
    if from_tiles != root:
        _name_bad_tile(auditor, size)
        raise VerificationError(
            f"由瓦片 tile/ 计算的根 {from_tiles.hex()} 与检查点的根 {root.hex()} 不符（瓦片被改动）"
        )
    for s, archive in sorted(archives.items()):
        if s == size or s == 0:
            continue
        try:
            got = range_hash_from_tiles(s, 0, s, auditor.read_tile)
        except MalformedError as exc:
            raise MalformedError(f"存档大小 {s} 的部分瓦片格式错误：{exc}") from exc
        if got != archive.root:
            _name_bad_tile(auditor, s)
            raise VerificationError(
                f"由大小 {s} 的（部分）瓦片计算的根与 {ARCHIVE_DIR}/{s} 不符（瓦片被改动或缺失）"
            )


def _name_bad_tile(auditor: _Auditor, size: int) -> None:
    """On a root mismatch, find the tile of ``size`` whose bytes are wrong, and name it.

    Only called on failure: the tiles are rebuilt from the (already verified) first ``size``
    lines of ``entries.jsonl`` and compared one by one.

    Raises:
        VerificationError: naming the first tile whose bytes differ from the recomputed ones.
    """
    tree = MerkleTree(
        [leaf_hash(line) for _, line in EntryLines(auditor.path / ENTRIES_NAME, size)]
    )
    for ref in tiles_for_size(size):
        if auditor.read_tile(ref) != tile_bytes(tree, ref):
            kind = "部分瓦片" if ref.is_partial else "瓦片"
            raise VerificationError(
                f"{kind} {ref.path} 的内容与 entries.jsonl 前 {size} 行重算的不符（瓦片被改动）"
            )


def _check_receipts(
    auditor: _Auditor, size: int, roots_at: Mapping[int, bytes], log_keys: list[Verifier]
) -> int:
    folder = auditor.path / PROOF_DIR
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise StoreError(f"无法列出 {folder}：{exc.strerror or exc}") from exc
    wanted: dict[int, str] = {}
    for name in names:
        stem = name[: -len(RECEIPT_SUFFIX)] if name.endswith(RECEIPT_SUFFIX) else ""
        if not _DECIMAL.fullmatch(stem):
            raise MalformedError(f"{PROOF_DIR}/{name}：回执文件名应为 <序号>{RECEIPT_SUFFIX}")
        wanted[int(stem)] = name
    beyond = [i for i in wanted if i >= size]
    if beyond:
        raise VerificationError(
            f"{PROOF_DIR}/{wanted[min(beyond)]}：回执序号 {min(beyond)} 不小于检查点大小 {size}"
        )
    verified_notes: dict[bytes, Checkpoint] = {}
    count = 0
    for index, line in EntryLines(auditor.path / ENTRIES_NAME, limit=size):
        receipt_name = wanted.get(index)
        if receipt_name is None:
            continue
        rel = f"{PROOF_DIR}/{receipt_name}"
        data = _read(folder / receipt_name, f"回执 {rel}")
        try:
            receipt = parse_receipt(data)
            cp = verified_notes.get(receipt.checkpoint_note)
            if cp is None:
                # Full C2SP tlog-proof verification (signature + inclusion) once per note ...
                _, _, cp = verify_receipt(data, auditor.origin, log_keys)
                verified_notes[receipt.checkpoint_note] = cp
            else:
                # ... afterwards that note is known good: only the inclusion proof remains.
                if receipt.extra is None or receipt.index >= cp.size:
                    raise VerificationError("回执缺少条目（extra）或序号不小于检查点大小")
                verify_inclusion(
                    receipt.index, cp.size, leaf_hash(receipt.extra), receipt.proof, cp.root
                )
        except MalformedError as exc:
            raise MalformedError(f"回执 {rel} 格式错误：{exc}") from exc
        except ValueError as exc:
            raise VerificationError(f"回执 {rel}：日志密钥有歧义：{exc}") from None
        except VerificationError as exc:
            raise VerificationError(f"回执 {rel} 验证失败：{exc}") from exc
        if receipt.index != index:
            raise VerificationError(f"回执 {rel} 的 index 为 {receipt.index}，与文件名不符")
        if receipt.extra != line:
            raise VerificationError(f"回执 {rel} 的 extra 与 entries.jsonl 第 {index} 行不符")
        expected = roots_at.get(cp.size)
        if expected is None:
            raise VerificationError(
                f"回执 {rel} 所附检查点（大小 {cp.size}）不是 {ARCHIVE_DIR}/ 中的存档检查点"
            )
        if expected != cp.root:
            raise VerificationError(f"回执 {rel} 所附检查点的根与重算的根不符")
        count += 1
    missing = size - count
    if missing:
        auditor.warnings.append(f"{PROOF_DIR}/ 中缺少 {missing} 个条目回执")
    return count


def _check_pin(
    auditor: _Auditor,
    pin_note: bytes,
    pinned: Checkpoint,
    cp_note: bytes,
    checkpoint: Checkpoint,
    roots_at: Mapping[int, bytes],
) -> None:
    m, n = pinned.size, checkpoint.size
    if m > n:
        evidence = ForkEvidence(
            "rollback",
            auditor.origin,
            m,
            pinned.root,
            n,
            checkpoint.root,
            None,
            (),
            pin_note,
            cp_note,
        )
        raise InconsistencyError(
            f"回滚：检查点大小 {n} 小于已固定的大小 {m}（日志出示了更旧的状态）",
            evidence.to_text(),
        )
    if m == 0:
        return  # the empty tree is a prefix of every tree
    computed = roots_at[m]
    if computed == pinned.root:
        return
    proof = _consistency_proof_from_entries(auditor.path / ENTRIES_NAME, m, n)
    evidence = ForkEvidence(
        "fork",
        auditor.origin,
        m,
        pinned.root,
        n,
        checkpoint.root,
        computed,
        tuple(proof),
        pin_note,
        cp_note,
    )
    raise InconsistencyError(
        f"分叉：已固定的检查点（大小 {m}）的根 {pinned.root.hex()} 与当前日志前 {m} 条的根 "
        f"{computed.hex()} 不符；日志签署了两个互不一致的检查点",
        evidence.to_text(),
    )


def _consistency_proof_from_entries(entries: Path, m: int, n: int) -> list[bytes]:
    """PROOF(m, D[0:n]) streamed from the lines, in O(log n) memory (disjoint ranges)."""
    if m == n:
        return []
    ranges = consistency_ranges(m, n)
    order = sorted(range(len(ranges)), key=lambda k: ranges[k][0])
    builders = [RootBuilder() for _ in ranges]
    pos = 0
    for index, line in EntryLines(entries, limit=n):
        while pos < len(order) and ranges[order[pos]][1] <= index:
            pos += 1
        if pos < len(order):
            start, end = ranges[order[pos]]
            if start <= index < end:
                builders[order[pos]].append(leaf_hash(line))
    return [b.root() if b.size else EMPTY_ROOT for b in builders]


def main_entry() -> None:  # pragma: no cover - convenience for `python -m ledger.verify`
    """Run the CLI (``ledger.__main__``) with ``verify`` prepended."""
    from ledger.__main__ import main

    raise SystemExit(main(["verify", *sys.argv[1:]]))


if __name__ == "__main__":  # pragma: no cover
    main_entry()
