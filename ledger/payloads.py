"""One typed payload per entry type: the exact body of every entry (docs/workflow.md).

Each class below is a frozen dataclass compiled by :func:`ledger.schema.payload`: its fields are
the body's keys, each with its JSON kind; ``optional`` fields may be absent. The verifier parses
every body into its class (:meth:`EntryTypes.parse`), so a body of the wrong shape (a number
where text belongs, a word outside a closed vocabulary, a list for an entity, an empty
deadline, an unknown or missing key) is rejected with the entry's index and the field's path,
and everything downstream (the task replay, the site, ``status``, ``metrics``) reads typed
values. ``schema.encode`` writes a payload back; for every accepted body the canonical bytes
are identical, so writers build payloads and the ledger bytes do not change.

The set of types a verifier accepts is a value, :class:`EntryTypes` (:data:`ENTRY_TYPES` is the
production set); nothing is registered into module globals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, TypeVar

from ledger.case_payloads import CaseClose, CaseOpen, CaseProgress, NoticeAck, NoticeCopy, Refers
from ledger.dept_vocabulary import VocabularyPublish
from ledger.envelope import make_entry
from ledger.errors import VerificationError
from ledger.inspector_payloads import Inspection, InspectorEnrol, InspectorRevoke
from ledger.note import Signer
from ledger.schema import (
    BodyError,
    Const,
    Date,
    Hex,
    Int,
    ListOf,
    MapOf,
    Nullable,
    Object,
    OneOf,
    Text,
    Timestamp,
    encode,
    parse,
    payload,
    spec,
)
from ledger.statements import COMMON_FIELDS, Root, Statement
from ledger.vocabulary import (
    FOLLOWUP_MEASURES,
    FOLLOWUP_STATES,
    INSPECTION_METHODS,
)

if TYPE_CHECKING:  # entries imports this module (to type every parsed body)
    from ledger.entries import Entry

__all__ = [
    "COMMON_FIELDS",
    "ENTRY_FORMAT",
    "ENTRY_TYPES",
    "EntryTypes",
    "Statement",
]

_ID = Text("non-empty string", nonempty=True)
_TEXT = Text("string")
_REASON = Text("non-empty string", nonempty=True)
_HEX64 = Hex(64)
_IDS = ListOf(_ID)
_CATEGORY = Text("one of RESULT_CATEGORIES or of the department's vocabulary (§10)", nonempty=True)
_IDS_UNIQUE = ListOf(_ID, nonempty=True, unique=True)
#: An exact decimal ratio in [0, 1] as content writes it (format(Decimal, "f")): "0.05", "1".
_RATIO = Text("decimal ratio string", nonempty=True, pattern=r"(0(\.[0-9]+)?|1(\.0+)?)")


# --------------------------------------------------------------------------- key management

#: ``log.init.formats.entry``: the entry format this module defines (docs/ledger.md §13.3).
ENTRY_FORMAT: Final = "gongkai-ledger/v1"


@payload
@dataclass(frozen=True)
class Formats:
    """``log.init.formats``."""

    #: The draw algorithm the log was created with: one the parser knows (:class:`EntryTypes`).
    draw: str = spec(_ID)
    entry: str = spec(Const(ENTRY_FORMAT))


@payload
@dataclass(frozen=True)
class LogInit(Root):
    """``log.init`` (entry 0)."""

    TYPE: ClassVar[str] = "log.init"
    origin: str = spec(_ID)
    log_keys: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))
    roots: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))
    threshold: int = spec(Int(1))
    formats: Formats = spec(Object(Formats))


@payload
@dataclass(frozen=True)
class KeySpec:
    """``key.add.key``: the new department key."""

    vkey: str = spec(_ID)
    role: str = spec(Const("dept"))
    dept: str = spec(_ID)
    scopes: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))


@payload
@dataclass(frozen=True)
class KeyAdd(Root):
    """``key.add``."""

    TYPE: ClassVar[str] = "key.add"
    key: KeySpec = spec(Object(KeySpec))


@payload
@dataclass(frozen=True)
class KeyRevoke(Root):
    """``key.revoke``."""

    TYPE: ClassVar[str] = "key.revoke"
    key: str = spec(_ID)
    reason: str = spec(OneOf(("rotated", "compromised")))
    compromised_from_index: int | None = spec(Int(0), optional=True)


@payload
@dataclass(frozen=True)
class RootUpdate(Root):
    """``root.update``."""

    TYPE: ClassVar[str] = "root.update"
    roots: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))
    threshold: int = spec(Int(1))


@payload
@dataclass(frozen=True)
class LogkeyRotate(Root):
    """``logkey.rotate``."""

    TYPE: ClassVar[str] = "logkey.rotate"
    log_keys: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))


# --------------------------------------------------------------------------- plans and invitations


@payload
@dataclass(frozen=True)
class BlobRef:
    """A JSON blob: ``blobs/sha256/<sha256>`` of ``size`` bytes."""

    media: str = spec(Const("application/json"))
    sha256: str = spec(_HEX64)
    size: int = spec(Int(0))


@payload
@dataclass(frozen=True)
class PlanTask:
    """One task of ``plan.publish.tasks``."""

    task_id: str = spec(_ID)
    kind: str = spec(OneOf(("joint", "single")))
    lead: str = spec(_ID)
    departments: tuple[str, ...] = spec(_IDS_UNIQUE)


@payload
@dataclass(frozen=True)
class PlanPublish(Statement):
    """``plan.publish``: the year's plan; the document is a blob."""

    TYPE: ClassVar[str] = "plan.publish"
    plan_id: str = spec(_ID)
    year: int = spec(Int(1900, 9999))
    title: str = spec(_ID)
    tasks: tuple[PlanTask, ...] = spec(ListOf(Object(PlanTask), nonempty=True))
    document: BlobRef = spec(Object(BlobRef))
    version: int | None = spec(Int(2, 9999), optional=True)


