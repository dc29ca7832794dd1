"""The whole draw from published inputs, the result record and replacements (docs/draw-v1.md §10).

:func:`run_draw` is the offline verifier's core: given the ``draw.announce`` body, the three
snapshot files, the reveals and the ``draw.beacon`` body it checks every commitment and
recomputes the result record, whose ``result_sha256 = H(CJ(result))`` anyone can compare with
the ledger's ``draw.result`` entry (docs/draw-v1.md §10, docs/ledger.md §14.3).

Result record (canonical JSON, full-precision tickets)::

    {"schema": "draw-v1/result", "task_id", "announce_sha256",
     "drand": {"round", "randomness"},
     "reveals": [{"dept", "status": "valid" | "missing" | "invalid"}…],   # dept byte order
     "extra_key": key string | null,
     "seed", "subseeds": {"entities", "inspectors"},
     "strata": [{"stratum", "eligible", "k_ratio", "k", "drawn": [{"id", "ticket"}…]}…],
     "entity_order": [id…],
     "assignments": [{"entity", "leader", "team": [{"inspector", "dept"}…]}…],
     "unstaffed": [{"entity", "unmet": {"dept", "pick"}}…],
     "loads": {inspector_id: n ≥ 1 …}}

``reveals``, ``extra_key`` and ``k_ratio`` are DRAW-V1's own fields (docs/draw-v1.md §10), so that
an auditor sees why a department contributed the empty string and how ``min_count`` changed ``k``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ledger.canonical import dumps_unchecked
from ledger.draw.announce import (
    ALGORITHM,
    ANNOUNCE_SCHEMA,
    REPLACE_SCHEMA,
    RESULT_SCHEMA,
    check_announce,
)
from ledger.draw.matching import match
from ledger.draw.primitives import CJ, H_hex
from ledger.draw.reference import beacon_randomness, reveal_statuses, sample_state
from ledger.draw.rules import Rules
from ledger.draw.sampling import next_reserve, sample_snapshot
from ledger.draw.seed import (
    announce_hash,
    compute_seed,
    parse_key_string,
    subseeds,
)
from ledger.draw.snapshot import (
    CONFLICTS,
    ENTITIES,
    INSPECTORS,
    EntityTable,
    parse_entity_table,
    parse_snapshot,
    snapshot_ref,
)
from ledger.errors import MalformedError, VerificationError

__all__ = [
    "ALGORITHM",
    "ANNOUNCE_SCHEMA",
    "REPLACE_SCHEMA",
    "RESULT_SCHEMA",
    "check_announce",
    "replace",
    "result_bytes",
    "result_sha256",
    "run_draw",
    "verify_result",
]

_T = TypeVar("_T")


def _check_snapshot(kind: str, data: bytes, pools: Mapping[str, Any]) -> None:
    if not isinstance(data, bytes):
        raise MalformedError(f"{kind} 快照应为 bytes")
    _compare_ref(kind, snapshot_ref(data), pools)


def _compare_ref(kind: str, ref: Mapping[str, Any], pools: Mapping[str, Any]) -> None:
    if ref != {"sha256": pools[kind]["sha256"], "count": pools[kind]["count"]}:
        raise VerificationError(f"{kind} 快照与公告中的承诺不符")


#: Entity files at least this large are hashed by a thread while the draw goes on (hashlib
#: releases the GIL); the comparison is still the draw's first check.
_THREAD_HASH_BYTES = 1 << 20


def _entity_hash_first(data: bytes, pools: Mapping[str, Any], steps: Callable[[], _T]) -> _T:
    """Check the entity file's hash against ``pools``, then return ``steps()``.

    A large file is hashed by a thread while ``steps`` runs. Whatever ``steps`` returns or
    raises, the hash is compared first, so a mismatch is reported before anything else,
    exactly as if it had been checked before starting.

    Raises:
        MalformedError: if ``data`` is not bytes.
        VerificationError: on a hash or count mismatch.
        Exception: whatever ``steps`` raises.
    """
    if not isinstance(data, bytes) or len(data) < _THREAD_HASH_BYTES:
        _check_snapshot(ENTITIES, data, pools)
        return steps()
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashed = pool.submit(snapshot_ref, data)
        try:
            out = steps()
        except BaseException:
            _compare_ref(ENTITIES, hashed.result(), pools)
            raise
        _compare_ref(ENTITIES, hashed.result(), pools)
    return out


def run_draw(
    announce_body: Mapping[str, Any],
    entity_snapshot_bytes: bytes,
    inspector_snapshot_bytes: bytes,
    conflict_snapshot_bytes: bytes,
    reveals: Mapping[str, str | None],
    beacon: Mapping[str, Any],
    *,
    extra_key_string: str | None = None,
    progress: Callable[[str], None] | None = None,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Perform the whole DRAW-V1 draw from published inputs (docs/draw-v1.md §5–§10).

    Steps: validate the announcement; check the three snapshot hashes and counts; parse and
    validate the snapshots; check each reveal against its commitment (missing or invalid ⇒ empty
    secret); verify the drand beacon offline; derive seed and sub-seeds; sample the strata;
    match inspectors; build the result record.

    Args:
        announce_body: the whole signed body of the ``draw.announce`` entry.
        entity_snapshot_bytes: the entity snapshot file.
        inspector_snapshot_bytes: the inspector snapshot file.
        conflict_snapshot_bytes: the 回避 snapshot file.
        reveals: department → revealed secret (64 lowercase hex) from its ``draw.reveal``
            entry; a department without a reveal may be absent or map to ``None``.
        beacon: the ``draw.beacon`` body ``{chain_hash, round, signature}``.
        extra_key_string: the transcribed RFC 3797 key string, required iff the announcement
            declares ``randomness.extra_key``.
        progress: called with the name of each phase as it starts (for a progress bar):
            ``"snapshots"``, ``"seed"``, ``"entities"``, ``"inspectors"``.
        rules: the announcement's rules as the entry parser read them from ``announce_body``
            (the verifier and ``gongkai`` pass them: parsed once), or None to read them here.

    Returns:
        The result record (see the module docstring); hash it with :func:`result_sha256`.

    Raises:
        MalformedError: on malformed inputs (announcement, snapshots, rules, beacon fields,
            a reveal from a department that did not commit).
        VerificationError: on a snapshot hash/count mismatch, a beacon for another round or
            chain, or an invalid beacon signature.
    """
    progress = progress or (lambda _phase: None)
    progress("snapshots")
    ann = check_announce(announce_body, rules=rules)
    return _entity_hash_first(
        entity_snapshot_bytes,
        ann["pools"],
        lambda: _draw(
            announce_body,
            ann,
            (entity_snapshot_bytes, inspector_snapshot_bytes, conflict_snapshot_bytes),
            reveals,
            beacon,
            extra_key_string,
            progress,
        ),
    )


