"""The open datasets of the site (``data/<name>.csv|json``): their fields and their records.

Each field (key, Chinese title, type, meaning) is declared once here; the CSV header, the JSON
Schema and the Table Schema are generated from it (:mod:`generator.site.opendata`). Only public
fields: no addresses, no inspector assignments, no 回避 data; only published plans
(docs/site.md §3, §8).
"""

from __future__ import annotations

from generator.content.model import MarketEntity
from generator.site import followups
from generator.site.data import ResultRow, SiteData, ratio_text
from generator.site.opendata import DataField, Dataset, Value

ENTITY_FIELDS = (
    DataField(
        "code", "统一社会信用代码/注册号", "string", "统一社会信用代码；无代码的个体工商户为注册号"
    ),
    DataField("name", "名称", "string", "市场主体名称"),
    DataField("entity_type", "主体类型", "string", "企业、个体工商户、农民专业合作社等"),
    DataField("division", "行政区划", "string", "GB/T 2260 行政区划代码"),
    DataField("industries", "行业", "list", "所属行业（可多个）"),
    DataField("risk", "信用风险分类", "string", "A 低风险、B 一般风险、C 较高风险、D 高风险"),
    DataField("status", "登记状态", "string", "存续、在业、注销、吊销、撤销、迁出"),
)


def entity_record(e: MarketEntity) -> dict[str, Value]:
    return {
        "code": e.id,
        "name": e.name,
        "entity_type": e.entity_type.value,
        "division": e.division,
        "industries": list(e.industries),
        "risk": e.risk.value,
        "status": e.status.value,
    }


def result_record(d: SiteData, r: ResultRow) -> dict[str, Value]:
    """The open-data record of a result row."""
    return {
        "task_id": r.result.task_id,
        "dept": d.depts[r.result.dept].name if r.result.dept in d.depts else r.result.dept,
        "entity": r.result.entity,
        "entity_name": r.entity_name,
        "items": list(r.result.items),
        "methods": [m.value for m in r.result.methods],
        "categories": [c.value for c in r.result.categories],
        "detail": r.result.detail,
        "inspected_on": r.result.inspected_on.isoformat(),
        "completed_on": r.result.completed_on.isoformat(),
        "published_on": r.result.published_on.isoformat(),
        "deadline": r.deadline.isoformat() if r.deadline else None,
        "overdue": r.overdue if r.deadline else None,
        "followup_measure": r.result.followup.measure.value,
        "followup_state": r.result.followup.state.value,
        "followup_closed_on": r.result.followup.closed_on.isoformat()
        if r.result.followup.closed_on
        else None,
        "followup_deadline": r.result.followup.deadline.isoformat()
        if r.result.followup.deadline
        else None,
        "followup_recheck": r.result.followup.recheck,
        "ledger_index": r.result.ledger_index,
        "superseded_by": r.result.superseded_by,
    }


def datasets(d: SiteData) -> list[Dataset]:
    """The published datasets of a site (the last two: :mod:`generator.site.followups`)."""

    def results() -> list[dict[str, Value]]:
        return [result_record(d, r) for r in d.rows]

    def items() -> list[dict[str, Value]]:
        return [
            {
                "id": i.id,
                "dept": d.depts[i.dept].name,
                "category": i.category,
                "name": i.name,
                "item_class": i.item_class.value,
                "object_types": list(i.object_types),
                "methods": [m.value for m in i.methods],
                "subject": i.subject,
                "legal_basis": list(i.legal_basis),
                "ratio_cap": ratio_text(i.ratio_cap) if i.ratio_cap is not None else None,
            }
            for i in d.content.items
        ]

    def figures() -> list[dict[str, Value]]:
        return [dict(r) for r in d.figures.rate_records(d.as_of)]

    def plans() -> list[dict[str, Value]]:
        return [
            {
                "plan_id": t.plan.id,
                "year": t.plan.year,
                "task_id": t.task.id,
                "task_name": t.task.name,
                "kind": t.task.kind.value,
                "mode": t.task.mode.value,
                "industry": t.task.industry,
                "lead": d.depts[t.task.lead].name,
                "partners": [d.depts[p].name for p in t.task.partners],
                "items": [i for p in t.task.parts for i in p.items],
                "ratios": [f"{r.value}类 {ratio_text(x)}" for r, x in t.task.ratios],
                "min_count": t.task.min_count,
                "pool_size": len(t.pool),
                "planned": t.planned,
                "period_start": t.task.period_start.isoformat(),
                "period_end": t.task.period_end.isoformat(),
            }
            for t in d.public_tasks
        ]

    return [
        Dataset(
            "entities",
            "检查对象名录",
            "检查对象名录库中的市场主体（公开字段）",
            ENTITY_FIELDS,
            lambda: map(entity_record, d.content.entities),  # (a 100,000-record stream)
        ),
        Dataset(
            "results",
            "抽查检查结果",
            "已公示的抽查检查结果，含已更正的旧版本",
            RESULT_FIELDS,
            results,
        ),
        Dataset("items", "随机抽查事项清单", "各部门随机抽查事项", ITEM_FIELDS, items),
        Dataset(
            "plans",
            "年度抽查工作计划任务",
            "年度计划中的抽查任务，每行一项任务",
            PLAN_FIELDS,
            plans,
        ),
        Dataset(
            "figures",
            "两个100%及后续处置完结率",
            "抽查完成率、按时公示率、后续处置完结率（定义与 gongkai metrics 相同）",
            FIGURE_FIELDS,
            figures,
        ),
        *followups.datasets(d),
    ]