@payload
@dataclass(frozen=True)
class ChecklistItem:
    """One 抽查事项 of ``checklist.publish.items``: what a draw may rely on (docs/workflow.md §8)."""

    item_id: str = spec(_ID)
    name: str = spec(_ID)
    item_class: str = spec(OneOf(("重点检查事项", "一般检查事项")))
    ratio_cap: str | None = spec(Nullable(_RATIO))
    min_ratio: str | None = spec(Nullable(_RATIO))
    legal_basis: tuple[str, ...] = spec(ListOf(_ID, nonempty=True))
    frequency: int | None = spec(Nullable(Int(1, 366)))


@payload
@dataclass(frozen=True)
class ChecklistPublish(Statement):
    """``checklist.publish``: version n of a department's 抽查事项清单 (docs/workflow.md §8)."""

    TYPE: ClassVar[str] = "checklist.publish"
    version: int = spec(Int(1, 9999))
    items: tuple[ChecklistItem, ...] = spec(ListOf(Object(ChecklistItem), nonempty=True))
    document: BlobRef = spec(Object(BlobRef))


@payload
@dataclass(frozen=True)
class LibraryPublish(Statement):
    """``library.publish``: version n of the 检查对象名录库 (``entities``) or of the
    执法检查人员名录库 (``inspectors``) (docs/workflow.md §9); the whole library is the blob, so
    that every draw's entity and inspector snapshots can be re-derived from it."""

    TYPE: ClassVar[str] = "library.publish"
    library: str = spec(OneOf(("entities", "inspectors")))
    version: int = spec(Int(1, 999_999))
    count: int = spec(Int(0))
    document: BlobRef = spec(Object(BlobRef))


@payload
@dataclass(frozen=True)
class TaskInvite(Statement):
    """``task.invite`` (一业一查邀约) by the lead department."""

    TYPE: ClassVar[str] = "task.invite"
    task_id: str = spec(_ID)
    partners: tuple[str, ...] = spec(_IDS_UNIQUE)
    items: dict[str, tuple[str, ...]] = spec(MapOf(_IDS, key_doc="dept"))
    opens: dt.date = spec(Date())
    closes: dt.date = spec(Date())


@payload
@dataclass(frozen=True)
class TaskReply(Statement):
    """``task.reply`` (应约) by a partner department; a decline has a reason."""

    TYPE: ClassVar[str] = "task.reply"
    task_id: str = spec(_ID)
    decision: str = spec(OneOf(("accept", "decline")))
    reason: str | None = spec(_REASON, optional=True)


# --------------------------------------------------------------------------- draws


@payload
@dataclass(frozen=True)
class PoolRef:
    """One snapshot of ``draw.announce.pools`` (a blob named by its hash)."""

    count: int = spec(Int(0))
    sha256: str = spec(_HEX64)


