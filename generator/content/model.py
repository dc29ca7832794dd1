"""The content model: typed, frozen objects built from ``content/``.

Terms follow docs/domain.md §2–§3. Enum values are the exact Chinese wording used in
content files, spreadsheets and on the site.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Self

from generator.content.vocabulary import OwnVocabulary
from ledger.draw.library import DRAWABLE_STATUSES, filter_matches


class _ChineseEnum(enum.Enum):
    @classmethod
    def parse(cls, text: str) -> Self | None:
        """The member whose value is exactly ``text``, or None."""
        for member in cls:
            if member.value == text:
                return member
        return None


class ItemClass(_ChineseEnum):
    """事项类别: key items have no ratio ceiling, general items do (国市监信〔2019〕38号)."""

    KEY = "重点检查事项"
    GENERAL = "一般检查事项"


class InspectionMethod(_ChineseEnum):
    """检查方式 (docs/domain.md §3.3, 核查方式)."""

    ON_SITE = "现场检查"
    FIELD_VERIFICATION = "实地核查"
    DOCUMENTARY = "书面检查"
    ONLINE = "网络检查"
    ONLINE_MONITORING = "网络监测"
    TESTING = "检验检测"
    REUSED_FINDINGS = "行政部门检查结果或专业意见"
    ENTRUSTED = "委托专业机构辅助"


class EntityType(_ChineseEnum):
    """主体类型."""

    ENTERPRISE = "企业"
    SOLE_TRADER = "个体工商户"
    COOPERATIVE = "农民专业合作社"
    FOREIGN_REP_OFFICE = "外国企业常驻代表机构"
    OTHER = "其他"


class RegStatus(_ChineseEnum):
    """登记状态. Only 存续 and 在业 entities may enter a draw pool."""

    SUBSISTING = "存续"
    OPERATING = "在业"
    DEREGISTERED = "注销"
    REVOKED = "吊销"
    CANCELLED = "撤销"
    MOVED_OUT = "迁出"

    @property
    def drawable(self) -> bool:
        """Whether an entity with this status may enter a pool."""
        return self.value in DRAWABLE_STATUSES


class CreditRisk(_ChineseEnum):
    """信用风险分类 A (low) … D (high)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def label(self) -> str:
        """The Chinese name of the class."""
        return {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}[self.value]


class InspectorStatus(_ChineseEnum):
    """执法检查人员状态. Only 在岗 inspectors may be matched."""

    ACTIVE = "在岗"
    TRANSFERRED = "调出"
    RETIRED = "退休"


class TaskKind(_ChineseEnum):
    """一业一查 joint task or a single department's own task."""

    JOINT = "一业一查"
    SINGLE = "单部门"


class SamplingMode(_ChineseEnum):
    """定向 / 不定向抽查."""

    TARGETED = "定向抽查"
    UNTARGETED = "不定向抽查"


@dataclass(frozen=True)
class SiteConfig:
    """``content/gongkai.yaml``."""

    name: str
    region_code: str
    region_name: str
    base_url: str
    ledger_origin: str
    example: bool
    description: str = ""
    #: RFC 3161 time-stamping authorities, ``(name, url)`` (docs/content.md §1, docs/ledger.md
    #: §15.5); ``url`` is ``http(s)://…`` or, on an example site only, ``example:``.
    timestamping: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Department:
    """A department (部门) with the agency's 统一社会信用代码."""

    id: str
    name: str
    short_name: str
    uscc: str


@dataclass(frozen=True)
class InspectionItem:
    """One 抽查事项 of the 随机抽查事项清单.

    A 一般检查事项 always has ``ratio_cap``; a 重点检查事项 never has one (docs/content.md §10).
    """

    id: str
    dept: str
    category: str
    name: str
    object_types: tuple[str, ...]
    item_class: ItemClass
    methods: tuple[InspectionMethod, ...]
    subject: str
    legal_basis: tuple[str, ...]
    ratio_cap: Decimal | None = None
    sub_items: tuple[str, ...] = ()
    source: str = ""
    #: 抽查比例下限: at least ⌈min_ratio × N⌉ of a task's eligible entities (docs/content.md §10).
    min_ratio: Decimal | None = None
    #: 抽查频次: how many times one business may be drawn for this item in one plan year.
    frequency: int | None = None


