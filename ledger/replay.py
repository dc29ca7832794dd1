"""Step 4 of the audit: stream ``entries.jsonl`` and replay the log (docs/ledger.md §13.5).

For each line below the checkpoint size: no ``\\r``; :func:`~ledger.entries.parse_entry`;
the registry replay by log index (docs/ledger.md §13.3: body schema, key rules, every Ed25519
signature); the leaf hash into the O(log n) :class:`~ledger.merkle.RootBuilder`; every
referenced blob; the draw re-execution hooks; the entry bundles of a published folder; and at
every archived size, the archived note's signature and root. :func:`replay_entries` returns
what the later steps and the report need as a :class:`Replay`.

Ed25519 verification dominates the cost, so with ``workers > 1`` the department signature
checks are deferred, in batches, to worker processes (:class:`SigChecker`); a failing
signature is reported at its index, and the first error in log order wins, exactly as with
``workers=1`` (which verifies inline).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.auditdir import Archive, AuditedDirectory, collect_blob_refs
from ledger.auditread import EntryLines, OverlongLine
from ledger.entries import MAX_ENTRY_SIZE, Entry, parse_entry
from ledger.errors import LedgerError, MalformedError, UnverifiableError, VerificationError
from ledger.layout import ARCHIVE_DIR, ENTRIES_NAME
from ledger.merkle import RootBuilder, leaf_hash
from ledger.note import Verifier
from ledger.pin import open_with
from ledger.registry import ROOT_TYPES, Registry
from ledger.tiles import TILE_WIDTH

__all__ = ["BlobReader", "DrawCheck", "Replay", "SigChecker", "replay_entries"]

BlobReader = Callable[[str], bytes]
"""``read_blob(hex_sha256) -> bytes``: a blob's bytes, already checked against its hash."""

DrawCheck = Callable[[Entry, BlobReader], None]
"""A re-execution hook: raise a :class:`~ledger.errors.LedgerError` if the entry is wrong."""

_BATCH: Final = 128  # signatures per message to a worker (≈ 40 KB: a socket buffer holds two)
_QUEUED_PER_WORKER: Final = 2  # batches sent to a worker and not answered yet (bounded memory)


# --------------------------------------------------------------------------- signatures


_KEY_CACHE: dict[bytes, Ed25519PublicKey] = {}


def _verify_batch(blob: bytes) -> int:
    """Verify the signatures packed in ``blob`` (see :meth:`SigChecker.add`).

    Each item is ``public key (32) ‖ signature (64) ‖ u32be(len(message)) ‖ message``: one bytes
    object per batch travels far faster than a tuple of objects per signature.

    Returns:
        The position in the batch of the first invalid signature, or -1.
    """
    pos = 0
    k = 0
    end = len(blob)
    while pos < end:
        pub = blob[pos : pos + 32]
        sig = blob[pos + 32 : pos + 96]
        n = int.from_bytes(blob[pos + 96 : pos + 100], "big")
        msg = blob[pos + 100 : pos + 100 + n]
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