@payload
@dataclass(frozen=True)
class Pools:
    """``draw.announce.pools``."""

    conflicts: PoolRef = spec(Object(PoolRef))
    entities: PoolRef = spec(Object(PoolRef))
    inspectors: PoolRef = spec(Object(PoolRef))


@payload
@dataclass(frozen=True)
class DrandRef:
    """``draw.announce.randomness.drand``: the future quicknet round."""

    chain_hash: str = spec(_HEX64)
    round: int = spec(Int(1))


@payload
@dataclass(frozen=True)
class Commitment:
    """One department's commitment of ``draw.announce.randomness.commitments``."""

    commitment: str = spec(_HEX64)
    dept: str = spec(_ID)


@payload
@dataclass(frozen=True)
class Randomness:
    """``draw.announce.randomness``."""

    commitments: tuple[Commitment, ...] = spec(ListOf(Object(Commitment), nonempty=True))
    drand: DrandRef = spec(Object(DrandRef))


class DrawRules(Protocol):
    """What the task and pool rules read of any algorithm's ``draw.announce.rules``: who takes
    part and the strata with their ratios."""

    @property
    def lead(self) -> str: ...
    @property
    def departments(self) -> Sequence[Any]: ...  # each with its ``dept``
    @property
    def strata(self) -> Sequence[Any]: ...  # each with its ``stratum`` and ``ratio``


@dataclass(frozen=True)
class DrawAnnounce(Statement):
    """``draw.announce`` (docs/draw-v1.md §3), co-signed by every participating department.

    The fields every draw algorithm's announcement has. ``schema`` (``<algorithm>/announce``),
    ``algorithm`` and ``rules`` belong to the algorithm: an announcement is parsed with
    :func:`draw_payloads` of the algorithm it names (its ``rules`` class is the algorithm's,
    :attr:`ledger.draw.algorithms.DrawAlgorithm.rules`), so this class is never parsed itself.
    """

    TYPE: ClassVar[str] = "draw.announce"
    BY_ALGORITHM: ClassVar[bool] = True
    schema: str = spec(_ID)
    algorithm: str = spec(_ID)
    task_id: str = spec(_ID)
    title: str = spec(_ID)
    announced_at: str = spec(Timestamp())
    pools: Pools = spec(Object(Pools))
    rules: DrawRules = spec(_ID)  # the algorithm's rules class (draw_payloads)
    randomness: Randomness = spec(Object(Randomness))
    #: docs/ledger.md §14.4 rule 3: optional; ``gongkai`` always writes it.
    reveal_deadline: str | None = spec(Timestamp(), optional=True)

    @property
    def departments(self) -> tuple[str, ...]:
        """The participating departments, in ``rules.departments`` order."""
        return tuple(d.dept for d in self.rules.departments)

    def signers(self) -> frozenset[str]:
        return frozenset((self.dept, *self.departments))


@payload
@dataclass(frozen=True)
class DrawReveal(Statement):
    """``draw.reveal``: a department's secret (docs/draw-v1.md §4)."""

    TYPE: ClassVar[str] = "draw.reveal"
    task_id: str = spec(_ID)
    secret: str = spec(_HEX64)


@payload
@dataclass(frozen=True)
class DrawBeacon(Statement):
    """``draw.beacon``: the drand round's signature, checked offline."""

    TYPE: ClassVar[str] = "draw.beacon"
    task_id: str = spec(_ID)
    chain_hash: str = spec(_HEX64)
    round: int = spec(Int(1))
    signature: str = spec(Hex(None))


@payload
@dataclass(frozen=True)
class DrawResult(Statement):
    """``draw.result``: the result record is the blob ``result``."""

    TYPE: ClassVar[str] = "draw.result"
    task_id: str = spec(_ID)
    result: BlobRef = spec(Object(BlobRef))
    result_sha256: str = spec(_HEX64)


@payload
@dataclass(frozen=True)
class Replacement:
    """``draw.replace.replacement``: the reserve that takes the slot."""

    id: str = spec(_ID)
    ticket: str = spec(Text("decimal string", pattern=r"0\.[0-9]+"))


