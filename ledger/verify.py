"""The offline auditor: verify a ledger directory or a published site folder (docs/ledger.md §13.5).

:func:`verify_directory` checks, with nothing but the files and an out-of-band trust anchor,
that every entry is canonical and signed by a key the log itself registered at that position,
that the signed checkpoint (and every archived one) commits to exactly these entries, that the
published tiles, entry bundles, receipts and blobs agree with them, and that the log only grew
since the auditor's last visit (the pin). Any failure raises the matching
:class:`~ledger.errors.LedgerError` subclass with a message naming the file and the index; a
fork or rollback raises :class:`~ledger.errors.InconsistencyError` carrying portable evidence
(both signed notes and a consistency proof, as Go's ``sumdb/client.go checkTrees`` prints).

This module runs the steps in order; each lives with its concern:

* :mod:`ledger.auditdir` — the directory under audit: trust anchor, blobs, bundles, archive;
* :mod:`ledger.replay` — the stream of ``entries.jsonl``: registry replay, signatures (in a
  process pool with ``workers > 1``), roots at every archived size;
* :mod:`ledger.published` — a published folder's tiles and receipts;
* :mod:`ledger.pin` — checkpoint notes, the pin and the portable fork/rollback evidence;
* :mod:`ledger.report` — the report.

Memory is O(log n) for the tree (:class:`~ledger.merkle.RootBuilder`) plus the key registry
(which remembers every entry id): ``entries.jsonl`` is streamed, never loaded.

This module, like all of ``ledger``, imports only the standard library and ``cryptography``:
it is shipped as ``gongkai-verify.pyz`` (see :mod:`ledger.publish`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.auditdir import AuditedDirectory, collect_blob_refs, load_trust
from ledger.auditread import EntryLines, count_rest, read_required
from ledger.checkpoint import Checkpoint
from ledger.errors import InterruptedAppendError, StoreError, VerificationError
from ledger.examplekeys import example_tsa_message, example_tsas
from ledger.journal import JOURNAL_NAME
from ledger.kept import Kept
from ledger.layout import ARCHIVE_DIR, CHECKPOINT_NAME, ENTRIES_NAME, TRUST_NAME
from ledger.note import Verifier
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.pin import (
    EVIDENCE_HEADER,
    ForkEvidence,
    check_fork_evidence,
    check_pin,
    open_with,
    parse_fork_evidence,
    parse_note_checkpoint,
    read_pin,
)
from ledger.planbind import PlanBinding
from ledger.published import check_receipts, check_tiles
from ledger.registry import Registry, TrustAnchor
from ledger.replay import BlobReader, DrawCheck, Replay, replay_entries
from ledger.report import REPORT_SCHEMA, VerifyReport
from ledger.storescan import describe_interruption
from ledger.timerules import TimeRules
from ledger.timestamp import check_tokens

if TYPE_CHECKING:
    from ledger.draw.algorithms import DrawAlgorithms
    from ledger.draw.audit import LedgerAudit

__all__ = [
    "EVIDENCE_HEADER",
    "REPORT_SCHEMA",
    "BlobReader",
    "DrawCheck",
    "EntryLines",
    "ForkEvidence",
    "VerifyReport",
    "check_fork_evidence",
    "collect_blob_refs",
    "parse_fork_evidence",
    "verify_directory",
]


def verify_directory(
    path: str | os.PathLike[str],
    *,
    trust: TrustAnchor | None = None,
    pin_path: Path | None = None,
    update_pin: bool = True,
    workers: int = 1,
    allow_types: Iterable[str] = (),
    types: EntryTypes = ENTRY_TYPES,
    checks: Sequence[DrawCheck] = (),
    algorithms: DrawAlgorithms | None = None,
    keep: Kept | None = None,
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
        checks: Extra hooks called for every verified entry, in log order, with a blob reader
            (docs/ledger.md §13.5 step 4), after the built-in DRAW-V1 re-execution; an exception
            aborts the audit at that entry.
        algorithms: The draw algorithms recorded draws are parsed (their announcement rules)
            and re-run with, by the name their announcement gives (default:
            :data:`ledger.draw.algorithms.DRAW_ALGORITHMS`).
        keep: Filled, when the audit succeeds, with the bytes it verified and the state its
            replay ended in (:class:`~ledger.kept.Kept`: what the publisher publishes).

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
    anchor, from_dir = load_trust(root, trust)
    if algorithms is not None:  # the entry parser reads the rules of exactly these algorithms
        types = types.with_algorithms(algorithms)
    auditor = AuditedDirectory(root, anchor, max(1, workers), types.allowing(allow_types))
    auditor.trust_from_dir = from_dir
    if from_dir:
        auditor.warnings.append(
            f"信任锚取自被验证目录自身的 {TRUST_NAME}，不能证明日志身份；"
            "请与另行公布的信任锚（网站、公告、政府公报）逐字核对"
        )
    return _run(auditor, pin_path, update_pin, checks, algorithms, keep)


def _run(
    audit: AuditedDirectory,
    pin_path: Path | None,
    update_pin: bool,
    checks: Sequence[DrawCheck],
    algorithms: DrawAlgorithms | None,
    keep: Kept | None,
) -> VerifyReport:
    """Steps 2–7 of docs/ledger.md §13.5 (step 1, the trust anchor, is done); see the caller."""
    if audit.types.unchecked:
        audit.warnings.append(
            "按调用者要求接受了本验证器未内置的条目类型："
            + "、".join(sorted(audit.types.unchecked))
            + "（仍要求部门密钥签名与授权范围）"
        )
    # Step 2. The signed checkpoint, strictly parsed (C2SP tlog-checkpoint; docs/ledger.md
    # §11.3–§11.4): exactly three lines (no extension lines), canonical size and root, origin ==
    # trust.origin. Its signature is checked after the replay, with the log keys the registry
    # holds at that size.
    cp_note = read_required(audit.path / CHECKPOINT_NAME, f"签名检查点 {CHECKPOINT_NAME}")
    checkpoint = parse_note_checkpoint(cp_note, audit.origin, CHECKPOINT_NAME)
    size = checkpoint.size

    # Step 3. The archive checkpoints/<size> (listed first, so that the stream can compare
    # roots at every archived size); an archive newer than `checkpoint` is an error.
    archives = audit.list_archive(size)
    if size not in archives and archives:
        audit.warnings.append(f"{CHECKPOINT_NAME}（大小 {size}）不在存档 {ARCHIVE_DIR}/ 中")
    # Step 3b. RFC 3161 tokens on the archived checkpoints (docs/ledger.md §15.3): each
    # verifies against the pinned chain of its TSA; they bound when each entry was public.
    read = read_required if keep is None else keep.reader(audit.path, read_required)
    bounds = check_tokens(
        audit.path, {s: a.note for s, a in archives.items()}, audit.trust.tsas, read
    )
    for name in example_tsas(audit.path, audit.trust.tsas):  # docs/ledger.md §15.6.1
        audit.warnings.append(f"{example_tsa_message([name])}；本账本的时间界限只能作为示例")
    pin = read_pin(pin_path, audit.origin)

    # Step 4. Stream entries.jsonl (ledger.replay); one task replay per audit re-runs every
    # draw (docs/ledger.md §14.4). Then `checkpoint` opens with the keys current at `size`.
    from ledger.draw.audit import LedgerAudit

    draw_audit = LedgerAudit() if algorithms is None else LedgerAudit(algorithms=algorithms)
    time_rules = TimeRules(bounds)  # docs/ledger.md §15.8
    hooks: list[DrawCheck] = [draw_audit, time_rules, PlanBinding(), *checks]  # workflow.md §8
    if keep is not None:
        hooks.append(keep)
    replay = replay_entries(audit, size, archives, pin[1].size if pin else None, hooks)
    root, current_keys = _check_checkpoint(audit, replay, cp_note, checkpoint)
    tail_count, torn = count_rest(audit.path / ENTRIES_NAME, size)
    # An interrupted append (docs/ledger.md §12.7): reported after the pin check below.
    left = describe_interruption(audit.path, size, tail_count, len(torn), audit.archived_above)

    # Step 5. Tiles (C2SP tlog-tiles), if published: they must give every verified root.
    if audit.has_tiles:
        check_tiles(audit, size, root, archives)

    # Step 6. Receipts proofs/<i>.tlog-proof (C2SP tlog-proof): each verifies offline and its
    # `extra` equals line i; its checkpoint is one of the archived ones.
    receipts = check_receipts(audit, size, replay.roots_at, list(replay.log_keys_ever.values()))

    # Step 7. The pin (docs/ledger.md §13.6, Go sumdb checkTrees): the log must extend the last
    # checkpoint this auditor verified; otherwise a fork or rollback, with portable evidence.
    if pin is not None:
        open_with(pin[0], audit.origin, replay.log_keys_ever.values(), f"固定文件 {pin_path}")
        entries = audit.path / ENTRIES_NAME
        check_pin(audit.origin, entries, pin, (cp_note, checkpoint), replay.roots_at)
    if left:
        raise _interrupted(audit.path, size, left)
    if keep is not None:
        keep.note, keep.archives = cp_note, {s: a.note for s, a in archives.items()}
        keep.registry, keep.tasks, keep.bounds = replay.registry, draw_audit.tasks, bounds
        keep.libraries = draw_audit.library.versions
        keep.read_blob = audit.read_blob
    return _report(
        audit,
        replay,
        draw_audit,
        (checkpoint, current_keys),
        tail_count=tail_count,
        receipts=receipts,
        pin_previous_size=pin[1].size if pin is not None else None,
        pin_updated=_update_pin(pin_path, update_pin, pin, cp_note, size),
        time_rules=time_rules,
    )


def _check_checkpoint(
    audit: AuditedDirectory, replay: Replay, cp_note: bytes, checkpoint: Checkpoint
) -> tuple[bytes, list[Verifier]]:
    """After the replay: the anchor's log keys are the log's, ``checkpoint`` verifies with the
    keys current at its size and its root is MTH of the lines; return the root and those keys.

    Raises:
        VerificationError: an anchor key the log never named, a bad signature, or another root.
        MalformedError: the note does not parse.
    """
    trust, registry, log_keys_ever = audit.trust, replay.registry, replay.log_keys_ever
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
    open_with(cp_note, audit.origin, current_keys, CHECKPOINT_NAME)
    root = replay.check_root(CHECKPOINT_NAME, checkpoint.root, checkpoint.size)
    return root, list(current_keys)


def _interrupted(path: Path, size: int, left: list[str]) -> InterruptedAppendError:
    """The error for files outside the checkpoint (docs/ledger.md §12.7, exit code 8)."""
    journal = (path / JOURNAL_NAME).exists()
    return InterruptedAppendError(
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


def _update_pin(
    pin_path: Path | None,
    update_pin: bool,
    pin: tuple[bytes, Checkpoint] | None,
    cp_note: bytes,
    size: int,
) -> bool:
    """Replace the pin by the verified ``cp_note`` when asked and it changed; return whether.

    Raises:
        StoreError: the pin cannot be written.
    """
    if pin_path is None or not update_pin:
        return False
    old = pin[0] if pin is not None else None
    if old == cp_note or (pin is not None and pin[1].size > size):
        return False
    # Imported here: ledger.durable needs fcntl (POSIX), and the auditor must run where there
    # is none (Windows); only updating a pin writes anything.
    from ledger.durable import write_atomic

    write_atomic(pin_path, cp_note)
    return True


def _report(
    audit: AuditedDirectory,
    replay: Replay,
    draw_audit: LedgerAudit,
    verified: tuple[Checkpoint, list[Verifier]],
    *,
    tail_count: int,
    receipts: int,
    pin_previous_size: int | None,
    pin_updated: bool,
    time_rules: TimeRules,
) -> VerifyReport:
    """The report of a successful audit of ``verified`` (the checkpoint, its current log keys).

    ``tail_count`` lines follow the checkpoint; ``receipts`` were checked; the pin had
    ``pin_previous_size`` (None: no pin) and was rewritten if ``pin_updated``.
    """
    checkpoint, current_keys = verified
    registry = replay.registry
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
    audit.warnings.extend(draw_audit.pools.warnings)
    for kind, name, what in (
        ("entities", "检查对象名录库", "检查对象快照是否遗漏主体"),
        ("inspectors", "执法检查人员名录库", "执法检查人员快照是否遗漏检查人员"),
    ):
        tasks = [t for t, k in draw_audit.library.unchecked if k == kind]
        if tasks:
            audit.warnings.append(
                f"任务 {'、'.join(tasks)} 公告抽取时账本尚未记录{name}（library.publish）：其{what}"
                "未核对（docs/workflow.md §9.2）"
            )
    if registry.flagged:
        audit.warnings.append(
            f"{len(registry.flagged)} 条条目由事后声明泄露（compromised）的密钥签署，已标记"
        )
    inspectors = registry.inspectors
    if inspectors.flagged:
        audit.warnings.append(
            f"{len(inspectors.flagged)} 条检查结果的检查人员签名由事后声明泄露（compromised）的"
            "检查人员密钥所作，已标记（docs/mobile.md §3）"
        )
    return VerifyReport(
        origin=audit.origin,
        size=checkpoint.size,
        root=checkpoint.root.hex(),
        entries_verified=checkpoint.size,
        unverified_tail=tail_count,
        signatures_checked=replay.signatures,
        threshold=registry.threshold,
        root_keys=sorted(v.vkey for v in registry.roots.values()),
        log_keys=[v.vkey for v in current_keys],
        log_keys_ever=sorted(v.vkey for v in replay.log_keys_ever.values()),
        keys=keys,
        flagged=dict(registry.flagged),
        warnings=audit.warnings,
        trust_source="directory" if audit.trust_from_dir else "given",
        checkpoints_checked=replay.checked_archives,
        tiles_checked=len(audit.tiles_checked),
        bundles_checked=audit.bundles_checked,
        receipts_checked=receipts,
        blobs_checked=len(audit.blob_sizes),
        pin_previous_size=pin_previous_size,
        pin_updated=pin_updated,
        workers=audit.workers,
        draws_checked=draw_audit.draws_checked,
        beacons_checked=draw_audit.beacons_checked,
        replacements_checked=draw_audit.replacements_checked,
        timestamps=[stamp.as_dict() for stamp in time_rules.bounds.stamps],
        time_bounded=time_rules.bounded,
        pools_checked=draw_audit.pools.announcements_checked,
        libraries_checked=draw_audit.library.checked,
        inspector_libraries_checked=draw_audit.library.inspectors_checked,
        inspector_keys=_inspector_keys(registry),
        inspections={"results": inspectors.results, "signatures": inspectors.signatures},
        flagged_inspections=dict(inspectors.flagged),
    )


def _inspector_keys(registry: Registry) -> list[dict[str, Any]]:
    """The report's ``inspector_keys`` rows (docs/ledger.md §13.9), by key reference."""
    return [
        {
            "key": ref,
            "vkey": rec.verifier.vkey,
            "dept": rec.dept,
            "inspector": rec.inspector,
            "scopes": sorted(rec.scopes),
            "added_at": rec.added_at,
            "revoked_at": rec.revoked_at,
            "reason": rec.reason,
            "compromised_from": rec.compromised_from,
        }
        for ref, rec in sorted(registry.inspectors.keys.items())
    ]
