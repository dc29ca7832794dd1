"""Load and validate a whole ``content/`` directory into a :class:`Content`.

Layout (docs/content.md gives every field)::

    content/gongkai.yaml          site configuration
    content/departments.yaml      departments
    content/checklist.yaml        随机抽查事项清单
    content/entities.{csv,xlsx,yaml}    监管对象库
    content/inspectors.{csv,xlsx,yaml}  执法检查人员库
    content/conflicts.yaml        回避 pairs (reasons are private)
    content/plans/*.yaml          年度抽查工作计划, one file per plan
    content/vocabulary.yaml       本部门检查结果用语 (optional; docs/workflow.md §10)

:func:`load_content` reads everything, collects every problem, and raises one
:class:`~generator.content.errors.ContentError` listing all errors. It never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from generator.content.drawsize import percent
from generator.content.errors import Location, Problems, Severity, display_path
from generator.content.holidays import FOLDER, load_local_years
from generator.content.libraries import (
    ENTITY_COLUMNS,
    INSPECTOR_COLUMNS,
    entity_from_row,
    inspector_from_row,
)
from generator.content.model import (
    AnnualPlan,
    Conflict,
    Content,
    Department,
    InspectionItem,
    InspectionMethod,
    Inspector,
    ItemClass,
    MarketEntity,
    SiteConfig,
)
from generator.content.plans import PlanContext, load_plan
from generator.content.source import Fields, LocDict, LocList, items_of, load_yaml
from generator.content.tables import read_table
from generator.content.uscc import CodeStatus, check_uscc
from generator.content.vocabulary import read_vocabularies
from generator.content.workdays import packaged, use_local_years
from ledger.timestamp import TSA_NAME

LIBRARY_SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")


class _Reader:
    """Shared state of one load: the root, the problem list and display paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems = Problems()

    def shown(self, path: Path) -> str:
        return display_path(path, self.root)

    def yaml_mapping(self, name: str, *, required: bool = True) -> tuple[LocDict, str] | None:
        path = self.root / name
        shown = self.shown(path)
        if not path.exists():
            if required:
                self.problems.error(Location(shown), "缺少文件")
            return None
        data = load_yaml(path, shown, self.problems)
        if data is None:
            return None
        if not isinstance(data, LocDict):
            self.problems.error(Location(shown, 1), "文件顶层应为映射（键: 值）")
            return None
        return data, shown

    def library(self, stem: str) -> Path | None:
        found = [
            self.root / f"{stem}{s}"
            for s in LIBRARY_SUFFIXES
            if (self.root / f"{stem}{s}").exists()
        ]
        if not found:
            self.problems.error(
                Location(self.shown(self.root / f"{stem}.csv")), "缺少文件（.csv、.xlsx 或 .yaml）"
            )
            return None
        if len(found) > 1:
            names = "、".join(p.name for p in found)
            self.problems.error(
                Location(self.shown(found[0])), f"同一个库有多个文件：{names}；只保留一个"
            )
            return None
        return found[0]


def load_content(root: Path) -> tuple[Content, Problems]:
    """Load ``root`` (a ``content/`` directory).

    Returns:
        The validated content and the problems found (warnings only).

    Raises:
        ContentError: with every located error, if there is at least one.
    """
    reader = _Reader(root)
    failed: dict[str, Location] = {}  # libraries with errors of their own
    site = _load_site(reader)
    departments = _library(reader, "departments", failed, lambda: _load_departments(reader))
    dept_ids = {d.id for d in departments}
    items = _library(reader, "items", failed, lambda: _load_items(reader, dept_ids))
    entities = _library(reader, "entities", failed, lambda: _load_entities(reader))
    inspectors = _library(
        reader, "inspectors", failed, lambda: _load_inspectors(reader, departments)
    )
    conflicts = _load_conflicts(reader, {e.id for e in entities}, {i.id for i in inspectors})
    ctx = PlanContext(frozenset(dept_ids), {i.id: i for i in items}, entities, inspectors)
    plans = _load_plans(reader, ctx)
    vocabularies = read_vocabularies(reader.root, frozenset(dept_ids), reader.problems)
    _use_local_holidays(reader)
    reader.problems.drop_cascades(failed)
    reader.problems.raise_if_errors()
    assert site is not None  # no errors means the site loaded
    content = Content(
        site=site,
        departments=tuple(departments),
        items=tuple(items),
        entities=tuple(entities),
        inspectors=tuple(inspectors),
        conflicts=tuple(conflicts),
        plans=tuple(plans),
        vocabularies=vocabularies,
    )
    return content, reader.problems


def _use_local_holidays(reader: _Reader) -> None:
    install_local_holidays(reader.root, reader.problems)


