"""The closed vocabularies of published inspection results (docs/workflow.md, “Vocabularies”).

These are the exact options of the provincial result-entry form (检查结果录入表): the words a
``result.publish`` / ``result.correct`` body and a ``followup.record`` body may hold. They live in
the ledger layer because the verifier checks every body against them: a value outside a list is
rejected when the ledger is verified, so the site and the statistics never meet a word they do
not know. The result categories are defined here once, with their form code and whether they
record a problem (:data:`RESULT_CATEGORY_TABLE`); the generator's ``ResultCategory`` enum is
built from that table. The other generator enums (``generator.content.model``,
``generator.content.results``) carry the same values as the lists below, in the same order (a
test checks it).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Category(NamedTuple):
    """One 检查结果 of the provincial form (docs/domain.md §3.1)."""

    name: str
    """The identifier code refers to it by (``ResultCategory[name]``), e.g. ``NO_PROBLEM``."""
    word: str
    """The exact published wording, the value in a ledger body."""
    code: str
    """The form's own code; the site address ``/results/category/<code>/``."""
    problem: bool
    """Whether it records a problem found (发现问题)."""


RESULT_CATEGORY_TABLE: Final = (
    Category("NO_PROBLEM", "未发现问题", "1", False),
    Category("NOT_PUBLISHED_REQUIRED_INFO", "未按规定公示应当公示的信息", "B", True),
    Category("FALSE_PUBLIC_INFO", "公示信息隐瞒真实情况弄虚作假", "C", True),
    Category("UNREACHABLE_AT_ADDRESS", "通过登记的住所（经营场所）无法联系", "6", True),
    Category("VIOLATION_MARKET_OTHER", "违反其他工商行政管理规定行为", "D", True),
    Category("VIOLATION_FOOD_DRUG", "违反食品药品管理相关规定", "3", True),
    Category("VIOLATION_QUALITY", "违反质量技术监督相关规定", "4", True),
    Category("VIOLATION_PUBLIC_SECURITY", "违反公安部门相关规定", "G", True),
    # Since the 2018 reform 工商、质监、食药 are one 市场监督管理 department: its current wording.
    Category("VIOLATION_MARKET", "违反市场监管相关规定", "H", True),
    # A partner department's (卫生健康、消防救援 …) finding under its own rules.
    Category("VIOLATION_OWN_DEPT", "违反本部门相关规定", "I", True),
    Category("VIOLATION_OTHER_DEPT", "违反其他部门相关规定", "5", True),
    Category("CORRECTED_ON_ORDER", "发现问题经责令已改正", "E", True),
    Category("ACTIVITY_NOT_FOUND", "未发现开展本次抽查涉及的经营活动", "F", False),
    Category("CLOSED_OR_LIQUIDATING", "已关闭停业或正在组织清算", "7", False),
    Category("SERIOUS_NON_COOPERATION", "不配合检查情节严重", "8", True),
    Category("DEREGISTERED", "注销", "9", False),
    Category("LICENCE_REVOKED", "被吊销", "10", False),
    Category("REGISTRATION_CANCELLED", "被撤销", "11", False),
    Category("MOVED_OUT", "迁出", "12", False),
)
"""检查结果, in the form's order: the one definition of the result categories. The verifier
checks bodies against the words; the generator's ``ResultCategory`` enum, the result form, the
site and the statistics are built from these rows (docs/extending.md §1)."""

RESULT_CATEGORIES: Final = tuple(c.word for c in RESULT_CATEGORY_TABLE)
"""The wording of every category (a result holds one or more of these)."""

INSPECTION_METHODS: Final = (
    "现场检查",
    "实地核查",
    "书面检查",
    "网络检查",
    "网络监测",
    "检验检测",
    "行政部门检查结果或专业意见",
    "委托专业机构辅助",
)
"""检查方式."""

FOLLOWUP_MEASURES: Final = (
    "未发现问题或相关问题已规范、已改正，无需后续处置",
    "停止检查，反馈至日常监管部门依法依规处理",
    "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责",
    "发现案件线索，初步固定相关证据后移送办案机构依法依规处理",
    "违反其他部门相关规定，抄告相关部门",
    "其他",
)
"""后续处置措施."""

FOLLOWUP_STATES: Final = ("未完结", "已完结")
"""后续处置是否完结."""

VOCABULARIES: Final = {
    "RESULT_CATEGORIES": RESULT_CATEGORIES,
    "INSPECTION_METHODS": INSPECTION_METHODS,
    "FOLLOWUP_MEASURES": FOLLOWUP_MEASURES,
    "FOLLOWUP_STATES": FOLLOWUP_STATES,
}
"""Every closed list by the name docs/workflow.md uses for it."""
