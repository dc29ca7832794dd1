"""Staff operations on the ledger directory: create it, register keys, append checked entries.

Every append replays the registry over the existing log and then applies the new entries
(:func:`registry_validator`), under the store's exclusive lock, so nothing that a verifier would
reject is ever written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import entryids
from ledger.checkpoint import Checkpoint
from ledger.durable import write_atomic
from ledger.entries import Entry, make_entry, parse_entry
from ledger.errors import StoreError, VerificationError
from ledger.merkle import leaf_hash
from ledger.note import Signer, Verifier, parse_vkey
from ledger.payloads import ENTRY_FORMAT, Formats, LogInit
from ledger.registry import Registry, TrustAnchor
from ledger.schema import encode
from ledger.store import LedgerStore, Validator
from ledger.tasks import TaskLedger
from ledger.timestamp import TimeBounds, directory_bounds
from ledger.trust import format_trust, parse_trust

if TYPE_CHECKING:  # the type only: creating a ledger runs no draw
    from ledger.draw.algorithms import DrawAlgorithm
    from ledger.verified import VerifiedLedger

TRUST_NAME = "trust.txt"

#: Entry types a department key may sign (issues: draws, workflow).
DEPT_SCOPES = (
    "plan.publish",
    "checklist.publish",
    "vocabulary.publish",
    "library.publish",
    "task.invite",
    "task.reply",
    "task.confirm",
    "draw.announce",
    "draw.reveal",
    "draw.beacon",
    "draw.result",
    "draw.replace",
    "result.publish",
    "result.correct",
    "followup.record",
    "followup.close",
    "case.open",
    "case.progress",
    "case.close",
    "notice.copy",
    "notice.ack",
    "inspector.enrol",
    "inspector.revoke",
)


def read_trust(draws: Path) -> TrustAnchor:
    """The trust anchor stored beside the ledger (``draws/trust.txt``).

    Raises:
        StoreError: if it is missing; MalformedError if it does not parse.
    """
    path = draws / TRUST_NAME
    try:
        return parse_trust(path.read_bytes())
    except FileNotFoundError:
        raise StoreError(f"{path}：缺少信任锚文件，请先运行 gongkai init") from None


def open_store(draws: Path, trust: TrustAnchor) -> LedgerStore:
    """A store for ``draws`` whose checkpoints verify with the anchor's log keys."""
    return LedgerStore(draws, trust.origin, trust.log_keys)


@dataclass
class LedgerState:
    """The replayed state of a ledger: keys, and every task's progress."""

    registry: Registry
    tasks: TaskLedger
    entries: list[Entry]
    #: Where to read the RFC 3161 tokens from, and the anchor's TSAs (docs/ledger.md §15).
    stamps_from: tuple[Path, tuple[tuple[str, bytes], ...]] | None = None
    _bounds: TimeBounds | None = None

    def bounds(self) -> TimeBounds:
        """The verified tokens of the ledger (read and verified once, on first use).

        Raises:
            LedgerError: a token does not verify (docs/ledger.md §15.3).
        """
        if self._bounds is None:
            source = self.stamps_from
            self._bounds = directory_bounds(*source) if source else TimeBounds([])
        return self._bounds

    def apply(self, entry: Entry) -> None:
        """Check and apply the next entry (keys first, then the task state machine).

        Raises:
            LedgerError: if a verifier would reject ``entry`` here.
        """
        index = self.registry.size
        self.registry.apply(entry)
        self.tasks.apply(entry, index)
        self.entries.append(entry)


def replay_store(store: LedgerStore, trust: TrustAnchor, limit: int | None = None) -> LedgerState:
    """Replay the complete lines of ``store`` (up to ``limit``).

    Raises:
        LedgerError: at the first entry a verifier would reject.
    """
    state = LedgerState(
        Registry(origin=trust.origin, trust=trust),
        TaskLedger(blob_reader=store.get_blob),
        [],
        (store.directory, trust.tsas),
    )
    for index, line in enumerate(store.iter_lines()):
        if limit is not None and index >= limit:
            break
        state.apply(parse_entry(line, index))
    return state


def verified_state(verified: VerifiedLedger) -> LedgerState:
    """The replayed state of an audited ledger: the audit's own registry, task ledger, entries
    and time bounds (:class:`ledger.kept.Kept`; no second replay).

    Precondition: ``verified`` comes from a successful :func:`ledger.verified.verify_ledger`.
    """
    kept = verified.kept
    assert kept.registry is not None and kept.tasks is not None and kept.bounds is not None
    return LedgerState(kept.registry, kept.tasks, kept.entries, None, kept.bounds)


def registry_validator(store: LedgerStore, trust: TrustAnchor) -> Validator:
    """A validator that replays keys and tasks, then applies the new lines."""

    def validate(first_index: int, lines: Sequence[bytes]) -> None:
        state = replay_store(store, trust, first_index)
        for offset, line in enumerate(lines):
            entry = parse_entry(line, first_index + offset)
            require_not_earlier(state.entries[-1] if state.entries else None, entry)
            state.apply(entry)

    return validate


