"""Read-only verification of a ledger directory (docs/ledger.md §12.5).

:class:`StoreScanner` reads ``entries.jsonl``, ``checkpoints/``, ``checkpoint``, the append
journal and the temp files left by a crash, checks them against each other and describes the
directory as a :class:`StoreState`. It never modifies anything; the writer
(:class:`ledger.store.LedgerStore`) scans before every change and repairs only what the scan
explains (docs/ledger.md §12.6).
"""

from __future__ import annotations

import base64
import copy
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ledger import canonical
from ledger.auditread import EntryLines, OverlongLine
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.durable import TEMP_PREFIX, read_file
from ledger.envelope import MAX_ENTRY_SIZE
from ledger.errors import FatalStoreError, MalformedError, StoreError, VerificationError, os_reason
from ledger.journal import JOURNAL_NAME, AppendJournal, parse_journal
from ledger.layout import ARCHIVE_DIR, BLOB_DIR, CHECKPOINT_NAME, ENTRIES_NAME
from ledger.merkle import RootBuilder, leaf_hash
from ledger.note import Verifier
from ledger.timestamp import parse_token_name

__all__ = [
    "TORN_PREFIX",
    "Scan",
    "StoreScanner",
    "StoreState",
    "describe_interruption",
    "stored_lines",
]

TORN_PREFIX: Final = "torn-"

# The temp-file prefixes the store's own writes use, per folder (docs/ledger.md §12.1).
_OWN_TEMPS: Final = {
    "": tuple(
        f"{TEMP_PREFIX}{name}" for name in (f"{CHECKPOINT_NAME}.", TORN_PREFIX, f"{JOURNAL_NAME}.")
    ),
    ARCHIVE_DIR: (TEMP_PREFIX,),
    BLOB_DIR: (TEMP_PREFIX,),
}

CORRUPT: Final = "账本已损坏，未做任何修改："
"""Prefix of every corruption a scan finds (exit code 7; README, docs/ledger.md §12.5)."""

