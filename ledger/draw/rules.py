"""The rules of a DRAW-V1 announcement: their one definition (docs/draw-v1.md §3).

These classes are the ``rules`` object of a ``draw.announce`` whose ``algorithm`` is
``draw-v1``: :data:`ledger.draw.algorithms.DRAW_V1` names :class:`Rules` as its rules, and the
entry parser (:class:`ledger.payloads.EntryTypes`) reads an announcement's ``rules`` with the
rules class of the algorithm it names. A later algorithm with other rules (a further
stratification field, docs/extending.md §3) defines its own class beside these, and its
announcements are parsed with it; nothing in :mod:`ledger.payloads` names either.

Parsing checks every rule of §3 (:meth:`Rules.check`, run by :func:`ledger.schema.parse`):
identifiers (§1), exact decimal ratios in [0, 1], unique strata, unique departments, a ``lead``
that takes part, ``per_entity ≥ 2`` for a single department, unique required tags. The value
parsed is what the draw uses: the fast engine (:mod:`ledger.draw.sampling`,
:mod:`ledger.draw.matching`), the reference draw (:mod:`ledger.draw.reference`), the verifier
(:mod:`ledger.planbind`, :mod:`ledger.draw.poolrules`) and the writers
(:mod:`generator.workflow.drawing`) read the same typed value.

The classes are those of the gongkai ledger's profile (docs/ledger.md §14.5: ``min_count``
present, ``max_load`` never ``null``). The draw functions also take any DRAW-V1 announcement
(its §3 leaves ``min_count`` optional and lets a ``max_load`` be ``null``): :func:`read_rules`
reads that wider form into the same value, with the same meaning.

Imports only :mod:`ledger.schema` and the identifier rule of :mod:`ledger.draw.primitives`: the
entry parser loads this module, not the draw engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from ledger.draw.primitives import identifier_problem
from ledger.errors import MalformedError
from ledger.schema import (
    BodyError,
    Date,
    Int,
    ListOf,
    Nullable,
    Object,
    Text,
    parse,
    payload,
    spec,
)

__all__ = [
    "DeptRule",
    "DrawV1Rules",
    "Identifier",
    "Rules",
    "StratumRule",
    "parse_ratio",
    "read_rules",
]

_RATIO: Final = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?")


class Identifier(Text):
    """A DRAW-V1 identifier (docs/draw-v1.md §1): a non-empty string in Unicode NFC without
    control characters."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("non-empty string", nonempty=True)

    def parse(self, value: Any) -> Any:
        text = super().parse(value)
        problem = identifier_problem(text)
        if problem is not None:
            raise BodyError(problem)
        return text


_ID: Final = Identifier()


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


@payload
@dataclass(frozen=True)
class DeptRule:
    """One department of ``draw.announce.rules.departments``.

    ``max_load`` is the department's own limit; :meth:`Rules.staffing` gives the one that
    applies (the department's, else ``rules.max_load``; None: unlimited).
    """

    dept: str = spec(_ID)
    per_entity: int = spec(Int(1, 1000))
    required_tags: tuple[str, ...] = spec(ListOf(_ID))
    max_load: int | None = spec(Int(1), optional=True)

    def check(self) -> None:
        """§3: the required tags are unique. Raises BodyError."""
        if len(set(self.required_tags)) != len(self.required_tags):
            raise BodyError("有重复的标签", ["required_tags"])


@payload
@dataclass(frozen=True)
class StratumRule:
    """One stratum of ``draw.announce.rules.strata`` and its exact decimal ratio."""

    ratio: str = spec(Text("decimal string 0..1", pattern=r"(0|[1-9][0-9]*)(\.[0-9]+)?"))
    stratum: str = spec(_ID)

    def check(self) -> None:
        """§3: the ratio is at most 1 (and at most 40 characters). Raises BodyError."""
        try:
            parse_ratio(self.ratio)
        except MalformedError as exc:
            raise BodyError(str(exc), ["ratio"]) from None

    @property
    def fraction(self) -> tuple[int, int]:
        """The ratio as ``(numerator, denominator)``, the denominator a power of ten."""
        return parse_ratio(self.ratio)


class DrawV1Rules:
    """DRAW-V1's checks and derived values, for every rules class with DRAW-V1's fields:
    :class:`Rules`, and a later algorithm's rules that add to them (docs/extending.md §3)."""

    strata: tuple[StratumRule, ...]
    min_count: int | None
    lead: str
    departments: tuple[DeptRule, ...]
    max_load: int | None

    def check(self) -> None:
        """§3: unique strata and departments, a lead that takes part, at least two inspectors
        per entity. Raises BodyError naming the field."""
        _check_strata(self.strata)
        _check_departments(self.lead, self.departments)

    @property
    def names(self) -> tuple[str, ...]:
        """The strata, in rule order."""
        return tuple(s.stratum for s in self.strata)

    @property
    def minimum(self) -> int:
        """``min_count`` (``null``: 0)."""
        return self.min_count or 0

    def load_limit(self, dept: DeptRule) -> int | None:
        """The ``max_load`` that applies to ``dept``: its own, else ``rules.max_load`` (None:
        unlimited)."""
        return dept.max_load if dept.max_load is not None else self.max_load

    def staffing(self) -> tuple[DeptRule, ...]:
        """The departments in UTF-8 byte order of their ids (§9), each with the ``max_load``
        that applies to it (:meth:`load_limit`)."""
        return tuple(
            dataclasses.replace(d, max_load=self.load_limit(d))
            for d in sorted(self.departments, key=lambda d: d.dept)
        )


