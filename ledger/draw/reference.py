"""DRAW-V1, the reference implementation: docs/draw-v1.md read as code, in plain Python.

The fast engine (:mod:`ledger.draw.result` and the modules and C accelerators it uses) is tested
against this module on random inputs, byte for byte (tests/draw/test_reference.py), and the C
snapshot reader is fuzzed against :func:`parse_snapshot` (tests/fuzz/). It follows the document
step by step; three places take a shorter way to the same result, each tested against the step
it stands for (tests/draw/test_reference_reading.py, tests/draw/test_matching.py):

* §2: a line of the common shape is read with a pattern that matches canonical lines only,
  instead of being decoded with ``json`` and re-encoded; fields that repeat from record to
  record are checked the first time;
* §7–§8: of a stratum, only the ids whose tickets' first four digits can be among its first k
  get full tickets (:func:`first`);
* §9: each department's candidates are grouped by load, in rank order, so that a pick reads E
  and T from the group of the smallest load instead of from every inspector.

It is for checking, not drawing (docs/draw-v1.md §14 gives its speed). Shared with the engine
because each exists once: the announcement and its rules (:mod:`ledger.draw.announce`,
:mod:`ledger.draw.rules`, §3), commitments and seed (:mod:`ledger.draw.seed`, §4–§5), the drand
check (:mod:`ledger.draw.drand`, §6), canonical JSON and identifiers (§1). Section numbers are
those of docs/draw-v1.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import heapq
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
    "first",
    "match",
    "order",
    "parse_snapshot",
    "records",
    "replace",
    "reveal_statuses",
    "run_draw",
    "sample",
    "sample_state",
    "stratum_members",
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

# §2, the common line: exactly the record's keys, in canonical order, and strings that need no
# escape (no ", \ or character below U+0020), identifiers (ID) also not empty and without
# U+007F–U+009F. Such a line is CJ of the record its groups give (no decoding needed), and of
# the checks of _check_fields only three remain: identifiers in NFC, a real date, tags in order.
# A plain line's first group is never empty; any other line is the last group, to be decoded.
_SHAPES = {
    ENTITIES: r'\{"id":ID,"last_inspected":(?:null|"DATE"),"name":STR,"stratum":ID,"tags":IDS\}',
    INSPECTORS: r'\{"active":(true|false),"dept":ID,"id":ID,"tags":IDS\}',
    CONFLICTS: r'\{"entity":ID,"inspector":ID\}',
}
_PIECES = {
    "STR": r'"([^"\\\x00-\x1f]*)"',
    "ID": r'"([^"\\\x00-\x1f\x7f-\x9f]+)"',
    "IDS": r'\[((?:"[^"\\\x00-\x1f\x7f-\x9f]+"(?:,"[^"\\\x00-\x1f\x7f-\x9f]+")*)?)\]',
    "DATE": r"([0-9]{4}-[0-9]{2}-[0-9]{2})",
}
_LINES = {
    kind: re.compile(
        r"^(?:" + re.sub("IDS|ID|STR|DATE", lambda m: _PIECES[m[0]], shape) + r"|(.*))\n",
        re.MULTILINE,
    )
    for kind, shape in _SHAPES.items()
}


def _plain_record(
    kind: str, groups: Sequence[str], checked: set[tuple[str, ...]]
) -> dict[str, Any]:
    """The record of a plain line (above) from its pattern's ``groups``, checked. The fields
    that repeat from record to record (date, stratum and tags; department and tags) are checked
    the first time they occur together (``checked``); after that only the id's NFC remains.

    Raises:
        MalformedError: if an identifier is not in NFC, the date is not real or the tags are
            not in order.
    """
    record: dict[str, Any]
    repeated: tuple[str, ...]
    if kind == CONFLICTS:
        record = {"entity": groups[0], "inspector": groups[1]}
        _check_fields(kind, record)
        return record
    if kind == ENTITIES:
        record_id, last, name, stratum, tags, _ = groups
        record = {
            "id": record_id,
            "last_inspected": last or None,
            "name": name,
            "stratum": stratum,
            "tags": tags[1:-1].split('","') if tags else [],
        }
        repeated = (last, stratum, tags)
    else:
        active, dept, record_id, tags, _ = groups
        record = {
            "active": active == "true",
            "dept": dept,
            "id": record_id,
            "tags": tags[1:-1].split('","') if tags else [],
        }
        repeated = (dept, tags)
    if repeated not in checked:
        _check_fields(kind, record)
        checked.add(repeated)
    elif not record_id.isascii():  # (an ASCII identifier is in NFC)
        check_identifier(record_id, "id")
    return record


def _decoded_record(kind: str, number: int, line: str) -> dict[str, Any]:
    """Any other line, decoded with json: it must be CJ of what it decodes to; checked.

    Raises:
        MalformedError: if it is not, or its record breaks a rule of §2.
    """
    try:
        check_depth(line.encode())  # bounded before the recursive C parser runs
        record = _DECODER.decode(line)
    except (ValueError, RecursionError, MalformedError) as exc:
        raise MalformedError(f"{kind} 快照：第 {number} 行不是 JSON") from exc
    if not isinstance(record, dict):
        raise MalformedError(f"{kind} 快照：第 {number} 行不是对象")
    if CJ(record) != line.encode():  # also rejects integers beyond ±(2^53 − 1)
        raise MalformedError(f"{kind} 快照：第 {number} 行不是规范 JSON")
    _check_fields(kind, record)
    return record


def _check_fields(kind: str, record: dict[str, Any]) -> None:
    """§2: one record's fields."""
    if not record.keys() >= _REQUIRED[kind] or (kind == CONFLICTS and len(record) != 2):
        raise MalformedError(f"{kind} 快照：记录的字段不对")
    if kind == CONFLICTS:
        check_identifier(record["entity"], "回避记录的 entity")
        check_identifier(record["inspector"], "回避记录的 inspector")
        return
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


