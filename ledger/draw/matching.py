"""Inspector matching, per department, one hash per pick (DRAWS.md §7.5).

Every participating department puts its own inspectors on each drawn entity's team. Drawn
entities are processed in global ``(ticket(S_entities, id), id)`` order; for entity ``e``, for
each department ``d`` in UTF-8 byte order, for pick ``p = 0 … per_entity[d] − 1``:

* ``E`` — inspectors of ``d`` that are active, hold all ``required_tags[d]``, are not yet on
  ``e``'s team, are not in 回避 with ``e`` and, if ``max_load`` is set, have ``load < max_load``;
* if ``E`` is empty, ``e`` is unstaffed: ``{"entity", "unmet": {"dept", "pick"}}`` is recorded,
  the partial team is discarded, no load changes;
* ``T`` — the members of ``E`` with the smallest load, in rank order (rank = position in the
  ``(ticket(S_inspectors, id), utf8 id)`` order);
* ``r = int(H(LP("draw-v1/pick") ‖ LP(utf8 S_inspectors) ‖ LP(utf8 e) ‖ LP(utf8 d) ‖
  LP(u32be(p)))) mod |T|`` (big-endian) and the pick is ``T[r]``.

A complete team adds 1 to each member's load. Team order is department order then pick order;
the lead department's first member is the leader (组长).

``max_load`` comes from the department's own ``max_load`` if present, else ``rules.max_load``
(``null``/absent: unlimited).

Bookkeeping: per department, the eligible inspectors are numbered by rank and kept in buckets by
load (each a sorted list of rank numbers), plus the sorted list of non-empty load levels. A pick
walks the levels from the lowest, skipping the few inspectors excluded for this entity (its
回避 pairs and the department's earlier picks) by position, so it costs one hash plus
``O(levels + excluded · log n)``, never one hash per (entity, inspector) pair. When the only
candidate is forced (``|T| = 1``) the hash is skipped: ``r`` would be 0 anyway.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.draw.primitives import LP, check_identifier, u32be, utf8
from ledger.draw.tickets import TicketMaker
from ledger.errors import MalformedError

__all__ = [
    "DeptRule",
    "MatchResult",
    "match",
    "parse_departments",
    "pick_hash",
]


@dataclass(frozen=True)
class DeptRule:
    """One participating department's rule (``rules.departments[i]``)."""

    dept: str
    per_entity: int
    required_tags: frozenset[str]
    max_load: int | None


@dataclass
class MatchResult:
    """Teams, unstaffed entities and final loads (parts of the result record, §7.6)."""

    assignments: list[dict[str, Any]] = field(default_factory=list)
    unstaffed: list[dict[str, Any]] = field(default_factory=list)
    loads: dict[str, int] = field(default_factory=dict)