RESULT_FIELDS = (
    DataField("task_id", "任务编号", "string", "抽查任务编号"),
    DataField("dept", "检查实施机关", "string", "录入并公示结果的部门"),
    DataField("entity", "统一社会信用代码/注册号", "string", "被检查的市场主体"),
    DataField("entity_name", "企业名称", "string", "市场主体名称"),
    DataField("items", "抽查事项", "list", "抽查事项编号"),
    DataField("methods", "检查方式", "list", "核查方式"),
    DataField("categories", "检查结果", "list", "检查结果（可多选）"),
    DataField("detail", "具体情况", "string", "具体情况记录"),
    DataField("inspected_on", "检查日期", "date", "实施检查的日期"),
    DataField("completed_on", "检查完成日期", "date", "检查完成之日（公示期限起算日）"),
    DataField("published_on", "公示日期", "date", "结果公示日期"),
    DataField(
        "deadline",
        "公示期限",
        "date",
        "检查完成之日起第20个工作日；无节假日数据时为空",
        nullable=True,
    ),
    DataField(
        "overdue", "是否逾期", "boolean", "公示日期晚于公示期限；无法计算期限时为空", nullable=True
    ),
    DataField("followup_measure", "后续处置措施", "string", "后续处置措施"),
    DataField("followup_state", "后续处置是否完结", "string", "未完结 / 已完结"),
    DataField("followup_closed_on", "完结日期", "date", "后续处置完结日期", nullable=True),
    DataField("followup_deadline", "整改期限", "date", "责令改正的整改期限", nullable=True),
    DataField("followup_recheck", "复查结果", "string", "整改期满后的复查结果"),
    DataField("ledger_index", "账本序号", "integer", "公示记录在账本中的序号"),
    DataField(
        "superseded_by",
        "更正记录序号",
        "integer",
        "被更正时，更正记录在账本中的序号",
        nullable=True,
    ),
)

ITEM_FIELDS = (
    DataField("id", "事项编号", "string", "抽查事项编号"),
    DataField("dept", "实施部门", "string", "部门名称"),
    DataField("category", "抽查类别", "string", "抽查类别"),
    DataField("name", "抽查事项", "string", "抽查事项名称"),
    DataField("item_class", "事项类别", "string", "重点检查事项 / 一般检查事项"),
    DataField("object_types", "检查对象", "list", "检查对象类型"),
    DataField("methods", "检查方式", "list", "检查方式"),
    DataField("subject", "检查主体", "string", "检查主体"),
    DataField("legal_basis", "检查依据", "list", "法律法规依据"),
    DataField("ratio_cap", "抽查比例上限", "string", "一般检查事项的抽查比例上限", nullable=True),
)

PLAN_FIELDS = (
    DataField("plan_id", "计划编号", "string", "年度计划编号"),
    DataField("year", "年度", "integer", "计划年度"),
    DataField("task_id", "任务编号", "string", "抽查任务编号"),
    DataField("task_name", "任务名称", "string", "抽查任务名称"),
    DataField("kind", "任务类型", "string", "一业一查 / 单部门"),
    DataField("mode", "抽查类型", "string", "定向抽查 / 不定向抽查"),
    DataField("industry", "行业", "string", "任务所属行业"),
    DataField("lead", "牵头部门", "string", "牵头部门"),
    DataField("partners", "联查部门", "list", "配合部门"),
    DataField("items", "抽查事项", "list", "抽查事项编号"),
    DataField("ratios", "抽查比例", "list", "按信用风险分类的抽查比例"),
    DataField("min_count", "最少抽查户数", "integer", "不少于的户数"),
    DataField("pool_size", "抽查基数", "integer", "符合条件的检查对象户数"),
    DataField("planned", "计划抽查户数", "integer", "按比例计算的计划抽查户数"),
    DataField("period_start", "实施开始日期", "date", "实施抽查时间段开始"),
    DataField("period_end", "实施结束日期", "date", "实施抽查时间段结束"),
)

FIGURE_FIELDS = (
    DataField("figure", "指标代码", "string", "completion / publication / closure"),
    DataField("name", "指标", "string", "抽查完成率 / 按时公示率 / 后续处置完结率"),
    DataField("numerator", "分子", "integer", "见 numerator_means"),
    DataField("denominator", "分母", "integer", "见 denominator_means"),
    DataField(
        "rate", "比率", "string", "百分比，保留一位小数（四舍五入）；分母为 0 时为“暂无数据”"
    ),
    DataField("numerator_means", "分子含义", "string", "分子计数的对象"),
    DataField("denominator_means", "分母含义", "string", "分母计数的对象"),
    DataField("as_of", "统计截至", "date", "账本最后一条记录的日期", nullable=True),
)

#: Names of the datasets (for the data page), in order.
DATASETS: tuple[tuple[str, str], ...] = (
    ("entities", "检查对象名录"),
    ("results", "抽查检查结果"),
    ("items", "随机抽查事项清单"),
    ("plans", "年度抽查工作计划任务"),
    ("figures", "两个100%及后续处置完结率"),
    ("cases", "立案查处情况"),
    ("notices", "抄告及签收情况"),
)
