"""Stratified entity sampling with recency exclusion and reserves (docs/draw-v1.md §8).

For each stratum ``s`` of ``rules.strata`` (in that order):

* ``eligible_s`` — pool records with ``stratum == s`` except those with
  ``last_inspected != null`` and ``(as_of − last_inspected).days < exclude_inspected_within_days``
  (a null rule excludes nothing; a date after ``as_of`` counts as recent);
* ``k_ratio_s = min(N_s, ceil(N_s · ρ_s))`` with ``ρ_s`` an exact decimal string in ``[0, 1]``
  (``N_s = |eligible_s|``) — computed with integers only, never floats;
* ``drawn_s`` — the first ``k_s`` of ``eligible_s`` in ``(ticket(S_entities, id), utf8 id)``
  order; the items after them are the stratum's **reserve order**.

**min_count** (optional ``rules.min_count``, an integer ≥ 0; absent or null means 0): the task
must draw at least ``min_count`` entities in total. When ``Σ k_ratio_s < min_count`` the
shortfall ``m = min(min_count, Σ N_s) − Σ k_ratio_s`` is filled from the *global* ticket order of
the remaining eligible entities of all listed strata: the first ``m`` of them (by
``(ticket, utf8 id)``) are added to their own strata. So ``k_s = k_ratio_s + topup_s`` and every
``drawn_s`` is still a prefix of the stratum's ticket order: the top-up takes the cheapest
reserves across strata, which is deterministic, needs no extra randomness, and in expectation
spreads the extra draws over strata in proportion to their remaining eligible sizes.

A replacement (``draw.replace``) keeps every ``k_s`` fixed: the replacement for a drawn entity of
stratum ``s`` is the first entity of ``s``'s ticket order that is neither drawn nor already used
or removed — exactly what the draw of ``s`` with the same ``k_s`` gives on the pool without the
removed entities (consistent sampling, docs/draw-v1.md §7).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ledger.draw.rules import Rules, parse_ratio
from ledger.draw.snapshot import (
    EntityTable,
    check_c_values,
    entities_c,
    parse_entity_table,
    split_point,
)
from ledger.draw.tickets import BELOW_DIGITS, BELOW_MODULUS, TicketMaker
from ledger.errors import MalformedError

__all__ = [
    "SampleResult",
    "StratumDraw",
    "ceil_count",
    "eligible_by_stratum",
    "is_recent",
    "next_reserve",
    "reserve_order",
    "sample",
    "sample_snapshot",
]


@dataclass(frozen=True)
class StratumDraw:
    """The draw of one stratum.

    Attributes:
        stratum: the stratum name.
        eligible: ``N_s``, eligible records after the recency exclusion.
        k_ratio: ``min(N_s, ceil(N_s · ρ_s))``.
        k: entities drawn (``k_ratio`` plus the min_count top-up).
        drawn: ``(id, ticket)`` pairs in ticket order.
    """

    stratum: str
    eligible: int
    k_ratio: int
    k: int
    drawn: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SampleResult:
    """The entity draw: strata in rule order and the global order of drawn entities."""

    strata: tuple[StratumDraw, ...]
    entity_order: tuple[str, ...]


def ceil_count(n: int, ratio: str) -> int:
    """Return ``min(n, ceil(n · ρ))`` exactly (docs/draw-v1.md §8; "抽查比例不低于").

    Args:
        n: the number of eligible records.
        ratio: the decimal ratio string.

    Returns:
        The stratum's ratio count, e.g. ``ceil_count(3, "0.67") == 3`` (2.01 → 3).

    Raises:
        MalformedError: for an invalid ratio or negative ``n``.
    """
    if n < 0:
        raise MalformedError("ceil_count：n 为负数")
    num, den = parse_ratio(ratio)
    return min(n, -(-n * num // den))


def _cutoff(as_of: _dt.date, days: int) -> str:
    """Return ``as_of − days`` as ISO text: recent ⇔ ``last_inspected > cutoff``.

    ``(as_of − d).days < days`` ⇔ ``d > as_of − days`` (whole days), and ISO dates with four-digit
    years compare as strings exactly as dates.
    """
    try:
        return (as_of - _dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return "0000-00-00"  # below every valid date: every dated record is recent


def is_recent(last_inspected: str | None, as_of: _dt.date, days: int | None) -> bool:
    """Tell whether a record is excluded by the recency rule (docs/draw-v1.md §8).

    Args:
        last_inspected: the record's ``YYYY-MM-DD`` date, or ``None``.
        as_of: the snapshot date.
        days: ``exclude_inspected_within_days`` (``None``: no exclusion).

    Returns:
        ``True`` iff ``last_inspected`` is set and ``(as_of − last_inspected).days < days``.
    """
    if days is None or last_inspected is None:
        return False
    return last_inspected > _cutoff(as_of, days)


def _eligible(
    entities: EntityTable | Iterable[Mapping[str, Any]],
    strata: Sequence[str],
    as_of: _dt.date,
    exclude_days: int | None,
) -> tuple[list[str], list[str]]:
    """Return the eligible ids and their strata, in input order (see :func:`eligible_by_stratum`).

    Raises:
        MalformedError: if a record's stratum is not listed.
    """
    table = entities if isinstance(entities, EntityTable) else EntityTable.from_records(entities)
    listed = set(strata)
    if not set(table.strata) <= listed:
        at = next(i for i, s in enumerate(table.strata) if s not in listed)
        raise MalformedError(
            f"主体 {table.ids[at]}：层级 {table.strata[at]!r} 不在 rules.strata 中"
        )
    if exclude_days is None:
        return table.ids, table.strata
    cutoff = _cutoff(as_of, exclude_days)  # recent ⇔ last_inspected > cutoff; "" is null
    keep = list(map(cutoff.__ge__, table.last_inspected))
    return list(itertools.compress(table.ids, keep)), list(itertools.compress(table.strata, keep))


def eligible_by_stratum(
    entities: EntityTable | Iterable[Mapping[str, Any]],
    strata: Sequence[str],
    as_of: _dt.date,
    exclude_days: int | None,
) -> dict[str, list[str]]:
    """Group eligible entity ids by stratum, applying the recency exclusion.

    Args:
        entities: the entity table, or parsed entity records (see :mod:`ledger.draw.snapshot`).
        strata: the listed strata.
        as_of: the snapshot date.
        exclude_days: ``exclude_inspected_within_days`` or ``None``.

    Returns:
        Stratum → eligible ids (in input order).

    Raises:
        MalformedError: if a record's stratum is not listed (docs/draw-v1.md §8).
    """
    ids, groups = _eligible(entities, strata, as_of, exclude_days)
    out: dict[str, list[str]] = {s: [] for s in strata}
    for entity_id, stratum in zip(ids, groups, strict=True):
        out[stratum].append(entity_id)
    return out


def _key_id(key: str) -> str:
    return key[key.index(" ") + 1 :]


def _key_ticket(key: str) -> str:
    return "0." + key[: key.index(" ")]


def _wanted(rules: Rules, eligible: Mapping[str, int]) -> tuple[dict[str, int], int]:
    """Return ``(k_ratio per stratum, min_count shortfall)`` for the eligible counts.

    Each stratum contributes at most ``shortfall`` items to the top-up, so its first
    ``k_ratio + shortfall`` keys are all that can matter.
    """
    k_ratio = {}
    for rule in rules.strata:
        n = eligible.get(rule.stratum, 0)
        num, den = rule.fraction
        k_ratio[rule.stratum] = min(n, -(-n * num // den))
    total_eligible = sum(eligible.get(name, 0) for name in rules.names)
    shortfall = max(0, min(rules.minimum, total_eligible) - sum(k_ratio.values()))
    return k_ratio, shortfall


def sample(
    entities: EntityTable | Iterable[Mapping[str, Any]],
    rules: Rules,
    s_entities: str,
) -> SampleResult:
    """Run the stratified entity draw (docs/draw-v1.md §8, plus ``min_count`` as documented above).

    Args:
        entities: the entity table, or parsed entity records (see :mod:`ledger.draw.snapshot`).
        rules: the announcement's rules (``strata``, ``as_of``,
            ``exclude_inspected_within_days``, ``min_count`` are read).
        s_entities: the entity sub-seed.

    Returns:
        The draw.

    Raises:
        MalformedError: on a record whose stratum is not listed.
    """
    ids, groups = _eligible(entities, rules.names, rules.as_of, rules.exclude_inspected_within_days)
    eligible = Counter(groups)
    k_ratio, shortfall = _wanted(rules, eligible)
    prefixes = TicketMaker(s_entities).smallest_grouped(
        ids, groups, {name: k_ratio[name] + shortfall for name in rules.names}, eligible
    )
    return _assemble(rules, eligible, k_ratio, shortfall, prefixes)


def _assemble(
    rules: Rules,
    eligible: Mapping[str, int],
    k_ratio: Mapping[str, int],
    shortfall: int,
    prefixes: Mapping[str, list[str]],
) -> SampleResult:
    """Build the draw from each stratum's ``k_ratio + shortfall`` first sort keys, ascending."""
    counts = dict(k_ratio)
    if shortfall:
        remaining = sorted(
            (key, rule.stratum)
            for rule in rules.strata
            for key in prefixes[rule.stratum][k_ratio[rule.stratum] :]
        )
        for _key, stratum in remaining[:shortfall]:
            counts[stratum] += 1
    draws: list[StratumDraw] = []
    drawn_keys: list[str] = []
    for rule in rules.strata:
        keys = prefixes[rule.stratum][: counts[rule.stratum]]
        drawn_keys.extend(keys)
        draws.append(
            StratumDraw(
                stratum=rule.stratum,
                eligible=eligible.get(rule.stratum, 0),
                k_ratio=k_ratio[rule.stratum],
                k=counts[rule.stratum],
                drawn=tuple((_key_id(k), _key_ticket(k)) for k in keys),
            )
        )
    drawn_keys.sort()
    return SampleResult(tuple(draws), tuple(_key_id(k) for k in drawn_keys))


