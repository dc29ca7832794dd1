"""Inspector matching, per department, one hash per pick (docs/draw-v1.md §9).

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
load (each a list of rank numbers), plus the sorted list of non-empty load levels. Every bucket
is kept sorted except the one just above the lowest level, which is sorted when it becomes the
lowest (or before an exact pick). An entity's picks for a department take one of two paths,
which choose the same inspectors:

* fast — no inspector of the department is in 回避 with the entity and the lowest level is below
  ``max_load`` and holds at least ``per_entity`` inspectors: ``T`` is that bucket minus the
  earlier picks, so a pick is one hash and an index shift; the picked inspectors move to the
  bucket above (appended). Consecutive entities without 回避 pairs that all departments can
  staff this way are processed as a run, department by department (departments are
  independent while no entity is unstaffed);
* exact — otherwise (and for every pick when a trace is requested): walk the levels from the
  lowest, skipping the few inspectors excluded for this entity (its 回避 pairs and the
  department's earlier picks) by position; loads are added only once every department is
  complete.

Either way a pick costs one hash plus ``O(levels + excluded · log n)`` (besides list moves and
one sort per bucket as it becomes the lowest, done in C), never one hash per (entity, inspector)
pair. When the only candidate is forced (``|T| = 1``) both paths skip the hash (``r`` would be 0
anyway).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.draw.primitives import LP, u32be, utf8
from ledger.draw.rules import DeptRule, Rules
from ledger.draw.tickets import TicketMaker

__all__ = [
    "MatchResult",
    "match",
    "pick_hash",
    "run_indices",
]

try:  # the optional C accelerator (pyproject.toml builds it where a compiler is available)
    import ledger.draw._picks as _picks_c
except ImportError:  # pragma: no cover - where it is not built, and in the zipapp
    _picks_c = None  # type: ignore[assignment]


@dataclass
class MatchResult:
    """Teams, unstaffed entities and final loads (parts of the result record, §7.6)."""

    assignments: list[dict[str, Any]] = field(default_factory=list)
    unstaffed: list[dict[str, Any]] = field(default_factory=list)
    loads: dict[str, int] = field(default_factory=dict)


def pick_hash(s_inspectors: str, entity_id: str, dept: str, pick: int) -> int:
    """Return the pick integer ``int(H(…), "big")`` of docs/draw-v1.md §9.

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
    """Load buckets of one department's eligible inspectors (numbered by rank).

    Between two entities: ``buckets[level]`` lists the rank numbers with that load and
    ``levels`` the non-empty levels, ascending (a department without eligible inspectors keeps
    ``{0: []}`` and no level); ``level`` is the lowest level (-1 if none), ``low`` its bucket if
    ``level`` is below ``max_load`` (else a fresh empty list, so that ``len(low) ≥ per``
    tells whether the fast path applies) and ``up`` the bucket at ``level + 1``, or ``None``.
    Every bucket is sorted except ``up``, to which the fast path appends; :meth:`tidy` sorts it.
    ``load[n]`` is always the load of rank number ``n``.
    """

    __slots__ = (
        "buckets",
        "cap",
        "dept",
        "ids",
        "index",
        "level",
        "levels",
        "load",
        "low",
        "lp",
        "per",
        "rule",
        "tails",
        "up",
    )

    def __init__(self, rule: DeptRule, ids_by_rank: list[str]) -> None:
        self.rule = rule  # with the max_load that applies (Rules.staffing)
        self.dept = rule.dept
        self.per = rule.per_entity
        self.cap = rule.max_load
        self.lp = LP(utf8(rule.dept))
        # LP(d) ‖ LP(u32be(p)): the pick hash input after LP(e), for each p.
        self.tails = [self.lp + LP(u32be(p)) for p in range(rule.per_entity)]
        self.ids = ids_by_rank
        self.index = {i: n for n, i in enumerate(ids_by_rank)}
        self.load = [0] * len(ids_by_rank)
        self.buckets: dict[int, list[int]] = {0: list(range(len(ids_by_rank)))}
        self.levels: list[int] = [0] if ids_by_rank else []
        self.level = -1
        self.low: list[int] = []
        self.up: list[int] | None = None
        self.settle()

    def settle(self) -> None:
        """Recompute ``level``, ``low`` and ``up`` after the lowest level may have changed.

        Precondition: the invariants hold except that the lowest bucket may be unsorted (this
        sorts it) and ``level``, ``low``, ``up`` may be stale.
        """
        levels = self.levels
        if not levels:
            self.level = -1
            self.low = []
            self.up = None
            return
        level = self.level = levels[0]
        buckets = self.buckets
        bucket = buckets[level]
        if len(bucket) == len(self.load):  # every inspector: sorted, it is 0 … n − 1
            bucket[:] = range(len(bucket))
        else:
            bucket.sort()
        cap = self.cap
        self.low = bucket if cap is None or level < cap else []
        self.up = buckets.get(level + 1)

    def tidy(self) -> None:
        """Sort ``up``, so that every bucket is sorted (as :meth:`choose` requires)."""
        if self.up is not None:
            self.up.sort()

    def choose(
        self, excluded: Sequence[int], hasher: Any, suffix: bytes
    ) -> tuple[int, int, int] | None:
        """Choose one inspector for a pick by walking the levels from the lowest (exact path).

        Precondition: every bucket is sorted (:meth:`tidy`).

        Args:
            excluded: rank numbers not allowed for this pick (回避, team members).
            hasher: SHA-256 state holding the pick hash input up to ``LP(d)``.
            suffix: ``LP(u32be(p))``; hashed only when ``|T| > 1``.

        Returns:
            ``(rank number, load level of T, r)``, or ``None`` when ``E`` is empty.
        """
        cap = self.cap
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
        """Move ``member`` from its load bucket to the next one up (exact path).

        Precondition: every bucket is sorted (:meth:`tidy`); they stay sorted. :meth:`settle`
        must run before the next pick.
        """
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

    def fast_picks(self, prefix: bytes, framed: bytes) -> list[int]:
        """Make all of an entity's picks for this department from ``low`` (fast path).

        Precondition: ``len(low) ≥ per`` and no inspector of the department is in 回避 with the
        entity, so that each pick's ``T`` is ``low`` minus the earlier picks.

        Args:
            prefix: ``LP("draw-v1/pick") ‖ LP(utf8(S_inspectors))``.
            framed: ``LP(utf8(e))``.

        Returns:
            The positions in ``low`` of the picks, in pick order.
        """
        return _positions(run_indices(prefix, [framed], self.tails, len(self.low)))

    def advance(self, positions: list[int]) -> None:
        """Add 1 to the load of ``low[i]`` for each ``i`` of ``positions`` (fast path).

        Precondition: the invariants hold and ``positions`` are distinct indices into ``low``,
        which is the lowest bucket. The invariants hold afterwards.
        """
        low = self.low
        members = [low[i] for i in positions]
        for i in sorted(positions, reverse=True):
            del low[i]
        up_level = self.level + 1
        load = self.load
        for member in members:
            load[member] = up_level
        if self.up is None:
            self.up = self.buckets[up_level] = members
            self.levels.insert(1, up_level)
        else:
            self.up += members
        if not low:
            self.promote()

    def promote(self) -> None:
        """Drop the emptied lowest bucket: the one above becomes the lowest.

        Precondition: ``low`` is the lowest bucket, empty, and ``up`` is not empty.
        """
        del self.buckets[self.level]
        del self.levels[0]
        self.settle()

    def run(
        self, prefix: bytes, framed: list[bytes], teams: Sequence[list[dict[str, Any]]]
    ) -> None:
        """Make the picks of consecutive entities and add their loads (fast path).

        Precondition: the invariants hold, ``len(low) ≥ per · len(framed)`` and no inspector of
        the department is in 回避 with these entities, so that every pick takes the fast path
        and ``low`` empties at the last entity at the earliest. The invariants hold afterwards.

        Args:
            prefix: ``LP("draw-v1/pick") ‖ LP(utf8(S_inspectors))``.
            framed: per entity, ``LP(utf8(e))``.
            teams: per entity, the team so far; this department's members are appended.
        """
        ids = self.ids
        dept = self.dept
        per = self.per
        draws = run_indices(prefix, framed, self.tails, len(self.low))
        if per != 2:
            for j, team in enumerate(teams):
                low = self.low
                positions = _positions(draws[j * per : (j + 1) * per])
                team += [{"inspector": ids[low[i]], "dept": dept} for i in positions]
                self.advance(positions)
            return
        # _positions and advance, unrolled for per = 2.
        low = self.low
        load = self.load
        up_level = self.level + 1
        up = self.up
        fresh = up is None
        if up is None:
            up = []
        it = iter(draws)
        for i0, i1, team in zip(it, it, teams, strict=True):
            if i1 >= i0:
                i1 += 1
            a = low[i0]
            b = low[i1]
            if i0 < i1:
                del low[i1]
                del low[i0]
            else:
                del low[i0]
                del low[i1]
            team += ({"inspector": ids[a], "dept": dept}, {"inspector": ids[b], "dept": dept})
            up += (a, b)
            load[a] = load[b] = up_level
        if fresh and up:
            self.up = self.buckets[up_level] = up
            self.levels.insert(1, up_level)
        if not low:
            self.promote()