_DECIMAL: Final = re.compile("0|[1-9][0-9]{0,18}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class StoreState:
    """A verified snapshot of a ledger directory, as found by :meth:`StoreScanner.scan`.

    Attributes:
        directory: The ledger directory.
        size: N, the number of complete lines of ``entries.jsonl``; every one parsed as
            canonical JSON of at most :data:`MAX_ENTRY_SIZE` bytes.
        root: ``MTH(lines[0:N])``.
        checkpoint: The largest archived checkpoint (size C), signature-verified; ``None`` for
            a log that was never checkpointed.
        checkpoint_note: The signed note bytes of ``checkpoint``.
        archived_sizes: Every size in ``checkpoints/``, ascending; each one verified against
            the matching prefix of ``entries.jsonl``.
        published_lags: True if ``checkpoint`` is missing or older than the archive.
        valid_length: Byte length of the complete lines (offset just after the last ``\\n``).
        torn_tail: The bytes after the last ``\\n`` (a torn write), ``b""`` if none.
        checkpointed_length: Byte length of the first C lines (where line C starts).
        journal: The append journal of an interrupted append (checked against the directory),
            ``None`` if there is none.
        stale_temps: ``(path relative to the directory, byte size)`` of every temp file a
            crashed writer of this store left.
    """

    directory: Path
    size: int
    root: bytes
    checkpoint: Checkpoint | None
    checkpoint_note: bytes | None
    archived_sizes: tuple[int, ...]
    published_lags: bool
    valid_length: int
    torn_tail: bytes
    checkpointed_length: int = 0
    journal: AppendJournal | None = None
    stale_temps: tuple[tuple[str, int], ...] = ()

    @property
    def checkpointed_size(self) -> int:
        """C, the size of the latest archived checkpoint (0 if none)."""
        return self.checkpoint.size if self.checkpoint is not None else 0

    @property
    def uncheckpointed(self) -> int:
        """N − C: complete lines that are not yet covered by a checkpoint."""
        return self.size - self.checkpointed_size

    @property
    def needs_recovery(self) -> bool:
        """True if the directory is not clean: an interrupted append, a lagging ``checkpoint``,
        a torn tail, uncheckpointed lines or stale temp files (docs/ledger.md §12.6)."""
        return bool(
            self.journal is not None
            or self.uncheckpointed
            or self.published_lags
            or self.torn_tail
            or self.stale_temps
        )


@dataclass
class Scan:
    """The result of one scan: the public state plus what recovery and append need.

    ``pending`` holds lines C..N−1; ``builder`` covers all N lines; ``base_builder`` is a copy
    taken after the journal's ``base_size`` lines (``None`` without a journal).
    """

    state: StoreState
    builder: RootBuilder
    pending: list[bytes] = field(default_factory=list)
    base_builder: RootBuilder | None = None


def stored_lines(reader: EntryLines) -> Iterator[tuple[int, bytes]]:
    """Yield ``(byte offset, line)`` for each complete line ``reader`` reads (a store's view:
    a missing file has no lines, see ``EntryLines(…, missing_ok=True)``).

    Raises:
        StoreError: If the file cannot be read.
        FatalStoreError: If an unterminated line grows beyond :data:`MAX_ENTRY_SIZE`: a writer
            only ever leaves a prefix of one entry unterminated, so this cannot be a torn
            write; it is an over-long line or foreign data.
    """
    offset = 0
    try:
        for _, line in reader:
            yield offset, line
            offset += len(line) + 1
    except OverlongLine as exc:
        raise FatalStoreError(
            f"{CORRUPT}{reader.path}：第 {exc.index} 行（字节偏移 {exc.offset}）超过 "
            f"{MAX_ENTRY_SIZE} 字节仍没有换行符；它既不是有效的条目，"
            "也不是某个条目写入中断留下的残片"
        ) from None


def list_stale_temps(directory: Path) -> list[tuple[str, int]]:
    """``(path relative to directory, byte size)`` of every temp file that only a crashed
    writer of the store leaves (docs/ledger.md §12.1), sorted per folder.

    Raises:
        StoreError: If a folder cannot be listed.
    """
    found: list[tuple[str, int]] = []
    for rel, own in _OWN_TEMPS.items():
        folder = directory / rel if rel else directory
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"无法列出 {folder}：{os_reason(exc)}") from exc
        for name in names:
            if name.startswith(own):
                try:
                    size = os.lstat(folder / name).st_size
                except FileNotFoundError:
                    continue
                found.append((f"{rel}/{name}" if rel else name, size))
    return found


def describe_interruption(
    directory: Path, size: int, tail_lines: int, torn_bytes: int, archived_above: Sequence[int]
) -> list[str]:
    """Describe, file by file, what an interrupted append left (empty if nothing).

    For the auditor (docs/ledger.md §12.7), which has verified the published checkpoint of
    ``size`` and counted what follows it; cheap: it reads only the journal and lists folders.

    Args:
        directory: The ledger directory.
        size: The size of the published ``checkpoint``.
        tail_lines: Complete lines of ``entries.jsonl`` after the first ``size``.
        torn_bytes: Bytes after the last LF.
        archived_above: Sizes in ``checkpoints/`` larger than ``size``.

    Raises:
        StoreError: If a folder cannot be listed or the journal cannot be read.
    """
    found: list[str] = []
    path = directory / JOURNAL_NAME
    if path.exists():
        data = read_file(path)
        try:
            j = parse_journal(data)
        except MalformedError as exc:
            found.append(f"{JOURNAL_NAME}（{len(data)} 字节）无法解析：{exc}")
        else:
            found.append(
                f"{JOURNAL_NAME}（{len(data)} 字节）：一次追加准备把第 {j.base_size}–{j.size - 1} "
                f"条（{len(j.payload)} 字节，{len(j.blobs)} 个新 blob）接在 {ENTRIES_NAME} 的 "
                f"{j.base_size} 条（{j.base_length} 字节）之后，检查点大小 {j.size} 已签署"
            )
    if tail_lines or torn_bytes:
        torn = f"和 {torn_bytes} 字节不完整的行" if torn_bytes else ""
        found.append(
            f"{ENTRIES_NAME} 在检查点大小 {size} 之后还有 {tail_lines} 个完整行{torn}，"
            "未被已发布的检查点覆盖"
        )
    for above in archived_above:
        found.append(f"{CHECKPOINT_NAME} 的大小为 {size}，落后于存档 {ARCHIVE_DIR}/{above}")
    for rel, length in list_stale_temps(directory):
        found.append(f"残留的临时文件 {rel}（{length} 字节）")
    return found


