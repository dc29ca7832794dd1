"""Build realistic signed ledgers for the auditor, publisher, tamper and benchmark tests.

A ledger made here is what the operator's tools would produce: entry 0 ``log.init`` (three
root keys, threshold 2), ``key.add`` for three departments, then department statements of the
test type ``test.statement`` (some referencing blobs), appended through
:meth:`ledger.store.LedgerStore.append` in several batches so that ``checkpoints/`` holds
several archived sizes on both sides of the 256-entry tile boundary.

Every key comes from a fixed seed, so every ledger (and every published byte) is reproducible.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ledger import canonical
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entries import make_entry
from ledger.merkle import RootBuilder, leaf_hash
from ledger.note import Signer
from ledger.payloads import ENTRY_TYPES, Statement
from ledger.registry import TrustAnchor
from ledger.schema import Hex, Int, Object, Text, payload, spec
from ledger.store import LedgerStore
from ledger.trust import format_trust

ORIGIN = "gongkai.test/ledger"
TS = "2026-11-28T08:00:00Z"
TEST_TYPE = "test.statement"
DEPTS = ("a", "b", "c")
EXAMPLE_TYPE = "example.statement"


@payload
@dataclass(frozen=True)
class Attachment:
    """A blob reference of a test statement."""

    media: str = spec(Text())
    sha256: str = spec(Hex(64))
    size: int = spec(Int(0))


@payload
@dataclass(frozen=True)
class FactoryStatement(Statement):
    """The body of a ``test.statement`` entry."""

    TYPE: ClassVar[str] = TEST_TYPE
    seq: int = spec(Int(0))
    text: str = spec(Text())
    attachment: Attachment | None = spec(Object(Attachment), optional=True)


@payload
@dataclass(frozen=True)
class ExampleStatement(Statement):
    """The body of the docs/ledger.md worked example's ``example.statement``."""

    TYPE: ClassVar[str] = EXAMPLE_TYPE
    list: Attachment = spec(Object(Attachment))


TYPES = ENTRY_TYPES.extended((FactoryStatement, ExampleStatement))
"""The production entry types plus the test types of this module (pass as ``types=``)."""


def seeded(name: str, label: str | None = None) -> Signer:
    """A signer named ``name`` whose seed is SHA-256 of ``label`` (default: the name)."""
    return Signer.from_seed(name, hashlib.sha256((label or name).encode()).digest())


ROOTS = tuple(seeded(f"gongkai.test/root/{k}") for k in (1, 2, 3))
LOG = seeded(ORIGIN, "log key 1")
LOG2 = seeded(ORIGIN, "log key 2")
DEPT_KEYS = {d: seeded(f"gongkai.test/dept/{d}/1") for d in DEPTS}
OUTSIDER = seeded("gongkai.test/dept/x/1")


def init_line(log_keys: Sequence[Signer] = (LOG,)) -> bytes:
    """Entry 0: ``log.init`` signed by every root."""
    body = {
        "type": "log.init",
        "id": "log-init",
        "ts": TS,
        "origin": ORIGIN,
        "log_keys": [k.verifier().vkey for k in log_keys],
        "roots": [r.verifier().vkey for r in ROOTS],
        "threshold": 2,
        "formats": {"entry": "gongkai-ledger/v1", "draw": "draw-v1"},
    }
    return make_entry(ORIGIN, body, ROOTS)


def key_add_line(dept: str, key: Signer, ident: str | None = None) -> bytes:
    """``key.add`` of a department key, signed by two roots and the key itself."""
    body = {
        "type": "key.add",
        "id": ident or f"key-add-{dept}",
        "ts": TS,
        "key": {"vkey": key.verifier().vkey, "role": "dept", "dept": dept, "scopes": [TEST_TYPE]},
    }
    return make_entry(ORIGIN, body, [ROOTS[0], ROOTS[1], key])


def key_revoke_line(key: Signer, ident: str, compromised_from: int | None = None) -> bytes:
    """``key.revoke`` signed by two roots."""
    body: dict[str, Any] = {
        "type": "key.revoke",
        "id": ident,
        "ts": TS,
        "key": key.verifier().key_ref,
        "reason": "rotated" if compromised_from is None else "compromised",
    }
    if compromised_from is not None:
        body["compromised_from_index"] = compromised_from
    return make_entry(ORIGIN, body, [ROOTS[0], ROOTS[1]])


def logkey_rotate_line(keys: Sequence[Signer], ident: str) -> bytes:
    """``logkey.rotate`` to ``keys``, signed by two roots."""
    body = {
        "type": "logkey.rotate",
        "id": ident,
        "ts": TS,
        "log_keys": [k.verifier().vkey for k in keys],
    }
    return make_entry(ORIGIN, body, [ROOTS[1], ROOTS[2]])