def _positions(draws: Sequence[int]) -> list[int]:
    """The positions in ``T`` (the lowest bucket) of one entity's fast picks.

    Pick ``p`` draws ``r`` from ``T`` minus the ``p`` earlier picks: its position skips every
    earlier pick at or before it.
    """
    taken: list[int] = []  # the same positions, ascending
    chosen: list[int] = []
    for index in draws:
        for pos in taken:
            if pos <= index:
                index += 1
            else:
                break
        bisect.insort(taken, index)
        chosen.append(index)
    return chosen


def _run_indices_py(prefix: bytes, framed: list[bytes], tails: list[bytes], n0: int) -> list[int]:
    """The pure-Python definition of :func:`run_indices`."""
    base = hashlib.sha256(prefix)
    out: list[int] = []
    size = n0
    for data in framed:
        with_entity = base.copy()
        with_entity.update(data)
        for tail in tails:
            if size > 1:
                h = with_entity.copy()
                h.update(tail)
                out.append(int.from_bytes(h.digest(), "big") % size)
            else:
                out.append(0)
            size -= 1
    return out


def run_indices(prefix: bytes, framed: list[bytes], tails: list[bytes], n0: int) -> list[int]:
    """The pick draws of a department's fast run (one hash per pick, docs/draw-v1.md §9).

    For entity ``j`` (``framed[j] = LP(utf8(e_j))``) and pick ``p`` (``tails[p] = LP(utf8(d)) ‖
    LP(u32be(p))``), in that order: ``r = int(H(prefix ‖ framed[j] ‖ tails[p])) mod size`` with
    ``size = n0 − len(tails)·j − p`` (``0`` when ``size ≤ 1``): ``T`` loses one inspector per
    pick. Computed by the C accelerator ``ledger/draw/_picks.c`` where it is built.

    Args:
        prefix: ``LP("draw-v1/pick") ‖ LP(utf8(S_inspectors))``.
        framed: the framed entity ids of the run.
        tails: the department's pick tails.
        n0: ``|T|`` at the first pick; at least ``len(tails) · len(framed)``, and ``tails`` is
            not empty (outside these preconditions the C accelerator raises ValueError).

    Returns:
        ``len(framed) · len(tails)`` draws.
    """
    if _picks_c is not None and n0 < 1 << 32:
        return _picks_c.run_indices(prefix, framed, tails, n0)
    return _run_indices_py(prefix, framed, tails, n0)


