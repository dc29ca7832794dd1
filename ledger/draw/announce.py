"""A ``draw.announce`` body as the draw reads it, checked (docs/draw-v1.md §3).

One reading shared by the reference draw (:mod:`ledger.draw.reference`) and the fast engine
(:mod:`ledger.draw.result`): the announcement's fields, the pools, the randomness and the
commitments, and its ``rules`` read with the rules class of its algorithm
(:func:`ledger.draw.rules.read_rules`, the one definition of the rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.canonical import MAX_SAFE_INTEGER
from ledger.draw.primitives import check_identifier
from ledger.draw.rules import Rules, read_rules
from ledger.draw.seed import parse_hex32
from ledger.errors import MalformedError

__all__ = [
    "ALGORITHM",
    "ANNOUNCE_SCHEMA",
    "CONFLICTS",
    "ENTITIES",
    "INSPECTORS",
    "REPLACE_SCHEMA",
    "RESULT_SCHEMA",
    "check_announce",
]

ENTITIES = "entities"
INSPECTORS = "inspectors"
CONFLICTS = "conflicts"

ANNOUNCE_SCHEMA = "draw-v1/announce"
RESULT_SCHEMA = "draw-v1/result"
REPLACE_SCHEMA = "draw-v1/replace"
ALGORITHM = "draw-v1"


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedError(f"draw.announce：{what} 应为对象")
    return value


def check_announce(
    body: Mapping[str, Any],
    algorithm: str = ALGORITHM,
    rules_class: type[Any] = Rules,
    rules: Any = None,
) -> dict[str, Any]:
    """Validate the DRAW-V1 parts of a ``draw.announce`` body (docs/draw-v1.md §3).

    Args:
        body: the whole signed body.
        algorithm: the algorithm the body must name (``schema`` is ``<algorithm>/announce``):
            DRAW-V1, or a later algorithm that keeps these parts of its announcement.
        rules_class: the class of the algorithm's ``rules`` (:class:`ledger.draw.rules.Rules`
            for DRAW-V1), which has DRAW-V1's ``departments``.
        rules: the body's ``rules`` as the entry parser already read them with
            ``rules_class`` (:class:`ledger.payloads.EntryTypes`: checked there), or None to
            read them here (:func:`ledger.draw.rules.read_rules`).

    Returns:
        ``{"task_id", "pools", "rules" (a ``rules_class``), "round", "chain_hash",
        "commitments": {dept: hex}, "extra_key": bool}``.

    Raises:
        MalformedError: if a required field is missing or invalid.
    """
    body = _obj(body, "body")
    if body.get("schema") != f"{algorithm}/announce" or body.get("algorithm") != algorithm:
        raise MalformedError(
            f"draw.announce：schema 应为 {algorithm}/announce，algorithm 应为 {algorithm}"
        )
    task_id = check_identifier(body.get("task_id"), "task_id")
    pools = _obj(body.get("pools"), "pools")
    for kind in (ENTITIES, INSPECTORS, CONFLICTS):
        ref = _obj(pools.get(kind), f"pools.{kind}")
        parse_hex32(ref.get("sha256"), f"pools.{kind}.sha256")
        if type(ref.get("count")) is not int or ref["count"] < 0:
            raise MalformedError(f"draw.announce：pools.{kind}.count 应为 ≥ 0 的整数")
    if rules is None:
        rules = read_rules(body.get("rules"), rules_class)
    randomness = _obj(body.get("randomness"), "randomness")
    beacon = _obj(randomness.get("drand"), "randomness.drand")
    parse_hex32(beacon.get("chain_hash"), "randomness.drand.chain_hash")
    round_number = beacon.get("round")
    if type(round_number) is not int or not 1 <= round_number <= MAX_SAFE_INTEGER:
        raise MalformedError("draw.announce：randomness.drand.round 应为 1 至 2^53−1 的整数")
    entries = randomness.get("commitments")
    if not isinstance(entries, list):
        raise MalformedError("draw.announce：randomness.commitments 应为列表")
    commitments: dict[str, str] = {}
    for entry in entries:
        entry = _obj(entry, "randomness.commitments[]")
        dept = check_identifier(entry.get("dept"), "承诺的 dept")
        parse_hex32(entry.get("commitment"), f"{dept} 的承诺")
        if dept in commitments:
            raise MalformedError(f"draw.announce：{dept} 有两个承诺")
        commitments[dept] = entry["commitment"]
    if set(commitments) != {d.dept for d in rules.departments}:
        raise MalformedError("draw.announce：承诺应恰好来自全部参与部门，不多也不少")
    extra = randomness.get("extra_key")
    if extra is not None:
        extra = _obj(extra, "randomness.extra_key")
        if extra.get("format") != "rfc3797-keystring" or not isinstance(extra.get("sources"), list):
            raise MalformedError(
                "draw.announce：extra_key 应为 {format: rfc3797-keystring, sources}"
            )
    return {
        "task_id": task_id,
        "pools": pools,
        "rules": rules,
        "round": round_number,
        "chain_hash": beacon["chain_hash"],
        "commitments": commitments,
        "extra_key": extra is not None,
    }