def install_local_holidays(root: Path, problems: Problems) -> None:
    """Read ``root/holidays/*.yaml`` (a ``content/`` directory) and use them for the years the
    package lacks (§7 of docs/content.md); a file for a packaged year is a warning. Problems
    go to ``problems``. :func:`load_content` calls it; so does a content cache on a hit.
    """
    years = load_local_years(root, problems)
    for year, local in sorted(years.items()):
        if packaged(year):
            problems.warning(
                Location(display_path(root / FOLDER / f"{year}.yaml", root)),
                f"chinese-calendar 已收录 {year} 年的节假日安排，本文件不使用（{local.source}）",
            )
    use_local_years({y: v for y, v in years.items() if not packaged(y)})


def load_site_config(root: Path) -> SiteConfig:
    """Load only ``root/gongkai.yaml`` (cheap: the libraries are not read).

    Raises:
        ContentError: with every located error of that file.
    """
    reader = _Reader(root)
    site = _load_site(reader)
    reader.problems.raise_if_errors()
    assert site is not None  # no errors means the site loaded
    return site


_T = TypeVar("_T")


def _library(reader: _Reader, name: str, failed: dict[str, Location], load: Callable[[], _T]) -> _T:
    """Run ``load``; if it records an error, note the library ``name`` in ``failed`` with the
    file of its first error of its own (see
    :meth:`~generator.content.errors.Problems.drop_cascades`). A library whose only errors are
    references into a library that failed (inspectors naming departments when
    ``departments.yaml`` does not parse) is incomplete too, but not at fault: it takes that
    library's file, where the one warning then counts every reference left unchecked."""
    start = len(reader.problems.items)
    value = load()
    new = [p for p in reader.problems.items[start:] if p.severity is Severity.ERROR]
    own = [p for p in new if p.refers_to not in failed]
    if own:
        failed[name] = Location(own[0].location.path)
    elif new:
        failed[name] = failed[new[0].refers_to]
    return value


def _load_site(reader: _Reader) -> SiteConfig | None:
    loaded = reader.yaml_mapping("gongkai.yaml")
    if loaded is None:
        return None
    f = Fields(loaded[0], loaded[1], "", reader.problems)
    name = f.text("name", max_len=100)
    region_code = f.text("region_code", max_len=6)
    if region_code is not None and not (len(region_code) == 6 and region_code.isdigit()):
        f.error("region_code", f"应为6位行政区划代码（GB/T 2260），实际为“{region_code}”")
    region_name = f.text("region_name", max_len=100)
    base_url = f.text("base_url", max_len=300)
    example = f.boolean("example", default=False)
    if base_url is not None:
        problem = base_url_problem(base_url, example=example)
        if problem:
            f.error("base_url", problem)
        elif not is_absolute_url(base_url):
            reader.problems.warning(
                f.loc("base_url"),
                "示例站点的 base_url 不是绝对网址：网站地图、订阅源和 robots.txt 中的网址将是相对的"
                "（不符合规范），仅供本地预览；公开发布须填写 https:// 开头的绝对网址",
            )
    origin = f.text("ledger_origin", max_len=200)
    if origin is not None and (" " in origin or "+" in origin or "://" in origin):
        f.error(
            "ledger_origin",
            "账本来源（origin）不能含空格、“+”或协议头，例如 example.gov.cn/gongkai/ledger",
        )
    description = f.text("description", required=False, max_len=2000) or ""
    stamping = _timestamping(f, example)
    f.finish()
    if None in (name, region_code, region_name, base_url, origin):
        return None
    assert name and region_code and region_name and base_url and origin
    return SiteConfig(
        name, region_code, region_name, base_url, origin, example, description, stamping
    )


def _timestamping(f: Fields, example: bool) -> tuple[tuple[str, str], ...]:
    """``timestamping``: a mapping TSA name → URL (docs/content.md §1, docs/ledger.md §15.5)."""
    found = f.mapping("timestamping", required=False)
    if not found:
        return ()
    out: list[tuple[str, str]] = []
    for name, url in found.items():
        if not isinstance(name, str) or not TSA_NAME.fullmatch(name):
            f.error("timestamping", f"时间戳机构名称“{name}”无效：只能由小写字母、数字和“-”组成")
            continue
        if url == "example:":
            out.append((name, url))  # refused on a real site when used (exit code 9)
        elif not isinstance(url, str) or not is_absolute_url(url):
            f.error(
                "timestamping",
                f"时间戳机构“{name}”的网址应为 http:// 或 https:// 开头的绝对网址，实际为“{url}”",
            )
        else:
            out.append((name, url))
    return tuple(out)