def parse_snapshot(kind: str, data: bytes) -> list[dict[str, Any]]:
    """§2: parse a snapshot file line by line and check every rule.

    Raises:
        MalformedError: if the file is not exactly in the form of §2.
    """
    return list(records(kind, data))


def records(kind: str, data: bytes) -> Iterator[dict[str, Any]]:
    """§2: the records of a snapshot file, one line after the other, each checked before it is
    given (so that a draw holds the ids it needs, not every record).

    Raises:
        MalformedError: if the file is not exactly in the form of §2 (when the line that shows
            it is reached).
    """
    if not isinstance(data, bytes):
        raise MalformedError("快照：应为 bytes")
    if data and not data.endswith(b"\n"):
        raise MalformedError(f"{kind} 快照：文件应以换行符结尾")
    previous: tuple[str, ...] = ()  # the sort key of §2 (the empty key sorts first)
    checked: set[tuple[str, ...]] = set()
    for before, text in _pieces(kind, data):
        for number, groups in enumerate(_LINES[kind].findall(text), start=before + 1):
            if groups[0]:
                record = _plain_record(kind, groups, checked)
            else:
                record = _decoded_record(kind, number, groups[-1])
            key = (record["entity"], record["inspector"]) if kind == CONFLICTS else (record["id"],)
            if not previous < key:
                raise MalformedError(f"{kind} 快照：第 {number} 行顺序错误或重复")
            previous = key
            yield record