def _check_extra_key(ann: Mapping[str, Any], extra_key_string: str | None) -> None:
    """Require the key string iff the announcement declares one (docs/draw-v1.md §5).

    Raises:
        MalformedError: if it is missing, unexpected or not an RFC 3797 key string.
    """
    if ann["extra_key"]:
        if extra_key_string is None:
            raise MalformedError("公告声明了附加密钥：须提供密钥串")
        parse_key_string(extra_key_string)
    elif extra_key_string is not None:
        raise MalformedError("提供了附加密钥串，但公告中并未声明")


def _draw(
    announce_body: Mapping[str, Any],
    ann: Mapping[str, Any],
    snapshots: tuple[bytes, bytes, bytes],
    reveals: Mapping[str, str | None],
    beacon: Mapping[str, Any],
    extra_key_string: str | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """The checks and steps of :func:`run_draw` after the announcement's (same arguments;
    ``snapshots`` is the entity, inspector and 回避 files). Returns the record."""
    entity_bytes, inspector_bytes, conflict_bytes = snapshots
    _check_snapshot(INSPECTORS, inspector_bytes, ann["pools"])
    _check_snapshot(CONFLICTS, conflict_bytes, ann["pools"])
    _check_extra_key(ann, extra_key_string)
    secrets, statuses = reveal_statuses(ann, reveals)
    progress("seed")
    randomness = beacon_randomness(ann, beacon)
    a_hash = announce_hash(announce_body)
    seed = compute_seed(
        a_hash,
        bytes.fromhex(ann["chain_hash"]),
        ann["round"],
        randomness,
        secrets,
        extra_key_string,
    )
    s_entities, s_inspectors = subseeds(seed)
    progress("entities")
    drawn = sample_snapshot(entity_bytes, ann["rules"], s_entities)
    progress("inspectors")
    inspectors = parse_snapshot(INSPECTORS, inspector_bytes)
    conflicts = parse_snapshot(CONFLICTS, conflict_bytes)
    teams = match(drawn.entity_order, inspectors, conflicts, ann["rules"], s_inspectors)
    return {
        "schema": RESULT_SCHEMA,
        "task_id": ann["task_id"],
        "announce_sha256": a_hash.hex(),
        "drand": {"round": ann["round"], "randomness": randomness.hex()},
        "reveals": statuses,
        "extra_key": extra_key_string,
        "seed": seed.hex(),
        "subseeds": {"entities": s_entities, "inspectors": s_inspectors},
        "strata": [
            {
                "stratum": s.stratum,
                "eligible": s.eligible,
                "k_ratio": s.k_ratio,
                "k": s.k,
                "drawn": [{"id": i, "ticket": t} for i, t in s.drawn],
            }
            for s in drawn.strata
        ],
        "entity_order": list(drawn.entity_order),
        "assignments": teams.assignments,
        "unstaffed": teams.unstaffed,
        "loads": teams.loads,
    }


def result_sha256(result: Mapping[str, Any]) -> str:
    """Return ``H(CJ(result))`` as lowercase hex (docs/draw-v1.md §10).

    Args:
        result: a result record.

    Returns:
        The 64-hex hash.

    Raises:
        MalformedError: if the record is not canonical-JSON serialisable.
    """
    return H_hex(CJ(dict(result)))


def result_bytes(record: Mapping[str, Any]) -> bytes:
    """Return ``CJ(record)`` of a record :func:`run_draw` or :func:`replace` returned.

    The values are not checked again: every leaf of such a record is a ``str`` the engine
    checked on input (ids, strata, departments and tags from the snapshot parsers of
    :mod:`ledger.draw.snapshot`, the task id, reason and key string from
    :func:`check_announce` and :mod:`ledger.draw.rules`, :func:`replace` and
    ``parse_key_string``), a ``str`` it computed
    (hex digests, tickets, reveal statuses), an ``int`` it counted (``eligible``, ``k_ratio``,
    ``k``, loads, pick numbers: at most the number of lines of a snapshot) or the announced
    round (checked to be at most 2^53−1), or ``None``; its containers are the ``dict``,
    ``list`` and ``tuple`` the engine built, with ``str`` keys. That is the precondition of
    :func:`ledger.canonical.dumps_unchecked`; ``tests/draw/test_result.py`` checks that the
    bytes equal :func:`CJ`'s. A record from anywhere else goes through :func:`CJ`.

    Raises:
        MalformedError: if a string holds a lone surrogate (the parsers reject those first).
    """
    return dumps_unchecked(record)


def verify_result(
    published: bytes,
    announce_body: Mapping[str, Any],
    entity_snapshot_bytes: bytes,
    inspector_snapshot_bytes: bytes,
    conflict_snapshot_bytes: bytes,
    reveals: Mapping[str, str | None],
    beacon: Mapping[str, Any],
    *,
    extra_key_string: str | None = None,
) -> str:
    """Recompute a draw and compare ``CJ(result)`` byte for byte (docs/draw-v1.md §13 step 6).

    Errors of the draw come first; then the recomputed record is encoded (once) and compared.

    Args:
        published: the published result record as stored: its canonical JSON bytes (the
            ``draw.result`` blob).
        announce_body: see :func:`run_draw`.
        entity_snapshot_bytes: see :func:`run_draw`.
        inspector_snapshot_bytes: see :func:`run_draw`.
        conflict_snapshot_bytes: see :func:`run_draw`.
        reveals: see :func:`run_draw`.
        beacon: see :func:`run_draw`.
        extra_key_string: see :func:`run_draw`.

    Returns:
        The verified ``result_sha256``.

    Raises:
        MalformedError: see :func:`run_draw`.
        VerificationError: if any check fails or the recomputed record differs.
    """
    expected = run_draw(
        announce_body,
        entity_snapshot_bytes,
        inspector_snapshot_bytes,
        conflict_snapshot_bytes,
        reveals,
        beacon,
        extra_key_string=extra_key_string,
    )
    encoded = result_bytes(expected)
    if published != encoded:
        raise VerificationError("公布的抽取结果与重新计算的结果不一致")
    return H_hex(encoded)


def replace(
    announce_body: Mapping[str, Any],
    entity_snapshot_bytes: bytes,
    result: Mapping[str, Any],
    entity_id: str,
    reason: str,
    prior: Sequence[Mapping[str, Any]] = (),
    *,
    entity_table: EntityTable | None = None,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Build a ``draw.replace`` record: the next reserve of the removed entity's stratum.

    The replacement is the first entity of the stratum's ticket order (docs/draw-v1.md §8 step 5,
    §11) that was neither drawn nor named by an earlier replacement (as removed or as replacement);
    ``k`` stays fixed, so this is exactly the stratum's draw on the pool without the removed
    entities. The result record is assumed verified (:func:`verify_result`); its sub-seed is reused.

    Record: ``{"schema": "draw-v1/replace", "task_id", "result_sha256", "stratum", "removed",
    "reason", "replacement": {"id", "ticket"} | null}`` (``null``: the reserve is exhausted).

    Args:
        announce_body: the announcement body.
        entity_snapshot_bytes: the entity snapshot file.
        result: the draw's result record.
        entity_id: the drawn (or earlier replacement) entity found invalid (注销/吊销/无法联系).
        reason: the stated reason.
        prior: earlier replacement records of this draw, in ledger order.
        entity_table: the table :func:`parse_entity_table` returned for exactly
            ``entity_snapshot_bytes``, if the caller keeps it (an auditor checking several
            replacements of one draw); the file's hash and count are checked all the same.
        rules: as for :func:`run_draw`.

    Returns:
        The replacement record.

    Raises:
        MalformedError: on malformed inputs or an entity that is not currently in the sample.
        VerificationError: if the snapshot does not match the announcement, or a prior record
            belongs to another result.
    """
    ann = check_announce(announce_body, rules=rules)
    _check_snapshot(ENTITIES, entity_snapshot_bytes, ann["pools"])
    if not isinstance(reason, str) or not reason:
        raise MalformedError("draw.replace：须填写替补理由")
    res_hash = result_sha256(result)
    current, used = sample_state(result, prior, res_hash)
    if entity_id not in current:
        raise MalformedError(f"draw.replace：{entity_id!r} 不在当前的抽中名单中")
    stratum = current[entity_id]
    entities = entity_table or parse_entity_table(entity_snapshot_bytes)
    found = next_reserve(entities, ann["rules"], result["subseeds"]["entities"], stratum, used)
    replacement = None if found is None else {"id": found[0], "ticket": found[1]}
    return {
        "schema": REPLACE_SCHEMA,
        "task_id": ann["task_id"],
        "result_sha256": res_hash,
        "stratum": stratum,
        "removed": entity_id,
        "reason": reason,
        "replacement": replacement,
    }
