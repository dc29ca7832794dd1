"""The crash-safe single writer of the ledger directory (docs/ledger.md §12).

Layout of a ledger directory ``D`` (``draws/`` in the repository)::

    D/entries.jsonl             append-only; line i (without its "\\n") is leaf i
    D/checkpoints/<size>        immutable archive of signed checkpoint notes, one per size
    D/checkpoint                copy of the latest archived note (atomic replace)
    D/LOCK                      flock(2) target; exclusive for the writer, shared for readers
    D/blobs/sha256/<hex>        immutable, content-addressed blobs (lowercase hex SHA-256)
    D/torn-<unix_ts>[.<k>]      forensic copies of torn tails removed by recovery

The archive ``checkpoints/`` is the source of truth (Sunlight's lock backend, Tessera's
``treeState``): ``checkpoint`` may lag it (a crash between archiving and publishing, which
recovery repairs) but never lead it. Every read verifies, and every write starts by, the full
state machine of :meth:`LedgerStore.read_state`; anything inconsistent inside the checkpointed
range is a :class:`~ledger.errors.FatalStoreError` and nothing is modified (never auto-repair
evidence of tampering). Durable-but-uncheckpointed complete lines are rolled *forward*; only a
torn, newline-less tail is ever removed, and it is kept in ``torn-*``.

All writes go through :mod:`ledger.durable`. Linux only (directory fsync, ``flock``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ledger import canonical
from ledger.checkpoint import EMPTY_ROOT, Checkpoint, open_checkpoint, sign_checkpoint
from ledger.durable import (
    LOCK_NAME,
    TEMP_PREFIX,
    LedgerLock,
    append_durable,
    create_immutable,
    mkdirs_durable,
    read_file,
    truncate_durable,
    write_atomic,
)
from ledger.errors import (
    FatalStoreError,
    LedgerError,
    MalformedError,
    StoreError,
    VerificationError,
)
from ledger.merkle import RootBuilder, leaf_hash
from ledger.note import Signer, Verifier

__all__ = [
    "ARCHIVE_DIR",
    "BLOB_DIR",
    "CHECKPOINT_NAME",
    "ENTRIES_NAME",
    "MAX_ENTRY_SIZE",
    "TORN_PREFIX",
    "LedgerStore",
    "StoreState",
    "Validator",
]

MAX_ENTRY_SIZE: Final = 65535
"""Largest entry (line without ``\\n``) in bytes: the tlog-tiles entry-bundle limit."""

ENTRIES_NAME: Final = "entries.jsonl"
CHECKPOINT_NAME: Final = "checkpoint"
ARCHIVE_DIR: Final = "checkpoints"
BLOB_DIR: Final = "blobs/sha256"
TORN_PREFIX: Final = "torn-"

Validator = Callable[[int, Sequence[bytes]], None]
"""``validate(first_index, lines)``: raise a LedgerError if ``lines`` may not be logged at
``first_index, first_index + 1, ...`` (for example after replaying the key registry)."""

_READ_CHUNK: Final = 1 << 20
_DECIMAL: Final = re.compile("0|[1-9][0-9]{0,18}")
_HEX64: Final = re.compile("[0-9a-f]{64}")
_MEDIA_TYPE: Final = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class StoreState:
    """A verified snapshot of a ledger directory, as found by :meth:`LedgerStore.read_state`.

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
        published_lags: True if ``checkpoint`` is missing or older than the archive (a crash
            between archiving and publishing); recovery re-copies it.
        valid_length: Byte length of the complete lines (offset just after the last ``\\n``).
        torn_tail: The bytes after the last ``\\n`` (a torn write), ``b""`` if none.
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

    @property
    def checkpointed_size(self) -> int:
        """C, the size of the latest archived checkpoint (0 if none)."""
        return self.checkpoint.size if self.checkpoint is not None else 0

    @property
    def uncheckpointed(self) -> int:
        """N − C: complete lines that are durable but not yet covered by a checkpoint."""
        return self.size - self.checkpointed_size

    @property
    def needs_recovery(self) -> bool:
        """True if recovery would change the directory (roll forward, re-copy or truncate)."""
        return self.uncheckpointed > 0 or self.published_lags or bool(self.torn_tail)