@dataclass(frozen=True)
class DrawReplace(Statement):
    """``draw.replace`` (docs/draw-v1.md §11); ``schema`` is ``<algorithm>/replace`` and the
    body is parsed with :func:`draw_payloads` of that algorithm, like :class:`DrawAnnounce`."""

    TYPE: ClassVar[str] = "draw.replace"
    BY_ALGORITHM: ClassVar[bool] = True
    schema: str = spec(_ID)
    task_id: str = spec(_ID)
    result_sha256: str = spec(_HEX64)
    stratum: str = spec(_ID)
    removed: str = spec(_ID)
    reason: str = spec(_REASON)
    replacement: Replacement | None = spec(Nullable(Object(Replacement)))

    def record(self) -> dict[str, Any]:
        """The replacement record of docs/draw-v1.md §11 (the body without common fields)."""
        return {k: v for k, v in encode(self).items() if k not in COMMON_FIELDS}


@dataclass(frozen=True)
class DrawPayloads:
    """The payload classes of one draw algorithm's ``draw.announce`` and ``draw.replace``."""

    announce: type[DrawAnnounce]
    replace: type[DrawReplace]


def draw_payloads(name: str, rules_class: type[Any]) -> DrawPayloads:
    """The entry bodies of the draw algorithm ``name`` whose announcement rules are
    ``rules_class`` (a :func:`ledger.schema.payload` class): ``schema`` is
    ``"<name>/announce"`` / ``"<name>/replace"``, ``algorithm`` is ``name``.
    """

    @payload
    @dataclass(frozen=True)
    class Announce(DrawAnnounce):
        schema: str = spec(Const(f"{name}/announce"))
        algorithm: str = spec(Const(name))
        rules: DrawRules = spec(Object(rules_class))

    @payload
    @dataclass(frozen=True)
    class Replace(DrawReplace):
        schema: str = spec(Const(f"{name}/replace"))

    Announce.__name__ = Announce.__qualname__ = f"DrawAnnounce[{name}]"
    Replace.__name__ = Replace.__qualname__ = f"DrawReplace[{name}]"
    return DrawPayloads(Announce, Replace)


# --------------------------------------------------------------------------- after the draw


@payload
@dataclass(frozen=True)
class Form:
    """One department's result form of ``task.confirm.forms`` (hashes of the two files)."""

    csv_sha256: str = spec(_HEX64)
    dept: str = spec(_ID)
    xlsx_sha256: str = spec(_HEX64)


@payload
@dataclass(frozen=True)
class DrawnList:
    """``task.confirm.drawn``: the confirmed list of drawn entities (replacements counted) by
    its size and :func:`drawn_sha256` (``ids_sha256``: not ``sha256``, which would make it a blob
    or snapshot reference) (docs/workflow.md §2.3), so that the entry stays within
    the entry size limit however many businesses a task draws."""

    count: int = spec(Int(0))
    ids_sha256: str = spec(_HEX64)


def drawn_sha256(ids: Iterable[str]) -> str:
    """SHA-256 (lowercase hex) of each id followed by ``"\\n"``, in ascending order of the
    ids' UTF-8 bytes (code point order), without duplicates: ``task.confirm.drawn.ids_sha256``.

    Precondition: the ids are strings (the set of currently drawn entities)."""
    h = hashlib.sha256()
    for entity in sorted(set(ids)):
        h.update(entity.encode("utf-8") + b"\n")
    return h.hexdigest()


@payload
@dataclass(frozen=True)
class TaskConfirm(Statement):
    """``task.confirm`` (名单确认下发), signed by the lead and every participating department."""

    TYPE: ClassVar[str] = "task.confirm"
    task_id: str = spec(_ID)
    departments: tuple[str, ...] = spec(_IDS_UNIQUE)
    drawn: DrawnList = spec(Object(DrawnList))
    forms: tuple[Form, ...] = spec(ListOf(Object(Form)))

    def signers(self) -> frozenset[str]:
        return frozenset((self.dept, *self.departments))


@payload
@dataclass(frozen=True)
class FollowupState:
    """``result.followup``: the measure and whether it is closed."""

    measure: str = spec(OneOf(FOLLOWUP_MEASURES, "FOLLOWUP_MEASURES"))
    state: str = spec(OneOf(FOLLOWUP_STATES, "FOLLOWUP_STATES"))
    note: str | None = spec(_REASON, optional=True)
    closed_on: dt.date | None = spec(Date(), optional=True)


