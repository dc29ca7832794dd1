"""Typed entry bodies (ledger/payloads.py): strict parse, byte-exact encode, named errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import canonical
from ledger.dept_vocabulary import VocabularyPublish
from ledger.draw.primitives import identifier_problem
from ledger.draw.rules import (
    DeptRule,
    DrawV1Rules,
    Identifier,
    Rules,
    StratumRule,
    parse_ratio,
)
from ledger.entries import Entry, make_entry, parse_entry
from ledger.errors import MalformedError, VerificationError
from ledger.inspector_payloads import InspectorRevoke
from ledger.note import Signer
from ledger.payloads import ENTRY_TYPES, EntryTypes
from ledger.registry import Registry
from ledger.schema import (
    BodyError,
    Bool,
    Const,
    Date,
    Hex,
    Int,
    Kind,
    ListOf,
    MapOf,
    Nullable,
    Object,
    OneOf,
    Text,
    Timestamp,
    encode,
    parse,
)
from ledger.vocabulary import FOLLOWUP_MEASURES, INSPECTION_METHODS, RESULT_CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_LINES = (ROOT / "draws" / "entries.jsonl").read_bytes().splitlines()
KEY = Signer.from_seed("test.example/k", bytes(32))


def _entries() -> list[Entry]:
    return [parse_entry(line, i) for i, line in enumerate(EXAMPLE_LINES)]


def test_every_example_entry_round_trips_byte_for_byte() -> None:
    seen = set()
    for entry in _entries():
        body = ENTRY_TYPES.parse(entry, "x")
        assert canonical.dumps(encode(body)) == entry.body_bytes, entry.index
        seen.add(entry.type)
    # the example ledger exercises every workflow type but result.correct, key rotation and the
    # cases and notices (立案/抄告: written by tests/workflow/test_new_county_year.py, whose
    # ledger the verifier and the site read; the example was written before these types), and
    # the revocation of an inspector key (tests/mobile; the example enrols one, docs/mobile.md)
    # and a department's own result words (tests/workflow/test_vocabulary.py)
    assert seen >= set(ENTRY_TYPES.payloads) - {
        "vocabulary.publish",
        "result.correct",
        "key.revoke",
        "root.update",
        "logkey.rotate",
        "inspector.revoke",
        *CASE_AND_NOTICE_TYPES,
    }


CASE_AND_NOTICE_TYPES = ("case.open", "case.progress", "case.close", "notice.copy", "notice.ack")


def test_generator_enums_carry_the_ledger_vocabularies() -> None:
    from generator.content.model import InspectionMethod
    from generator.content.results import FollowUpMeasure, ResultCategory

    assert tuple(c.value for c in ResultCategory) == RESULT_CATEGORIES
    assert tuple(m.value for m in InspectionMethod) == INSPECTION_METHODS
    assert tuple(m.value for m in FollowUpMeasure) == FOLLOWUP_MEASURES


# --------------------------------------------------------------------------- hypothesis


def _valid_stratum(body: dict[str, Any]) -> dict[str, Any]:
    """A ratio above 1 (the pattern allows it, ``StratumRule.check`` does not) becomes 1."""
    try:
        parse_ratio(body["ratio"])
    except MalformedError:
        return {**body, "ratio": "1"}
    return body


def _valid_dept(body: dict[str, Any]) -> dict[str, Any]:
    """Each required tag once (``DeptRule.check``)."""
    return {**body, "required_tags": list(dict.fromkeys(body["required_tags"]))}


def _valid_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Unique strata and departments, a lead that takes part, two inspectors for a single
    department (``Rules.check``)."""
    strata = list({s["stratum"]: s for s in body["strata"]}.values())
    depts = list({d["dept"]: d for d in body["departments"]}.values())
    if len(depts) == 1:
        depts = [{**depts[0], "per_entity": max(2, depts[0]["per_entity"])}]
    return {**body, "strata": strata, "departments": depts, "lead": depts[0]["dept"]}


def _valid_inspector_revoke(body: dict[str, Any]) -> dict[str, Any]:
    """``compromised_from_index`` only with reason ``compromised`` (docs/mobile.md §3)."""
    if "compromised_from_index" in body:
        return {**body, "reason": "compromised"}
    return body


def _valid_vocabulary(body: dict[str, Any]) -> dict[str, Any]:
    """Each word once, none of the provincial form's (``VocabularyPublish.check``)."""
    words = {f["word"]: f for f in body["findings"] if f["word"] not in RESULT_CATEGORIES}
    return {**body, "findings": list(words.values()) or [{"word": "甲", "problem": True}]}


