"""DRAW-V1, the reference implementation: docs/draw-v1.md read as code, plain Python, no speed-ups.

The fast engine (:mod:`ledger.draw.result` and the modules and C accelerators it uses) is tested
against this module on random inputs, byte for byte (tests/draw/test_reference.py), and the C
snapshot reader is fuzzed against :func:`parse_snapshot` (tests/fuzz/). Everything is done the
obvious way — each line parsed with the standard ``json`` module, every ticket computed, each
department's candidates kept sorted by load and rank so that a pick reads E and T from the
front — in plain Python: for checking, not drawing.
Shared with the engine because each exists once: the announcement and its rules
(:mod:`ledger.draw.announce`, :mod:`ledger.draw.rules`, §3), commitments and seed (:mod:`ledger.draw.seed`, §4–§5), the
drand check (:mod:`ledger.draw.drand`, §6), canonical JSON and identifiers (§1). Section
numbers are those of docs/draw-v1.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ledger.draw.drand as drand
from ledger.canonical import check_depth
from ledger.draw import rules as draw_rules
from ledger.draw.announce import ALGORITHM, CONFLICTS, ENTITIES, INSPECTORS, check_announce
from ledger.draw.primitives import CJ, LP, H, check_identifier, u32be, utf8
from ledger.draw.seed import announce_hash, check_reveal, compute_seed, parse_key_string, subseeds
from ledger.errors import MalformedError, VerificationError

__all__ = [
    "beacon_randomness",
    "match",
    "order",
    "parse_snapshot",
    "replace",
    "reveal_statuses",
    "run_draw",
    "sample",
    "sample_state",
    "stratum_of",
    "stratum_orders",
    "ticket",
]

#: §8 step 1: the stratum an entity record belongs to. A later algorithm that stratifies by
#: further fields passes its own function as ``stratum_key`` (docs/extending.md §3).
StratumKey = Callable[[Mapping[str, Any]], str]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# §2: the keys every record must have (entities and inspectors may carry extra ones).
_REQUIRED = {
    ENTITIES: {"id", "name", "stratum", "last_inspected", "tags"},
    INSPECTORS: {"id", "dept", "tags", "active"},
    CONFLICTS: {"entity", "inspector"},
}


def _no_float(literal: str) -> Any:
    raise MalformedError(f"快照：不允许非整数的数值 {literal[:40]!r}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise MalformedError("快照：对象的键重复")
    return dict(pairs)


_DECODER = json.JSONDecoder(
    parse_float=_no_float, parse_constant=_no_float, object_pairs_hook=_no_duplicates
)


def _check_fields(kind: str, record: dict[str, Any]) -> tuple[str, ...]:
    """§2: one record's fields; returns its sort key."""
    if not _REQUIRED[kind] <= set(record) or (kind == CONFLICTS and len(record) != 2):
        raise MalformedError(f"{kind} 快照：记录的字段不对")
    if kind == CONFLICTS:
        return (
            check_identifier(record["entity"], "回避记录的 entity"),
            check_identifier(record["inspector"], "回避记录的 inspector"),
        )
    check_identifier(record["id"], "id")
    if kind == ENTITIES:
        check_identifier(record["stratum"], "stratum")
        if not isinstance(record["name"], str):
            raise MalformedError("主体：name 应为字符串")
        last = record["last_inspected"]
        if last is not None:
            if not isinstance(last, str) or not _DATE.fullmatch(last):
                raise MalformedError("主体：last_inspected 应为 YYYY-MM-DD 或 null")
            try:
                dt.date.fromisoformat(last)
            except ValueError as exc:
                raise MalformedError(f"主体：无效的日期 {last!r}") from exc
    else:
        check_identifier(record["dept"], "dept")
        if not isinstance(record["active"], bool):
            raise MalformedError("检查人员：active 应为 true 或 false")
    tags = record["tags"]
    if not isinstance(tags, list):
        raise MalformedError("tags 应为列表")
    for tag in tags:
        check_identifier(tag, "标签")
    if any(not a < b for a, b in itertools.pairwise(tags)):
        raise MalformedError("tags 应已排序且不重复")
    return (record["id"],)