@payload
@dataclass(frozen=True)
class Result:
    """The ``result`` object of ``result.publish`` / ``result.correct``."""

    entity: str = spec(_ID)
    items: tuple[str, ...] = spec(_IDS)
    methods: tuple[str, ...] = spec(
        ListOf(OneOf(INSPECTION_METHODS, "INSPECTION_METHODS"), nonempty=True, unique=True)
    )
    #: Base words or the department's own, checked on replay (docs/workflow.md §10).
    categories: tuple[str, ...] = spec(ListOf(_CATEGORY, nonempty=True, unique=True))
    detail: str = spec(_TEXT)
    inspectors: tuple[str, ...] = spec(ListOf(_ID, nonempty=True, unique=True))
    inspected_on: dt.date = spec(Date())
    completed_on: dt.date = spec(Date())
    followup: FollowupState = spec(Object(FollowupState))


@payload
@dataclass(frozen=True)
class ResultPublish(Statement):
    """``result.publish`` (谁检查、谁录入、谁公开); ``inspection`` when entered on a phone."""

    TYPE: ClassVar[str] = "result.publish"
    task_id: str = spec(_ID)
    result: Result = spec(Object(Result))
    inspection: Inspection | None = spec(Object(Inspection), optional=True)


@payload
@dataclass(frozen=True)
class ResultCorrect(Statement):
    """``result.correct``: a new version of a published result."""

    TYPE: ClassVar[str] = "result.correct"
    task_id: str = spec(_ID)
    refers: Refers = spec(Object(Refers))
    result: Result = spec(Object(Result))
    reason: str = spec(_REASON)


@payload
@dataclass(frozen=True)
class FollowupRecord(Statement):
    """``followup.record``: a follow-up measure taken."""

    TYPE: ClassVar[str] = "followup.record"
    task_id: str = spec(_ID)
    entity: str = spec(_ID)
    measure: str = spec(OneOf(FOLLOWUP_MEASURES, "FOLLOWUP_MEASURES"))
    note: str = spec(_TEXT)
    #: 整改期限 of a 责令改正 (docs/workflow.md §5); absent when none was set.
    deadline: dt.date | None = spec(Date(), optional=True)


@payload
@dataclass(frozen=True)
class FollowupClose(Statement):
    """``followup.close`` (完结)."""

    TYPE: ClassVar[str] = "followup.close"
    task_id: str = spec(_ID)
    entity: str = spec(_ID)
    note: str = spec(_TEXT)
    closed_on: dt.date = spec(Date())
    #: 复查结果 (the re-inspection after 整改, docs/workflow.md §5); absent when none was made.
    recheck: str | None = spec(_REASON, optional=True)


# --------------------------------------------------------------------------- the registry value

ROOT_PAYLOADS: Final = (LogInit, KeyAdd, KeyRevoke, RootUpdate, LogkeyRotate)
WORKFLOW_PAYLOADS: Final = (
    PlanPublish,
    ChecklistPublish,
    VocabularyPublish,
    LibraryPublish,
    TaskInvite,
    TaskReply,
    DrawAnnounce,
    DrawReveal,
    DrawBeacon,
    DrawResult,
    DrawReplace,
    TaskConfirm,
    ResultPublish,
    ResultCorrect,
    FollowupRecord,
    FollowupClose,
    CaseOpen,
    CaseProgress,
    CaseClose,
    NoticeCopy,
    NoticeAck,
    InspectorEnrol,
    InspectorRevoke,
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class Unchecked(Statement):
    """A statement of a type accepted without a schema (``--allow-type``): common fields only."""

    body: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.body.get("type", ""))


