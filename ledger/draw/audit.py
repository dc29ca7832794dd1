"""Re-executing every draw recorded in a ledger (docs/ledger.md §13.5 step 4, §14.4, docs/draw-v1.md
§13).

:class:`LedgerAudit` is fed every verified entry in log order. It replays the task state machine
(:mod:`ledger.tasks`: order, participants, deadlines), verifies each drand beacon offline, re-runs
each draw from the announced snapshots, the reveals and the beacon and compares the result record
byte for byte, and recomputes every reserve replacement, each with the algorithm the
announcement names, looked up in the :class:`~ledger.draw.algorithms.DrawAlgorithms` it is given;
it also recomputes the pool rules of docs/workflow.md §6 (:mod:`ledger.draw.poolrules`: last
visits and 抽查频次 in each snapshot, the items' ratio limits on each draw). One instance audits
one ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ledger.draw.drand as drand
from ledger import canonical
from ledger.draw.algorithms import DRAW_ALGORITHMS, DrawAlgorithm, DrawAlgorithms
from ledger.draw.announce import INSPECTORS
from ledger.draw.libraryaudit import LibraryAudit
from ledger.draw.poolrules import PoolAudit
from ledger.draw.primitives import CJ
from ledger.draw.snapshot import EntityTable, parse_snapshot
from ledger.entries import Entry
from ledger.errors import LedgerError, MalformedError, UnverifiableError, VerificationError
from ledger.payloads import DrawAnnounce, DrawReplace, DrawResult, LibraryPublish
from ledger.tasks import TaskLedger, TaskRecord

BlobReader = Callable[[str], bytes]

_DRAW_TYPES = frozenset(
    {
        "plan.publish",
        "library.publish",
        "draw.announce",
        "draw.beacon",
        "draw.result",
        "draw.replace",
    }
)


@dataclass
class LedgerAudit:
    """State of one audit: the task replay plus counts of what was re-executed."""

    tasks: TaskLedger = field(default_factory=TaskLedger)
    #: The draw algorithms this audit can re-run (an unknown ``algorithm`` is an error).
    algorithms: DrawAlgorithms = DRAW_ALGORITHMS
    draws_checked: int = 0
    beacons_checked: int = 0
    replacements_checked: int = 0
    #: The pool rules of docs/workflow.md §6 (snapshots, 抽查频次, ratio limits).
    pools: PoolAudit = field(default_factory=PoolAudit)
    #: The 检查对象名录库 versions and each snapshot's derivation from them (docs/workflow.md §9).
    library: LibraryAudit = field(default_factory=LibraryAudit)
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
            if entry.type == "plan.publish":
                self.pools.plan(entry.payload, read_blob)
            elif entry.type == "library.publish":
                body: LibraryPublish = entry.payload
                blob = read_blob(body.document.sha256)
                self.library.publish(body.library, body.version, body.count, blob)
            elif entry.type == "draw.announce":
                self.pools.announce(self.tasks, entry, read_blob)
                self._snapshot(entry, read_blob)
            elif entry.type == "draw.beacon":
                self._beacon(entry)
            elif entry.type == "draw.result":
                self._result(entry, read_blob)
            elif entry.type == "draw.replace":
                self._replace(entry, read_blob)
        except LedgerError as exc:
            # "cannot verify" (a missing BLS library or blob) keeps its own meaning and exit code
            kind = UnverifiableError if isinstance(exc, UnverifiableError) else VerificationError
            raise kind(f"{where}：{exc}") from exc

    def _snapshot(self, entry: Entry, read_blob: BlobReader) -> None:
        """Compare the announced entity and inspector snapshots with the library versions in
        force (§9.2)."""
        record = self._record(entry)
        body: DrawAnnounce = entry.payload
        if "entities" not in self.library.latest:
            self.library.unchecked.append((record.task_id, "entities"))
        else:
            # PoolAudit.announce has just validated this snapshot file and computed the visits
            # and 抽查频次 exclusions of this announcement: reused, not computed again.
            announced = self.pools.announced
            assert announced is not None and announced.task_id == record.task_id
            self.library.announce(
                record.task_id,
                self.pools.filters.get(record.task_id),
                read_blob(body.pools.entities.sha256),
                announced.excluded,
                announced.visits,
            )
        if "inspectors" not in self.library.latest:
            self.library.unchecked.append((record.task_id, "inspectors"))
        else:
            self.library.inspectors(
                record.task_id,
                [d.dept for d in body.rules.departments],
                parse_snapshot(INSPECTORS, read_blob(body.pools.inspectors.sha256)),
            )

    def _record(self, entry: Entry) -> TaskRecord:
        return self.tasks.tasks[entry.payload.task_id]

    def _beacon(self, entry: Entry) -> None:
        announce: DrawAnnounce = self._announce(self._record(entry))
        drand.verify_beacon_record(entry.body, announce.randomness.drand.chain_hash)
        self.beacons_checked += 1

    def _algorithm(self, record: TaskRecord) -> DrawAlgorithm:
        return self.algorithms.get_algorithm(self._announce(record).algorithm)

    @staticmethod
    def _announce(record: TaskRecord) -> DrawAnnounce:
        assert record.announce is not None  # the task replay put the draw entries in order
        announce: DrawAnnounce = record.announce.payload
        return announce

    def _inputs(self, record: TaskRecord, read_blob: BlobReader) -> tuple[bytes, bytes, bytes]:
        pools = self._announce(record).pools
        return (
            read_blob(pools.entities.sha256),
            read_blob(pools.inspectors.sha256),
            read_blob(pools.conflicts.sha256),
        )

    def _result(self, entry: Entry, read_blob: BlobReader) -> None:
        record = self._record(entry)
        body: DrawResult = entry.payload
        published = read_blob(body.result.sha256)
        reveals = {e.payload.dept: e.payload.secret for e in record.reveals.values()}
        assert record.announce is not None and record.beacon is not None
        # The draw functions of docs/draw-v1.md take the announcement and the beacon as the JSON
        # objects they were signed as.
        algorithm = self._algorithm(record)
        expected = algorithm.run(
            record.announce.body,
            *self._inputs(record, read_blob),
            reveals,
            record.beacon.body,
            rules=self._announce(record).rules,  # as the entry parser read them
        )
        if algorithm.result_bytes(expected) != published:
            raise VerificationError("重新运行抽取得到的结果与账本记录的结果不一致")
        self.draws_checked += 1
        self.pools.result(record, canonical.loads(published))

    def _replace(self, entry: Entry, read_blob: BlobReader) -> None:
        record = self._record(entry)
        assert record.announce is not None and record.result is not None
        algorithm = self._algorithm(record)
        result = canonical.loads(read_blob(record.result.payload.result.sha256))
        prior = [e.payload.record() for e in record.replacements[:-1]]
        claimed: DrawReplace = entry.payload
        entities = self._inputs(record, read_blob)[0]
        digest = self._announce(record).pools.entities.sha256
        table = self._kept[1] if self._kept is not None and self._kept[0] == digest else None
        if table is None:  # replace() checks the file against this hash before using it
            try:
                table = algorithm.parse_entities(entities)
            except MalformedError:
                table = None  # replace() reports it, after the checks that come first
        expected = algorithm.replace(
            record.announce.body,
            entities,
            result,
            claimed.removed,
            claimed.reason,
            prior,
            entity_table=table,
            rules=self._announce(record).rules,
        )
        if table is not None:
            self._kept = (digest, table)
        if CJ(expected) != CJ(claimed.record()):
            raise VerificationError("替补主体与按备选顺序重算的结果不一致")
        self.replacements_checked += 1