def reserve_order(
    entities: EntityTable | Iterable[Mapping[str, Any]],
    rules: Rules,
    s_entities: str,
    stratum: str,
) -> list[tuple[str, str]]:
    """Return the full ticket order ``[(id, ticket), …]`` of one stratum's eligible records.

    The drawn entities of the stratum are its first ``k_s`` items; the rest is the reserve
    order used by replacements (docs/draw-v1.md §8).

    Args:
        entities: the entity table, or parsed entity records.
        rules: the announcement's rules.
        s_entities: the entity sub-seed.
        stratum: the stratum.

    Returns:
        The stratum's eligible ids with their tickets, in ticket order.

    Raises:
        MalformedError: on an unknown stratum.
    """
    if stratum not in rules.names:
        raise MalformedError(f"层级 {stratum!r} 不在 rules.strata 中")
    groups = eligible_by_stratum(
        entities, rules.names, rules.as_of, rules.exclude_inspected_within_days
    )
    keys = TicketMaker(s_entities).sort_keys(groups[stratum])
    keys.sort()
    return [(_key_id(k), _key_ticket(k)) for k in keys]


def next_reserve(
    entities: EntityTable | Iterable[Mapping[str, Any]],
    rules: Rules,
    s_entities: str,
    stratum: str,
    used: Collection[str],
) -> tuple[str, str] | None:
    """Return the first ``(id, ticket)`` of a stratum's ticket order whose id is not in ``used``.

    Equal to ``next((p for p in reserve_order(…) if p[0] not in used), None)``, without ordering
    the whole stratum: at most ``len(used)`` ids of the stratum are used, so the answer is among
    its first ``len(used) + 1`` ids, which :meth:`TicketMaker.smallest` finds exactly.

    Args:
        entities: the entity table, or parsed entity records.
        rules: the announcement's rules.
        s_entities: the entity sub-seed.
        stratum: the stratum.
        used: ids that may not be chosen (drawn, removed, earlier replacements).

    Returns:
        The pair, or ``None`` if every eligible id of the stratum is used.

    Raises:
        MalformedError: on an unknown stratum.
    """
    if stratum not in rules.names:
        raise MalformedError(f"层级 {stratum!r} 不在 rules.strata 中")
    ids, groups = _eligible(entities, rules.names, rules.as_of, rules.exclude_inspected_within_days)
    members = list(itertools.compress(ids, map(stratum.__eq__, groups)))
    for key in TicketMaker(s_entities).smallest(members, len(used) + 1):
        if _key_id(key) not in used:
            return _key_id(key), _key_ticket(key)
    return None