#: What makes a body of the kinds' values satisfy the class's ``check``.
VALID: dict[type[Any], Callable[[dict[str, Any]], dict[str, Any]]] = {
    StratumRule: _valid_stratum,
    DeptRule: _valid_dept,
    Rules: _valid_rules,
    InspectorRevoke: _valid_inspector_revoke,
    VocabularyPublish: _valid_vocabulary,
}


def _validator(cls: type[Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The :data:`VALID` entry of ``cls``; any draw algorithm's rules class with DRAW-V1's checks
    (``DrawV1Rules``, e.g. a later version's, docs/extending.md §3) takes DRAW-V1's."""
    if cls in VALID:
        return VALID[cls]
    if issubclass(cls, DrawV1Rules):
        return _valid_rules
    return lambda body: body


def strategy(kind: Kind) -> st.SearchStrategy[Any]:
    """Valid JSON values of ``kind``."""
    if isinstance(kind, Identifier):
        return st.text(min_size=1, max_size=8).filter(lambda t: identifier_problem(t) is None)
    if isinstance(kind, Const):
        return st.just(kind.value)
    if isinstance(kind, Bool):
        return st.booleans()
    if isinstance(kind, OneOf):
        return st.sampled_from(kind.values)
    if isinstance(kind, Timestamp):
        return st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    if isinstance(kind, Hex):
        if kind.pattern is not None and "{64}" in kind.pattern.pattern:
            return st.binary(min_size=32, max_size=32).map(bytes.hex)
        return st.binary(min_size=1, max_size=8).map(bytes.hex)
    if isinstance(kind, Text):
        if kind.pattern is not None:
            return st.from_regex(kind.pattern, fullmatch=True)
        return st.text(min_size=1 if kind.nonempty else 0, max_size=8)
    if isinstance(kind, Date):
        return st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
    if isinstance(kind, Int):
        lo = kind.lo if kind.lo is not None else -(2**53) + 1
        hi = kind.hi if kind.hi is not None else 2**53 - 1
        return st.integers(lo, hi)
    if isinstance(kind, ListOf):
        return st.lists(
            strategy(kind.item), min_size=1 if kind.nonempty else 0, max_size=3, unique=kind.unique
        )
    if isinstance(kind, MapOf):
        return st.dictionaries(st.text(min_size=1, max_size=4), strategy(kind.value), max_size=3)
    if isinstance(kind, Nullable):
        return st.none() | strategy(kind.kind)
    if isinstance(kind, Object):
        fields = kind.cls._schema_fields
        return st.fixed_dictionaries(
            {n: strategy(k) for n, k, optional in fields if not optional},
            optional={n: strategy(k) for n, k, optional in fields if optional},
        ).map(_validator(kind.cls))
    raise AssertionError(kind)


#: Every payload class: one per type, and for the draw entries one per draw algorithm.
CLASSES: dict[str, type[Any]] = {
    t: c for t, c in ENTRY_TYPES.payloads.items() if not getattr(c, "BY_ALGORITHM", False)
} | {
    c.__name__: c
    for draw in ENTRY_TYPES.draw_classes.values()
    for c in (draw.announce, draw.replace)
}

BODIES = st.sampled_from(sorted(CLASSES)).flatmap(
    lambda t: strategy(Object(CLASSES[t])).map(lambda b: (t, b))
)


@given(BODIES)
@settings(max_examples=300, deadline=None)
def test_valid_bodies_round_trip(case: tuple[str, dict[str, Any]]) -> None:
    type_, body = case
    cls = CLASSES[type_]
    assert canonical.dumps(encode(parse(cls, body))) == canonical.dumps(body)


def _wrong(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int):
        return True
    if isinstance(value, str):
        return [value]
    return "x"


@given(BODIES, st.data())
@settings(max_examples=300, deadline=None)
def test_a_wrong_type_names_its_field(case: tuple[str, dict[str, Any]], data: Any) -> None:
    type_, body = case
    cls = CLASSES[type_]
    name = data.draw(st.sampled_from(sorted(body)))
    bad = {**body, name: _wrong(body[name])}
    nullable = {n for n, k, _ in cls._schema_fields if isinstance(k, Nullable)}
    if body[name] is None or (name in nullable and bad[name] is None):
        return
    with pytest.raises(BodyError) as info:
        parse(cls, bad)
    assert info.value.path[-1] == name


@given(BODIES, st.data())
@settings(max_examples=100, deadline=None)
def test_extra_and_missing_keys_are_named(case: tuple[str, dict[str, Any]], data: Any) -> None:
    type_, body = case
    cls = CLASSES[type_]
    with pytest.raises(BodyError, match="未定义") as info:
        parse(cls, {**body, "zz_extra": 1})
    assert info.value.where == "zz_extra"
    required = sorted(cls._schema_required)
    name = data.draw(st.sampled_from(required))
    with pytest.raises(BodyError, match="缺少") as info:
        parse(cls, {k: v for k, v in body.items() if k != name})
    assert info.value.where == name


# --------------------------------------------------------------------------- the cases


def _result_body(**result: Any) -> dict[str, Any]:
    base = next(e for e in _entries() if e.type == "result.publish")
    body: dict[str, Any] = canonical.loads(canonical.dumps(base.body))
    body["id"] = "result.publish/bad"
    body["result"].update(result)
    return body


def _announce_body(**over: Any) -> dict[str, Any]:
    base = next(e for e in _entries() if e.type == "draw.announce")
    body: dict[str, Any] = canonical.loads(canonical.dumps(base.body))
    body["id"] = "draw.announce/bad"
    body.update(over)
    return body


MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "int for string": (_result_body(detail=5), "字段 result.detail 应为字符串，实为整数"),
    "bool for int": (
        {
            **_announce_body(),
            "randomness": {
                **_announce_body()["randomness"],
                "drand": {"chain_hash": "00" * 32, "round": True},
            },
        },
        "字段 randomness.drand.round 应为整数，实为布尔值",
    ),
    # an unknown word has the right shape: the task replay refuses it (docs/workflow.md §10)
    "empty category": (_result_body(categories=[""]), "字段 result.categories[0] 不能为空字符串"),
    "category not text": (_result_body(categories=[1]), "字段 result.categories[0] 应为字符串"),
    "unknown method": (_result_body(methods=["猜测"]), "字段 result.methods[0]"),
    "unknown measure": (
        _result_body(followup={"measure": "随便", "state": "未完结"}),
        "字段 result.followup.measure",
    ),
    "list entity": (_result_body(entity=["91620823GK0ML21KX7"]), "字段 result.entity 应为字符串"),
    "empty reveal_deadline": (_announce_body(reveal_deadline=""), "字段 reveal_deadline"),
    "unknown extra key": ({**_result_body(), "extra": 1}, "字段 extra 是未定义的字段"),
    "missing key": (
        {k: v for k, v in _result_body().items() if k != "task_id"},
        "字段 task_id 缺少必填字段",
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_bodies_are_rejected_by_field(name: str) -> None:
    body, message = MALFORMED[name]
    entry = parse_entry(make_entry("o", body, [KEY]), 300)
    with pytest.raises(
        VerificationError, match=rf"第 300 条条目（{body['type']} [^）]+）："
    ) as info:
        ENTRY_TYPES.parse(entry, f"第 300 条条目（{entry.type} {entry.id}）")
    assert message in str(info.value)


def test_entry_types_are_values_not_globals() -> None:
    """Allowing a type for one registry never changes another (no module state)."""
    line = make_entry("o", {"type": "task.invent", "id": "x", "ts": "2024-01-01T00:00:00Z",
                            "dept": "a"}, [KEY])  # fmt: skip
    entry = parse_entry(line, 5)
    allowed = ENTRY_TYPES.allowing(["task.invent"])
    assert allowed.parse(entry, "w").dept == "a"
    with pytest.raises(VerificationError, match=r"未知的条目类型 task\.invent"):
        ENTRY_TYPES.parse(entry, "w")
    assert Registry(origin="o").types is ENTRY_TYPES
    assert isinstance(allowed, EntryTypes)
    assert not ENTRY_TYPES.unchecked


def test_workflow_doc_tables_equal_the_definitions() -> None:
    """docs/workflow.md §2.3 is exactly what the payload definitions generate."""
    from ledger.payloaddoc import DOC_BEGIN, DOC_END, markdown

    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    start, end = doc.index(DOC_BEGIN), doc.index(DOC_END) + len(DOC_END) + 1
    assert doc[start:end] == markdown(), "regenerate: python -m ledger.payloaddoc"


def test_ledger_doc_key_table_names_the_key_body_fields() -> None:
    """docs/ledger.md §13.3 lists exactly the fields of each key-management body."""
    from ledger.payloads import ROOT_PAYLOADS

    doc = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    for root_cls in ROOT_PAYLOADS:
        cls: Any = root_cls
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{cls.TYPE}`"))
        listed = row.split("|")[2].strip().strip("`")
        nested = dict(re.findall(r"(\w+)\{([^}]*)\}", listed))
        names = {n.strip("[]") for n in re.sub(r"\{[^}]*\}", "", listed).split()}
        assert names == {n for n, _, _ in cls._schema_fields}, cls.TYPE
        for name, inner in nested.items():
            kind = next(k for n, k, _ in cls._schema_fields if n == name)
            assert set(inner.split()) == {n for n, _, _ in kind.cls._schema_fields}, name