@payload
@dataclass(frozen=True)
class Rules(DrawV1Rules):
    """``draw.announce.rules`` of DRAW-V1 (docs/draw-v1.md §3)."""

    strata: tuple[StratumRule, ...] = spec(ListOf(Object(StratumRule), nonempty=True))
    as_of: dt.date = spec(Date())
    exclude_inspected_within_days: int | None = spec(Nullable(Int(0)))
    min_count: int | None = spec(Nullable(Int(0)))
    lead: str = spec(_ID)
    departments: tuple[DeptRule, ...] = spec(ListOf(Object(DeptRule), nonempty=True))
    max_load: int | None = spec(Int(1), optional=True)


def _check_strata(strata: tuple[Any, ...]) -> None:
    """Strata names are unique. Raises BodyError."""
    seen: set[str] = set()
    for i, rule in enumerate(strata):
        if rule.stratum in seen:
            raise BodyError(f"层级 {rule.stratum!r} 重复", ["stratum", f"[{i}]", "strata"])
        seen.add(rule.stratum)


def _check_departments(lead: str, departments: tuple[DeptRule, ...]) -> None:
    """Departments are unique, ``lead`` is one of them, a single one has ``per_entity ≥ 2``.
    Raises BodyError."""
    seen: set[str] = set()
    for i, rule in enumerate(departments):
        if rule.dept in seen:
            raise BodyError(f"部门 {rule.dept!r} 重复", ["dept", f"[{i}]", "departments"])
        seen.add(rule.dept)
    if len(departments) == 1 and departments[0].per_entity < 2:
        raise BodyError(
            "单部门任务的 per_entity 不得小于 2（执法检查人员不得少于两人）",
            ["per_entity", "[0]", "departments"],
        )
    if lead not in seen:
        raise BodyError("应为参与抽查的部门之一", ["lead"])


_R = TypeVar("_R")


def read_rules(rules: object, cls: type[_R] = Rules) -> _R:  # type: ignore[assignment]
    """Read the ``rules`` of any DRAW-V1 announcement (docs/draw-v1.md §3) into ``cls``.

    §3 allows what the ledger's profile (docs/ledger.md §14.5) leaves out; each is read into the
    profile's value of the same meaning: an absent ``min_count`` is ``null`` (no minimum); a
    ``null`` ``rules.max_load`` is an absent one (no limit); a department's ``null`` ``max_load``
    (no limit for it, even under ``rules.max_load``) is the key left out with ``rules.max_load``
    moved to each other department that has no limit of its own.

    Args:
        rules: the announcement's ``rules`` (decoded JSON).
        cls: the rules class of the announcement's algorithm (a :func:`ledger.schema.payload`
            class; DRAW-V1's by default).

    Returns:
        The parsed, checked rules.

    Raises:
        MalformedError: naming the field, if the rules are not valid (the messages of
            :class:`Rules`' parse and checks, after ``rules.<field>：``).
    """
    try:
        return parse(cls, _profile_form(rules, cls))
    except BodyError as exc:
        where = "rules" if exc.where == "body" else f"rules.{exc.where}"
        raise MalformedError(f"{where}：{exc.reason}") from None


def _profile_form(rules: object, cls: type[Any]) -> Any:
    """``rules`` with the forms of §3 that the profile leaves out rewritten (see
    :func:`read_rules`); anything else, valid or not, as it is."""
    if not isinstance(rules, dict):
        return rules
    out = dict(rules)
    if "min_count" not in out and "min_count" in cls._schema_allowed:
        out["min_count"] = None
    default = out.get("max_load")
    if default is None:
        out.pop("max_load", None)
    depts = out.get("departments")
    if not isinstance(depts, list) or not any(
        isinstance(d, dict) and "max_load" in d and d["max_load"] is None for d in depts
    ):
        return out
    if default is not None and (type(default) is not int or default < 1):
        return out  # reported as rules.max_load by the parse
    folded: list[object] = []
    for dept in depts:
        if isinstance(dept, dict):
            dept = dict(dept)
            if "max_load" not in dept and default is not None:
                dept["max_load"] = default
            elif "max_load" in dept and dept["max_load"] is None:
                del dept["max_load"]
        folded.append(dept)
    out["departments"] = folded
    out.pop("max_load", None)
    return out
