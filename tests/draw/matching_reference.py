"""A literal re-implementation of inspector matching (docs/draw-v1.md §9), shared by the matching
tests as their reference: ``E`` and ``T`` are recomputed from scratch for every pick."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from ledger.draw.primitives import LP, u32be
from ledger.draw.tickets import ticket


def naive_match(
    entity_order: list[str],
    inspectors: list[dict[str, Any]],
    conflicts: list[dict[str, Any]],
    rules: dict[str, Any],
    s: str,
) -> dict[str, Any]:
    """docs/draw-v1.md §9 word for word: recompute E and T from scratch for every pick."""
    lead = rules["lead"]
    depts = sorted(rules["departments"], key=lambda d: d["dept"].encode())
    rank = {
        i["id"]: n
        for n, i in enumerate(
            sorted(inspectors, key=lambda i: (ticket(s, i["id"]), i["id"].encode()))
        )
    }
    avoid = {(c["entity"], c["inspector"]) for c in conflicts}
    load: Counter[str] = Counter()
    assignments, unstaffed = [], []
    for e in entity_order:
        team: list[tuple[str, str]] = []
        unmet = None
        for d in depts:
            cap = d.get("max_load", rules.get("max_load"))
            for p in range(d["per_entity"]):
                pool = [
                    i["id"]
                    for i in inspectors
                    if i["dept"] == d["dept"]
                    and i["active"]
                    and set(d["required_tags"]) <= set(i["tags"])
                    and i["id"] not in [m for m, _ in team]
                    and (e, i["id"]) not in avoid
                    and (cap is None or load[i["id"]] < cap)
                ]
                if not pool:
                    unmet = {"dept": d["dept"], "pick": p}
                    break
                low = min(load[i] for i in pool)
                t = sorted((i for i in pool if load[i] == low), key=rank.__getitem__)
                h = hashlib.sha256(
                    LP(b"draw-v1/pick")
                    + LP(s.encode())
                    + LP(e.encode())
                    + LP(d["dept"].encode())
                    + LP(u32be(p))
                ).digest()
                team.append((t[int.from_bytes(h, "big") % len(t)], d["dept"]))
            if unmet:
                break
        if unmet:
            unstaffed.append({"entity": e, "unmet": unmet})
            continue
        for m, _ in team:
            load[m] += 1
        assignments.append(
            {
                "entity": e,
                "leader": next(m for m, d in team if d == lead),
                "team": [{"inspector": m, "dept": d} for m, d in team],
            }
        )
    return {"assignments": assignments, "unstaffed": unstaffed, "loads": dict(load)}