@dataclass
class _Scan:
    """The result of one scan: the public state plus what recovery and append need."""

    state: StoreState
    builder: RootBuilder
    pending: list[bytes] = field(default_factory=list)  # lines C..N-1


class _LineReader:
    """Stream the complete lines of ``entries.jsonl`` in O(chunk + longest line) memory.

    After iteration, ``valid_length`` is the offset just after the last ``\\n`` and ``tail``
    holds the bytes after it (a torn write).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.valid_length = 0
        self.tail = b""

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(byte_offset, line)`` for each complete line, without the ``\\n``.

        Raises:
            StoreError: If the file cannot be read.
            FatalStoreError: If an unterminated line grows beyond :data:`MAX_ENTRY_SIZE`
                (neither a valid entry nor a torn write of one).
        """
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - a generator keeps it open across yields
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"无法读取 {self.path}：{exc.strerror or exc}") from exc
        index = 0
        with f:
            buf = b""
            offset = 0  # file offset of buf[0]
            while True:
                try:
                    chunk = f.read(_READ_CHUNK)
                except OSError as exc:
                    raise StoreError(f"无法读取 {self.path}：{exc.strerror or exc}") from exc
                if not chunk:
                    break
                buf = buf + chunk if buf else chunk
                start = 0
                while (nl := buf.find(b"\n", start)) != -1:
                    yield offset + start, buf[start:nl]
                    index += 1
                    start = nl + 1
                buf = buf[start:]
                offset += start
                self.valid_length = offset
                if len(buf) > MAX_ENTRY_SIZE:
                    # A writer only ever leaves a prefix of one entry unterminated, so this
                    # cannot be a torn write: it is an over-long line or foreign data.
                    raise FatalStoreError(
                        f"{self.path}：第 {index} 行（字节偏移 {offset}）超过 "
                        f"{MAX_ENTRY_SIZE} 字节仍没有换行符；它既不是有效的条目，"
                        "也不是某个条目写入中断留下的残片"
                    )
            self.tail = buf


