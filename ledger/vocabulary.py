"""The closed vocabularies of published inspection results (docs/workflow.md, “Vocabularies”).

These are the exact options of the provincial result-entry form (检查结果录入表): the words a
``result.publish`` / ``result.correct`` body and a ``followup.record`` body may hold. They live in
the ledger layer because the verifier checks every body against them: a value outside a list is
rejected when the ledger is verified, so the site and the statistics never meet a word they do
not know. The generator's enums (``generator.content.results``, ``generator.content.model``)
carry the same values, in the same order (a test checks it).
"""

from __future__ import annotations

from typing import Final

RESULT_CATEGORIES: Final = (
    "未发现问题",
    "未按规定公示应当公示的信息",
    "公示信息隐瞒真实情况弄虚作假",
    "通过登记的住所（经营场所）无法联系",
    "违反其他工商行政管理规定行为",
    "违反食品药品管理相关规定",
    "违反质量技术监督相关规定",
    "违反公安部门相关规定",
    "违反其他部门相关规定",
    "发现问题经责令已改正",
    "未发现开展本次抽查涉及的经营活动",
    "已关闭停业或正在组织清算",
    "不配合检查情节严重",
    "注销",
    "被吊销",
    "被撤销",
    "迁出",
)
"""检查结果 (a result holds one or more of these)."""

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
