"""Inspection results (检查结果) and follow-up (后续处置), as published under each business.

Categories and measures use the exact wording of the provincial result-entry form
(docs/domain.md §3). A result is entered by the inspecting department (谁检查、谁录入、谁公开),
recorded in the ledger as a ``result.publish`` entry, and attributed to one entity
(归集到市场主体名下). A correction is a new entry that supersedes the old one; both stay visible.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple, TypeAlias

from generator.content.model import InspectionMethod, _ChineseEnum
from ledger.dept_vocabulary import DeptVocabularies
from ledger.errors import VerificationError
from ledger.vocabulary import RESULT_CATEGORY_TABLE


class ResultCategory(_ChineseEnum):
    """检查结果 (multiple choice; 未发现问题 excludes the others). Values are the published wording.

    The members are the rows of :data:`ledger.vocabulary.RESULT_CATEGORY_TABLE` (member name =
    the row's ``name``, value = its ``word``): a new category is a new row there, nothing here
    (docs/extending.md §1). Code that needs one category by name uses the constants below.
    """

    _value_: str
    vars().update((c.name, c.word) for c in RESULT_CATEGORY_TABLE)

    @property
    def problem_found(self) -> bool:
        """Whether the category records a problem (发现问题)."""
        return _ROWS[self.value].problem

    @property
    def code(self) -> str:
        """The form's code (1–12, B–G), docs/domain.md §3.1."""
        return _ROWS[self.value].code


_ROWS: Final = {c.word: c for c in RESULT_CATEGORY_TABLE}

#: The categories the form's rules name (docs/domain.md §3.1): 未发现问题 excludes the others,
#: 发现问题经责令已改正 needs no further measure, and the older wordings map onto two of them.
NO_PROBLEM: Final = ResultCategory["NO_PROBLEM"]
CORRECTED_ON_ORDER: Final = ResultCategory["CORRECTED_ON_ORDER"]
SERIOUS_NON_COOPERATION: Final = ResultCategory["SERIOUS_NON_COOPERATION"]

#: Findings under the inspecting department's own rules (docs/domain.md §3.4): what
#: “违反本部门相关规定，责令改正” needs.
OWN_RULE_FINDINGS: Final = frozenset(
    ResultCategory[n]
    for n in (
        "NOT_PUBLISHED_REQUIRED_INFO",
        "FALSE_PUBLIC_INFO",
        "VIOLATION_MARKET_OTHER",
        "VIOLATION_FOOD_DRUG",
        "VIOLATION_QUALITY",
        "VIOLATION_MARKET",
        "VIOLATION_OWN_DEPT",
        "CORRECTED_ON_ORDER",
    )
)
#: Findings under another department's rules: what “违反其他部门相关规定，抄告相关部门” needs.
OTHER_RULE_FINDINGS: Final = frozenset(
    ResultCategory[n] for n in ("VIOLATION_PUBLIC_SECURITY", "VIOLATION_OTHER_DEPT")
)


@dataclass(frozen=True)
class DeptFinding:
    """A 检查结果 of one department's own vocabulary (``vocabulary.publish``, docs/workflow.md
    §10): read like a :class:`ResultCategory` (``value``, ``code``, ``problem_found``)."""

    dept: str
    value: str
    """The exact published wording."""
    code: str
    """``<dept>-<n>``, n its position among every word the department ever published: the site
    address ``/results/category/<code>/`` (a base code has no hyphen)."""
    problem_found: bool

    @property
    def _value_(self) -> str:
        """``value``, as an enum member spells it (read by ``generator.site.pages``)."""
        return self.value


Category: TypeAlias = ResultCategory | DeptFinding
"""A result's category: a base word or the department's own."""


def dept_findings(book: DeptVocabularies, dept: str) -> dict[str, DeptFinding]:
    """Every word ``dept`` ever published, by wording, in order of first publication."""
    words = book.meaning.get(dept, {})
    return {
        w: DeptFinding(dept, w, f"{dept}-{n}", problem)
        for n, (w, problem) in enumerate(words.items(), start=1)
    }


def findings_in_force(
    book: DeptVocabularies, dept: str, before: int | None = None
) -> tuple[DeptFinding, ...]:
    """The words of ``dept``'s vocabulary version in force (before log index ``before``, if
    given; empty if it has published none), in the version's order: what its result form offers
    and its import accepts."""
    current = book.in_force(dept, before)
    if current is None:
        return ()
    every = dept_findings(book, dept)
    return tuple(every[f.word] for f in current.findings)


def categories_of(
    words: Iterable[str], dept: str, book: DeptVocabularies | None
) -> tuple[Category, ...]:
    """The categories of a verified result of ``dept`` (base words and ``dept``'s own).

    Raises:
        VerificationError: a word is neither a base word nor one ``dept`` published (only for
            a result the verifier never accepted), naming the field and the word.
    """
    own = dept_findings(book, dept) if book is not None else {}
    out: list[Category] = []
    for i, word in enumerate(words):
        if word in _ROWS:
            out.append(ResultCategory(word))
        elif word in own:
            out.append(own[word])
        else:
            raise VerificationError(
                f"result.categories[{i}]：检查结果“{word}”不是省级检查结果录入表的用语，"
                f"也不是部门 {dept} 发布的本部门检查结果用语"
            )
    return tuple(out)


class FollowUpMeasure(_ChineseEnum):
    """后续处置措施 (exact options of the form, docs/domain.md §3.2)."""

    NONE_NEEDED = "未发现问题或相关问题已规范、已改正，无需后续处置"
    TO_DAILY_SUPERVISION = "停止检查，反馈至日常监管部门依法依规处理"
    RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"
    REFER_CASE = "发现案件线索，初步固定相关证据后移送办案机构依法依规处理"
    NOTIFY_OTHER_DEPT = "违反其他部门相关规定，抄告相关部门"
    OTHER = "其他"


class FollowUpState(enum.Enum):
    """后续处置措施是否完结."""

    OPEN = "未完结"
    CLOSED = "已完结"


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of one result."""

    measure: FollowUpMeasure
    state: FollowUpState
    note: str = ""
    closed_on: dt.date | None = None
    #: 整改期限 set by the last ``followup.record`` (docs/workflow.md §5); None when none.
    deadline: dt.date | None = None
    #: 复查结果 recorded by ``followup.close``; empty when none.
    recheck: str = ""


class CompromisedSignature(NamedTuple):
    """An inspector's phone signature on a result made with a key whose compromise was declared
    from ``compromised_from`` (≤ the result's index) on; revoked at ``revoked_at``
    (docs/mobile.md §3)."""

    inspector: str
    compromised_from: int
    revoked_at: int


@dataclass(frozen=True)
class InspectionResult:
    """One department's published result for one entity in one task (归集到市场主体名下)."""

    task_id: str
    dept: str
    entity: str
    items: tuple[str, ...]
    methods: tuple[InspectionMethod, ...]
    categories: tuple[Category, ...]
    detail: str
    inspectors: tuple[str, ...]
    inspected_on: dt.date
    completed_on: dt.date
    published_on: dt.date
    followup: FollowUp
    ledger_index: int
    superseded_by: int | None = None
    #: The earliest RFC 3161 bound on when the entry was public (docs/ledger.md §15.4), UTC,
    #: and the TSA that proves it; None when no time-stamped checkpoint covers it yet.
    proven_public: dt.datetime | None = None
    proven_tsa: str = ""
    #: 执法证号 of the inspectors whose phone keys signed it (docs/mobile.md §4); empty for a
    #: result imported from a form.
    signed_by: tuple[str, ...] = ()
    #: The signatures of ``signed_by`` that are flagged: their key was later revoked as
    #: compromised from this result's index or earlier (docs/mobile.md §3).
    compromised: tuple[CompromisedSignature, ...] = ()

    @property
    def proven_text(self) -> str:
        """``proven_public`` in Beijing time with its TSA, e.g. ``2024-03-01 18:00:00（北京时间，
        example-tsa）``; empty without a proof."""
        if self.proven_public is None:
            return ""
        china = self.proven_public.astimezone(dt.timezone(dt.timedelta(hours=8)))
        return f"{china:%Y-%m-%d %H:%M:%S}（北京时间，{self.proven_tsa}）"

    @property
    def problem_found(self) -> bool:
        """Whether any category records a problem."""
        return any(c.problem_found for c in self.categories)


def measure_mismatch(measure: FollowUpMeasure, categories: Iterable[Category]) -> str | None:
    """Why ``measure`` contradicts the result's ``categories`` (docs/domain.md §3.4), or None.

    * “违反本部门相关规定，责令改正…” needs a finding under the department's own rules
      (:data:`OWN_RULE_FINDINGS`, or a word of its own vocabulary that records a problem,
      docs/workflow.md §10);
    * “违反其他部门相关规定，抄告相关部门” needs a finding under another department's rules
      (:data:`OTHER_RULE_FINDINGS`).
    """
    chosen = set(categories)
    own = any(isinstance(c, DeptFinding) and c.problem_found for c in chosen)
    if measure is FollowUpMeasure.RECTIFY and not (own or chosen & OWN_RULE_FINDINGS):
        return (
            f"后续处置措施“{measure.value}”须有违反本部门规定的检查结果（如“违反市场监管相关规定”"
            "“违反本部门相关规定”）；只违反其他部门规定的，应选择“违反其他部门相关规定，抄告相关部门”"
        )
    if measure is FollowUpMeasure.NOTIFY_OTHER_DEPT and not chosen & OTHER_RULE_FINDINGS:
        return f"后续处置措施“{measure.value}”须有检查结果“违反其他部门相关规定”或“违反公安部门相关规定”"
    return None