def blob_bytes(i: int) -> bytes:
    """The deterministic content of the blob referenced by statement ``i``."""
    return "".join(
        f"名单 {i} 第 {k} 行，统一社会信用代码 9111{i:06d}{k:04d}\n" for k in range(8)
    ).encode()


def statement_line(
    i: int, dept: str | None = None, key: Signer | None = None, blob: bytes | None = None
) -> bytes:
    """A department statement (``test.statement``) with sequence number ``i``."""
    dept = dept or DEPTS[i % len(DEPTS)]
    body: dict[str, Any] = {
        "type": TEST_TYPE,
        "id": f"stmt-{i:07d}",
        "ts": TS,
        "dept": dept,
        "seq": i,
        "text": f"双随机抽查记录 {i}",
    }
    if blob is not None:
        body["attachment"] = {
            "sha256": hashlib.sha256(blob).hexdigest(),
            "size": len(blob),
            "media": "text/plain",
        }
    return make_entry(ORIGIN, body, [key or DEPT_KEYS[dept]])


def base_lines() -> list[bytes]:
    """``log.init`` and the three ``key.add`` entries (indexes 0..3)."""
    return [init_line(), *(key_add_line(d, DEPT_KEYS[d]) for d in DEPTS)]


def build_lines(n: int, blob_every: int = 50) -> tuple[list[bytes], dict[str, bytes]]:
    """``n`` entries: the four key entries, then statements; every ``blob_every``-th has a blob."""
    lines = base_lines()[:n]
    blobs: dict[str, bytes] = {}
    for i in range(len(lines), n):
        blob = blob_bytes(i) if blob_every and i % blob_every == 0 else None
        if blob is not None:
            blobs[hashlib.sha256(blob).hexdigest()] = blob
        lines.append(statement_line(i, blob=blob))
    return lines, blobs


def trust_for(line0: bytes, log_keys: Sequence[Signer] = (LOG,)) -> TrustAnchor:
    """The trust anchor of a log whose entry 0 is ``line0``."""
    return TrustAnchor(
        ORIGIN,
        tuple(k.verifier() for k in log_keys),
        tuple(r.verifier() for r in ROOTS),
        2,
        leaf_hash(line0),
    )


def default_batches(n: int) -> list[int]:
    """Archive boundaries for ``n`` entries: 4, 100, 256, 300, 513, … and ``n``."""
    marks = [m for m in (4, 100, 256, 300, 513) if m < n]
    return [*marks, n]


@dataclass
class Ledger:
    """A built ledger directory and what the tests need to know about it."""

    directory: Path
    trust: TrustAnchor
    lines: list[bytes]
    archived: list[int]
    blobs: dict[str, bytes]

    def write_trust(self, path: Path | None = None) -> Path:
        """Write ``trust.txt`` (default: into the ledger directory) and return its path."""
        target = path or self.directory / "trust.txt"
        target.write_bytes(format_trust(self.trust))
        return target


def build_ledger(
    directory: Path,
    n: int = 600,
    *,
    marks: Sequence[int] | None = None,
    lines: Sequence[bytes] | None = None,
    blobs: dict[str, bytes] | None = None,
    log_signers: Sequence[Signer] = (LOG,),
    trust_log_keys: Sequence[Signer] = (LOG,),
    write_trust: bool = True,
) -> Ledger:
    """Build a ledger through :meth:`LedgerStore.append`, one batch per archive mark.

    Args:
        directory: The (new) ledger directory.
        n: Number of entries (ignored when ``lines`` is given).
        marks: Cumulative sizes after each batch (default :func:`default_batches`).
        lines: Explicit entry lines instead of :func:`build_lines`.
        blobs: Blobs to store with ``put_blob`` (default: those of :func:`build_lines`).
        log_signers: The key(s) that sign every checkpoint.
        trust_log_keys: The log keys named by the trust anchor.
        write_trust: Also write ``trust.txt`` into the directory.
    """
    if lines is None:
        built, built_blobs = build_lines(n)
        lines, blobs = built, (built_blobs if blobs is None else blobs)
    lines = list(lines)
    blobs = dict(blobs or {})
    marks = list(marks or default_batches(len(lines)))
    store = LedgerStore(directory, ORIGIN, [s.verifier() for s in log_signers])
    for data in blobs.values():
        store.put_blob(data, "text/plain")
    done = 0
    for mark in marks:
        store.append(lines[done:mark], list(log_signers))
        done = mark
    ledger = Ledger(directory, trust_for(lines[0], trust_log_keys), lines, marks, blobs)
    if write_trust:
        ledger.write_trust()
    return ledger


