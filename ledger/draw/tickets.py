"""Consistent-sampling tickets (docs/draw-v1.md §7; Rivest's ``consistent_sampler``).

``ticket(S, id) = "0." + reverse(format(int(H(utf8(hex(H(utf8(S))) + id)).hex(), 16), "064d"))``

which is byte-for-byte ``consistent_sampler.first_fraction(id, S)`` for string ids and seeds.
Items are ordered by ``(ticket, utf8(id))``; both compare as strings, and Python's ``str``
comparison (code points) equals UTF-8 byte comparison.

Implementation notes (performance, docs/draw-v1.md §14): the hash state after absorbing
``hex(H(S))`` is computed once and copied per id. The sort key of an item is
``reversed_digits + " " + id``: the reversed decimal digits are exactly the ticket without its
constant ``"0."`` prefix, and a space (U+0020) sorts below every digit, so comparing these keys
compares the tickets first — a ticket that is a proper prefix of another sorts first, as in
string comparison — and the ids on equal tickets. Ids never contain a space-lower character
(control characters are forbidden), which the argument does not even need: the separator sits at
the same offset in two keys with equal tickets.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from ledger.draw.primitives import check_identifier, utf8
from ledger.errors import MalformedError

#: Ticket digits kept by the entity accelerator's prefilter (``_entities.c``), and ``10 ** BELOW_DIGITS``.
BELOW_DIGITS = 5
BELOW_MODULUS = 100_000

__all__ = ["TicketMaker", "check_ids", "first_k", "order", "smallest_keys", "ticket"]


class TicketMaker:
    """Tickets for one seed ``S``, with ``H(utf8(S))`` computed once (docs/draw-v1.md §14).

    Args:
        seed: the seed string ``S`` (for DRAW-V1 a 64-hex sub-seed, §7.3).
    """

    __slots__ = ("_prefix", "prefix_hex", "seed")

    def __init__(self, seed: str) -> None:
        if not isinstance(seed, str):
            raise MalformedError("签号种子应为字符串")
        self.seed = seed
        #: ``hex(H(utf8(S)))`` as 64 ASCII bytes: what every ticket hash starts with.
        self.prefix_hex = hashlib.sha256(utf8(seed)).hexdigest().encode("ascii")
        self._prefix = hashlib.sha256(self.prefix_hex)

    def digits(self, item_id: str) -> str:
        """Return the ticket of ``item_id`` without its ``"0."`` prefix.

        Args:
            item_id: the item's id.

        Returns:
            The reversed, zero-padded (at least 64) decimal digits.
        """
        h = self._prefix.copy()
        h.update(utf8(item_id))
        return format(int.from_bytes(h.digest(), "big"), "064d")[::-1]

    def ticket(self, item_id: str) -> str:
        """Return the full-precision ticket string of ``item_id`` (docs/draw-v1.md §7).

        Args:
            item_id: the item's id.

        Returns:
            ``"0."`` followed by 64 to 78 decimal digits.
        """
        return "0." + self.digits(item_id)

    def sort_keys(self, ids: Iterable[str]) -> list[str]:
        """Return the sort key ``digits + " " + id`` of each id (see the module notes).

        Args:
            ids: the item ids.

        Returns:
            The keys, in the order of ``ids``.
        """
        copy = self._prefix.copy
        from_bytes = int.from_bytes
        keys: list[str] = []
        append = keys.append
        for item_id in ids:
            h = copy()
            h.update(item_id.encode("utf-8"))
            n = from_bytes(h.digest(), "big")
            # str(n) has 78 digits for n ≥ 10^77 and is only shorter than 64 digits with
            # probability < 10^-13; pad exactly as format(n, "064d") would.
            s = str(n)
            if len(s) < 64:
                s = s.zfill(64)
            append(s[::-1] + " " + item_id)
        return keys

    def smallest(self, ids: Sequence[str], k: int) -> list[str]:
        """Return the sort keys of the ``k`` first ids in ticket order, ascending.

        Exact for any input; fast for uniform tickets. The first ``j`` characters of a key are
        the reversed ``j`` lowest decimal digits of the hash integer ``n``, a function of
        ``n mod 10^j``. A bound ``b`` (``j`` digits, chosen just above the expected ``k``-th
        key) splits the ids: those whose ``j``-digit prefix is below ``b`` are candidates and
        every other key is larger than every candidate's. Only candidates get a full key; the
        test per id is one table lookup on ``n mod 10^j``. If fewer than ``k`` ids pass, ``b``
        is doubled and the scan repeated.

        Args:
            ids: distinct item ids.
            k: how many to return (clamped to ``len(ids)``).

        Returns:
            ``sorted(self.sort_keys(ids))[:k]``.
        """
        n = len(ids)
        k = max(0, min(k, n))
        if k == 0:
            return []
        if 4 * k >= n or n < 4096:
            keys = self.sort_keys(ids)
            keys.sort()
            return keys[:k]
        target = k + 4 * math.isqrt(k) + 64
        # 10^j ≥ 10·n/target gives a bound granularity of a tenth of the expected fraction.
        j = min(5, len(str(-(-10 * n // target))))
        modulus = 10**j
        bound = -(-target * modulus // n)
        copy = self._prefix.copy
        from_bytes = int.from_bytes
        while bound < modulus:
            table = _prefix_table(j, bound)
            candidates: list[str] = []
            append = candidates.append
            for item_id in ids:
                h = copy()
                h.update(item_id.encode("utf-8"))
                if table[from_bytes(h.digest(), "big") % modulus]:
                    append(item_id)
            if len(candidates) >= k:
                keys = self.sort_keys(candidates)
                keys.sort()
                return keys[:k]
            bound *= 2
        keys = self.sort_keys(ids)
        keys.sort()
        return keys[:k]

    def smallest_grouped(
        self,
        ids: Iterable[str],
        groups: Iterable[str],
        wanted: Mapping[str, int],
        sizes: Mapping[str, int] | None = None,
    ) -> dict[str, list[str]]:
        """Return, per group, the sort keys of its ``wanted[g]`` first ids in ticket order.

        The same result as ``self.smallest([ids of g], wanted[g])`` for every group ``g``, in one
        pass over all ids (one hash each) instead of one pass per group: each group gets its own
        bound, as in :meth:`smallest`, on a common modulus ``10^j``. A group whose candidates
        fall short of ``wanted[g]`` (improbable) is redone with :meth:`smallest`.

        Args:
            ids: distinct item ids.
            groups: the group of each id (same length as ``ids``); every group is a key of
                ``wanted``.
            wanted: group → how many keys to return (clamped to the group's size).
            sizes: group → number of its ids, if the caller has counted them already.

        Returns:
            Group → ascending sort keys, for every group of ``wanted``.

        Raises:
            KeyError: if an id's group is not in ``wanted``.
            ValueError: if ``ids`` and ``groups`` differ in length.
        """
        id_list = ids if isinstance(ids, list) else list(ids)
        group_list = groups if isinstance(groups, list) else list(groups)
        if sizes is None:
            sizes = Counter(group_list)
        plans: dict[str, tuple[int, int]] = {}  # group -> (k, bound in units of 10^-j)
        j = 1
        for g, want in wanted.items():
            n = sizes.get(g, 0)
            k = max(0, min(want, n))
            if k == 0:
                plans[g] = (0, 0)
            elif 4 * k >= n or n < 4096:
                plans[g] = (k, -1)  # every id is a candidate
            else:
                target = k + 4 * math.isqrt(k) + 64
                j = max(j, min(5, len(str(-(-10 * n // target)))))
                plans[g] = (k, target)
        modulus = 10**j
        tables: dict[str, bytes] = {}
        for g, (_k, target) in plans.items():
            if target == 0:
                tables[g] = bytes(modulus)
            elif target < 0:
                tables[g] = b"\x01" * modulus
            else:
                tables[g] = _prefix_table(j, -(-target * modulus // sizes[g]))
        if len(id_list) != len(group_list):
            raise ValueError("ids and groups differ in length")
        candidates = self._scan(id_list, group_list, tables, modulus)
        out: dict[str, list[str]] = {}
        for g, (k, _target) in plans.items():
            if len(candidates[g]) >= k:
                keys = self.sort_keys(candidates[g])
                keys.sort()
                out[g] = keys[:k]
            else:
                members = list(itertools.compress(id_list, map(g.__eq__, group_list)))
                out[g] = self.smallest(members, k)
        return out

    def _scan(
        self,
        ids: Sequence[str],
        groups: Sequence[str],
        tables: Mapping[str, bytes],
        modulus: int,
    ) -> dict[str, list[str]]:
        """Ids of ``ids`` whose ticket prefix passes their group's table, per group,
        in input order (one hash each)."""
        candidates: dict[str, list[str]] = {g: [] for g in tables}
        copy = self._prefix.copy
        from_bytes = int.from_bytes
        for item_id, g in zip(ids, groups, strict=True):
            h = copy()
            h.update(item_id.encode("utf-8"))
            if tables[g][from_bytes(h.digest(), "big") % modulus]:
                candidates[g].append(item_id)
        return candidates


def _prefix_table(j: int, bound: int) -> bytes:
    """Return the table ``t`` of size ``10^j`` with ``t[q] = 1`` iff the ``j`` reversed digits
    of ``q`` (zero-padded), read as a number, are below ``bound``.

    Precondition: ``j ≥ 1``. Built from the ``min(bound, 10^j)`` prefixes themselves, so its
    cost is the number of candidates' prefixes, not ``10^j`` formatted numbers.
    """
    modulus = 10**j
    table = bytearray(modulus)
    for r in range(min(bound, modulus)):
        table[int(format(r, f"0{j}d")[::-1])] = 1
    return bytes(table)


def ticket(seed: str, item_id: str) -> str:
    """Return ``ticket(S, id)`` (docs/draw-v1.md §7) — ``consistent_sampler.first_fraction(id, S)``.

    Args:
        seed: the seed string ``S``.
        item_id: the item's id.

    Returns:
        The full-precision ticket string.
    """
    return TicketMaker(seed).ticket(item_id)


def _split_key(key: str) -> str:
    return key[key.index(" ") + 1 :]


def order(seed: str, ids: Iterable[str]) -> list[str]:
    """Return ``ids`` sorted by ``(ticket(seed, id), utf8(id))``.

    Args:
        seed: the seed string.
        ids: distinct item ids.

    Returns:
        The ids in ticket order.

    Raises:
        MalformedError: on a duplicate id.
    """
    keys = TicketMaker(seed).sort_keys(ids)
    keys.sort()
    result = [_split_key(k) for k in keys]
    if len(set(result)) != len(result):
        raise MalformedError("签号顺序中有重复的 id")
    return result


def smallest_keys(keys: Sequence[str], k: int) -> list[str]:
    """Return the ``k`` smallest of ``keys`` in ascending order (exact, any distribution).

    Tickets are uniform, so the ``k`` smallest keys almost all lie below a decimal bound close to
    ``k / len(keys)``; only those are sorted. If fewer than ``k`` keys lie below the bound it is
    widened and the scan repeated, so the result is always exact: every key not below the bound
    is greater than every key below it.

    Args:
        keys: sort keys from :meth:`TicketMaker.sort_keys`.
        k: how many to return (clamped to ``len(keys)``).

    Returns:
        The ``k`` smallest keys, ascending.
    """
    n = len(keys)
    k = max(0, min(k, n))
    if k == 0:
        return []
    if 4 * k >= n or n < 4096:
        return sorted(keys)[:k]
    width = len(str(n)) + 3
    scale = 10**width
    # Expected count below bound b/scale is n*b/scale; aim above k by ~4 standard deviations.
    target = k + 4 * math.isqrt(k) + 64
    bound = -(-target * scale // n)
    while True:
        if bound >= scale:
            return sorted(keys)[:k]
        text = format(bound, f"0{width}d")
        below = [key for key in keys if key < text]
        if len(below) >= k:
            below.sort()
            return below[:k]
        bound *= 2


def first_k(seed: str, ids: Sequence[str], k: int) -> list[str]:
    """Return the first ``k`` ids in ``(ticket, id)`` order without sorting all of them.

    Args:
        seed: the seed string.
        ids: distinct item ids.
        k: how many to take.

    Returns:
        Equal to ``order(seed, ids)[:k]``.
    """
    return [_split_key(key) for key in TicketMaker(seed).smallest(ids, k)]


def check_ids(ids: Iterable[object]) -> list[str]:
    """Validate ids as identifiers (helper for callers outside the snapshot parser).

    Args:
        ids: candidate ids.

    Returns:
        The ids as a list of ``str``.

    Raises:
        MalformedError: if an id is not a valid identifier.
    """
    return [check_identifier(i, "id") for i in ids]