def match(
    entity_order: Sequence[str],
    inspectors: Iterable[Mapping[str, Any]],
    conflicts: Iterable[Mapping[str, Any]],
    rules: Rules,
    s_inspectors: str,
    trace: list[dict[str, Any]] | None = None,
) -> MatchResult:
    """Assign inspector teams to drawn entities (docs/draw-v1.md §9).

    Preconditions: ``inspectors`` and ``conflicts`` are records as parsed from their snapshots
    (:func:`ledger.draw.snapshot.parse_snapshot`) and entity ids are strings; otherwise the
    ``KeyError``, ``AttributeError`` etc. of the failing access escapes.

    Args:
        entity_order: drawn entity ids in global ticket order.
        inspectors: parsed inspector records (``id``, ``dept``, ``tags``, ``active``).
        conflicts: parsed 回避 records ``{"entity", "inspector"}``.
        rules: the announcement's rules (``lead``, ``departments``, ``max_load`` are read).
        s_inspectors: the inspector sub-seed.
        trace: if given, one record per pick is appended (for worked examples and debugging):
            ``{"entity", "dept", "pick", "candidates" (T), "hash" (hex, or null when
            |T| = 1), "r", "chosen"}``, or ``{"entity", "dept", "pick", "unmet": true}``.
            Every pick then takes the exact path (same picks, slower).

    Returns:
        Assignments (in entity order), unstaffed entities and loads (inspectors with load ≥ 1).
    """
    lead, dept_rules = rules.lead, rules.staffing()
    states = _departments(dept_rules, inspectors, s_inspectors)
    avoid = _avoidance(states, conflicts)
    result = MatchResult()
    prefix = LP(b"draw-v1/pick") + LP(utf8(s_inspectors))
    suffixes = [LP(u32be(p)) for p in range(max(r.per_entity for r in dept_rules))]
    # A complete team holds per_entity members of each department, in department order.
    lead_at = 0
    for state in states:
        if state.dept == lead:
            break
        lead_at += state.per
    if trace is not None:
        for entity_id in entity_order:
            blocked = avoid.get(entity_id)
            framed_id = _framed(entity_id)
            _staff(result, lead_at, entity_id, states, blocked, prefix, framed_id, suffixes, trace)
    else:
        _staff_all(result, lead_at, list(entity_order), states, avoid, prefix, suffixes)
    for state in states:
        for n, load in enumerate(state.load):
            if load:
                result.loads[state.ids[n]] = load
    return result