def is_absolute_url(url: str) -> bool:
    """Whether ``url`` is an absolute ``http(s)://host/…`` URL without query or fragment."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and not parts.query
        and not parts.fragment
        and url.startswith(parts.scheme + "://")
    )


def base_url_problem(url: str, *, example: bool) -> str | None:
    """Why ``url`` cannot be a site's ``base_url`` (docs/content.md, “base_url”), or None.

    A published site needs an absolute ``https://`` URL ending in ``/``: sitemaps, Atom feeds
    and robots.txt allow only absolute URLs. An example site (``example: true``) may also use
    ``http://`` or a root-relative path such as ``/`` (for local previews).
    """
    if not example:
        if url.startswith("https://") and url.endswith("/") and is_absolute_url(url):
            return None
        return (
            f"公开发布的站点应填写以 https:// 开头、以 / 结尾的绝对网址，"
            f"如 https://scjg.example.gov.cn/gongkai/（网站地图和订阅源只允许绝对网址），实际为“{url}”"
        )
    relative = url.startswith("/") and not url.startswith("//")
    if url.endswith("/") and (relative or is_absolute_url(url)):
        return None
    return "应以 https://、http:// 或 / 开头，并以 / 结尾"


def _load_departments(reader: _Reader) -> list[Department]:
    loaded = reader.yaml_mapping("departments.yaml")
    if loaded is None:
        return []
    data, shown = loaded
    top = Fields(data, shown, "", reader.problems)
    seq = top.sequence("departments")
    top.finish()
    out: list[Department] = []
    seen: dict[str, int] = {}
    for _, f in items_of(
        seq if seq is not None else LocList(), shown, "departments", reader.problems
    ):
        ident = f.ident("id")
        name = f.text("name", max_len=100)
        short = f.text("short_name", max_len=20)
        code = f.text("uscc", max_len=18)
        f.finish()
        if code is not None:
            check = check_uscc(code)
            if check.status is CodeStatus.INVALID:
                # Keep the department (the load fails anyway) so that every reference to it
                # still resolves: one wrong code gives one error, not one per reference.
                f.error("uscc", f"“{code}”无效：{check.reason}")
            elif check.status is CodeStatus.LEGACY:
                reader.problems.warning(
                    f.loc("uscc"), f"“{code}”：{check.reason}；按原样保留，未作修改"
                )
        if ident is not None and ident in seen:
            f.error("id", f"部门标识“{ident}”重复（首次出现在第 {seen[ident]} 行）")
            continue
        if ident is not None:
            seen[ident] = f.loc("id").line
        if ident and name and short and code:
            out.append(Department(ident, name, short, code))
    return out


def _load_items(reader: _Reader, dept_ids: set[str]) -> list[InspectionItem]:
    loaded = reader.yaml_mapping("checklist.yaml")
    if loaded is None:
        return []
    data, shown = loaded
    top = Fields(data, shown, "", reader.problems)
    seq = top.sequence("items")
    top.finish()
    out: list[InspectionItem] = []
    seen: dict[str, int] = {}
    for _, f in items_of(seq if seq is not None else LocList(), shown, "items", reader.problems):
        item = _item(f, dept_ids)
        if item is None:
            continue
        if item.id in seen:
            f.error("id", f"事项编号“{item.id}”重复（首次出现在第 {seen[item.id]} 行）")
            continue
        seen[item.id] = f.loc("id").line
        out.append(item)
    return out


def _item(f: Fields, dept_ids: set[str]) -> InspectionItem | None:
    ident = f.ident("id")
    dept = f.ident("dept")
    if dept is not None and dept not in dept_ids:
        f.error("dept", f"未知部门“{dept}”", refers_to="departments")
        dept = None
    category = f.text("category", max_len=100)
    name = f.text("name", max_len=300)
    objects = f.texts("object_types", max_len=100)
    item_class = f.choice("item_class", ItemClass.parse, "事项类别（重点检查事项/一般检查事项）")
    methods_raw = f.texts("methods", max_len=50)
    methods: list[InspectionMethod] = []
    for m in methods_raw or ():
        parsed = InspectionMethod.parse(m)
        if parsed is None:
            f.error("methods", f"不是有效的检查方式：“{m}”")
        else:
            methods.append(parsed)
    subject = f.text("subject", max_len=200)
    basis = f.texts("legal_basis", max_len=2000)
    cap = f.ratio("ratio_cap", required=False)
    if cap is not None and item_class is ItemClass.KEY:
        f.error("ratio_cap", "重点检查事项不设抽查比例上限")
    if cap is None and item_class is ItemClass.GENERAL and "ratio_cap" not in f.data:
        f.error("ratio_cap", '一般检查事项须设抽查比例上限（ratio_cap），如 "5%"')
    min_ratio = f.ratio("min_ratio", required=False)
    if min_ratio is not None and cap is not None and min_ratio > cap:
        f.error("min_ratio", f"抽查比例下限 {percent(min_ratio)} 高于比例上限 {percent(cap)}")
    frequency = f.integer("frequency", required=False, lo=1, hi=366)
    sub_items = f.texts("sub_items", required=False, max_len=300) or ()
    source = f.text("source", required=False, max_len=500) or ""
    f.finish()
    if None in (ident, dept, category, name, objects, item_class, subject, basis) or not methods:
        return None
    assert ident and dept and category and name and objects and item_class and subject and basis
    return InspectionItem(
        ident,
        dept,
        category,
        name,
        objects,
        item_class,
        tuple(methods),
        subject,
        basis,
        cap,
        sub_items,
        source,
        min_ratio,
        frequency,
    )


def _load_entities(reader: _Reader) -> list[MarketEntity]:
    path = reader.library("entities")
    if path is None:
        return []
    rows = read_table(path, reader.shown(path), ENTITY_COLUMNS, reader.problems)
    out: list[MarketEntity] = []
    seen: dict[str, int] = {}
    for row in rows or ():
        entity = entity_from_row(row, reader.problems)
        if entity is None:
            continue
        if entity.id in seen:
            reader.problems.error(
                row.loc("统一社会信用代码"),
                f"代码“{entity.id}”重复（首次出现在第 {seen[entity.id]} 行）",
            )
            continue
        seen[entity.id] = row.line
        out.append(entity)
    return out


def _load_inspectors(reader: _Reader, departments: list[Department]) -> list[Inspector]:
    path = reader.library("inspectors")
    if path is None:
        return []
    rows = read_table(path, reader.shown(path), INSPECTOR_COLUMNS, reader.problems)
    lookup = {d.id: d.id for d in departments} | {d.name: d.id for d in departments}
    lookup |= {d.short_name: d.id for d in departments}
    out: list[Inspector] = []
    seen: dict[str, int] = {}
    for row in rows or ():
        inspector = inspector_from_row(row, lookup, reader.problems)
        if inspector is None:
            continue
        if inspector.id in seen:
            reader.problems.error(
                row.loc("执法证号"),
                f"执法证号“{inspector.id}”重复（首次出现在第 {seen[inspector.id]} 行）",
            )
            continue
        seen[inspector.id] = row.line
        out.append(inspector)
    return out


def _load_conflicts(
    reader: _Reader, entity_ids: set[str], inspector_ids: set[str]
) -> list[Conflict]:
    loaded = reader.yaml_mapping("conflicts.yaml", required=False)
    if loaded is None:
        return []
    data, shown = loaded
    top = Fields(data, shown, "", reader.problems)
    seq = top.sequence("conflicts")
    top.finish()
    out: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for _, f in items_of(
        seq if seq is not None else LocList(), shown, "conflicts", reader.problems
    ):
        inspector = f.text("inspector", max_len=32)
        entity = f.text("entity", max_len=18)
        reason = f.text("reason", max_len=500)
        f.finish()
        if inspector is not None and inspector not in inspector_ids:
            f.error(
                "inspector", f"执法检查人员库中没有执法证号“{inspector}”", refers_to="inspectors"
            )
            inspector = None
        if entity is not None and entity not in entity_ids:
            f.error("entity", f"检查对象名录库中没有代码“{entity}”", refers_to="entities")
            entity = None
        if inspector and entity and reason:
            if (inspector, entity) in seen:
                f.error("entity", "回避关系重复")
                continue
            seen.add((inspector, entity))
            out.append(Conflict(inspector, entity, reason))
    return out


def _load_plans(reader: _Reader, ctx: PlanContext) -> list[AnnualPlan]:
    plan_dir = reader.root / "plans"
    if not plan_dir.is_dir():
        reader.problems.error(Location(reader.shown(plan_dir)), "缺少年度抽查工作计划目录")
        return []
    plans: list[AnnualPlan] = []
    plan_ids: dict[str, str] = {}
    for path in sorted([*plan_dir.glob("*.yaml"), *plan_dir.glob("*.yml")]):
        loaded = reader.yaml_mapping(f"plans/{path.name}")
        if loaded is None:
            continue
        plan = load_plan(loaded[0], loaded[1], reader.problems, ctx)
        if plan is None:
            continue
        if plan.id in plan_ids:
            line = loaded[0].line_of("id")
            reader.problems.error(
                Location(loaded[1], line, "id"),
                f"计划编号“{plan.id}”重复（首次出现在 {plan_ids[plan.id]}）",
            )
            continue
        plan_ids[plan.id] = loaded[1]
        plans.append(plan)
    return plans
