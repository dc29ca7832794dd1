"""Rows of the two libraries → :class:`MarketEntity` and :class:`Inspector` objects."""

from __future__ import annotations

import re
from collections.abc import Mapping

from generator.content.cells import excerpt
from generator.content.errors import Problems
from generator.content.model import (
    CreditRisk,
    EntityType,
    Inspector,
    InspectorStatus,
    MarketEntity,
    RegStatus,
)
from generator.content.source import parse_date
from generator.content.tables import Columns, Row, split_list
from generator.content.uscc import CodeStatus, check_registration_number, check_uscc

#: The column order of ``entities.csv`` as gongkai writes it (the example, ``gongkai library
#: export``); a file read may order its columns otherwise (:data:`ENTITY_COLUMNS`).
ENTITY_HEADER: tuple[str, ...] = (
    "统一社会信用代码",
    "注册号",
    "名称",
    "主体类型",
    "行政区划",
    "行业",
    "登记状态",
    "信用风险分类",
    "上次检查日期",
    "住所",
)
#: The column order of ``inspectors.csv`` as gongkai writes it.
INSPECTOR_HEADER: tuple[str, ...] = ("执法证号", "姓名", "部门", "专长", "状态")

_ENTITY_OPTIONAL = ("注册号", "住所")

ENTITY_COLUMNS = Columns(
    required=tuple(c for c in ENTITY_HEADER if c not in _ENTITY_OPTIONAL),
    optional=_ENTITY_OPTIONAL,
    aliases=(
        ("统一社会信用代码/注册号", "统一社会信用代码"),
        ("企业名称", "名称"),
        ("市场主体类型", "主体类型"),
    ),
)

INSPECTOR_COLUMNS = Columns(
    required=INSPECTOR_HEADER,
    aliases=(
        ("执法证件号", "执法证号"),
        ("所属部门", "部门"),
        ("执法领域", "专长"),
        ("人员状态", "状态"),
    ),
)

_DIVISION_RE = re.compile(r"^\d{6}$")
_CREDENTIAL_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def entity_from_row(row: Row, problems: Problems) -> MarketEntity | None:
    """Convert one 监管对象库 row; None (with located problems) if any cell is wrong."""
    c = row.cells
    ok = True
    legacy = False
    code = c.get("统一社会信用代码", "")
    regno = c.get("注册号", "")
    entity_type = EntityType.parse(c["主体类型"])
    if entity_type is None:
        problems.error(
            row.loc("主体类型"),
            f"不是有效的主体类型：“{excerpt(c['主体类型'])}”（应为 {_choices(EntityType)}）",
        )
        ok = False
    if code:
        check = check_uscc(code)
        if check.status is CodeStatus.INVALID:
            problems.error(row.loc("统一社会信用代码"), f"“{excerpt(code)}”无效：{check.reason}")
            ok = False
        elif check.status is CodeStatus.LEGACY:
            problems.warning(
                row.loc("统一社会信用代码"),
                f"“{excerpt(code)}”：{check.reason}；按原样保留，未作修改",
            )
            legacy = True
        ident = code
    elif regno:
        if entity_type is not EntityType.SOLE_TRADER:
            problems.error(
                row.loc("统一社会信用代码"), "缺少统一社会信用代码（仅个体工商户可只填注册号）"
            )
            ok = False
        check = check_registration_number(regno)
        if check.status is CodeStatus.INVALID:
            problems.error(row.loc("注册号"), f"“{excerpt(regno)}”无效：{check.reason}")
            ok = False
        ident = regno
    else:
        problems.error(row.loc("统一社会信用代码"), "缺少统一社会信用代码或注册号")
        ok = False
        ident = ""
    name = c["名称"]
    if not name:
        problems.error(row.loc("名称"), "不能为空")
        ok = False
    division = c["行政区划"]
    if not _DIVISION_RE.match(division):
        problems.error(
            row.loc("行政区划"), f"应为6位行政区划代码（GB/T 2260），实际为“{excerpt(division)}”"
        )
        ok = False
    industries = split_list(c["行业"])
    if not industries:
        problems.error(row.loc("行业"), "至少填写一个行业")
        ok = False
    status = RegStatus.parse(c["登记状态"])
    if status is None:
        problems.error(
            row.loc("登记状态"),
            f"不是有效的登记状态：“{excerpt(c['登记状态'])}”（应为 {_choices(RegStatus)}）",
        )
        ok = False
    risk = CreditRisk.parse(c["信用风险分类"])
    if risk is None:
        problems.error(
            row.loc("信用风险分类"), f"应为 A、B、C 或 D，实际为“{excerpt(c['信用风险分类'])}”"
        )
        ok = False
    last = None
    if c["上次检查日期"]:
        last = parse_date(c["上次检查日期"])
        if last is None:
            problems.error(
                row.loc("上次检查日期"),
                f"应为日期（YYYY-MM-DD），实际为“{excerpt(c['上次检查日期'])}”",
            )
            ok = False
    if not ok or entity_type is None or status is None or risk is None:
        return None
    return MarketEntity(
        id=ident,
        name=name,
        entity_type=entity_type,
        division=division,
        industries=industries,
        status=status,
        risk=risk,
        last_inspected=last,
        address=c.get("住所", ""),
        legacy_code=legacy,
    )


def inspector_from_row(
    row: Row, departments: Mapping[str, str], problems: Problems
) -> Inspector | None:
    """Convert one 执法检查人员库 row. ``departments`` maps ids and names to department ids."""
    c = row.cells
    ok = True
    ident = c["执法证号"]
    if not _CREDENTIAL_RE.match(ident):
        problems.error(
            row.loc("执法证号"), f"应为4–32位字母、数字或连字符，实际为“{excerpt(ident)}”"
        )
        ok = False
    if not c["姓名"]:
        problems.error(row.loc("姓名"), "不能为空")
        ok = False
    dept = departments.get(c["部门"])
    if dept is None:
        problems.error(
            row.loc("部门"),
            f"未知部门“{excerpt(c['部门'])}”（应为 departments.yaml 中的标识或名称）",
            refers_to="departments",
        )
        ok = False
    status = InspectorStatus.parse(c["状态"])
    if status is None:
        problems.error(
            row.loc("状态"),
            f"不是有效的人员状态：“{excerpt(c['状态'])}”（应为 {_choices(InspectorStatus)}）",
        )
        ok = False
    if not ok or dept is None or status is None:
        return None
    return Inspector(id=ident, name=c["姓名"], dept=dept, tags=split_list(c["专长"]), status=status)


def _choices(enum_cls: type[EntityType] | type[RegStatus] | type[InspectorStatus]) -> str:
    return "、".join(m.value for m in enum_cls)