def parse_snapshot(kind: str, data: bytes) -> list[dict[str, Any]]:
    """§2: parse a snapshot file line by line and check every rule.

    Raises:
        MalformedError: if the file is not exactly in the form of §2.
    """
    if not isinstance(data, bytes):
        raise MalformedError("快照：应为 bytes")
    if data and not data.endswith(b"\n"):
        raise MalformedError(f"{kind} 快照：文件应以换行符结尾")
    records: list[dict[str, Any]] = []
    previous: tuple[str, ...] | None = None
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        try:
            check_depth(line)  # bounded before the recursive C parser runs
            record = _DECODER.decode(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError, MalformedError) as exc:
            raise MalformedError(f"{kind} 快照：第 {number} 行不是 JSON") from exc
        if not isinstance(record, dict):
            raise MalformedError(f"{kind} 快照：第 {number} 行不是对象")
        if CJ(record) != line:  # also rejects integers beyond ±(2^53 − 1)
            raise MalformedError(f"{kind} 快照：第 {number} 行不是规范 JSON")
        key = _check_fields(kind, record)
        if previous is not None and not previous < key:
            raise MalformedError(f"{kind} 快照：第 {number} 行顺序错误或重复")
        previous = key
        records.append(record)
    return records


def ticket(seed: str, item_id: str) -> str:
    """§7: ``"0." ‖ reverse(decimal(int(H(utf8(hex(H(utf8(S))) ‖ id))), ≥ 64 digits))``."""
    inner = hashlib.sha256(utf8(seed)).hexdigest()
    n = int.from_bytes(H(utf8(inner + item_id)), "big")
    return "0." + format(n, "064d")[::-1]


def order(seed: str, ids: Sequence[str]) -> list[str]:
    """§7: ``ids`` sorted by ``(ticket, utf8 id)``."""
    return sorted(ids, key=lambda item_id: (ticket(seed, item_id), utf8(item_id)))


def stratum_of(record: Mapping[str, Any]) -> str:
    """§8 step 1 of DRAW-V1: an entity's stratum is its record's ``stratum``."""
    stratum: str = record["stratum"]
    return stratum