class StoreScanner:
    """Verify a ledger directory read-only (docs/ledger.md §12.5).

    Args:
        directory: The ledger directory.
        origin: The log origin.
        log_verifiers: Every log key that ever signed a checkpoint of this log.
    """

    def __init__(self, directory: Path, origin: str, log_verifiers: Sequence[Verifier]) -> None:
        self.directory = directory
        self.origin = origin
        self.log_verifiers = tuple(log_verifiers)

    @property
    def archive_dir(self) -> Path:
        """``D/checkpoints``."""
        return self.directory / ARCHIVE_DIR

    def fatal_at(self, name: str, message: str) -> FatalStoreError:
        """A :class:`FatalStoreError` for corruption found in ``D/<name>`` (nothing modified)."""
        return FatalStoreError(f"{CORRUPT}{self.directory / name}：{message}")

    def open_note(self, rel: str, note: bytes) -> Checkpoint:
        """Open a checkpoint note of this log; ``FatalStoreError`` naming ``rel`` if it fails."""
        try:
            cp, _ = open_checkpoint(note, self.origin, self.log_verifiers)
        except (MalformedError, VerificationError) as exc:
            raise self.fatal_at(
                rel,
                f"不是由日志密钥有效签署的 {self.origin!r} 检查点：{exc}"
                "（被修改，或由未知密钥签署）",
            ) from exc
        return cp

    def stale_temps(self) -> list[tuple[str, int]]:
        """``(relative path, size)`` of the temp files only a crashed writer of ours leaves."""
        return list_stale_temps(self.directory)

    def read_journal(self) -> AppendJournal | None:
        """Read and parse ``D/journal`` (``None`` if absent); fatal if it does not parse."""
        path = self.directory / JOURNAL_NAME
        if not path.exists():
            return None
        try:
            return parse_journal(read_file(path))
        except MalformedError as exc:
            raise self.fatal_at(
                JOURNAL_NAME, f"追加日志无法解析（被修改或损坏，不会据此做任何修复）：{exc}"
            ) from exc

    def _read_archive(self) -> tuple[list[tuple[int, bytes]], bytes | None]:
        """Read and verify ``checkpoints/``: ``([(size, root)] ascending, latest note)``."""
        try:
            names = os.listdir(self.archive_dir)
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            raise StoreError(f"无法列出 {self.archive_dir}：{os_reason(exc)}") from exc
        found: list[tuple[int, bytes]] = []
        latest: tuple[int, bytes] | None = None
        for name in names:
            if name.startswith(TEMP_PREFIX):
                continue  # an unpublished temp file of a crashed writer: never part of the log
            if parse_token_name(name) is not None:
                continue  # an RFC 3161 token on a checkpoint (docs/ledger.md §15.1): the auditor's
            rel = f"{ARCHIVE_DIR}/{name}"
            if not _DECIMAL.fullmatch(name):
                raise self.fatal_at(
                    rel,
                    "检查点存档中有意外的文件；文件名只能是规范的十进制大小"
                    "（像 '07' 这样的名称会与另一个大小混淆）",
                )
            path = self.archive_dir / name
            if path.is_symlink() or not path.is_file():
                raise self.fatal_at(rel, "存档检查点不是普通文件")
            note = read_file(path)
            cp = self.open_note(rel, note)
            if cp.size != int(name):
                raise self.fatal_at(rel, f"文件名表示大小 {name}，签名检查点的大小却是 {cp.size}")
            found.append((cp.size, cp.root))
            if latest is None or cp.size > latest[0]:
                latest = (cp.size, note)
        found.sort()
        return found, (latest[1] if latest is not None else None)

    def scan(self) -> Scan:
        """Read and verify everything (docs/ledger.md §12.5); never modifies anything.

        Raises:
            FatalStoreError: On any inconsistency (corruption, tampering, or a journal that
                does not belong to this directory).
            StoreError: If a file cannot be read.
        """
        # Reverse order of the writer (journal → entries → archive → checkpoint), so that even
        # a reader without the lock never sees a later step without the earlier ones.
        published: bytes | None = None
        path = self.directory / CHECKPOINT_NAME
        if path.exists():
            published = read_file(path)
        archive, latest_note = self._read_archive()
        journal = self.read_journal()
        expected = dict(archive)
        sizes = tuple(s for s, _ in archive)
        c = sizes[-1] if sizes else 0
        mark = journal.base_size if journal is not None else -1
        checked = 0  # largest archived size verified so far
        mark_length = 0 if mark == 0 else -1
        c_length = 0
        builder = RootBuilder()
        base_builder = RootBuilder() if mark == 0 else None
        pending: list[bytes] = []
        reader = EntryLines(self.directory / ENTRIES_NAME, missing_ok=True)
        for offset, line in stored_lines(reader):
            index = builder.size
            self._check_stored_line(index, offset, line, c)
            builder.append(leaf_hash(line))
            if index >= c:
                pending.append(line)
            if builder.size == c:
                c_length = offset + len(line) + 1
            if builder.size == mark:
                mark_length = offset + len(line) + 1
                base_builder = copy.deepcopy(builder)
            root = expected.get(builder.size)
            if root is not None:
                actual = builder.root()
                if actual != root:
                    raise self.fatal_at(
                        f"{ARCHIVE_DIR}/{builder.size}",
                        f"签名的根 {_b64(root)} 与 MTH({ENTRIES_NAME} 第 "
                        f"0..{builder.size - 1} 行) = {_b64(actual)} 不符：第 "
                        f"{checked}..{builder.size - 1} 行中有条目在被检查点覆盖后遭到修改、插入、"
                        "删除或重排",
                    )
                checked = builder.size
        n = builder.size
        if n < c:
            raise self._missing_lines(n, c, reader)
        state = StoreState(
            directory=self.directory,
            size=n,
            root=builder.root(),
            checkpoint=Checkpoint(self.origin, c, expected[c]) if sizes else None,
            checkpoint_note=latest_note,
            archived_sizes=sizes,
            published_lags=self._check_published(published, latest_note, c),
            valid_length=reader.valid_length,
            torn_tail=reader.tail,
            checkpointed_length=c_length,
            journal=journal,
            stale_temps=tuple(self.stale_temps()),
        )
        scan = Scan(state, builder, pending, base_builder)
        if journal is not None:
            self._check_journal(scan, journal, mark_length)
        return scan

    def _missing_lines(self, n: int, c: int, reader: EntryLines) -> FatalStoreError:
        detail = f"第 {n}..{c - 1} 行缺失（被删除或截断）"
        if reader.tail and n == c - 1:
            detail = (
                f"第 {n} 行（被检查点覆盖的最后一行）丢失了结尾的换行符"
                f"（字节偏移 {reader.valid_length} 之后有 {len(reader.tail)} 字节）"
            )
        elif reader.tail:
            after = f"第 {n - 1} 行之后" if n else "文件开头"
            detail += f"；{after}还有 {len(reader.tail)} 字节没有换行符"
        return self.fatal_at(
            ENTRIES_NAME, f"只有 {n} 个完整行，而 {ARCHIVE_DIR}/{c} 覆盖 {c} 行：{detail}"
        )

    def _check_stored_line(self, index: int, offset: int, line: bytes, c: int) -> None:
        where = (
            f"位于检查点覆盖的范围（0..{c - 1}）内"
            if index < c
            else "位于最后一个检查点之后（尚未被检查点覆盖）"
        )
        if len(line) > MAX_ENTRY_SIZE:
            raise self.fatal_at(
                ENTRIES_NAME,
                f"第 {index} 行（字节偏移 {offset}）{where}，长 {len(line)} 字节，超过 "
                f"{MAX_ENTRY_SIZE} 字节的上限",
            )
        try:
            canonical.loads(line)
        except MalformedError as exc:
            raise self.fatal_at(
                ENTRIES_NAME,
                f"第 {index} 行（字节偏移 {offset}）{where}，不是规范 JSON：{exc}",
            ) from exc

    def _check_published(self, published: bytes | None, latest: bytes | None, c: int) -> bool:
        """Compare ``checkpoint`` with the archive; return True if it lags (re-copy needed)."""
        if published is None:
            return latest is not None  # crash before the first publish: lags
        if latest is None:
            raise self.fatal_at(
                CHECKPOINT_NAME,
                f"存在，但 {ARCHIVE_DIR}/ 为空：发布的检查点领先于存档（存档才是权威来源）",
            )
        if published == latest:
            return False
        cp = self.open_note(CHECKPOINT_NAME, published)
        if cp.size > c:
            raise self.fatal_at(
                CHECKPOINT_NAME,
                f"大小为 {cp.size}，领先于存档中最新的 {ARCHIVE_DIR}/{c}",
            )
        if cp.size == c:
            raise self.fatal_at(
                CHECKPOINT_NAME,
                f"与大小相同的 {ARCHIVE_DIR}/{c} 不同（根为 {_b64(cp.root)}）",
            )
        older = self.archive_dir / str(cp.size)
        if not older.exists() or read_file(older) != published:
            raise self.fatal_at(
                CHECKPOINT_NAME,
                f"大小为 {cp.size}，但与 {ARCHIVE_DIR}/{cp.size} 并非逐字节相同",
            )
        return True  # an older archived checkpoint: a crash before publishing the latest

    def _check_journal(self, scan: Scan, journal: AppendJournal, mark_length: int) -> None:
        """Check that the journal describes an append interrupted in *this* directory.

        The directory must be in one of the states the append passes through (docs/ledger.md
        §12.6): the archive ends at ``base_size`` or ``size``; ``entries.jsonl`` is the base
        plus a byte prefix of the payload (all of it once ``checkpoints/<size>`` exists); the
        journal's note is signed by the log key over exactly base + payload.
        """
        state = scan.state
        c = state.checkpointed_size
        where = (
            f"准备把第 {journal.base_size}..{journal.size - 1} 条追加到 {journal.base_size} 条之后"
        )

        def fatal(detail: str) -> FatalStoreError:
            return self.fatal_at(
                JOURNAL_NAME, f"追加日志（{where}）与账本不符：{detail}；不会据此做任何修复"
            )

        if c not in (journal.base_size, journal.size):
            raise fatal(f"最新的存档检查点大小为 {c}")
        if scan.base_builder is None or mark_length != journal.base_length:
            raise fatal(
                f"{ENTRIES_NAME} 的前 {journal.base_size} 行不是 {journal.base_length} 字节"
            )
        written = b"".join(line + b"\n" for line in scan.pending) + state.torn_tail
        if c == journal.size and written:
            raise fatal(f"检查点 {ARCHIVE_DIR}/{c} 之后还有 {len(written)} 字节")
        if c == journal.base_size and not journal.payload.startswith(written):
            raise fatal(f"{ENTRIES_NAME} 第 {journal.base_length} 字节之后的内容不是新条目的前缀")
        cp = self.open_note(JOURNAL_NAME, journal.note)
        builder = copy.deepcopy(scan.base_builder)
        builder.extend(leaf_hash(line) for line in journal.lines)
        if cp.size != journal.size or cp.root != builder.root():
            raise fatal("其中签好的检查点并不覆盖原有条目加新条目")
        if c == journal.size and state.checkpoint_note != journal.note:
            raise fatal(f"{ARCHIVE_DIR}/{c} 与日志中签好的检查点不是同一份")
