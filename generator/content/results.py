"""Inspection results (检查结果) and follow-up (后续处置), as published under each business.

Categories and measures use the exact wording of the provincial result-entry form
(docs/domain.md §3). A result is entered by the inspecting department (谁检查、谁录入、谁公开),
recorded in the ledger as a ``result.publish`` entry, and attributed to one entity
(归集到市场主体名下). A correction is a new entry that supersedes the old one; both stay visible.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from generator.content.model import InspectionMethod, _ChineseEnum


class ResultCategory(_ChineseEnum):
    """检查结果 (multiple choice; 未发现问题 excludes the others). Values are the published wording."""

    NO_PROBLEM = "未发现问题"
    NOT_PUBLISHED_REQUIRED_INFO = "未按规定公示应当公示的信息"
    FALSE_PUBLIC_INFO = "公示信息隐瞒真实情况弄虚作假"
    UNREACHABLE_AT_ADDRESS = "通过登记的住所（经营场所）无法联系"
    VIOLATION_MARKET_OTHER = "违反其他工商行政管理规定行为"
    VIOLATION_FOOD_DRUG = "违反食品药品管理相关规定"
    VIOLATION_QUALITY = "违反质量技术监督相关规定"
    VIOLATION_PUBLIC_SECURITY = "违反公安部门相关规定"
    VIOLATION_OTHER_DEPT = "违反其他部门相关规定"
    CORRECTED_ON_ORDER = "发现问题经责令已改正"
    ACTIVITY_NOT_FOUND = "未发现开展本次抽查涉及的经营活动"
    CLOSED_OR_LIQUIDATING = "已关闭停业或正在组织清算"
    SERIOUS_NON_COOPERATION = "不配合检查情节严重"
    DEREGISTERED = "注销"
    LICENCE_REVOKED = "被吊销"
    REGISTRATION_CANCELLED = "被撤销"
    MOVED_OUT = "迁出"

    @property
    def problem_found(self) -> bool:
        """Whether the category records a problem (发现问题)."""
        return self in _PROBLEMS

    @property
    def code(self) -> str:
        """The form's code (1–12, B–G), docs/domain.md §3.1."""
        return _CODES[self]


_CODES = {
    ResultCategory.NO_PROBLEM: "1",
    ResultCategory.NOT_PUBLISHED_REQUIRED_INFO: "B",
    ResultCategory.FALSE_PUBLIC_INFO: "C",
    ResultCategory.UNREACHABLE_AT_ADDRESS: "6",
    ResultCategory.VIOLATION_MARKET_OTHER: "D",
    ResultCategory.VIOLATION_FOOD_DRUG: "3",
    ResultCategory.VIOLATION_QUALITY: "4",
    ResultCategory.VIOLATION_PUBLIC_SECURITY: "G",
    ResultCategory.VIOLATION_OTHER_DEPT: "5",
    ResultCategory.CORRECTED_ON_ORDER: "E",
    ResultCategory.ACTIVITY_NOT_FOUND: "F",
    ResultCategory.CLOSED_OR_LIQUIDATING: "7",
    ResultCategory.SERIOUS_NON_COOPERATION: "8",
    ResultCategory.DEREGISTERED: "9",
    ResultCategory.LICENCE_REVOKED: "10",
    ResultCategory.REGISTRATION_CANCELLED: "11",
    ResultCategory.MOVED_OUT: "12",
}

_PROBLEMS = frozenset(
    {
        ResultCategory.NOT_PUBLISHED_REQUIRED_INFO,
        ResultCategory.FALSE_PUBLIC_INFO,
        ResultCategory.UNREACHABLE_AT_ADDRESS,
        ResultCategory.VIOLATION_MARKET_OTHER,
        ResultCategory.VIOLATION_FOOD_DRUG,
        ResultCategory.VIOLATION_QUALITY,
        ResultCategory.VIOLATION_PUBLIC_SECURITY,
        ResultCategory.VIOLATION_OTHER_DEPT,
        ResultCategory.CORRECTED_ON_ORDER,
        ResultCategory.SERIOUS_NON_COOPERATION,
    }
)


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


@dataclass(frozen=True)
class InspectionResult:
    """One department's published result for one entity in one task (归集到市场主体名下)."""

    task_id: str
    dept: str
    entity: str
    items: tuple[str, ...]
    methods: tuple[InspectionMethod, ...]
    categories: tuple[ResultCategory, ...]
    detail: str
    inspectors: tuple[str, ...]
    inspected_on: dt.date
    completed_on: dt.date
    published_on: dt.date
    followup: FollowUp
    ledger_index: int
    superseded_by: int | None = None

    @property
    def problem_found(self) -> bool:
        """Whether any category records a problem."""
        return any(c.problem_found for c in self.categories)