def stratum_orders(
    entities: Sequence[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_entities: str,
    stratum_key: StratumKey = stratum_of,
) -> dict[str, list[str]]:
    """§8 steps 1, 2 and 5: each listed stratum's eligible ids, in order under ``S_entities``
    (``stratum_key`` gives each record's stratum).

    Raises:
        MalformedError: on an entity in a stratum that is not listed.
    """
    days = rules.exclude_inspected_within_days
    eligible: dict[str, list[str]] = {name: [] for name in rules.names}
    for record in entities:
        stratum = stratum_key(record)
        if stratum not in eligible:
            raise MalformedError(f"主体 {record['id']}：层级不在 rules.strata 中")
        last = record["last_inspected"]
        if last is not None and days is not None:
            age = (rules.as_of - dt.date.fromisoformat(last)).days  # negative after as_of
            if age < days:
                continue  # inspected recently: not eligible
        eligible[stratum].append(record["id"])
    return {name: order(s_entities, ids) for name, ids in eligible.items()}


def sample(
    entities: Sequence[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_entities: str,
    stratum_key: StratumKey = stratum_of,
) -> tuple[list[dict[str, Any]], list[str]]:
    """§8: the stratified draw; returns the result record's ``strata`` and ``entity_order``.

    Raises:
        MalformedError: on an entity in a stratum that is not listed.
    """
    names = rules.names
    orders = stratum_orders(entities, rules, s_entities, stratum_key)
    k_ratio = {}
    for rule in rules.strata:  # step 3: ⌈N · a / 10^f⌉ in integers
        n = len(orders[rule.stratum])
        num, den = rule.fraction
        k_ratio[rule.stratum] = min(n, -(-n * num // den))
    k = dict(k_ratio)
    total = sum(len(ids) for ids in orders.values())
    shortfall = min(rules.minimum, total) - sum(k_ratio.values())  # step 4
    rest = order(s_entities, [i for s in names for i in orders[s][k_ratio[s] :]])
    stratum_of = {i: s for s in names for i in orders[s]}
    for entity_id in rest[: max(0, shortfall)]:
        k[stratum_of[entity_id]] += 1
    strata = [
        {
            "stratum": s,
            "eligible": len(orders[s]),
            "k_ratio": k_ratio[s],
            "k": k[s],
            "drawn": [{"id": i, "ticket": ticket(s_entities, i)} for i in orders[s][: k[s]]],
        }
        for s in names
    ]
    return strata, order(s_entities, [i for s in names for i in orders[s][: k[s]]])


def match(
    entity_order: Sequence[str],
    inspectors: Sequence[Mapping[str, Any]],
    conflicts: Sequence[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_inspectors: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """§9: the teams; returns ``(assignments, unstaffed, loads)`` of the result record.

    Each department's candidates — its active inspectors holding every required tag — wait in
    its *queue*, a list of ``(load, rank, id)`` kept sorted, so that a pick reads E and T from
    the queue's front (:func:`_pick`) instead of going through every inspector.
    """
    lead, departments = rules.lead, rules.staffing()  # in department (UTF-8) order
    rank = {i: n for n, i in enumerate(order(s_inspectors, [r["id"] for r in inspectors]))}
    avoid: dict[str, set[str]] = {}  # entity → the inspectors in 回避 with it
    for c in conflicts:
        avoid.setdefault(c["entity"], set()).add(c["inspector"])
    load = {record["id"]: 0 for record in inspectors}
    queue = {
        d.dept: sorted(
            (0, rank[r["id"]], r["id"])
            for r in inspectors
            if r["dept"] == d.dept
            and r["active"] is True
            and set(d.required_tags) <= set(r["tags"])
        )
        for d in departments
    }
    candidates = {dept: {i for _, _, i in q} for dept, q in queue.items()}
    prefix = LP(b"draw-v1/pick") + LP(utf8(s_inspectors))
    assignments, unstaffed = [], []
    for e in entity_order:
        team: list[dict[str, str]] = []
        for d in departments:
            for p in range(d.per_entity):
                # the candidates not in E: already picked for e, or in 回避 with e
                excluded = {m["inspector"] for m in team} | avoid.get(e, set())
                h = H(prefix + LP(utf8(e)) + LP(utf8(d.dept)) + LP(u32be(p)))
                picked = _pick(
                    queue[d.dept], excluded & candidates[d.dept], load, rank, d.max_load, h
                )
                if picked is None:
                    unstaffed.append({"entity": e, "unmet": {"dept": d.dept, "pick": p}})
                    break
                team.append({"inspector": picked, "dept": d.dept})
            else:
                continue
            break  # unstaffed: the partial team is discarded
        else:
            for member in team:  # one more load: the member moves up in its queue
                i, q = member["inspector"], queue[member["dept"]]
                del q[bisect.bisect_left(q, (load[i], rank[i]))]
                load[i] += 1
                bisect.insort(q, (load[i], rank[i], i))
            leader = next(m["inspector"] for m in team if m["dept"] == lead)
            assignments.append({"entity": e, "leader": leader, "team": team})
    return assignments, unstaffed, {i: n for i, n in sorted(load.items()) if n}


def _pick(
    queue: Sequence[tuple[int, int, str]],
    excluded: set[str],
    load: Mapping[str, int],
    rank: Mapping[str, int],
    max_load: int | None,
    h: bytes,
) -> str | None:
    """§9 steps 1–4 of one pick: ``T[int(h, big-endian) mod |T|]``, or None when E is empty.

    ``queue`` holds the department's candidates as ``(load, rank, id)``, sorted; E is the queue
    without the ``excluded`` candidates and without those at ``max_load``. The first candidate
    not excluded has E's smallest load, so T is the queue's run at that load (in rank order)
    without the excluded ones, which are stepped over by their positions in the run.
    """
    lowest = next((n for n, _, i in queue if i not in excluded), None)
    if lowest is None or (max_load is not None and lowest >= max_load):
        return None  # E is empty
    start = bisect.bisect_left(queue, (lowest,))
    end = bisect.bisect_left(queue, (lowest + 1,))
    gaps = sorted(
        bisect.bisect_left(queue, (lowest, rank[i])) for i in excluded if load[i] == lowest
    )
    position = start + int.from_bytes(h, "big") % (end - start - len(gaps))  # r of §9 step 4
    for gap in gaps:
        if gap <= position:
            position += 1
    return queue[position][2]


def reveal_statuses(
    ann: Mapping[str, Any], reveals: Mapping[str, str | None]
) -> tuple[dict[str, bytes | None], list[dict[str, str]]]:
    """§4: ``(secrets, statuses)`` — every committed department → its valid secret, or
    ``None`` (missing or invalid: it contributes ``b""``), and the record's ``reveals``.
    ``ann`` is what :func:`check_announce` returned.

    Raises:
        MalformedError: on a reveal from a department that did not commit.
    """
    commitments: dict[str, str] = ann["commitments"]
    for dept in reveals:
        if dept not in commitments:
            raise MalformedError(f"收到 {dept!r} 的揭示，但该部门没有提交承诺")
    secrets: dict[str, bytes | None] = {}
    statuses = []
    for dept in sorted(commitments):
        revealed = reveals.get(dept)
        status = "missing"
        secrets[dept] = None
        if revealed is not None:
            try:
                secrets[dept] = check_reveal(ann["task_id"], dept, revealed, commitments[dept])
                status = "valid"
            except VerificationError:
                status = "invalid"
        statuses.append({"dept": dept, "status": status})
    return secrets, statuses


def beacon_randomness(ann: Mapping[str, Any], beacon: Mapping[str, Any]) -> bytes:
    """§6: verify the ``draw.beacon`` body for the announced round and chain; returns ``H(σ)``.

    Raises:
        MalformedError: on a malformed beacon body.
        VerificationError: on another round or chain, or an invalid signature.
    """
    if beacon.get("round") != ann["round"]:
        raise VerificationError("drand 信标的轮次与公告中的轮次不同")
    return drand.verify_beacon_record(beacon, ann["chain_hash"])


def _check_pool(ann: Mapping[str, Any], kind: str, data: bytes) -> None:
    """§2, §13 step 1: the file's hash and line count are the announced ones."""
    if not isinstance(data, bytes):
        raise MalformedError(f"{kind} 快照应为 bytes")
    pool = ann["pools"][kind]
    if (hashlib.sha256(data).hexdigest(), data.count(b"\n")) != (pool["sha256"], pool["count"]):
        raise VerificationError(f"{kind} 快照与公告中的承诺不符")


def run_draw(
    announce_body: Mapping[str, Any],
    entity_snapshot_bytes: bytes,
    inspector_snapshot_bytes: bytes,
    conflict_snapshot_bytes: bytes,
    reveals: Mapping[str, str | None],
    beacon: Mapping[str, Any],
    *,
    extra_key_string: str | None = None,
    algorithm: str = ALGORITHM,
    rules_class: type[Any] = draw_rules.Rules,
    stratum_key: StratumKey = stratum_of,
    rules: Any = None,
) -> dict[str, Any]:
    """§13 steps 1 and 3–6: the result record of §10 (arguments as
    :func:`ledger.draw.result.run_draw`, ``rules`` too). ``algorithm``, ``rules_class`` (the
    class of its ``rules``, :mod:`ledger.draw.rules`) and ``stratum_key`` are DRAW-V1's unless
    a later algorithm that differs only in its rules and strata (§2, §3, §8) passes its own.

    Raises:
        MalformedError: on malformed inputs.
        VerificationError: on a snapshot that does not match the announcement or a beacon that
            does not verify.
    """
    ann = check_announce(announce_body, algorithm, rules_class, rules)
    _check_pool(ann, ENTITIES, entity_snapshot_bytes)
    _check_pool(ann, INSPECTORS, inspector_snapshot_bytes)
    _check_pool(ann, CONFLICTS, conflict_snapshot_bytes)
    if ann["extra_key"] != (extra_key_string is not None):
        raise MalformedError("附加密钥串须恰好在公告声明时提供")
    if extra_key_string is not None:
        parse_key_string(extra_key_string)
    secrets, statuses = reveal_statuses(ann, reveals)
    randomness = beacon_randomness(ann, beacon)
    a_hash = announce_hash(announce_body)
    chain = bytes.fromhex(ann["chain_hash"])
    seed = compute_seed(a_hash, chain, ann["round"], randomness, secrets, extra_key_string)
    s_entities, s_inspectors = subseeds(seed)  # §5
    entities = parse_snapshot(ENTITIES, entity_snapshot_bytes)
    strata, entity_order = sample(entities, ann["rules"], s_entities, stratum_key)
    inspectors = parse_snapshot(INSPECTORS, inspector_snapshot_bytes)
    conflicts = parse_snapshot(CONFLICTS, conflict_snapshot_bytes)
    assignments, unstaffed, loads = match(
        entity_order, inspectors, conflicts, ann["rules"], s_inspectors
    )
    return {
        "schema": f"{algorithm}/result",
        "task_id": ann["task_id"],
        "announce_sha256": a_hash.hex(),
        "drand": {"round": ann["round"], "randomness": randomness.hex()},
        "reveals": statuses,
        "extra_key": extra_key_string,
        "seed": seed.hex(),
        "subseeds": {"entities": s_entities, "inspectors": s_inspectors},
        "strata": strata,
        "entity_order": entity_order,
        "assignments": assignments,
        "unstaffed": unstaffed,
        "loads": loads,
    }


def sample_state(
    result: Mapping[str, Any], prior: Sequence[Mapping[str, Any]], result_sha256: str
) -> tuple[dict[str, str], set[str]]:
    """§11: ``(current, named)`` after the earlier replacements ``prior`` (ledger order): each
    entity now in the sample → its stratum, and every id drawn or named by a replacement.

    Raises:
        VerificationError: if a prior record belongs to another result.
    """
    current = {d["id"]: s["stratum"] for s in result["strata"] for d in s["drawn"]}
    named = set(current)
    for record in prior:
        if record.get("result_sha256") != result_sha256:
            raise VerificationError("draw.replace：先前的一次替补属于另一个抽取结果")
        current.pop(record["removed"], None)
        if record["replacement"] is not None:
            named.add(record["replacement"]["id"])
            current[record["replacement"]["id"]] = record["stratum"]
    return current, named


def replace(
    announce_body: Mapping[str, Any],
    entity_snapshot_bytes: bytes,
    result: Mapping[str, Any],
    entity_id: str,
    reason: str,
    prior: Sequence[Mapping[str, Any]] = (),
    *,
    algorithm: str = ALGORITHM,
    rules_class: type[Any] = draw_rules.Rules,
    stratum_key: StratumKey = stratum_of,
    rules: Any = None,
) -> dict[str, Any]:
    """§11: the ``draw.replace`` record (arguments as :func:`ledger.draw.result.replace`;
    ``algorithm``, ``rules_class``, ``stratum_key`` and ``rules`` as for :func:`run_draw`).

    Raises:
        MalformedError: on malformed inputs or an entity not currently in the sample.
        VerificationError: on a snapshot that does not match the announcement, or a prior
            record of another result.
    """
    ann = check_announce(announce_body, algorithm, rules_class, rules)
    _check_pool(ann, ENTITIES, entity_snapshot_bytes)
    if not isinstance(reason, str) or not reason:
        raise MalformedError("draw.replace：须填写替补理由")
    result_sha256 = H(CJ(dict(result))).hex()
    stratum_of, named = sample_state(result, prior, result_sha256)
    if entity_id not in stratum_of:
        raise MalformedError(f"draw.replace：{entity_id!r} 不在当前的抽中名单中")
    stratum = stratum_of[entity_id]
    entities = parse_snapshot(ENTITIES, entity_snapshot_bytes)
    s_entities = result["subseeds"]["entities"]
    orders = stratum_orders(entities, ann["rules"], s_entities, stratum_key)
    reserve = [i for i in orders[stratum] if i not in named]
    return {
        "schema": f"{algorithm}/replace",
        "task_id": ann["task_id"],
        "result_sha256": result_sha256,
        "stratum": stratum,
        "removed": entity_id,
        "reason": reason,
        "replacement": {"id": reserve[0], "ticket": ticket(s_entities, reserve[0])}
        if reserve
        else None,
    }