@dataclass(frozen=True)
class _Half:
    """What one process reports of its span of the entity file (see :func:`sample_snapshot`)."""

    eligible: dict[str, int]
    thresholds: dict[str, int]
    keys: dict[str, list[str]]
    first_id: str
    last_id: str


def _threshold(n: int, num: int, den: int, min_count: int) -> int:
    """A span's five-digit ticket threshold for a stratum with ``n`` eligible ids in the span.

    Aims above the span's share of ``k_ratio + min_count`` by about four standard deviations
    plus 64, as :meth:`TicketMaker.smallest_grouped` does for the whole stratum.
    """
    full = BELOW_MODULUS
    k = min(n, -(-n * num // den)) + min_count
    if n == 0 or n < 4096 or 4 * k >= n:
        return full
    target = k + 4 * math.isqrt(k) + 64
    return min(full, -(-target * full // n))


def _span_thresholds(rules: Rules, eligible: Mapping[str, int]) -> dict[str, int]:
    return {
        rule.stratum: _threshold(eligible[rule.stratum], *rule.fraction, rules.minimum)
        for rule in rules.strata
    }


def _half_c(data: bytes, start: int, stop: int, rules: Rules, maker: TicketMaker) -> _Half | None:
    """Read one span of the entity file with the C accelerator: it reads and checks the span,
    applies the strata and the recency rule and hashes each eligible entity once, keeping its
    first five ticket digits; the candidates' full tickets are then computed here. ``None`` when the accelerator is not
    built or does not apply, or a check fails (never raises MalformedError; MemoryError
    passes)."""
    days = rules.exclude_inspected_within_days
    cutoff = None if days is None else _cutoff(rules.as_of, days).encode("ascii")
    names = tuple(name.encode("utf-8") for name in rules.names)
    found = (
        entities_c.candidates(data, start, stop, names, cutoff, maker.prefix_hex)
        if entities_c is not None and len(names) <= 256
        else None
    )
    if found is None:
        return None
    first_id, last_id, counts, packed, tags = found
    try:
        check_c_values((), tags)  # the strata are the listed ones: identifiers already
    except MalformedError:
        return None
    eligible = dict(zip(rules.names, counts, strict=True))
    thresholds = _span_thresholds(rules, eligible)
    bounds = tuple(thresholds[name] for name in rules.names)
    selected = entities_c.select(data, packed, bounds, maker.prefix_hex)
    keys = dict(zip(rules.names, selected, strict=True))
    return _Half(eligible, thresholds, keys, first_id, last_id)


def _halves_c(
    data: bytes, mid: int, rules: Rules, maker: TicketMaker
) -> tuple[_Half, _Half] | None:
    """Both spans by the C accelerator, the second in a thread (it reads without the GIL);
    ``None`` unless both spans were read (never raises)."""
    if entities_c is None:
        return None  # type: ignore[unreachable]
    with ThreadPoolExecutor(max_workers=1) as pool:
        second = pool.submit(_half_c, data, mid, len(data), rules, maker)
        first = _half_c(data, 0, mid, rules, maker)
        other = second.result()
    return None if first is None or other is None else (first, other)


def _merge(rules: Rules, first: _Half, second: _Half) -> SampleResult | None:
    """Combine the two spans' reports; ``None`` when they do not settle the draw exactly.

    For each stratum, both spans reported every id whose first five ticket digits are below
    their threshold; below the smaller threshold ``t`` the union is therefore complete, and
    every id not below ``t`` has a larger ticket than every id below it. So if at least
    ``k_ratio + shortfall`` ids lie below ``t``, the first of them in ticket order are exactly
    the stratum's first ones — the same keys :meth:`TicketMaker.smallest_grouped` returns.
    """
    if not first.last_id < second.first_id:
        return None  # out of order at the seam: the sequential path reports the line
    eligible = {name: first.eligible[name] + second.eligible[name] for name in rules.names}
    k_ratio, shortfall = _wanted(rules, eligible)
    full = BELOW_MODULUS
    prefixes: dict[str, list[str]] = {}
    for name in rules.names:
        want = min(k_ratio[name] + shortfall, eligible[name])
        bound = min(first.thresholds[name], second.thresholds[name])
        keys = first.keys[name] + second.keys[name]
        if bound < full:
            text = format(bound, f"0{BELOW_DIGITS}d")
            keys = [key for key in keys if key[:BELOW_DIGITS] < text]
        if len(keys) < want:
            return None
        keys.sort()
        prefixes[name] = keys[:want]
    return _assemble(rules, eligible, k_ratio, shortfall, prefixes)


def sample_snapshot(data: bytes, rules: Rules, s_entities: str) -> SampleResult:
    """Read an entity snapshot file and draw from it: ``sample(parse_entity_table(data), …)``.

    The same result and the same errors as that expression. A large file (see
    :func:`ledger.draw.snapshot.split_point`, only where the C accelerator is built) is read
    in two spans at once by two threads (the accelerator reads without the GIL). Each checks
    its span, applies the strata and the recency rule and reports only its counts and the ids
    whose tickets could be among the first of their stratum. When a span fails a check (or the
    accelerator declines a line), or the reports do not settle the draw exactly (see
    :func:`_merge`; improbable), the whole file is read and drawn sequentially, which raises
    the precise error.

    Args:
        data: the entity snapshot file.
        rules: the announcement's rules.
        s_entities: the entity sub-seed.

    Returns:
        The draw.

    Raises:
        MalformedError: as :func:`parse_entity_table`, then as :func:`sample`.
    """
    mid = split_point(data)
    if mid is not None:
        try:
            maker: TicketMaker | None = TicketMaker(s_entities)
        except MalformedError:
            maker = None  # the file's own errors come first: see below
        if maker is not None:
            halves = _halves_c(data, mid, rules, maker)
            if halves is not None:
                result = _merge(rules, *halves)
                if result is not None:
                    return result
    return sample(parse_entity_table(data), rules, s_entities)