def _sig_worker(conn: Connection) -> None:
    """A worker process: answer each batch received with :func:`_verify_batch`'s result (4
    bytes, big-endian, signed), in the order received, until an empty message or the end of
    the connection. Ctrl-C is the parent's to handle (it stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while blob := conn.recv_bytes():
            conn.send_bytes(_verify_batch(blob).to_bytes(4, "big", signed=True))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def _sig_error(failure: tuple[int, str, str]) -> VerificationError:
    """The error for a failed deferred check ``(index, key ref, where)``."""
    # The same wording as Registry._valid_sigs, so workers=1 and workers=N report alike.
    _, ref, where = failure
    return VerificationError(f"{where}：密钥 {ref} 的签名无效")


def _process_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork: no re-import of the (possibly zipped) program; the children only run _sig_worker.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_lost() -> UnverifiableError:
    """The error when a worker process ended (killed, out of memory) before answering."""
    return UnverifiableError("签名验证子进程意外退出，未能完成验证（可改用 --workers 1 重试）")


class _Batch:
    """Checks sent to one worker: ``(index, key ref, where)`` of each, and the answer."""

    __slots__ = ("answer", "meta")

    def __init__(self, meta: list[tuple[int, str, str]]) -> None:
        self.meta = meta
        self.answer = _UNANSWERED  # then the first invalid position, or -1 if none


_UNANSWERED: Final = -2


class SigChecker:
    """Deferred Ed25519 checks, verified by worker processes; failures are taken in log order.

    Each worker has its own connection (no pool: no helper threads in this process, no
    pickling): a batch is one bytes message, the answer four bytes. A batch goes to the worker
    with the fewest unanswered ones; at most :data:`_QUEUED_PER_WORKER` per worker are
    unanswered, so memory stays O(workers × batch) and this process waits only when the workers
    are behind.
    """

    def __init__(self, workers: int) -> None:
        context = _process_context()
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for _ in range(workers):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_sig_worker, args=(theirs,), daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(proc)
        self.worker_of = {id(conn): k for k, conn in enumerate(self.conns)}
        self.parts: list[bytes] = []  # the packed items of the batch being filled
        self.meta: list[tuple[int, str, str]] = []  # (index, key ref, where) of each item
        self.pending: deque[_Batch] = deque()  # every unanswered or unread batch, in log order
        self.sent: list[deque[_Batch]] = [deque() for _ in range(workers)]  # per worker
        self.failure: tuple[int, str, str] | None = None

    def add(self, index: int, pub: bytes, msg: bytes, sig: bytes, ref: str, where: str) -> None:
        """Queue one check. Preconditions: ``len(pub) == 32``, ``len(sig) == 64``.

        Raises:
            VerificationError: a check queued earlier failed (the earliest in log order).
            UnverifiableError: a worker process ended unexpectedly.
        """
        self.parts += (pub, sig, len(msg).to_bytes(4, "big"), msg)
        self.meta.append((index, ref, where))
        if len(self.meta) >= _BATCH:
            self._send()
            if self.failure is not None:
                raise _sig_error(self.failure)

    def _send(self) -> None:
        """Send the batch being filled to the least busy worker (waiting for one if needed)."""
        if not self.meta:
            return
        while True:
            k = min(range(len(self.conns)), key=lambda i: len(self.sent[i]))
            if len(self.sent[k]) < _QUEUED_PER_WORKER:
                break
            self._receive()
        batch = _Batch(self.meta)
        try:
            self.conns[k].send_bytes(b"".join(self.parts))
        except OSError:
            raise _worker_lost() from None
        self.sent[k].append(batch)
        self.pending.append(batch)
        self.parts = []
        self.meta = []

    def _receive(self) -> None:
        """Wait for at least one answer, read every answer there is, and take the answered
        batches at the head of the log order (the first failure among them is kept)."""
        busy = [conn for conn, sent in zip(self.conns, self.sent, strict=True) if sent]
        for ready in wait(busy):
            k = self.worker_of[id(ready)]
            try:
                answer = int.from_bytes(self.conns[k].recv_bytes(), "big", signed=True)
            except (EOFError, OSError):
                raise _worker_lost() from None
            self.sent[k].popleft().answer = answer
        pending = self.pending
        while pending and pending[0].answer != _UNANSWERED:
            batch = pending.popleft()
            if batch.answer >= 0 and self.failure is None:
                self.failure = batch.meta[batch.answer]

    def first_failure(self) -> tuple[int, str, str] | None:
        """Verify everything queued; return the earliest failure in log order, if any.

        Raises:
            UnverifiableError: a worker process ended unexpectedly.
        """
        self._send()
        while self.pending and self.failure is None:
            self._receive()
        return self.failure

    def close(self) -> None:
        """Stop the workers (checks not answered yet are dropped)."""
        for conn, proc, sent in zip(self.conns, self.procs, self.sent, strict=True):
            if sent:  # busy: stop it now rather than after its queue
                proc.terminate()
            else:
                try:
                    conn.send_bytes(b"")
                except OSError:
                    proc.terminate()
        for conn, proc in zip(self.conns, self.procs, strict=True):
            proc.join()
            conn.close()


class _DeferringRegistry(Registry):
    """A registry whose department signature checks are queued on a :class:`SigChecker`.

    Key-management entries (rare) are verified inline as usual. A queued signature is assumed
    valid for the replay; if it is not, the audit fails at its index anyway, and the earliest
    error in log order is reported (see :func:`verify_directory`), so the outcome equals an
    inline replay.
    """

    checker: SigChecker | None = None

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


# --------------------------------------------------------------------------- the stream


class Replay:
    """The replay of one audit: the registry, the streaming root and what was checked.

    Attributes:
        registry: The key registry after the last replayed entry.
        builder: The streaming MTH of the lines replayed.
        log_keys_ever: Every log key valid at some index so far, by key reference.
        roots_at: MTH of the first ``s`` lines, for every archived size and the pinned size.
        signatures: Entry signatures counted (verified, or queued on the pool).
        checked_archives: Archived checkpoints verified (signature and root).
        last_checked: The last archived size verified (0 before the first).
    """

    def __init__(
        self,
        audit: AuditedDirectory,
        archives: Mapping[int, Archive],
        pin_size: int | None,
        checks: Sequence[DrawCheck],
        partial_bundle_sizes: set[int],
    ) -> None:
        self.audit = audit
        self.archives = archives
        self.pin_size = pin_size
        self.checks = checks
        self.partial_bundle_sizes = partial_bundle_sizes
        self.checker: SigChecker | None = None
        self.registry: Registry
        if audit.workers > 1:
            self.checker = SigChecker(audit.workers)
            deferring = _DeferringRegistry(
                origin=audit.origin, trust=audit.trust, types=audit.types
            )
            deferring.checker = self.checker
            self.registry = deferring
        else:
            self.registry = Registry(origin=audit.origin, trust=audit.trust, types=audit.types)
        self.builder = RootBuilder()
        self.log_keys_ever: dict[str, Verifier] = {}
        self.roots_at: dict[int, bytes] = {}
        self.signatures = 0
        self.checked_archives = 0
        self.last_checked = 0
        self.chunk: list[bytes] = []  # the lines of the entry bundle being filled

    def run(self, size: int) -> None:
        """Replay the first ``size`` lines; the earliest error in log order is raised.

        Raises:
            MalformedError: a line does not parse (or is too long, or ends in ``\\r``).
            VerificationError: a signature, registry rule, blob, bundle or archived root fails,
                or there are fewer than ``size`` complete lines.
            UnverifiableError / StoreError: a file is missing or unreadable.
        """
        checker = self.checker
        lines = EntryLines(self.audit.path / ENTRIES_NAME, limit=size)
        index = -1
        try:
            try:
                for index, line in lines:
                    self._feed(index, line)
            except OverlongLine as exc:
                raise MalformedError(
                    f"entries.jsonl 第 {exc.index} 行超过 {MAX_ENTRY_SIZE} 字节（瓦片条目包的上限）"
                ) from None
            _require_complete(lines, index + 1, size)
            if checker is not None:
                failure = checker.first_failure()
                if failure is not None:
                    raise _sig_error(failure)
        except LedgerError as exc:
            # The earliest error in log order wins: a deferred signature failure at an index ≤
            # the one that failed here comes first (as it would have with an inline replay).
            if checker is not None:
                failure = checker.first_failure()
                if failure is not None and failure[0] <= max(index, 0):
                    raise _sig_error(failure) from exc
            raise
        finally:
            if checker is not None:
                checker.close()

    def _feed(self, index: int, line: bytes) -> None:
        """Replay line ``index``: entry, registry, leaf, blobs, hooks, bundle, archive."""
        if line.endswith(b"\r"):
            raise MalformedError(
                f"entries.jsonl 第 {index} 行以 CRLF（\\r\\n）结尾；行尾只能是 \\n"
            )
        entry = parse_entry(line, index)
        registry = self.registry
        registry.apply(entry)
        self.signatures += len(entry.sigs)
        if entry.type in ROOT_TYPES or index == 0:
            for v in registry.log_keys:
                self.log_keys_ever.setdefault(v.key_ref, v)
        self.builder.append(leaf_hash(line))
        audit = self.audit
        if b'"sha256":' in line:  # cheap pre-filter: a blob reference needs this key
            refs: list[tuple[str, int]] = []
            collect_blob_refs(entry.body, refs)
            for digest, blob_size in refs:
                audit.check_blob(index, digest, blob_size)
        for check in self.checks:
            check(entry, audit.read_blob)
        n = index + 1
        if audit.has_tiles:
            self._bundle(n, line)
        if n == self.pin_size:
            self.roots_at[n] = self.builder.root()
        archive = self.archives.get(n)
        if archive is not None:
            self._check_archive(archive)

    def _bundle(self, n: int, line: bytes) -> None:
        """Add line ``n − 1`` to the bundle; check a full one, or a partial one of an archive."""
        chunk = self.chunk
        chunk.append(line)
        if len(chunk) == TILE_WIDTH:
            self.audit.check_bundle(n - TILE_WIDTH, chunk)
            self.chunk = []
        elif n in self.partial_bundle_sizes:
            self.audit.check_bundle(n - len(chunk), chunk)

    def _check_archive(self, archive: Archive) -> None:
        """At an archived size: its note verifies with a log key so far, its root is MTH."""
        n = archive.size
        open_with(
            archive.note, self.audit.origin, self.log_keys_ever.values(), f"{ARCHIVE_DIR}/{n}"
        )
        self.check_root(f"{ARCHIVE_DIR}/{n}", archive.root, n)
        self.checked_archives += 1
        self.last_checked = n

    def check_root(self, name: str, signed: bytes, size: int) -> bytes:
        """Compare the root the checkpoint ``name`` signed for ``size`` with the tree of the
        lines replayed so far (exactly ``size`` of them), and record it in :attr:`roots_at`.

        Returns:
            The root.

        Raises:
            VerificationError: if they differ, naming the lines since the last root checked.
        """
        actual = self.builder.root()
        if actual != signed:
            raise VerificationError(
                f"{name} 签名的根 {signed.hex()} 与 entries.jsonl 前 {size} 行重算的根 "
                f"{actual.hex()} 不符：第 {self.last_checked}..{size - 1} 行之间有条目被修改、"
                "插入、删除或重排"
            )
        self.roots_at[size] = actual
        return actual


def _require_complete(lines: EntryLines, verified: int, size: int) -> None:
    """Raise unless ``verified`` (the complete lines read) reaches the checkpoint ``size``."""
    if verified < size:
        detail = ""
        if lines.tail:
            detail = f"；其后还有 {len(lines.tail)} 字节没有换行符（最后一行缺少 \\n）"
        raise VerificationError(
            f"entries.jsonl 只有 {verified} 个完整行，少于检查点大小 {size}"
            f"（末尾被截断或行被删除）{detail}"
        )


def replay_entries(
    audit: AuditedDirectory,
    size: int,
    archives: Mapping[int, Archive],
    pin_size: int | None,
    checks: Sequence[DrawCheck],
) -> Replay:
    """Replay the first ``size`` lines of the audited directory (docs/ledger.md §13.5 step 4).

    Args:
        audit: The directory under audit.
        size: The checkpoint size (lines after it are not replayed).
        archives: The archived checkpoints up to ``size``, by size.
        pin_size: The pinned size, whose root is recorded in ``roots_at`` (None: no pin).
        checks: Hooks called for every entry, in log order, with a blob reader.

    Returns:
        The replay, after the last line.

    Raises:
        as :meth:`Replay.run`, and whatever a hook raises.
    """
    partial_bundle_sizes = {s for s in archives if s % TILE_WIDTH} | (
        {size} if size % TILE_WIDTH else set()
    )
    replay = Replay(audit, archives, pin_size, checks, partial_bundle_sizes)
    replay.run(size)
    return replay
