"""The rules of a ``draw.announce`` body, parsed and checked (docs/draw-v1.md §3).

One definition shared by the reference draw (:mod:`ledger.draw.reference`) and the fast engine
(:mod:`ledger.draw.sampling`, :mod:`ledger.draw.matching`, :mod:`ledger.draw.result`): the
announcement's fields, the strata and their exact decimal ratios, ``as_of``, the recency rule,
``min_count`` and the departments with their ``max_load``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.canonical import MAX_SAFE_INTEGER
from ledger.draw.primitives import check_identifier
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
    "DeptRule",
    "SamplingRules",
    "StratumRule",
    "check_announce",
    "parse_as_of",
    "parse_departments",
    "parse_ratio",
    "parse_strata",
    "sampling_rules",
]

ENTITIES = "entities"
INSPECTORS = "inspectors"
CONFLICTS = "conflicts"

_RATIO = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

ANNOUNCE_SCHEMA = "draw-v1/announce"
RESULT_SCHEMA = "draw-v1/result"
REPLACE_SCHEMA = "draw-v1/replace"
ALGORITHM = "draw-v1"


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedError(f"draw.announce：{what} 应为对象")
    return value


def check_announce(body: Mapping[str, Any], algorithm: str = ALGORITHM) -> dict[str, Any]:
    """Validate the DRAW-V1 parts of a ``draw.announce`` body (docs/draw-v1.md §3).

    Args:
        body: the whole signed body.
        algorithm: the algorithm the body must name (``schema`` is ``<algorithm>/announce``):
            DRAW-V1, or a later algorithm that keeps these parts of its announcement.

    Returns:
        ``{"task_id", "pools", "rules", "round", "chain_hash", "commitments": {dept: hex},
        "extra_key": bool}``.

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
    rules = _obj(body.get("rules"), "rules")
    _, departments = parse_departments(rules)
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
    if set(commitments) != {d.dept for d in departments}:
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


@dataclass(frozen=True)
class DeptRule:
    """One participating department's rule (``rules.departments[i]``)."""

    dept: str
    per_entity: int
    required_tags: frozenset[str]
    max_load: int | None


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


@dataclass(frozen=True)
class StratumRule:
    """One entry of ``rules.strata``: a stratum and its exact ratio ``num / den``."""

    stratum: str
    ratio: str
    num: int
    den: int


def parse_ratio(text: object) -> tuple[int, int]:
    """Parse an exact decimal ratio such as ``"0.05"`` (docs/draw-v1.md §3: never a float).

    Args:
        text: a decimal string ``0``, ``1``, ``0.67`` … with ``0 ≤ ρ ≤ 1``.

    Returns:
        ``(numerator, denominator)`` with denominator a power of ten.

    Raises:
        MalformedError: if ``text`` is not such a string (floats, exponents, signs, ``".5"``,
            values above 1 are all rejected).
    """
    if not isinstance(text, str):
        raise MalformedError('ratio 应为十进制小数字符串，如 "0.05"')
    match = _RATIO.fullmatch(text)
    if match is None or len(text) > 40:
        raise MalformedError(f"ratio {text!r} 不是普通的十进制小数")
    whole, frac = match.group(1), match.group(2) or ""
    den = 10 ** len(frac)
    num = int(whole) * den + (int(frac) if frac else 0)
    if num > den:
        raise MalformedError(f"ratio {text!r} 大于 1")
    return num, den


def parse_as_of(text: object) -> _dt.date:
    """Parse ``rules.as_of`` (``YYYY-MM-DD``).

    Args:
        text: the candidate date string.

    Returns:
        The date.

    Raises:
        MalformedError: if it is not a valid ``YYYY-MM-DD`` date.
    """
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise MalformedError("as_of 应为 YYYY-MM-DD 格式")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedError(f"as_of：无效的日期 {text!r}") from exc


def _parse_days(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise MalformedError("exclude_inspected_within_days 应为 ≥ 0 的整数或 null")
    return value


def parse_strata(rules: Mapping[str, Any]) -> list[StratumRule]:
    """Parse and validate ``rules.strata``.

    Args:
        rules: the announcement's ``rules`` object.

    Returns:
        The strata in rule order.

    Raises:
        MalformedError: if the list is missing, empty, has a duplicate stratum or a bad ratio.
    """
    strata = rules.get("strata")
    if not isinstance(strata, list) or not strata:
        raise MalformedError("rules.strata 应为非空列表")
    out: list[StratumRule] = []
    seen: set[str] = set()
    for item in strata:
        if not isinstance(item, dict) or set(item) != {"stratum", "ratio"}:
            raise MalformedError("rules.strata 的每一项应恰好包含 stratum 和 ratio")
        name = check_identifier(item["stratum"], "stratum")
        if name in seen:
            raise MalformedError(f"rules.strata：层级 {name!r} 重复")
        seen.add(name)
        num, den = parse_ratio(item["ratio"])
        out.append(StratumRule(name, item["ratio"], num, den))
    return out


@dataclass(frozen=True)
class SamplingRules:
    """The parsed sampling rules of an entity draw (docs/draw-v1.md §3, §8)."""

    strata: tuple[StratumRule, ...]
    names: tuple[str, ...]
    as_of: _dt.date
    days: int | None
    min_count: int


def sampling_rules(rules: Mapping[str, Any]) -> SamplingRules:
    """Parse the sampling rules (``strata``, ``as_of``, ``exclude_inspected_within_days``,
    ``min_count``).

    Raises:
        MalformedError: on an invalid rule.
    """
    strata = parse_strata(rules)
    as_of = parse_as_of(rules.get("as_of"))
    days = _parse_days(rules.get("exclude_inspected_within_days"))
    min_count = rules.get("min_count")
    if min_count is None:
        min_count = 0
    if type(min_count) is not int or min_count < 0:
        raise MalformedError("rules.min_count 应为 ≥ 0 的整数或 null")
    return SamplingRules(tuple(strata), tuple(s.stratum for s in strata), as_of, days, min_count)