class LedgerStore:
    """The ledger directory: verified reads, and the single crash-safe writer.

    Every method re-reads the directory; nothing is cached between calls, so several
    :class:`LedgerStore` objects (or processes) may point at one directory. Writes are
    serialized by the exclusive ``LOCK``; a second writer fails at once with
    :class:`~ledger.errors.LockBusyError`.

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
        self._fatal: str | None = None
        self._writing = False  # True while this object holds the exclusive lock

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
        for _, line in _LineReader(self.entries_path):
            yield line

    def read_state(self, *, lock_timeout: float = 10.0) -> StoreState:
        """Verify the directory, read-only, and describe it.

        Takes the shared lock when ``LOCK`` exists (waiting up to ``lock_timeout`` seconds for a
        writer to finish, so a reader never sees a transaction in progress); a directory that
        was never written, or has no ``LOCK`` (a published copy), is read without a lock. Nothing
        is ever created or modified.

        Checks, in order (each failure names the file, the line index and what differs):

        1. every ``checkpoints/<name>``: ``name`` is a canonical decimal, the note verifies with
           ``log_verifiers``, its origin matches and its size equals ``name``;
        2. every complete line of ``entries.jsonl`` is canonical JSON of ≤ 65535 bytes;
        3. N ≥ C, and ``MTH(lines[0:s])`` equals the root of ``checkpoints/s`` for every s;
        4. ``checkpoint`` equals ``checkpoints/C`` byte for byte, or equals an older archived
           note or is missing (it lags: ``published_lags``); it may never be ahead or differ.

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
            return self._scan().state
        with LedgerLock(self.directory, exclusive=False, timeout=lock_timeout):
            return self._scan().state

    def _fatal_at(self, name: str, message: str) -> FatalStoreError:
        return FatalStoreError(f"{self.directory / name}：{message}")

    def _read_archive(self) -> tuple[list[tuple[int, bytes]], bytes | None]:
        """Read and verify ``checkpoints/``: ``([(size, root)] ascending, latest note)``."""
        try:
            names = os.listdir(self.archive_dir)
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            raise StoreError(f"无法列出 {self.archive_dir}：{exc.strerror or exc}") from exc
        found: list[tuple[int, bytes]] = []
        latest: tuple[int, bytes] | None = None
        for name in names:
            if name.startswith(TEMP_PREFIX):
                continue  # an unpublished temp file of a crashed writer: never part of the log
            rel = f"{ARCHIVE_DIR}/{name}"
            if not _DECIMAL.fullmatch(name):
                raise self._fatal_at(
                    rel,
                    "检查点存档中有意外的文件；文件名只能是规范的十进制大小"
                    "（像 '07' 这样的名称会与另一个大小混淆）",
                )
            path = self.archive_dir / name
            if path.is_symlink() or not path.is_file():
                raise self._fatal_at(rel, "存档检查点不是普通文件")
            note = read_file(path)
            cp = self._open_note(rel, note)
            if cp.size != int(name):
                raise self._fatal_at(rel, f"文件名表示大小 {name}，签名检查点的大小却是 {cp.size}")
            found.append((cp.size, cp.root))
            if latest is None or cp.size > latest[0]:
                latest = (cp.size, note)
        found.sort()
        return found, (latest[1] if latest is not None else None)

    def _open_note(self, rel: str, note: bytes) -> Checkpoint:
        try:
            cp, _ = open_checkpoint(note, self.origin, self.log_verifiers)
        except (MalformedError, VerificationError) as exc:
            raise self._fatal_at(
                rel,
                f"不是由日志密钥有效签署的 {self.origin!r} 检查点：{exc}"
                "（被修改，或由未知密钥签署）",
            ) from exc
        return cp

    def _scan(self) -> _Scan:
        """Read and verify everything (see :meth:`read_state`); never modifies anything."""
        # Reverse order of the writer (entries → archive → checkpoint), so that even a reader
        # without the lock never sees a later step without the earlier ones.
        published: bytes | None = None
        if self.checkpoint_path.exists():
            published = read_file(self.checkpoint_path)
        archive, latest_note = self._read_archive()
        expected = dict(archive)
        sizes = tuple(s for s, _ in archive)
        c = sizes[-1] if sizes else 0
        checked = 0  # largest archived size verified so far

        builder = RootBuilder()
        pending: list[bytes] = []
        reader = _LineReader(self.entries_path)
        for offset, line in reader:
            index = builder.size
            self._check_stored_line(index, offset, line, c)
            builder.append(leaf_hash(line))
            if index >= c:
                pending.append(line)
            root = expected.get(builder.size)
            if root is not None:
                actual = builder.root()
                if actual != root:
                    raise self._fatal_at(
                        f"{ARCHIVE_DIR}/{builder.size}",
                        f"签名的根 {_b64(root)} 与 MTH({ENTRIES_NAME} 第 "
                        f"0..{builder.size - 1} 行) = {_b64(actual)} 不符：第 "
                        f"{checked}..{builder.size - 1} 行中有条目在被检查点覆盖后遭到修改、插入、"
                        "删除或重排",
                    )
                checked = builder.size
        n = builder.size
        if n < c:
            detail = f"第 {n}..{c - 1} 行缺失（被删除或截断）"
            if reader.tail and n == c - 1:
                detail = (
                    f"第 {n} 行（被检查点覆盖的最后一行）丢失了结尾的换行符"
                    f"（字节偏移 {reader.valid_length} 之后有 {len(reader.tail)} 字节）"
                )
            elif reader.tail:
                detail += f"；第 {n - 1} 行之后还有 {len(reader.tail)} 字节没有换行符"
            raise self._fatal_at(
                ENTRIES_NAME,
                f"只有 {n} 个完整行，而 {ARCHIVE_DIR}/{c} 覆盖 {c} 行：{detail}",
            )

        lags = self._check_published(published, latest_note, c)
        state = StoreState(
            directory=self.directory,
            size=n,
            root=builder.root(),
            checkpoint=Checkpoint(self.origin, c, expected[c]) if sizes else None,
            checkpoint_note=latest_note,
            archived_sizes=sizes,
            published_lags=lags,
            valid_length=reader.valid_length,
            torn_tail=reader.tail,
        )
        return _Scan(state, builder, pending)

    def _check_stored_line(self, index: int, offset: int, line: bytes, c: int) -> None:
        where = (
            f"位于检查点覆盖的范围（0..{c - 1}）内"
            if index < c
            else "位于最后一个检查点之后（已持久化，尚未被检查点覆盖）"
        )
        if len(line) > MAX_ENTRY_SIZE:
            raise self._fatal_at(
                ENTRIES_NAME,
                f"第 {index} 行（字节偏移 {offset}）{where}，长 {len(line)} 字节，超过 "
                f"{MAX_ENTRY_SIZE} 字节的上限",
            )
        try:
            canonical.loads(line)
        except MalformedError as exc:
            raise self._fatal_at(
                ENTRIES_NAME,
                f"第 {index} 行（字节偏移 {offset}）{where}，不是规范 JSON：{exc}",
            ) from exc

    def _check_published(self, published: bytes | None, latest: bytes | None, c: int) -> bool:
        """Compare ``checkpoint`` with the archive; return True if it lags (re-copy needed)."""
        if published is None:
            return latest is not None  # crash before the first publish: lags
        if latest is None:
            raise self._fatal_at(
                CHECKPOINT_NAME,
                f"存在，但 {ARCHIVE_DIR}/ 为空：发布的检查点领先于存档（存档才是权威来源）",
            )
        if published == latest:
            return False
        cp = self._open_note(CHECKPOINT_NAME, published)
        if cp.size > c:
            raise self._fatal_at(
                CHECKPOINT_NAME,
                f"大小为 {cp.size}，领先于存档中最新的 {ARCHIVE_DIR}/{c}",
            )
        if cp.size == c:
            raise self._fatal_at(
                CHECKPOINT_NAME,
                f"与大小相同的 {ARCHIVE_DIR}/{c} 不同（根为 {_b64(cp.root)}）",
            )
        older = self.archive_dir / str(cp.size)
        if not older.exists() or read_file(older) != published:
            raise self._fatal_at(
                CHECKPOINT_NAME,
                f"大小为 {cp.size}，但与 {ARCHIVE_DIR}/{cp.size} 并非逐字节相同",
            )
        return True  # an older archived checkpoint: a crash before publishing the latest

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
        while creating ``D``) marks the object as stopped: see the class docstring.
        """
        try:
            mkdirs_durable(self.directory)
            with LedgerLock(self.directory, exclusive=True):
                self._writing = True
                try:
                    yield
                finally:
                    self._writing = False
        except FatalStoreError as exc:
            self._fatal = str(exc)
            raise

    def recover(
        self, log_signers: Sequence[Signer], validate: Validator | None = None
    ) -> StoreState:
        """Bring the directory to a clean state under the exclusive lock (docs/ledger.md §12.3 steps
        2–4).

        Steps, after the full read-only verification of :meth:`read_state` (any failure there
        is fatal and modifies nothing):

        1. if N > C, lines C..N−1 were durable but never checkpointed: check them with
           ``validate(C, lines)`` (failure is fatal: they can be neither dropped nor logged);
        2. if there is a torn tail, save it to ``torn-<unix_ts>`` (unless an identical copy
           exists), then truncate ``entries.jsonl`` to the last ``\\n`` and fsync;
        3. remove stale ``.tmp.*`` files of crashed writers;
        4. if N > C, sign ``(N, MTH(lines[0:N]))``, archive it in ``checkpoints/N`` and
           publish it as ``checkpoint`` (roll forward); else if ``checkpoint`` lags, re-copy
           ``checkpoints/C`` to it.

        Args:
            log_signers: The log key(s) used to sign a rolled-forward checkpoint.
            validate: Optional full validation of rolled-forward lines.

        Returns:
            The state after recovery (N = C, ``checkpoint`` current, no torn tail).

        Raises:
            LockBusyError: If another process holds the lock.
            FatalStoreError: On an inconsistency, a failed validation of durable lines, or an
                fsync/rename/link failure.
            StoreError: On other I/O errors or a signer that does not match the verifiers.
        """
        self._check_writable(log_signers)
        with self._write_session():
            return self._recover(self._scan(), log_signers, validate).state

    def _recover(
        self, scan: _Scan, log_signers: Sequence[Signer], validate: Validator | None
    ) -> _Scan:
        state = scan.state
        c = state.checkpointed_size
        if scan.pending and validate is not None:
            try:
                validate(c, scan.pending)
            except LedgerError as exc:
                raise self._fatal_at(
                    ENTRIES_NAME,
                    f"第 {c}..{state.size - 1} 行已持久化但从未被检查点覆盖，"
                    f"且未通过验证：{exc}；拒绝将其前滚（或回滚）",
                ) from exc
        if state.torn_tail:
            self._save_torn(state.torn_tail)
            truncate_durable(self.entries_path, state.valid_length)
        self._remove_stale_temps()
        note = state.checkpoint_note
        checkpoint = state.checkpoint
        if scan.pending:
            checkpoint = Checkpoint(self.origin, state.size, state.root)
            note = self._publish(checkpoint, log_signers)
        elif state.published_lags and note is not None:
            write_atomic(self.checkpoint_path, note)
        clean = StoreState(
            directory=self.directory,
            size=state.size,
            root=state.root,
            checkpoint=checkpoint,
            checkpoint_note=note,
            archived_sizes=tuple(sorted({*state.archived_sizes, state.size}))
            if scan.pending
            else state.archived_sizes,
            published_lags=False,
            valid_length=state.valid_length,
            torn_tail=b"",
        )
        return _Scan(clean, scan.builder, [])

    def _save_torn(self, tail: bytes) -> None:
        """Keep a torn tail for forensics before it is truncated away."""
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as exc:
            raise StoreError(f"无法列出 {self.directory}：{exc.strerror or exc}") from exc
        for name in names:
            # A crash between saving and truncating leaves an identical copy: do not pile up.
            path = self.directory / name
            try:
                same_size = name.startswith(TORN_PREFIX) and os.path.getsize(path) == len(tail)
            except OSError as exc:
                raise StoreError(f"无法获取 {path} 的文件状态：{exc.strerror or exc}") from exc
            if same_size and read_file(path) == tail:
                return
        base = f"{TORN_PREFIX}{int(time.time())}"
        name, k = base, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        create_immutable(self.directory / name, tail)

    def _remove_stale_temps(self) -> None:
        """Delete temp files that only a crashed writer of this store can have left."""
        for folder, own in (
            (self.directory, (f"{TEMP_PREFIX}{CHECKPOINT_NAME}.", f"{TEMP_PREFIX}{TORN_PREFIX}")),
            (self.archive_dir, (TEMP_PREFIX,)),
            (self.directory / BLOB_DIR, (TEMP_PREFIX,)),
        ):
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"无法列出 {folder}：{exc.strerror or exc}") from exc
            for name in names:
                if name.startswith(own):
                    try:
                        os.unlink(folder / name)
                    except FileNotFoundError:
                        pass
                    except OSError as exc:
                        raise StoreError(f"无法删除残留的临时文件 {folder / name}：{exc}") from exc

    def _publish(self, checkpoint: Checkpoint, log_signers: Sequence[Signer]) -> bytes:
        """Sign, archive (create-exclusive) and publish (atomic replace) a checkpoint."""
        try:
            note = sign_checkpoint(checkpoint, log_signers)
        except ValueError as exc:
            raise StoreError(f"无法签署检查点：{exc}") from exc
        mkdirs_durable(self.archive_dir)
        # The archive first: it is the source of truth; "checkpoint" may lag it, never lead.
        # An existing checkpoints/<size> with different bytes would be a second, different
        # signed root for one size (a fork): create_immutable refuses with FatalStoreError.
        create_immutable(self.archive_dir / str(checkpoint.size), note)
        write_atomic(self.checkpoint_path, note)
        return note

    def append(
        self,
        lines: Sequence[bytes],
        log_signers: Sequence[Signer],
        validate: Validator | None = None,
    ) -> Checkpoint:
        """Append entries and sign a checkpoint covering them (docs/ledger.md §12.3 steps 1–10).

        1. Check the new lines: bytes, no ``\\n``, ≤ 65535 bytes, canonical JSON.
        2. Take the exclusive lock (``LockBusyError`` at once if busy); create ``D`` durably.
        3. Verify and :meth:`recover` (roll forward, truncate a torn tail, re-copy).
        4. ``validate(N, lines)`` with N the index the first new line will get.
        5. Append ``line + "\\n"`` for every line with one ``O_APPEND`` write loop; fsync (and
           fsync ``D`` if the file was created). Only now can anything be signed.
        6. Compute the new root; sign; create ``checkpoints/<N+k>`` (create-exclusive, "would
           fork" if it exists with other bytes); fsync ``checkpoints/``.
        7. Atomically replace ``checkpoint``; fsync ``D``. Unlock.

        A crash at any point leaves a state that :meth:`recover` completes (roll forward) or
        that has none of the new lines; the new lines are never partly checkpointed. An empty
        ``lines`` only recovers and returns the latest checkpoint.

        Args:
            lines: The new entries (canonical JSON bytes, without ``\\n``).
            log_signers: The log key(s); at least one must match ``log_verifiers``.
            validate: Optional ``validate(first_index, lines)``; it runs under the lock, on
                the rolled-forward lines during recovery and on the new lines before writing.
                It may use :meth:`iter_lines` and :meth:`read_state` (no deadlock).

        Returns:
            The new checkpoint (its signed note is now ``checkpoint``).

        Raises:
            MalformedError: If a new line is not bytes, contains ``\\n``, is too long or is not
                canonical JSON. Nothing was written.
            LedgerError: Whatever ``validate`` raises for the new lines. Nothing was written.
            LockBusyError: If another process holds the lock.
            FatalStoreError: On corruption, a failed validation of durable lines, a checkpoint
                that would fork, or an fsync/rename/link failure; this object then refuses
                further writes.
            StoreError: On other I/O errors (the next append recovers), or an empty log with
                nothing to append.
        """
        batch = [self._check_new_line(j, line) for j, line in enumerate(lines)]
        self._check_writable(log_signers)
        with self._write_session():
            scan = self._recover(self._scan(), log_signers, validate)
            if not batch:
                if scan.state.checkpoint is None:
                    raise StoreError(f"{self.directory}：日志为空，没有可签署的内容")
                return scan.state.checkpoint
            first = scan.state.size
            if validate is not None:
                validate(first, batch)
            # Step 5: the lines are durable before anything can sign them, so a torn or
            # unsynced line can never be covered by a signature.
            append_durable(self.entries_path, b"".join(line + b"\n" for line in batch))
            builder = scan.builder
            for line in batch:
                builder.append(leaf_hash(line))
            checkpoint = Checkpoint(self.origin, builder.size, builder.root())
            self._publish(checkpoint, log_signers)
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
        data = read_file(path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != hex_digest:
            raise VerificationError(f"{path}：内容的哈希为 {actual}，而不是 {hex_digest}")
        return data