def write_raw_ledger(
    directory: Path,
    lines: Iterable[bytes],
    marks: Sequence[int],
    log_signers: Sequence[Signer] = (LOG,),
) -> None:
    """Write ``entries.jsonl`` and checkpoints directly (no store, no checks, no fsync).

    Used for the benchmark's million-entry ledger and for tamper cases where the operator
    (who holds the log key) re-signs a rewritten history: the result is exactly what a store
    would hold, with a checkpoint archived at each of ``marks``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    builder = RootBuilder()
    wanted = set(marks)
    note = b""
    with open(directory / "entries.jsonl", "wb") as f:
        for line in lines:
            f.write(line + b"\n")
            builder.append(leaf_hash(line))
            if builder.size in wanted:
                note = sign_checkpoint(
                    Checkpoint(ORIGIN, builder.size, builder.root()), list(log_signers)
                )
                (directory / "checkpoints" / str(builder.size)).write_bytes(note)
    (directory / "checkpoint").write_bytes(note)


def write_blobs(directory: Path, blobs: dict[str, bytes]) -> None:
    """Write blobs to ``blobs/sha256/<hex>`` directly."""
    folder = directory / "blobs" / "sha256"
    folder.mkdir(parents=True, exist_ok=True)
    for digest, data in blobs.items():
        (folder / digest).write_bytes(data)


def reencode(line: bytes, **body_changes: Any) -> bytes:
    """Return ``line`` with body fields changed (signatures kept, hence invalid)."""
    value = canonical.loads(line)
    value["body"].update(body_changes)
    return canonical.dumps(value)


# --------------------------------------------------------------------------- the doc example

EXAMPLE_ORIGIN = "example.gov.cn/gongkai/ledger"


def example_signer(name: str, k: int) -> Signer:
    """Fixed example seeds: 32 bytes of value ``k`` (documented)."""
    return Signer.from_seed(name, bytes([k]) * 32)


def example_log() -> dict[str, Any]:
    """The worked example of docs/ledger.md (3 entries, seeds 1..3)."""
    log = example_signer(EXAMPLE_ORIGIN, 1)
    root = example_signer("example.gov.cn/gongkai/root/1", 2)
    dept = example_signer("example.gov.cn/gongkai/dept/91110000000000000A/1", 3)
    blob = "企业甲\n企业乙\n".encode()
    blob_hex = hashlib.sha256(blob).hexdigest()
    ts = "2026-11-28T08:00:00Z"
    lines = [
        make_entry(
            EXAMPLE_ORIGIN,
            {
                "type": "log.init",
                "id": "init",
                "ts": ts,
                "origin": EXAMPLE_ORIGIN,
                "log_keys": [log.verifier().vkey],
                "roots": [root.verifier().vkey],
                "threshold": 1,
                "formats": {"entry": "gongkai-ledger/v1", "draw": "draw-v1"},
            },
            [root],
        ),
        make_entry(
            EXAMPLE_ORIGIN,
            {
                "type": "key.add",
                "id": "key-1",
                "ts": ts,
                "key": {
                    "vkey": dept.verifier().vkey,
                    "role": "dept",
                    "dept": "91110000000000000A",
                    "scopes": [EXAMPLE_TYPE],
                },
            },
            [root, dept],
        ),
        make_entry(
            EXAMPLE_ORIGIN,
            {
                "type": EXAMPLE_TYPE,
                "id": "stmt-1",
                "ts": ts,
                "dept": "91110000000000000A",
                "list": {"sha256": blob_hex, "size": len(blob), "media": "text/plain"},
            },
            [dept],
        ),
    ]
    trust = TrustAnchor(
        EXAMPLE_ORIGIN, (log.verifier(),), (root.verifier(),), 1, leaf_hash(lines[0])
    )
    return {
        "log": log,
        "root": root,
        "dept": dept,
        "lines": lines,
        "blob": blob,
        "trust": trust,
    }


def build_example(directory: Path) -> dict[str, Any]:
    """Build the example ledger (one batch) in ``directory``."""
    ex = example_log()
    store = LedgerStore(directory, EXAMPLE_ORIGIN, [ex["log"].verifier()])
    store.put_blob(ex["blob"], "text/plain")
    store.append(ex["lines"], [ex["log"]])
    return ex


def tree_files(root: Path) -> dict[str, bytes]:
    """Every regular file below ``root`` as ``{relative posix path: bytes}``."""
    out: dict[str, bytes] = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out