def require_not_earlier(last: Entry | None, entry: Entry) -> None:
    """Refuse an entry dated before the last one (``docs/workflow.md`` §1).

    The ledger's order is the order of events: a backdated entry appended after a later one
    would make the published timeline contradict itself. (``ts`` is ``YYYY-MM-DDTHH:MM:SSZ``, so
    text order is time order.)

    Raises:
        VerificationError: naming both times.
    """
    if last is not None and entry.ts < last.ts:
        raise VerificationError(
            f"签署时间 {entry.ts} 早于账本最后一条条目（第 {last.index} 条 {last.type}）的时间 "
            f"{last.ts}；账本只能按时间顺序追加，请用 --at 指定不早于它的时间"
        )


def log_init_body(
    origin: str,
    log_keys: Sequence[Verifier],
    roots: Sequence[Verifier],
    threshold: int,
    ts: str,
    *,
    draw: DrawAlgorithm,
) -> dict[str, Any]:
    """The ``log.init`` body (``docs/ledger.md`` §13.3) naming ``log_keys`` and ``roots``; its
    ``formats`` are this ledger's entry format and ``draw``, the algorithm the log is created
    with (the one ``gongkai draw announce`` announces with:
    :func:`generator.workflow.drawing.announce_algorithm` of the algorithms passed in)."""
    formats = Formats(draw=draw.name, entry=ENTRY_FORMAT)
    return encode(
        LogInit(
            id="log.init",
            ts=ts,
            origin=origin,
            log_keys=tuple(v.vkey for v in log_keys),
            roots=tuple(v.vkey for v in roots),
            threshold=threshold,
            formats=formats,
        )
    )


def init_ledger(
    draws: Path,
    origin: str,
    log_signer: Signer,
    roots: Sequence[Signer],
    threshold: int,
    ts: str,
    *,
    draw: DrawAlgorithm,
) -> TrustAnchor:
    """Create a new ledger with its ``log.init`` entry (formats as :func:`log_init_body`), signed
    here by every root, and write ``trust.txt`` (the example ledger and tests; a real site's
    roots sign on their own machines, :func:`create_ledger`).

    Raises:
        StoreError: if ``draws`` already holds a ledger.
    """
    body = log_init_body(
        origin, [log_signer.verifier()], [r.verifier() for r in roots], threshold, ts, draw=draw
    )
    return create_ledger(draws, make_entry(origin, body, roots), log_signer)


def create_ledger(draws: Path, line: bytes, log_signer: Signer) -> TrustAnchor:
    """Create a new ledger whose entry 0 is the signed ``log.init`` ``line``, and write
    ``trust.txt`` from it.

    Raises:
        StoreError: if ``draws`` already holds a ledger.
        LedgerError: if the line is not a valid ``log.init`` signed by every root it names, or
            ``log_signer`` is not one of its log keys.
    """
    if (draws / "entries.jsonl").exists() or (draws / TRUST_NAME).exists():
        raise StoreError(f"{draws}：已存在账本，不能重复初始化")
    body = parse_entry(line, 0).body
    trust = TrustAnchor(
        body["origin"],
        tuple(parse_vkey(v) for v in body["log_keys"]),
        tuple(parse_vkey(v) for v in body["roots"]),
        body["threshold"],
        leaf_hash(line),
    )
    store = open_store(draws, trust)
    store.append([line], [log_signer], registry_validator(store, trust))
    (draws / TRUST_NAME).write_bytes(format_trust(trust))
    return trust


def add_trust_log_keys(draws: Path, trust: TrustAnchor, keys: Sequence[Verifier]) -> TrustAnchor:
    """Rewrite ``draws/trust.txt`` (atomically) with ``keys`` after the anchor's log keys: after a
    ``logkey.rotate`` the anchor lists every log key the log has named, old ones first, so old
    and new checkpoints verify (``docs/ledger.md`` §13.4).

    Precondition: the ``logkey.rotate`` naming ``keys`` is already in the ledger.
    """
    added = tuple(v for v in keys if v not in trust.log_keys)
    updated = dataclasses.replace(trust, log_keys=trust.log_keys + added)
    write_atomic(draws / TRUST_NAME, format_trust(updated))
    return updated


def key_add_entry(
    origin: str,
    new_key: Signer,
    dept: str,
    roots: Sequence[Signer],
    ts: str,
    scopes: Sequence[str] = DEPT_SCOPES,
) -> bytes:
    """A ``key.add`` line for a department key, signed by ``roots`` and the key itself."""
    body: dict[str, Any] = {
        "type": "key.add",
        "id": entryids.key_add(dept, new_key.key_id),
        "ts": ts,
        "key": {
            "vkey": new_key.verifier().vkey,
            "role": "dept",
            "dept": dept,
            "scopes": list(scopes),
        },
    }
    return make_entry(origin, body, [*roots, new_key])


def append_entries(draws: Path, lines: Sequence[bytes], log_signer: Signer) -> Checkpoint:
    """Append checked lines to the ledger and sign a checkpoint.

    Raises:
        LedgerError: if any line would be rejected by a verifier (nothing is written).
    """
    trust = read_trust(draws)
    store = open_store(draws, trust)
    return store.append(list(lines), [log_signer], registry_validator(store, trust))
