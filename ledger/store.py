"""The crash-safe single writer of the ledger directory (docs/ledger.md §12).

Layout of a ledger directory ``D`` (``draws/`` in the repository; docs/ledger.md §12.1)::

    D/entries.jsonl             append-only; line i (without its "\\n") is leaf i
    D/checkpoints/<size>        immutable archive of signed checkpoint notes, one per size
    D/checkpoint                copy of the latest archived note (atomic replace)
    D/journal                   the append journal, only while an append is in progress
    D/LOCK                      flock(2) target; exclusive for the writer, shared for readers
    D/blobs/sha256/<hex>        immutable, content-addressed blobs (lowercase hex SHA-256)
    D/torn-<unix_ts>[.<k>]      forensic copies of torn tails removed by recovery

An append is one transaction (docs/ledger.md §12.4): it validates the new lines, signs the
checkpoint over them in memory, writes the journal (new lines + signed note + new blobs), then
the blobs, the lines, ``checkpoints/<size>`` and ``checkpoint``, and deletes the journal. A crash
anywhere leaves a state that the next writer to open the directory finishes (roll forward: the
journal holds everything, so no key is needed) or undoes (roll back, when a blob of the append
is missing and no line was written) — :meth:`LedgerStore.recover`, docs/ledger.md §12.6.
Anything the journal does not explain (edited lines, lines after the last checkpoint without a
journal, a journal that does not fit) is a :class:`~ledger.errors.FatalStoreError` and nothing
is modified: the writer never signs over, drops or rewrites what it cannot verify.

All writes go through :mod:`ledger.durable`. Linux only (directory fsync, ``flock``).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ledger import canonical
from ledger.auditread import EntryLines
from ledger.checkpoint import EMPTY_ROOT, Checkpoint, sign_checkpoint
from ledger.durable import (
    LOCK_NAME,
    LedgerLock,
    append_durable,
    create_immutable,
    mkdirs_durable,
    read_file,
    remove_durable,
    truncate_durable,
    write_atomic,
)
from ledger.envelope import MAX_ENTRY_SIZE
from ledger.errors import FatalStoreError, MalformedError, StoreError, VerificationError, os_reason
from ledger.journal import JOURNAL_NAME, AppendJournal
from ledger.layout import ARCHIVE_DIR, BLOB_DIR, CHECKPOINT_NAME, ENTRIES_NAME
from ledger.merkle import leaf_hash
from ledger.note import Signer, Verifier
from ledger.storescan import (
    TORN_PREFIX,
    Scan,
    StoreScanner,
    StoreState,
    stored_lines,
)

__all__ = [
    "ARCHIVE_DIR",
    "BLOB_DIR",
    "CHECKPOINT_NAME",
    "ENTRIES_NAME",
    "JOURNAL_NAME",
    "MAX_ENTRY_SIZE",
    "TORN_PREFIX",
    "LedgerStore",
    "Recovery",
    "StoreState",
    "Validator",
]

Validator = Callable[[int, Sequence[bytes]], None]
"""``validate(first_index, lines)``: raise a LedgerError if ``lines`` may not be logged at
``first_index, first_index + 1, ...`` (for example after replaying the key registry)."""

_HEX64: Final = re.compile("[0-9a-f]{64}")
_MEDIA_TYPE: Final = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
)


@dataclass(frozen=True)
class Recovery:
    """What :meth:`LedgerStore.recover` found and did.

    Attributes:
        state: The clean state afterwards.
        actions: One Chinese sentence per repair, in order (empty if nothing was needed).
    """

    state: StoreState
    actions: tuple[str, ...]


class LedgerStore:
    """The ledger directory: verified reads, and the single crash-safe writer.

    Every method re-reads the directory; nothing is cached between calls, so several
    :class:`LedgerStore` objects (or processes) may point at one directory. Writes are
    serialized by the exclusive ``LOCK``; a second writer fails at once with
    :class:`~ledger.errors.LockBusyError`. ``generation`` counts the write sessions of this
    object, so that whatever a caller derived from the ledger can tell that it is stale.

    After a :class:`~ledger.errors.FatalStoreError` raised by a write, this object refuses every
    further write: after an fsync error the page cache may lie (docs/ledger.md §12.2), so the
    process must exit and a fresh process must recover from the disk.

    Args:
        directory: The ledger directory (created by the first write if missing).
        origin: The log origin, also the name of the log key.
        log_verifiers: Every log key that ever signed a checkpoint of this log (old keys too,
            after a rotation); witness cosigner keys may be included.

    Raises:
        MalformedError: If ``origin`` cannot be a checkpoint origin.
        StoreError: If ``log_verifiers`` is empty or ambiguous (two keys, one name+ID).
    """

    def __init__(
        self, directory: str | os.PathLike[str], origin: str, log_verifiers: Sequence[Verifier]
    ) -> None:
        Checkpoint(origin, 0, EMPTY_ROOT)  # validates the origin (MalformedError)
        if not log_verifiers:
            raise StoreError("LedgerStore 至少需要一个日志验证密钥")
        seen: dict[tuple[str, int], Verifier] = {}
        for v in log_verifiers:
            if seen.setdefault((v.name, v.key_id), v) != v:
                raise StoreError(f"日志验证密钥有歧义：有两个密钥名为 {v.key_ref!r}")
        self.directory = Path(directory)
        self.origin = origin
        self.log_verifiers: tuple[Verifier, ...] = tuple(log_verifiers)
        self.generation = 0
        self.recovered: list[str] = []  # every recovery action of this object, in order
        self._scanner = StoreScanner(self.directory, origin, self.log_verifiers)
        self._fatal: str | None = None
        self._writing = False  # True while this object holds the exclusive lock
        self._staged: dict[str, bytes] = {}  # blobs of the append being validated

    # ------------------------------------------------------------------ paths

    @property
    def entries_path(self) -> Path:
        """``D/entries.jsonl``."""
        return self.directory / ENTRIES_NAME

    @property
    def checkpoint_path(self) -> Path:
        """``D/checkpoint``, the published copy of the latest checkpoint."""
        return self.directory / CHECKPOINT_NAME

    @property
    def archive_dir(self) -> Path:
        """``D/checkpoints``, the immutable archive."""
        return self.directory / ARCHIVE_DIR

    @property
    def journal_path(self) -> Path:
        """``D/journal``, present only while an append is in progress or was interrupted."""
        return self.directory / JOURNAL_NAME

    def blob_path(self, hex_digest: str) -> Path:
        """``D/blobs/sha256/<hex>``.

        Args:
            hex_digest: 64 lowercase hex digits.

        Returns:
            The blob's path (it may not exist).

        Raises:
            MalformedError: If ``hex_digest`` is not 64 lowercase hex digits.
        """
        if not isinstance(hex_digest, str) or not _HEX64.fullmatch(hex_digest):
            raise MalformedError("blob 名称应为 64 位小写十六进制（SHA-256）")
        return self.directory / BLOB_DIR / hex_digest

    # ------------------------------------------------------------------ reading

    def iter_lines(self) -> Iterator[bytes]:
        """Stream the complete lines of ``entries.jsonl`` (leaf bytes, without ``\\n``).

        A torn tail is not yielded. This does not verify anything and takes no lock: call
        :meth:`read_state` first, and read at most ``state.size`` lines, to get verified data.

        Yields:
            Each complete line, in order.

        Raises:
            StoreError: If the file cannot be read.
            FatalStoreError: If an unterminated line exceeds :data:`MAX_ENTRY_SIZE`.
        """
        for _, line in stored_lines(EntryLines(self.entries_path, missing_ok=True)):
            yield line

    def read_state(self, *, lock_timeout: float = 10.0) -> StoreState:
        """Verify the directory, read-only, and describe it (docs/ledger.md §12.5).

        Takes the shared lock when ``LOCK`` exists (waiting up to ``lock_timeout`` seconds for a
        writer to finish, so a reader never sees a transaction in progress); a directory that
        was never written, or has no ``LOCK`` (a published copy), is read without a lock. Nothing
        is ever created or modified. An interrupted append is reported in the state
        (``journal``, ``torn_tail``, ``stale_temps``, ``published_lags``), not repaired.

        Args:
            lock_timeout: Seconds to wait for a writer holding the lock.

        Returns:
            The verified state.

        Raises:
            FatalStoreError: On any inconsistency (corruption or tampering).
            LockBusyError: If a writer holds the lock longer than ``lock_timeout``.
            StoreError: If a file cannot be read.
        """
        if self._writing or not (self.directory / LOCK_NAME).exists():
            return self._scanner.scan().state
        with LedgerLock(self.directory, exclusive=False, timeout=lock_timeout):
            return self._scanner.scan().state

    # ------------------------------------------------------------------ writing

    def _check_not_stopped(self) -> None:
        if self._fatal is not None:
            raise FatalStoreError(
                f"此 LedgerStore 因致命错误已停止（{self._fatal}）；请退出，由新进程从磁盘恢复"
            )

    def _check_writable(self, log_signers: Sequence[Signer]) -> None:
        self._check_not_stopped()
        if not log_signers:
            raise StoreError("签署检查点至少需要一个日志签名者")
        verifiers = set(self.log_verifiers)
        if not any(s.verifier() in verifiers for s in log_signers):
            raise StoreError(
                "日志签名者与已配置的日志验证密钥"
                f"（{', '.join(v.key_ref for v in self.log_verifiers)}）均不匹配；"
                "签出的检查点将无法通过验证"
            )

    @contextmanager
    def _write_session(self) -> Iterator[None]:
        """Create ``D`` durably, hold the exclusive lock, and stop this object on a fatal error.

        Any :class:`FatalStoreError` (corruption found, or an fsync/rename/link failure, even
        while creating ``D``) marks the object as stopped: see the class docstring. Every
        session, successful or not, increments ``generation``.
        """
        try:
            mkdirs_durable(self.directory)
            with LedgerLock(self.directory, exclusive=True):
                self._writing = True
                try:
                    yield
                finally:
                    self._writing = False
                    self.generation += 1
        except FatalStoreError as exc:
            self._fatal = str(exc)
            raise

    def recover(self, *, lock_timeout: float = 0.0) -> Recovery:
        """Finish or undo an interrupted append under the exclusive lock (docs/ledger.md §12.6).

        Needs no key: a roll forward publishes the checkpoint the interrupted append had
        already signed and written into the journal. Idempotent: a crash during recovery
        leaves a state the next recovery completes. A clean directory is not modified (and
        not even locked for writing unless it needs recovery).

        Args:
            lock_timeout: Seconds to wait for a writer that holds the lock while this call reads
                the directory (the default fails at once).

        Returns:
            The clean state and the repairs made (Chinese sentences, for the user).

        Raises:
            LockBusyError: If another process holds the lock.
            FatalStoreError: On an inconsistency the journal does not explain (nothing
                modified), or an fsync/rename/link failure.
            StoreError: On other I/O errors.
        """
        self._check_not_stopped()
        state = self.read_state(lock_timeout=lock_timeout)
        if not state.needs_recovery:
            return Recovery(state, ())
        with self._write_session():
            before = len(self.recovered)
            scan = self._recover(self._scanner.scan())
            return Recovery(scan.state, tuple(self.recovered[before:]))

    def _recover(self, scan: Scan) -> Scan:
        """Repair what ``scan`` found (under the lock) and return a clean scan."""
        state = scan.state
        if not state.needs_recovery:
            return scan
        journal = state.journal
        if journal is not None:
            self.recovered.append(self._resolve_journal(state, journal))
        else:
            self._repair_without_journal(state)
        if state.stale_temps:
            for rel, _ in state.stale_temps:
                remove_durable(self.directory / rel)
            self.recovered.append(
                "已删除中断的写入留下的临时文件："
                + "、".join(f"{rel}（{size} 字节）" for rel, size in state.stale_temps)
            )
        clean = self._scanner.scan()
        if clean.state.needs_recovery:  # a concurrent change despite the lock: never loop
            raise StoreError(
                f"{self.directory}：恢复后账本目录仍不一致，请检查是否有其他程序在写入"
            )
        return clean

    def _repair_without_journal(self, state: StoreState) -> None:
        """No append is in progress: only a torn tail or a lagging copy may be repaired."""
        c = state.checkpointed_size
        if state.uncheckpointed:
            start = state.checkpointed_length
            raise self._scanner.fatal_at(
                ENTRIES_NAME,
                f"第 {c}..{state.size - 1} 行（字节 {start}..{state.valid_length - 1}）"
                "不在任何签名检查点内，也没有追加日志表明它们来自一次中断的追加："
                "无法验证，拒绝在其后追加或为其签署检查点。若确认这些行无效，可在备份后执行 "
                f"truncate -s {start} {self.entries_path}",
            )
        if state.torn_tail:
            name = self._save_torn(state.torn_tail)
            truncate_durable(self.entries_path, state.valid_length)
            self.recovered.append(
                f"已移除 {ENTRIES_NAME} 末尾 {len(state.torn_tail)} 字节不完整的行"
                f"（原样保存在 {name}）"
            )
        if state.published_lags and state.checkpoint_note is not None:
            write_atomic(self.checkpoint_path, state.checkpoint_note)
            self.recovered.append(
                f"{CHECKPOINT_NAME} 落后于存档：已改为 {ARCHIVE_DIR}/{c} 的副本（大小 {c}）"
            )

    def _resolve_journal(self, state: StoreState, journal: AppendJournal) -> str:
        """Roll the journal's append forward, or back if it never got past its blobs."""
        c = state.checkpointed_size
        written = state.valid_length + len(state.torn_tail) - journal.base_length
        missing = [d for d, _ in journal.blobs if not self.blob_path(d).exists()]
        span = f"第 {journal.base_size}–{journal.size - 1} 条"
        if missing:
            if written or c != journal.base_size:
                raise self._scanner.fatal_at(
                    JOURNAL_NAME,
                    f"追加日志的 blob {BLOB_DIR}/{missing[0]} 缺失，但其条目已经写入：不会据此做任何修复",
                )
            removed = [d for d, _ in journal.blobs if remove_durable(self.blob_path(d))]
            remove_durable(self.journal_path)
            extra = f"和 {len(removed)} 个新 blob" if removed else ""
            return (
                f"上次追加（{span}）在写入条目之前中断：已撤销未完成的追加"
                f"（删除追加日志{extra}），账本仍为 {journal.base_size} 条"
            )
        for digest, size in journal.blobs:
            try:
                blob = self.get_blob(digest)
            except VerificationError as exc:
                raise self._scanner.fatal_at(
                    JOURNAL_NAME, f"追加日志的 blob 已损坏：{exc}"
                ) from exc
            if len(blob) != size:
                raise self._scanner.fatal_at(
                    JOURNAL_NAME, f"blob {digest} 长 {len(blob)} 字节，追加日志记载 {size} 字节"
                )
        if c == journal.size and not state.published_lags:
            remove_durable(self.journal_path)
            return f"上次追加（{span}）已完成（检查点大小 {journal.size}）：已删除遗留的追加日志"
        self._complete(journal, written)
        return (
            f"上次追加中断：已完成{span}的写入并发布中断前已签署的检查点"
            f"（大小 {journal.size}，此前写入了 {written} / {len(journal.payload)} 字节）"
        )

    def _complete(self, journal: AppendJournal, written: int) -> None:
        """Steps 7–10 of docs/ledger.md §12.4, from ``written`` bytes of the payload on.

        Each step is idempotent: ``append_durable`` writes only the missing bytes,
        ``create_immutable`` accepts an identical archive file, ``write_atomic`` replaces.
        """
        if written < len(journal.payload):
            append_durable(self.entries_path, journal.payload[written:])
        mkdirs_durable(self.archive_dir)
        # The archive first: it is the source of truth; "checkpoint" may lag it, never lead.
        # An existing checkpoints/<size> with different bytes would be a second, different
        # signed root for one size (a fork): create_immutable refuses with FatalStoreError.
        create_immutable(self.archive_dir / str(journal.size), journal.note)
        write_atomic(self.checkpoint_path, journal.note)
        remove_durable(self.journal_path)

    def _save_torn(self, tail: bytes) -> str:
        """Keep a torn tail for forensics before it is truncated away; return its name."""
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as exc:
            raise StoreError(f"无法列出 {self.directory}：{os_reason(exc)}") from exc
        for name in names:
            # A crash between saving and truncating leaves an identical copy: do not pile up.
            path = self.directory / name
            try:
                same_size = name.startswith(TORN_PREFIX) and os.path.getsize(path) == len(tail)
            except OSError as exc:
                raise StoreError(f"无法获取 {path} 的文件状态：{os_reason(exc)}") from exc
            if same_size and read_file(path) == tail:
                return name
        base = f"{TORN_PREFIX}{int(time.time())}"
        name, k = base, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        create_immutable(self.directory / name, tail)
        return name

    def _sign(self, checkpoint: Checkpoint, log_signers: Sequence[Signer]) -> bytes:
        try:
            return sign_checkpoint(checkpoint, log_signers)
        except ValueError as exc:
            raise StoreError(f"无法签署检查点：{exc}") from exc

    def append(
        self,
        lines: Sequence[bytes],
        log_signers: Sequence[Signer],
        validate: Validator | None = None,
        blobs: Sequence[bytes] = (),
    ) -> Checkpoint:
        """Append entries (and the blobs they reference) as one transaction (docs/ledger.md §12.4).

        1. Check the new lines: bytes, no ``\\n``, ≤ 65535 bytes, canonical JSON.
        2. Take the exclusive lock (``LockBusyError`` at once if busy); create ``D`` durably.
        3. Verify everything (:meth:`read_state`) and :meth:`recover` an interrupted append.
        4. ``validate(N, lines)``; it may read the new ``blobs`` with :meth:`get_blob`.
        5. Sign the checkpoint over the old lines plus the new ones, in memory.
        6. Write the journal ``D/journal`` (the new lines, the signed note, the new blobs).
        7. Create the blobs that do not exist yet.
        8. Append the lines (one ``O_APPEND`` write loop, fsync).
        9. Create ``checkpoints/<N+k>`` (create-exclusive: "would fork" if it exists with other
           bytes), then replace ``checkpoint``.
        10. Delete the journal (fsync ``D``). Unlock.

        Nothing is written before step 6, so a refused append leaves no trace, not even its
        blobs. A crash after step 6 leaves a state that the next writer finishes or undoes.

        Args:
            lines: The new entries (canonical JSON bytes, without ``\\n``).
            log_signers: The log key(s); at least one must match ``log_verifiers``.
            validate: Optional ``validate(first_index, lines)``, run under the lock. It may use
                :meth:`iter_lines`, :meth:`read_state` and :meth:`get_blob` (no deadlock).
            blobs: Blobs the new entries reference (stored at ``blobs/sha256/<hex>``).

        Returns:
            The new checkpoint (its signed note is now ``checkpoint``).

        Raises:
            MalformedError: If a new line is not bytes, contains ``\\n``, is too long or is not
                canonical JSON. Nothing was written.
            LedgerError: Whatever ``validate`` raises for the new lines. Nothing was written.
            LockBusyError: If another process holds the lock.
            FatalStoreError: On corruption or tampering (any line the checkpoints and the
                journal do not account for), a checkpoint that would fork, or an
                fsync/rename/link failure; this object then refuses further writes.
            StoreError: On other I/O errors (the next writer finishes or undoes the append),
                blobs without lines, or an empty log with nothing to append.
        """
        batch = [self._check_new_line(j, line) for j, line in enumerate(lines)]
        staged = {hashlib.sha256(b).hexdigest(): bytes(b) for b in blobs}
        self._check_writable(log_signers)
        with self._write_session():
            scan = self._recover(self._scanner.scan())
            if not batch:
                if staged:
                    raise StoreError("blob 只能与引用它的条目一同追加")
                if scan.state.checkpoint is None:
                    raise StoreError(f"{self.directory}：日志为空，没有可签署的内容")
                return scan.state.checkpoint
            first = scan.state.size
            if validate is not None:
                self._staged = staged
                try:
                    validate(first, batch)
                finally:
                    self._staged = {}
            builder = scan.builder
            for line in batch:
                builder.append(leaf_hash(line))
            checkpoint = Checkpoint(self.origin, builder.size, builder.root())
            journal = AppendJournal(
                base_size=first,
                base_length=scan.state.valid_length,
                size=builder.size,
                note=self._sign(checkpoint, log_signers),
                payload=b"".join(line + b"\n" for line in batch),
                blobs=tuple(
                    sorted((d, len(b)) for d, b in staged.items() if not self.blob_path(d).exists())
                ),
            )
            write_atomic(self.journal_path, journal.encode())
            for digest, _ in journal.blobs:
                mkdirs_durable(self.directory / BLOB_DIR)
                create_immutable(self.blob_path(digest), staged[digest])
            self._complete(journal, 0)
            return checkpoint

    @staticmethod
    def _check_new_line(position: int, line: bytes) -> bytes:
        if not isinstance(line, bytes | bytearray | memoryview):
            raise MalformedError(
                f"第 {position} 条新条目的类型为 {type(line).__name__}，应为 bytes"
            )
        data = bytes(line)
        if b"\n" in data:
            raise MalformedError(f"第 {position} 条新条目含有换行符")
        if len(data) > MAX_ENTRY_SIZE:
            raise MalformedError(
                f"第 {position} 条新条目长 {len(data)} 字节，超过 {MAX_ENTRY_SIZE} 字节的上限"
            )
        try:
            canonical.loads(data)
        except MalformedError as exc:
            raise MalformedError(f"第 {position} 条新条目不是规范 JSON：{exc}") from exc
        return data

    # ------------------------------------------------------------------ blobs

    def put_blob(self, data: bytes, media: str | None = None) -> str:
        """Store an immutable content-addressed blob at ``blobs/sha256/<hex>``.

        Idempotent: storing the same bytes again is a no-op. Runs under the exclusive lock
        (single-writer discipline; recovery cleans blob temp files under the same lock).

        Args:
            data: The blob's bytes (for example a population list snapshot).
            media: Optional media type (``type/subtype``, lowercase), checked for syntax only.
                It is not stored: the entry that references the blob carries
                ``{"sha256", "size", "media"}``.

        Returns:
            The lowercase hex SHA-256 of ``data``.

        Raises:
            MalformedError: If ``media`` is not a plausible media type.
            LockBusyError: If another process holds the lock.
            FatalStoreError: If a blob of that name exists with different bytes (corrupted), or
                fsync/link fails.
            StoreError: On other I/O errors.
        """
        if media is not None and not _MEDIA_TYPE.fullmatch(media):
            raise MalformedError(f"无效的媒体类型 {media!r}")
        self._check_not_stopped()
        digest = hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        with self._write_session():
            mkdirs_durable(path.parent)
            create_immutable(path, bytes(data))
        return digest

    def get_blob(self, hex_digest: str) -> bytes:
        """Read a blob and check its hash.

        Args:
            hex_digest: The blob's lowercase hex SHA-256.

        Returns:
            The blob's bytes.

        Raises:
            MalformedError: If ``hex_digest`` is not 64 lowercase hex digits.
            StoreError: If the blob is missing or unreadable.
            VerificationError: If the content does not hash to ``hex_digest``.
        """
        path = self.blob_path(hex_digest)
        staged = self._staged.get(hex_digest)
        if staged is not None:  # a blob of the append being validated (not yet written)
            return staged
        data = read_file(path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != hex_digest:
            raise VerificationError(f"{path}：内容的哈希为 {actual}，而不是 {hex_digest}")
        return data
