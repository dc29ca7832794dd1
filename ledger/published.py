"""The published folder's extras: hash tiles and receipts (docs/ledger.md §13.5 steps 5–6).

A folder written by :func:`ledger.publish.publish_ledger` carries, besides the ledger files,
the hash tiles of every archived size (C2SP tlog-tiles; :func:`check_tiles`) and a receipt per
entry (C2SP tlog-proof; :func:`check_receipts`). Both are checked against the entries the
replay has already verified.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ledger.auditdir import Archive, AuditedDirectory
from ledger.auditread import DECIMAL, EntryLines, read_required
from ledger.checkpoint import Checkpoint
from ledger.errors import MalformedError, StoreError, VerificationError, os_reason
from ledger.layout import ARCHIVE_DIR, ENTRIES_NAME, PROOF_DIR, RECEIPT_SUFFIX
from ledger.merkle import MerkleTree, leaf_hash, verify_inclusion
from ledger.note import Verifier
from ledger.receipt import parse_receipt, verify_receipt
from ledger.tiles import range_hash_from_tiles, root_from_tiles, tile_bytes, tiles_for_size

__all__ = ["check_receipts", "check_tiles"]


def check_tiles(
    auditor: AuditedDirectory, size: int, root: bytes, archives: Mapping[int, Archive]
) -> None:
    """Check ``tile/`` against the verified roots (docs/ledger.md §13.5 step 5).

    Every tile of ``size`` is checked against the level below and must give ``root``; for every
    other archived size, its partial tiles must give that archive's root. On a mismatch the
    first tile whose bytes differ is named.

    Raises:
        MalformedError: a tile of the wrong length.
        VerificationError: a tile disagrees with the level below or with a root.
        UnverifiableError / StoreError: a tile is missing or unreadable.
    """
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


def _name_bad_tile(auditor: AuditedDirectory, size: int) -> None:
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


def check_receipts(
    auditor: AuditedDirectory, size: int, roots_at: Mapping[int, bytes], log_keys: list[Verifier]
) -> int:
    """Check every ``proofs/<i>.tlog-proof`` (docs/ledger.md §13.5 step 6); return the count.

    Each receipt verifies offline (its checkpoint signature under ``log_keys``, then the
    inclusion of its ``extra``), names its own index, carries line *i* as ``extra``, and its
    checkpoint is an archived one (its root is in ``roots_at``). Missing receipts are a warning.

    Raises:
        MalformedError: a file name or a receipt does not parse.
        VerificationError: a receipt fails any of the checks above.
        UnverifiableError / StoreError: a file is missing or unreadable.
    """
    folder = auditor.path / PROOF_DIR
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise StoreError(f"无法列出 {folder}：{os_reason(exc)}") from exc
    wanted: dict[int, str] = {}
    for name in names:
        stem = name[: -len(RECEIPT_SUFFIX)] if name.endswith(RECEIPT_SUFFIX) else ""
        if not DECIMAL.fullmatch(stem):
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
        data = read_required(folder / receipt_name, f"回执 {rel}")
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