def _departments(
    dept_rules: Sequence[DeptRule], inspectors: Iterable[Mapping[str, Any]], s_inspectors: str
) -> list[_Dept]:
    """Each department's eligible inspectors (active, holding its required tags), by rank."""
    maker = TicketMaker(s_inspectors)
    by_dept: dict[str, list[str]] = {r.dept: [] for r in dept_rules}
    tags_of = {r.dept: frozenset(r.required_tags) for r in dept_rules}
    for record in inspectors:
        group = by_dept.get(record["dept"])
        if group is None or record["active"] is not True:
            continue
        if not tags_of[record["dept"]] <= set(record["tags"]):
            continue
        group.append(record["id"])
    states: list[_Dept] = []
    for rule in dept_rules:
        keys = maker.sort_keys(by_dept[rule.dept])
        keys.sort()
        states.append(_Dept(rule, [k[k.index(" ") + 1 :] for k in keys]))
    return states


def _avoidance(
    states: Sequence[_Dept], conflicts: Iterable[Mapping[str, Any]]
) -> dict[str, list[list[int]]]:
    """Per entity with 回避 pairs, per department: the rank numbers in 回避 with it."""
    dept_of = {inspector_id: k for k, state in enumerate(states) for inspector_id in state.ids}
    avoid: dict[str, list[list[int]]] = {}
    for pair in conflicts:
        inspector_id = pair["inspector"]
        k = dept_of.get(inspector_id)
        if k is not None:
            lists = avoid.get(pair["entity"])
            if lists is None:
                lists = avoid[pair["entity"]] = [[] for _ in states]
            lists[k].append(states[k].index[inspector_id])
    return avoid