def _parse_max_load(value: object, what: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise MalformedError(f"{what}：max_load 应为不小于 1 的整数或 null")
    return value


def parse_departments(rules: Mapping[str, Any]) -> tuple[str, list[DeptRule]]:
    """Parse ``rules.lead``, ``rules.departments`` and ``rules.max_load``.

    Args:
        rules: the announcement's ``rules``.

    Returns:
        ``(lead, departments in UTF-8 byte order of their ids)``.

    Raises:
        MalformedError: on a missing/duplicate department, ``per_entity < 1`` (``< 2`` when only
            one department takes part: 执法人员不得少于两人), bad tags, or a lead that does not
            take part.
    """
    depts = rules.get("departments")
    if not isinstance(depts, list) or not depts:
        raise MalformedError("rules.departments 应为非空列表")
    default_max = _parse_max_load(rules.get("max_load"), "rules")
    out: dict[str, DeptRule] = {}
    for item in depts:
        if not isinstance(item, dict) or not {"dept", "per_entity", "required_tags"} <= set(item):
            raise MalformedError("rules.departments 的每一项都应有 dept、per_entity、required_tags")
        if not set(item) <= {"dept", "per_entity", "required_tags", "max_load"}:
            raise MalformedError("rules.departments：有未知字段")
        dept = check_identifier(item["dept"], "department")
        if dept in out:
            raise MalformedError(f"rules.departments：部门 {dept!r} 重复")
        per = item["per_entity"]
        if type(per) is not int or not 1 <= per <= 1000:
            raise MalformedError(f"{dept}：per_entity 应为 1 到 1000 之间的整数")
        tags = item["required_tags"]
        if not isinstance(tags, list):
            raise MalformedError(f"{dept}：required_tags 应为列表")
        tag_set = frozenset(check_identifier(t, f"{dept} required tag") for t in tags)
        if len(tag_set) != len(tags):
            raise MalformedError(f"{dept}：required_tags 中有重复的标签")
        max_load = _parse_max_load(item["max_load"], dept) if "max_load" in item else default_max
        out[dept] = DeptRule(dept, per, tag_set, max_load)
    if len(out) == 1 and next(iter(out.values())).per_entity < 2:
        raise MalformedError("单部门任务的 per_entity 不得小于 2（执法检查人员不得少于两人）")
    lead = rules.get("lead")
    if lead not in out:
        raise MalformedError("rules.lead 应为参与抽查的部门之一")
    assert isinstance(lead, str)
    return lead, [out[d] for d in sorted(out)]


def pick_hash(s_inspectors: str, entity_id: str, dept: str, pick: int) -> int:
    """Return the pick integer ``int(H(…), "big")`` of DRAWS.md §7.5.

    Args:
        s_inspectors: the inspector sub-seed (64-hex string).
        entity_id: the entity id.
        dept: the department id.
        pick: the pick number ``p``.

    Returns:
        The 256-bit integer; the pick is ``T[value mod |T|]``.
    """
    data = (
        LP(b"draw-v1/pick")
        + LP(utf8(s_inspectors))
        + LP(utf8(entity_id))
        + LP(utf8(dept))
        + LP(u32be(pick))
    )
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


class _Dept:
    """Load buckets of one department's eligible inspectors (numbered by rank)."""

    __slots__ = ("buckets", "ids", "index", "levels", "load", "lp", "rule")

    def __init__(self, rule: DeptRule, ids_by_rank: list[str]) -> None:
        self.rule = rule
        self.lp = LP(utf8(rule.dept))
        self.ids = ids_by_rank
        self.index = {i: n for n, i in enumerate(ids_by_rank)}
        self.load = [0] * len(ids_by_rank)
        self.buckets: dict[int, list[int]] = {0: list(range(len(ids_by_rank)))}
        self.levels: list[int] = [0] if ids_by_rank else []

    def choose(
        self, excluded: Sequence[int], hasher: Any, suffix: bytes
    ) -> tuple[int, int, int] | None:
        """Choose one inspector for a pick.

        Args:
            excluded: rank numbers not allowed for this pick (回避, team members).
            hasher: SHA-256 state holding the pick hash input up to ``LP(d)``.
            suffix: ``LP(u32be(p))``; hashed only when ``|T| > 1``.

        Returns:
            ``(rank number, load level of T, r)``, or ``None`` when ``E`` is empty.
        """
        cap = self.rule.max_load
        buckets = self.buckets
        for level in self.levels:
            if cap is not None and level >= cap:
                return None
            bucket = buckets[level]
            positions: list[int] | None = None
            size = len(bucket)
            if excluded:
                load = self.load
                here = [x for x in excluded if load[x] == level]
                if here:
                    positions = sorted([bisect.bisect_left(bucket, x) for x in here])
                    size -= len(positions)
                    if size <= 0:
                        continue
            if size == 1:
                r = 0
            else:
                h = hasher.copy()
                h.update(suffix)
                r = int.from_bytes(h.digest(), "big") % size
            index = r
            if positions is not None:
                for pos in positions:
                    if pos <= index:
                        index += 1
                    else:
                        break
            return bucket[index], level, r
        return None

    def add_load(self, member: int) -> None:
        """Move ``member`` from its load bucket to the next one up."""
        load = self.load
        level = load[member]
        buckets = self.buckets
        bucket = buckets[level]
        if len(bucket) == 1:
            del buckets[level]
            self.levels.remove(level)
        else:
            del bucket[bisect.bisect_left(bucket, member)]
        load[member] = level + 1
        upper = buckets.get(level + 1)
        if upper is None:
            buckets[level + 1] = [member]
            bisect.insort(self.levels, level + 1)
        else:
            bisect.insort(upper, member)


def match(
    entity_order: Sequence[str],
    inspectors: Iterable[Mapping[str, Any]],
    conflicts: Iterable[Mapping[str, Any]],
    rules: Mapping[str, Any],
    s_inspectors: str,
    trace: list[dict[str, Any]] | None = None,
) -> MatchResult:
    """Assign inspector teams to drawn entities (DRAWS.md §7.5).

    Args:
        entity_order: drawn entity ids in global ticket order.
        inspectors: parsed inspector records.
        conflicts: parsed 回避 records ``{"entity", "inspector"}``.
        rules: the announcement's ``rules`` (``lead``, ``departments``, ``max_load``).
        s_inspectors: the inspector sub-seed.
        trace: if given, one record per pick is appended (for worked examples and debugging):
            ``{"entity", "dept", "pick", "candidates" (T), "hash" (hex, or null when
            |T| = 1), "r", "chosen"}``, or ``{"entity", "dept", "pick", "unmet": true}``.

    Returns:
        Assignments (in entity order), unstaffed entities and loads (inspectors with load ≥ 1).

    Raises:
        MalformedError: on invalid department rules.
    """
    lead, dept_rules = parse_departments(rules)
    maker = TicketMaker(s_inspectors)
    by_dept: dict[str, list[str]] = {r.dept: [] for r in dept_rules}
    rule_of = {r.dept: r for r in dept_rules}
    for record in inspectors:
        group = by_dept.get(record["dept"])
        if group is None or record["active"] is not True:
            continue
        if not rule_of[record["dept"]].required_tags <= set(record["tags"]):
            continue
        group.append(record["id"])
    states: list[_Dept] = []
    dept_of: dict[str, _Dept] = {}
    for rule in dept_rules:
        keys = maker.sort_keys(by_dept[rule.dept])
        keys.sort()
        state = _Dept(rule, [k[k.index(" ") + 1 :] for k in keys])
        states.append(state)
        for inspector_id in state.ids:
            dept_of[inspector_id] = state
    avoid: dict[str, list[str]] = {}
    for pair in conflicts:
        if pair["inspector"] in dept_of:
            avoid.setdefault(pair["entity"], []).append(pair["inspector"])

    result = MatchResult()
    base = hashlib.sha256(LP(b"draw-v1/pick") + LP(utf8(s_inspectors)))
    suffixes = [LP(u32be(p)) for p in range(max(r.per_entity for r in dept_rules))]
    lead_state = next(state for state in states if state.rule.dept == lead)
    plan = [(state, range(state.rule.per_entity), state.rule.dept) for state in states]
    assignments = result.assignments
    for entity_id in entity_order:
        entity_bytes = entity_id.encode("utf-8")
        blocked = avoid.get(entity_id)
        team: list[tuple[_Dept, int]] = []
        unmet: dict[str, Any] | None = None
        entity_hasher = base.copy()
        entity_hasher.update(len(entity_bytes).to_bytes(4, "big") + entity_bytes)
        for state, picks, dept in plan:
            excluded = [state.index[i] for i in blocked if dept_of[i] is state] if blocked else []
            hasher = entity_hasher.copy()
            hasher.update(state.lp)
            for p in picks:
                choice = state.choose(excluded, hasher, suffixes[p])
                if trace is not None:
                    trace.append(_trace(state, entity_id, p, excluded, choice, hasher, suffixes[p]))
                if choice is None:
                    unmet = {"dept": dept, "pick": p}
                    break
                team.append((state, choice[0]))
                excluded.append(choice[0])
            if unmet is not None:
                break
        if unmet is not None:
            result.unstaffed.append({"entity": entity_id, "unmet": unmet})
            continue
        leader = None
        members = []
        for state, member in team:
            state.add_load(member)
            inspector_id = state.ids[member]
            if leader is None and state is lead_state:
                leader = inspector_id
            members.append({"inspector": inspector_id, "dept": state.rule.dept})
        assignments.append({"entity": entity_id, "leader": leader, "team": members})
    for state in states:
        for n, load in enumerate(state.load):
            if load:
                result.loads[state.ids[n]] = load
    return result


def _trace(
    state: _Dept,
    entity_id: str,
    pick: int,
    excluded: Sequence[int],
    choice: tuple[int, int, int] | None,
    hasher: Any,
    suffix: bytes,
) -> dict[str, Any]:
    """Describe one pick (slow; only for traces)."""
    record: dict[str, Any] = {"entity": entity_id, "dept": state.rule.dept, "pick": pick}
    if choice is None:
        record["unmet"] = True
        return record
    member, level, r = choice
    candidates = [state.ids[m] for m in state.buckets[level] if m not in excluded]
    record["load"] = level
    record["candidates"] = candidates
    h = hasher.copy()
    h.update(suffix)
    record["hash"] = None if len(candidates) == 1 else h.hexdigest()
    record["r"] = r
    record["chosen"] = state.ids[member]
    return record