@dataclass(frozen=True)
class EntryTypes:
    """The entry types a verifier or writer accepts, as a value passed to it.

    ``payloads`` maps a type to its payload class; ``unchecked`` are department types accepted
    (by ``--allow-type``) with only their common fields checked. ``draws`` maps each draw
    algorithm the parser knows to the class of its announcement ``rules``: a ``draw.announce``
    or ``draw.replace`` (a class with ``BY_ALGORITHM``) is parsed with :func:`draw_payloads` of
    the algorithm its ``schema`` names. None stands for every algorithm of
    :data:`ledger.draw.algorithms.DRAW_ALGORITHMS` (looked up when a draw entry or ``log.init``,
    whose ``formats.draw`` must be a known algorithm, is first parsed: importing this module
    does not load the draw engine).
    """

    payloads: Mapping[str, type[Any]]
    unchecked: frozenset[str] = frozenset()
    draws: Mapping[str, type[Any]] | None = None

    @classmethod
    def of(cls, classes: Iterable[type[Any]]) -> EntryTypes:
        """The set of the given payload classes (each names its type in ``TYPE``)."""
        return cls({c.TYPE: c for c in classes})

    def extended(self, classes: Iterable[type[Any]]) -> EntryTypes:
        """A copy that also accepts ``classes``."""
        payloads = {**self.payloads, **{c.TYPE: c for c in classes}}
        return dataclasses.replace(self, payloads=payloads)

    def allowing(self, types: Iterable[str]) -> EntryTypes:
        """A copy that also accepts the department ``types`` it does not know, unchecked."""
        unchecked = self.unchecked | (frozenset(types) - set(self.payloads))
        return dataclasses.replace(self, unchecked=unchecked)

    def with_algorithms(self, algorithms: Mapping[str, Any]) -> EntryTypes:
        """A copy whose draw entries are those of ``algorithms`` (name → an object with the
        algorithm's ``rules`` class, e.g. :class:`ledger.draw.algorithms.DrawAlgorithms`)."""
        return dataclasses.replace(self, draws={n: a.rules for n, a in algorithms.items()})

    @functools.cached_property
    def draw_classes(self) -> dict[str, DrawPayloads]:
        """Each known draw algorithm's entry classes (:func:`draw_payloads`), by name."""
        draws = self.draws
        if draws is None:
            from ledger.draw.algorithms import DRAW_ALGORITHMS

            draws = {n: a.rules for n, a in DRAW_ALGORITHMS.items()}
        return {name: draw_payloads(name, rules) for name, rules in draws.items()}

    def body_class(self, body: Mapping[str, Any]) -> type[Any] | None:
        """The payload class of ``body`` (None for a type without one).

        Raises:
            BodyError: if the body is a draw entry of an algorithm this value does not know.
        """
        cls = self.payloads.get(body.get("type", ""))
        if cls is None or not getattr(cls, "BY_ALGORITHM", False):
            return cls
        schema = body.get("schema")
        name, _, kind = schema.rpartition("/") if isinstance(schema, str) else ("", "", "")
        known = self.draw_classes
        if name not in known or kind != ("announce" if cls is DrawAnnounce else "replace"):
            names = "、".join(sorted(known)) or "（无）"
            raise BodyError(f"未知的抽取算法 {schema!r}（本验证程序支持：{names}）", ["schema"])
        draw = known[name]
        return draw.announce if cls is DrawAnnounce else draw.replace

    def parse_body(self, body: Mapping[str, Any]) -> Any:
        """The typed payload of ``body``, whose type has a payload class.

        Raises:
            BodyError: the type has no class here, or the body does not match it (or names a
                draw algorithm this value does not know).
        """
        cls = self.body_class(body)
        if cls is None:
            raise BodyError(f"未知的条目类型 {body.get('type')!r}", ["type"])
        value = parse(cls, body)
        if isinstance(value, LogInit) and value.formats.draw not in self.draw_classes:
            draw = value.formats.draw
            raise BodyError(f"未知的抽取算法 {draw!r}", ["formats", "draw"])
        return value

    def parse(self, entry: Entry, where: str) -> Any:
        """The typed payload of ``entry`` (an :class:`Unchecked` for an allowed unknown type).

        Raises:
            VerificationError: ``where``: the type is unknown, or the body does not match its
                schema (the message names the field's path and what is wrong).
        """
        if entry.type not in self.payloads:
            if entry.type not in self.unchecked:
                raise VerificationError(f"{where}：未知的条目类型 {entry.type}")
            body = entry.body
            dept = body.get("dept")
            if type(dept) is not str or not dept:
                raise VerificationError(f"{where}：缺少实施部门 dept")
            return Unchecked(id=entry.id, ts=entry.ts, dept=dept, body=body)
        try:
            return self.parse_body(entry.body)
        except BodyError as exc:
            raise VerificationError(f"{where}：字段 {exc.where} {exc.reason}") from None


ENTRY_TYPES: Final = EntryTypes.of((*ROOT_PAYLOADS, *WORKFLOW_PAYLOADS))
"""Every entry type of gongkai-ledger/v1 (key management and the workflow)."""


def sign(origin: str, body: Any, signers: Sequence[Signer]) -> bytes:
    """The entry line of the payload ``body`` signed by ``signers`` (see ``make_entry``).

    Raises:
        MalformedError / ValueError: as :func:`ledger.entries.make_entry`.
    """
    return make_entry(origin, encode(body), signers)