@dataclass(frozen=True)
class MarketEntity:
    """A record of the 检查对象名录库. ``id`` is the 统一社会信用代码 or, failing that, the 注册号."""

    id: str
    name: str
    entity_type: EntityType
    division: str
    industries: tuple[str, ...]
    status: RegStatus
    risk: CreditRisk
    last_inspected: dt.date | None = None
    address: str = ""
    legacy_code: bool = False


@dataclass(frozen=True)
class Inspector:
    """A record of the 执法检查人员名录库; ``id`` is the 执法证号."""

    id: str
    name: str
    dept: str
    tags: tuple[str, ...]
    status: InspectorStatus


@dataclass(frozen=True)
class Conflict:
    """A 回避 pair. The reason is private: it is never published."""

    inspector: str
    entity: str
    reason: str


@dataclass(frozen=True)
class PoolFilter:
    """Which library records a task draws from; an empty tuple means "any"."""

    industries: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    entity_types: tuple[EntityType, ...] = ()

    def matches(self, entity: MarketEntity) -> bool:
        """Whether ``entity`` passes the filter and may be drawn (its status allows it): the
        one rule the verifier also applies to a library version (:mod:`ledger.draw.library`)."""
        return filter_matches(
            {
                "industries": self.industries,
                "divisions": self.divisions,
                "entity_types": tuple(t.value for t in self.entity_types),
            },
            status=entity.status.value,
            industries=entity.industries,
            division=entity.division,
            entity_type=entity.entity_type.value,
        )


@dataclass(frozen=True)
class DeptPart:
    """One department's share of a task: its items and its inspectors per entity."""

    dept: str
    items: tuple[str, ...]
    inspectors_per_entity: int
    required_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpotCheckTask:
    """An 抽查任务 of an annual plan; joint (一业一查) when it has partner departments."""

    id: str
    name: str
    kind: TaskKind
    mode: SamplingMode
    industry: str
    lead: str
    parts: tuple[DeptPart, ...]
    pool: PoolFilter
    ratios: tuple[tuple[CreditRisk, Decimal], ...]
    min_count: int
    period_start: dt.date
    period_end: dt.date
    invitation_opens: dt.date | None = None
    invitation_closes: dt.date | None = None
    exclude_inspected_within_days: int | None = None

    @property
    def partners(self) -> tuple[str, ...]:
        """The 配合部门 (every department but the lead)."""
        return tuple(p.dept for p in self.parts if p.dept != self.lead)

    @property
    def departments(self) -> tuple[str, ...]:
        """Every participating department, lead first."""
        return tuple(p.dept for p in self.parts)

    def ratio_for(self, risk: CreditRisk) -> Decimal:
        """The sampling ratio of a risk class (0 when the plan sets none)."""
        return dict(self.ratios).get(risk, Decimal(0))


@dataclass(frozen=True)
class AnnualPlan:
    """A 年度抽查工作计划."""

    id: str
    year: int
    title: str
    published_on: dt.date
    organiser: str
    tasks: tuple[SpotCheckTask, ...]
    note: str = ""


@dataclass(frozen=True)
class Content:
    """Everything under ``content/``, validated."""

    site: SiteConfig
    departments: tuple[Department, ...]
    items: tuple[InspectionItem, ...]
    entities: tuple[MarketEntity, ...]
    inspectors: tuple[Inspector, ...]
    conflicts: tuple[Conflict, ...]
    plans: tuple[AnnualPlan, ...]
    pages: tuple[tuple[str, str, str], ...] = field(default=())
    #: Each department's own 检查结果 in ``content/vocabulary.yaml`` (docs/workflow.md §10).
    vocabularies: tuple[OwnVocabulary, ...] = field(default=())

    def vocabulary(self, dept_id: str) -> OwnVocabulary | None:
        """``dept_id``'s list in ``content/vocabulary.yaml``; None if the file lists none."""
        return next((v for v in self.vocabularies if v.dept == dept_id), None)

    def department(self, dept_id: str) -> Department:
        """The department with ``dept_id``; KeyError if unknown (content is validated)."""
        return {d.id: d for d in self.departments}[dept_id]

    def pool(self, task: SpotCheckTask) -> list[MarketEntity]:
        """The entities a task may draw from, in library order."""
        return [e for e in self.entities if task.pool.matches(e)]