def _pieces(kind: str, data: bytes, size: int = 1 << 20) -> Iterator[tuple[int, str]]:
    """``data`` (ending with a newline) in pieces of whole lines of about ``size`` bytes, each
    decoded as UTF-8, with the number of lines before it.

    Raises:
        MalformedError: on a piece that is not strict UTF-8 (naming the line).
    """
    before, start = 0, 0
    while start < len(data):
        end = data.find(b"\n", start + size) + 1 or len(data)
        try:
            text = data[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            number = before + data.count(b"\n", start, start + exc.start) + 1
            raise MalformedError(f"{kind} 快照：第 {number} 行不是 JSON") from exc
        yield before, text
        before += text.count("\n")
        start = end


def ticket(seed: str, item_id: str) -> str:
    """§7: ``"0." ‖ reverse(decimal(int(H(utf8(hex(H(utf8(S))) ‖ id))), ≥ 64 digits))``."""
    inner = hashlib.sha256(utf8(seed)).hexdigest()
    n = int.from_bytes(H(utf8(inner + item_id)), "big")
    return "0." + format(n, "064d")[::-1]


def order(seed: str, ids: Sequence[str]) -> list[str]:
    """§7: ``ids`` sorted by ``(ticket, utf8 id)``."""
    return sorted(ids, key=lambda item_id: (ticket(seed, item_id), utf8(item_id)))


# A ticket's first four digits are the four lowest decimal digits of its n, reversed (§7): a
# number n ≡ m (mod 10^4) has a ticket that starts with the digits of _FIRST_FOUR[m].
_FIRST_FOUR = [int(f"{m:04d}"[::-1]) for m in range(10_000)]


def first(seed: str, ids: Sequence[str], k: int) -> list[str]:
    """§7: the first ``k`` of :func:`order` ``(seed, ids)``, for distinct ``ids``.

    Only the ids whose ticket's first four digits are at most the k-th smallest such prefix can
    be among the first k (an id with a larger prefix comes after k others), so only they are
    ordered with their full tickets; the prefixes cost one hash per id (``hex(H(utf8(S)))``,
    the same for every id, is hashed once).
    """
    if k >= len(ids):
        return order(seed, ids)
    if k <= 0:
        return []
    state = hashlib.sha256(utf8(hashlib.sha256(utf8(seed)).hexdigest()))
    prefixes = []
    for item_id in ids:  # identifiers: utf8 cannot fail
        h = state.copy()
        h.update(item_id.encode())
        prefixes.append(_FIRST_FOUR[int.from_bytes(h.digest(), "big") % 10_000])
    bound = heapq.nsmallest(k, prefixes)[-1]  # the k-th smallest prefix
    return order(seed, [i for i, prefix in zip(ids, prefixes, strict=True) if prefix <= bound])[:k]


def stratum_of(record: Mapping[str, Any]) -> str:
    """§8 step 1 of DRAW-V1: an entity's stratum is its record's ``stratum``."""
    stratum: str = record["stratum"]
    return stratum


def stratum_members(
    entities: Iterable[Mapping[str, Any]],
    rules: draw_rules.Rules,
    stratum_key: StratumKey = stratum_of,
) -> dict[str, list[str]]:
    """§8 steps 1 and 2: each listed stratum's eligible ids, in snapshot order
    (``stratum_key`` gives each record's stratum).

    Raises:
        MalformedError: on an entity in a stratum that is not listed.
    """
    days = rules.exclude_inspected_within_days

    @functools.cache
    def recent(last: str) -> bool:  # inspected less than X days before as_of (or after it)
        return days is not None and (rules.as_of - dt.date.fromisoformat(last)).days < days

    eligible: dict[str, list[str]] = {name: [] for name in rules.names}
    for record in entities:
        stratum = stratum_key(record)
        if stratum not in eligible:
            raise MalformedError(f"主体 {record['id']}：层级不在 rules.strata 中")
        last = record["last_inspected"]
        if last is not None and recent(last):
            continue  # not eligible
        eligible[stratum].append(record["id"])
    return eligible


def stratum_orders(
    entities: Iterable[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_entities: str,
    stratum_key: StratumKey = stratum_of,
) -> dict[str, list[str]]:
    """§8 steps 1, 2 and 5: each listed stratum's eligible ids, in order under ``S_entities``
    (``stratum_key`` gives each record's stratum).

    Raises:
        MalformedError: on an entity in a stratum that is not listed.
    """
    members = stratum_members(entities, rules, stratum_key)
    return {name: order(s_entities, ids) for name, ids in members.items()}


def sample(
    entities: Iterable[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_entities: str,
    stratum_key: StratumKey = stratum_of,
) -> tuple[list[dict[str, Any]], list[str]]:
    """§8: the stratified draw; returns the result record's ``strata`` and ``entity_order``.

    Raises:
        MalformedError: on an entity in a stratum that is not listed.
    """
    names = rules.names
    members = stratum_members(entities, rules, stratum_key)
    k_ratio = {}
    for rule in rules.strata:  # step 3: ⌈N · a / 10^f⌉ in integers
        n = len(members[rule.stratum])
        num, den = rule.fraction
        k_ratio[rule.stratum] = min(n, -(-n * num // den))
    k = dict(k_ratio)
    total = sum(len(ids) for ids in members.values())
    shortfall = min(rules.minimum, total) - sum(k_ratio.values())  # step 4
    if shortfall > 0:
        counted = {i for s in names for i in first(s_entities, members[s], k_ratio[s])}
        rest = [(i, s) for s in names for i in members[s] if i not in counted]
        home = dict(rest)
        for entity_id in first(s_entities, [i for i, _ in rest], shortfall):
            k[home[entity_id]] += 1
    drawn = {s: first(s_entities, members[s], k[s]) for s in names}  # step 5
    tickets = {i: ticket(s_entities, i) for s in names for i in drawn[s]}
    strata = [
        {
            "stratum": s,
            "eligible": len(members[s]),
            "k_ratio": k_ratio[s],
            "k": k[s],
            "drawn": [{"id": i, "ticket": tickets[i]} for i in drawn[s]],
        }
        for s in names
    ]
    # entity_order: every drawn id, in order under S_entities (§7: by ticket, then UTF-8 id)
    return strata, sorted(tickets, key=lambda i: (tickets[i], utf8(i)))


def match(
    entity_order: Sequence[str],
    inspectors: Sequence[Mapping[str, Any]],
    conflicts: Sequence[Mapping[str, Any]],
    rules: draw_rules.Rules,
    s_inspectors: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """§9: the teams; returns ``(assignments, unstaffed, loads)`` of the result record.

    Inspectors are named by their rank. Each department's candidates — its active inspectors
    holding every required tag — are grouped by load, each group in rank order, so that a pick
    reads E and T from the group of the smallest load (:func:`_pick`) instead of going through
    every inspector.
    """
    lead, departments = rules.lead, rules.staffing()  # in department (UTF-8) order
    ranked = order(s_inspectors, [r["id"] for r in inspectors])
    rank = {i: n for n, i in enumerate(ranked)}
    avoid: dict[str, set[int]] = {}  # entity → the inspectors in 回避 with it
    for c in conflicts:
        if c["inspector"] in rank:
            avoid.setdefault(c["entity"], set()).add(rank[c["inspector"]])
    load = [0] * len(ranked)
    candidates = {
        d.dept: {
            rank[r["id"]]
            for r in inspectors
            if r["dept"] == d.dept
            and r["active"] is True
            and set(d.required_tags) <= set(r["tags"])
        }
        for d in departments
    }
    by_load = {dept: {0: sorted(c)} for dept, c in candidates.items() if c}
    # the fields of the pick hash of §9 step 4, LP("draw-v1/pick") ‖ LP(S_inspectors) ‖ LP(e) ‖
    # LP(d) ‖ LP(u32be(p)): the first two, then each department's last two for every p
    pick_field = LP(b"draw-v1/pick") + LP(utf8(s_inspectors))
    dept_fields = {
        d.dept: [LP(utf8(d.dept)) + LP(u32be(p)) for p in range(d.per_entity)] for d in departments
    }
    assignments, unstaffed = [], []
    for e in entity_order:
        team: list[tuple[str, int]] = []
        entity_fields = pick_field + LP(utf8(e))
        for d in departments:
            # the candidates not in E for e: those in 回避 with e, and each one picked for e
            excluded = candidates[d.dept] & avoid.get(e, set())
            for p in range(d.per_entity):
                h = H(entity_fields + dept_fields[d.dept][p])
                picked = _pick(by_load.get(d.dept, {}), excluded, load, d.max_load, h)
                if picked is None:
                    unstaffed.append({"entity": e, "unmet": {"dept": d.dept, "pick": p}})
                    break
                excluded.add(picked)
                team.append((d.dept, picked))
            else:
                continue
            break  # unstaffed: the partial team is discarded
        else:
            for dept, i in team:  # one more load: the member moves up one group
                group = by_load[dept][load[i]]
                del group[bisect.bisect_left(group, i)]
                if not group:
                    del by_load[dept][load[i]]
                load[i] += 1
                bisect.insort(by_load[dept].setdefault(load[i], []), i)
            leader = next(ranked[i] for dept, i in team if dept == lead)
            members = [{"inspector": ranked[i], "dept": dept} for dept, i in team]
            assignments.append({"entity": e, "leader": leader, "team": members})
    return assignments, unstaffed, {ranked[i]: n for i, n in enumerate(load) if n}


def _pick(
    by_load: Mapping[int, Sequence[int]],
    excluded: set[int],
    load: Sequence[int],
    max_load: int | None,
    h: bytes,
) -> int | None:
    """§9 steps 1–4 of one pick: ``T[int(h, big-endian) mod |T|]``, or None when E is empty.

    ``by_load`` holds the department's candidates (ranks) by load, each group in rank order; E
    is them without the ``excluded`` ones and without those at ``max_load``. T is the group of
    the smallest load that holds a candidate not excluded, without the excluded ones: they are
    stepped over by their positions in the group.
    """
    for n in sorted(by_load):
        if max_load is not None and n >= max_load:
            return None  # E is empty
        group = by_load[n]
        skipped = (
            sorted(bisect.bisect_left(group, i) for i in excluded if load[i] == n)
            if excluded
            else []
        )
        if len(group) > len(skipped):
            position = int.from_bytes(h, "big") % (len(group) - len(skipped))  # r of step 4
            for s in skipped:
                if s <= position:
                    position += 1
            return group[position]
    return None  # E is empty


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
    entities = records(ENTITIES, entity_snapshot_bytes)
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
    entities = records(ENTITIES, entity_snapshot_bytes)
    s_entities = result["subseeds"]["entities"]
    members = stratum_members(entities, ann["rules"], stratum_key)[stratum]
    reserve = first(s_entities, [i for i in members if i not in named], 1)
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
