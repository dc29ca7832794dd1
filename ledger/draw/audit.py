"""Re-executing every draw recorded in a ledger (docs/ledger.md §13.5 step 4, §14.4, docs/draw-v1.md
§13).

:class:`LedgerAudit` is fed every verified entry in log order. It replays the task state machine
(:mod:`ledger.tasks`: order, participants, deadlines), verifies each drand beacon offline, re-runs
each draw from the announced snapshots, the reveals and the beacon and compares the result record
byte for byte, and recomputes every reserve replacement. One instance audits one ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger import canonical
from ledger.draw import drand
from ledger.draw.primitives import CJ
from ledger.draw.result import replace, run_draw
from ledger.draw.snapshot import CONFLICTS, ENTITIES, INSPECTORS, EntityTable, parse_entity_table
from ledger.entries import Entry
from ledger.errors import LedgerError, MalformedError, UnverifiableError, VerificationError
from ledger.tasks import TaskLedger

BlobReader = Callable[[str], bytes]

_COMMON = ("type", "id", "ts", "dept")
_DRAW_TYPES = frozenset({"draw.beacon", "draw.result", "draw.replace"})


@dataclass
class LedgerAudit:
    """State of one audit: the task replay plus counts of what was re-executed."""

    tasks: TaskLedger = field(default_factory=TaskLedger)
    draws_checked: int = 0
    beacons_checked: int = 0
    replacements_checked: int = 0
    #: ``(snapshot hash, entity table)`` last read for a replacement (only one is kept: a large
    #: pool's table takes hundreds of MiB).
    _kept: tuple[str, EntityTable] | None = field(default=None, repr=False)

    def __call__(self, entry: Entry, read_blob: BlobReader) -> None:
        """Check ``entry`` (already signature-verified) in its place in the log.

        Raises:
            LedgerError: naming the entry, if an order rule, a beacon, a draw or a replacement
                does not hold.
        """
        self.tasks.blob_reader = read_blob
        self.tasks.apply(entry, entry.index)
        if entry.type not in _DRAW_TYPES:
            return
        where = f"第 {entry.index} 条条目（{entry.type} {entry.id}）"
        try:
            if entry.type == "draw.beacon":
                self._beacon(entry)
            elif entry.type == "draw.result":
                self._result(entry, read_blob)
            elif entry.type == "draw.replace":
                self._replace(entry, read_blob)
        except LedgerError as exc:
            # "cannot verify" (a missing BLS library or blob) keeps its own meaning and exit code
            kind = UnverifiableError if isinstance(exc, UnverifiableError) else VerificationError
            raise kind(f"{where}：{exc}") from exc

    def _record(self, entry: Entry) -> Any:
        return self.tasks.tasks[str(entry.body["task_id"])]

    def _beacon(self, entry: Entry) -> None:
        announce = self._record(entry).announce
        drand.verify_beacon_record(entry.body, announce.body["randomness"]["drand"]["chain_hash"])
        self.beacons_checked += 1

    def _inputs(self, record: Any, read_blob: BlobReader) -> tuple[bytes, bytes, bytes]:
        pools = record.announce.body["pools"]
        return (
            read_blob(pools[ENTITIES]["sha256"]),
            read_blob(pools[INSPECTORS]["sha256"]),
            read_blob(pools[CONFLICTS]["sha256"]),
        )

    def _result(self, entry: Entry, read_blob: BlobReader) -> None:
        record = self._record(entry)
        published = read_blob(entry.body["result"]["sha256"])
        reveals = {str(e.body["dept"]): str(e.body["secret"]) for e in record.reveals.values()}
        expected = run_draw(
            record.announce.body, *self._inputs(record, read_blob), reveals, record.beacon.body
        )
        if CJ(expected) != published:
            raise VerificationError("重新运行抽取得到的结果与账本记录的结果不一致")
        if entry.body.get("result_sha256") not in (None, entry.body["result"]["sha256"]):
            raise VerificationError("result_sha256 与结果 blob 的哈希不符")
        self.draws_checked += 1

    def _replace(self, entry: Entry, read_blob: BlobReader) -> None:
        record = self._record(entry)
        result = canonical.loads(read_blob(record.result.body["result"]["sha256"]))
        prior = [
            {k: v for k, v in e.body.items() if k not in _COMMON} for e in record.replacements[:-1]
        ]
        claimed = {k: v for k, v in entry.body.items() if k not in _COMMON}
        entities = self._inputs(record, read_blob)[0]
        digest = record.announce.body["pools"][ENTITIES]["sha256"]
        table = self._kept[1] if self._kept is not None and self._kept[0] == digest else None
        if table is None:  # replace() checks the file against this hash before using it
            try:
                table = parse_entity_table(entities)
            except MalformedError:
                table = None  # replace() reports it, after the checks that come first
        expected = replace(
            record.announce.body,
            entities,
            result,
            str(claimed.get("removed")),
            str(claimed.get("reason")),
            prior,
            entity_table=table,
        )
        if table is not None:
            self._kept = (digest, table)
        if CJ(expected) != CJ(claimed):
            raise VerificationError("替补主体与按备选顺序重算的结果不一致")
        self.replacements_checked += 1