def _staff_all(
    result: MatchResult,
    lead_at: int,
    order: list[str],
    states: list[_Dept],
    avoid: Mapping[str, list[list[int]]],
    prefix: bytes,
    suffixes: list[bytes],
) -> None:
    """Staff every entity of ``order``: runs of entities without 回避 pairs that every
    department can staff from its lowest load level at once, the others one by one
    (:func:`_staff`). Arguments as :func:`_staff`."""
    framed = [_framed(entity_id) for entity_id in order]
    total = len(order)
    # Positions of the entities with 回避 pairs, then a sentinel.
    stops = [i for i, entity_id in enumerate(order) if entity_id in avoid]
    stops.append(total)
    stop_at = 0
    i = 0
    while i < total:
        # The next `runway` entities take the fast path in every department, unless one has
        # 回避 pairs: each takes `per` inspectors from each `low`.
        runway = min([len(state.low) // state.per for state in states])
        end = min(i + runway, stops[stop_at])
        if end == i:
            blocked = avoid.get(order[i])
            _staff(result, lead_at, order[i], states, blocked, prefix, framed[i], suffixes)
            if i == stops[stop_at]:
                stop_at += 1
            i += 1
            continue
        run = framed[i:end]
        teams: list[list[dict[str, Any]]] = [[] for _ in run]
        for state in states:
            state.run(prefix, run, teams)
        result.assignments += [
            {"entity": entity_id, "leader": team[lead_at]["inspector"], "team": team}
            for entity_id, team in zip(order[i:end], teams, strict=True)
        ]
        i = end


def _framed(entity_id: str) -> bytes:
    """Return ``LP(utf8(entity_id))`` (raises as ``str.encode`` does)."""
    entity_bytes = entity_id.encode("utf-8")
    return len(entity_bytes).to_bytes(4, "big") + entity_bytes


def _staff(
    result: MatchResult,
    lead_at: int,
    entity_id: str,
    states: list[_Dept],
    blocked: list[list[int]] | None,
    prefix: bytes,
    framed: bytes,
    suffixes: list[bytes],
    trace: list[dict[str, Any]] | None = None,
) -> None:
    """Pick one entity's team; if it is complete, add its loads; record the outcome.

    Each department takes the fast path if it can (see the module notes), else the exact one;
    loads change only once every department is complete.

    Args:
        result: where the assignment or the unstaffed record is appended.
        lead_at: the position of the leader in a complete team.
        entity_id: the entity.
        states: the departments, in department order (invariants of :class:`_Dept` hold).
        blocked: per department, the rank numbers in 回避 with the entity, or ``None``.
        prefix: ``LP("draw-v1/pick") ‖ LP(utf8(S_inspectors))``.
        framed: ``LP(utf8(entity_id))``.
        suffixes: ``LP(u32be(p))`` for each pick number ``p``.
        trace: as for :func:`match`; if given, every pick takes the exact path.
    """
    team: list[dict[str, Any]] = []
    done: list[tuple[_Dept, list[int], bool]] = []  # (state, positions or members, fast)
    up_to_entity = hashlib.sha256(prefix + framed)  # the pick hash input up to LP(e)
    for k, state in enumerate(states):
        dept = state.dept
        ids = state.ids
        if trace is None and len(state.low) >= state.per and (blocked is None or not blocked[k]):
            low = state.low
            positions = state.fast_picks(prefix, framed)
            team += [{"inspector": ids[low[i]], "dept": dept} for i in positions]
            done.append((state, positions, True))
            continue
        state.tidy()
        excluded = list(blocked[k]) if blocked is not None else []
        hasher = up_to_entity.copy()
        hasher.update(state.lp)
        members: list[int] = []
        for p in range(state.per):
            choice = state.choose(excluded, hasher, suffixes[p])
            if trace is not None:
                trace.append(_trace(state, entity_id, p, excluded, choice, hasher, suffixes[p]))
            if choice is None:
                result.unstaffed.append({"entity": entity_id, "unmet": {"dept": dept, "pick": p}})
                return
            members.append(choice[0])
            team.append({"inspector": ids[choice[0]], "dept": dept})
            excluded.append(choice[0])
        done.append((state, members, False))
    for state, chosen, fast in done:
        if fast:
            state.advance(chosen)
        else:
            for member in chosen:
                state.add_load(member)
            state.settle()
    result.assignments.append(
        {"entity": entity_id, "leader": team[lead_at]["inspector"], "team": team}
    )


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
