"""Generate the example county's libraries (示例数据, modelled on 甘肃省平凉市崇信县, 620823).

Usage::

    python -m generator.example.county [--out content]

Writes three files into ``--out`` (default: the repository's ``content/`` directory):

* ``entities.csv``   — 检查对象名录库, about 3,000 synthetic market entities;
* ``inspectors.csv`` — 执法检查人员名录库, about 60 synthetic inspectors;
* ``conflicts.yaml`` — a few synthetic 回避 pairs (the reasons are private).

The output is a pure function of :data:`SEED`: one ``random.Random(SEED)`` drives every choice,
in a fixed order, and nothing reads the clock, the environment or the global ``random`` state.
The files are committed; ``tests/generator/test_example.py`` regenerates them and requires
byte-identical output, so any change here must be followed by a regeneration.

Nothing here is real. Names are built from a syllable list (字号 + industry suffix), credit codes
are made with :func:`~generator.content.uscc.make_uscc` from bodies starting ``GK`` (which marks
them as synthetic), 15-digit 注册号 carry a valid GS15 check digit, and 执法证号 follow an
invented pattern. CSV files are UTF-8 with a BOM (so that Excel opens them correctly) and use
``"\\n"`` line endings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.content.cells import csv_bytes
from generator.content.libraries import ENTITY_HEADER, INSPECTOR_HEADER
from generator.content.uscc import USCC_CHARSET, make_uscc

#: The seed of the example. Changing it changes every generated file.
SEED = 20240101

#: GB/T 2260 code of 崇信县 and of its city, 平凉市 (a few enterprises are registered there).
DIVISION = "620823"
CITY_DIVISION = "620800"

#: The repository's ``content/`` directory (the default output).
CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


ENTERPRISE = "企业"
SOLE_TRADER = "个体工商户"
COOPERATIVE = "农民专业合作社"

#: Characters for synthetic 字号 (trade names); two are combined per name.
_ZIHAO = (
    "鑫盛恒泰源丰瑞祥兴隆福顺达宏昌嘉和润安康佳惠利鸿天宇辰晨阳光明新华峰锦程汇聚信诚德益众悦"
    "宁通金好美味香乐春秋雨林川成旺茂凯腾博远志同万家正永富荣强星露云"
)
_SURNAMES = (
    "王李张刘陈杨赵马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石贾夏付方白邹孟秦邱江尹薛闫段雷侯史陶贺顾毛郝龚邵万严武戴孔汤慕景柳权"
)
_GIVEN = (
    "建国军平明华强伟芳娜敏静丽霞红燕勇杰涛斌磊刚鹏辉亮峰婷雪琴彬宁慧瑞晓文海东春玲芸志永成继学"
    "世振新德兴龙虎锋岩涵宏佳欣悦倩艳梅兰英荣俊凯"
)

#: 乡镇 of 崇信县 with weights (the county seat 锦屏镇 holds most businesses).
_TOWNS = (
    ("锦屏镇", 55),
    ("新窑镇", 14),
    ("柏树镇", 10),
    ("黄寨镇", 10),
    ("黄花乡", 6),
    ("木林乡", 5),
)
#: Street names used for addresses in 锦屏镇 (synthetic addresses).
_STREETS = (
    "东街",
    "西街",
    "南街",
    "北街",
    "人民路",
    "新建路",
    "文化路",
    "龙泉路",
    "汭河路",
    "滨河路",
    "东环路",
    "西环路",
)

_RISKS = ("A", "B", "C", "D")
_RISK_WEIGHTS = (35, 45, 15, 5)

#: 登记状态 thresholds on one uniform draw: 注销 1.5%, 吊销 1%, 迁出 0.4%, 在业 6%, else 存续.
_STATUS_CUTS = ((0.015, "注销"), (0.025, "吊销"), (0.029, "迁出"), (0.089, "在业"))

#: Share of entities with a 上次检查日期 (a date in 2022–2023).
_INSPECTED_SHARE = 0.28
_INSPECTED_FROM = dt.date(2022, 1, 1)
_INSPECTED_DAYS = 730

#: Every n-th 个体工商户 (at the given offset) keeps only a 15-digit 注册号, no credit code.
_REGNO_EVERY = 250
_REGNO_OFFSET = 137


@dataclass(frozen=True)
class IndustrySpec:
    """One industry of the synthetic library.

    Attributes:
        industry: the 行业 tag (the value plans filter on).
        count: how many entities to generate.
        types: percentages of 企业 / 个体工商户 / 农民专业合作社 (summing to 100).
        enterprise: name suffixes for 企业.
        sole: name suffixes for 个体工商户.
        coop: name suffixes for 农民专业合作社.
        extra: secondary 行业 tags, each with the percentage of entities that also carry it.
    """

    industry: str
    count: int
    types: tuple[int, int, int]
    enterprise: tuple[str, ...] = ()
    sole: tuple[str, ...] = ()
    coop: tuple[str, ...] = ()
    extra: tuple[tuple[str, int], ...] = ()


INDUSTRIES: tuple[IndustrySpec, ...] = (
    IndustrySpec(
        "餐饮",
        620,
        (15, 85, 0),
        ("餐饮管理有限公司", "餐饮有限公司", "饮食服务有限公司"),
        ("饭店", "面馆", "小吃店", "火锅店", "餐馆", "烧烤店", "牛肉面馆", "快餐店", "酿皮店"),
    ),
    IndustrySpec(
        "食品销售",
        420,
        (15, 85, 0),
        ("商贸有限公司", "超市有限公司", "食品有限公司"),
        ("便利店", "超市", "副食店", "粮油店", "水果店", "食品店", "蔬菜店"),
    ),
    IndustrySpec(
        "加油站",
        28,
        (100, 0, 0),
        ("加油站有限责任公司", "石化加油站有限公司", "能源有限公司"),
        extra=(("食品销售", 40),),
    ),
    IndustrySpec(
        "药品零售",
        60,
        (70, 30, 0),
        ("大药房有限公司", "医药有限公司", "药业有限公司"),
        ("药店", "大药房", "药房"),
        extra=(("医疗器械", 60),),
    ),
    IndustrySpec(
        "住宿",
        80,
        (30, 70, 0),
        ("酒店管理有限公司", "宾馆有限公司"),
        ("宾馆", "旅社", "招待所", "酒店", "快捷宾馆"),
        extra=(("餐饮", 30),),
    ),
    IndustrySpec(
        "娱乐场所",
        35,
        (50, 50, 0),
        ("娱乐有限公司", "文化娱乐有限公司"),
        ("歌舞厅", "KTV", "游艺厅", "量贩KTV"),
    ),
    IndustrySpec("旅行社", 6, (100, 0, 0), ("旅行社有限公司", "国际旅行社有限公司")),
    IndustrySpec(
        "道路运输",
        120,
        (40, 60, 0),
        ("运输有限公司", "物流有限公司", "汽车运输有限公司"),
        ("货物运输部", "货运部", "物流部"),
    ),
    IndustrySpec(
        "建材",
        150,
        (30, 70, 0),
        ("建材有限公司", "新型建材有限公司"),
        ("建材部", "五金建材店", "门窗店", "瓷砖店"),
    ),
    IndustrySpec(
        "农资",
        140,
        (30, 70, 0),
        ("农资有限公司", "农业科技有限公司"),
        ("农资店", "种子门市部", "农资经销部"),
    ),
    IndustrySpec("服装零售", 260, (5, 95, 0), ("服饰有限公司",), ("服装店", "鞋店", "童装店")),
    IndustrySpec(
        "机动车维修",
        90,
        (30, 70, 0),
        ("汽车维修服务有限公司", "汽车服务有限公司"),
        ("汽车修理部", "汽修厂", "轮胎店", "摩托车修理部"),
    ),
    IndustrySpec("美容美发", 180, (0, 100, 0), sole=("理发店", "美发店", "美容院", "美甲店")),
    IndustrySpec(
        "汽车销售",
        25,
        (100, 0, 0),
        ("汽车销售有限公司", "汽车贸易有限公司"),
        extra=(("机动车维修", 40),),
    ),
    IndustrySpec("印刷", 12, (60, 40, 0), ("印务有限公司", "广告印刷有限公司"), ("图文打印部",)),
    IndustrySpec(
        "小型加工",
        150,
        (40, 60, 0),
        ("农产品加工有限公司", "机械加工有限公司", "木业有限公司"),
        ("面粉加工坊", "榨油坊", "木器加工部", "机械加工部"),
    ),
    IndustrySpec(
        "日用百货", 200, (5, 95, 0), ("日用品有限公司",), ("百货店", "日杂店", "五金店", "商行")
    ),
    IndustrySpec(
        "种植养殖",
        180,
        (20, 0, 80),
        ("农业发展有限公司", "牧业有限公司"),
        coop=(
            "种植农民专业合作社",
            "养殖农民专业合作社",
            "果业农民专业合作社",
            "中药材种植农民专业合作社",
            "肉牛养殖农民专业合作社",
        ),
    ),
    IndustrySpec(
        "家电通讯", 90, (10, 90, 0), ("电器有限公司",), ("手机店", "家电商行", "通讯器材店")
    ),
    IndustrySpec(
        "建筑装饰", 80, (100, 0, 0), ("建筑工程有限公司", "装饰工程有限公司", "建设工程有限公司")
    ),
    IndustrySpec(
        "商务服务",
        70,
        (100, 0, 0),
        ("商贸有限公司", "信息咨询有限公司", "文化传媒有限公司", "企业管理咨询有限公司"),
    ),
    IndustrySpec("洗浴", 25, (20, 80, 0), ("洗浴服务有限公司",), ("洗浴中心", "浴池")),
)


@dataclass(frozen=True)
class Department:
    """A department's place in the synthetic roster: its id, a two-digit number for 执法证号."""

    id: str
    number: int
    roster: tuple[tuple[tuple[str, ...], str], ...]


def _people(
    count: int, tags: tuple[str, ...], status: str = "在岗"
) -> list[tuple[tuple[str, ...], str]]:
    """``count`` roster entries with the same tags and status."""
    return [(tags, status)] * count


#: The inspector roster: per department, (专长 tags, 状态) of each person, in 执法证号 order.
DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "scjg",
        1,
        tuple(
            _people(6, ("食品安全", "登记注册"))
            + _people(3, ("食品安全", "药品"))
            + _people(3, ("药品", "医疗器械"))
            + _people(2, ("计量", "特种设备"))
            + _people(2, ("计量", "产品质量"))
            + _people(2, ("登记注册", "广告"))
            + _people(1, ("食品安全",), "退休")
            + _people(1, ("登记注册",), "调出")
        ),
    ),
    Department("wsjk", 2, tuple(_people(6, ("卫生监督",)) + _people(1, ("卫生监督",), "退休"))),
    Department(
        "yjgl",
        3,
        tuple(
            _people(4, ("安全生产",))
            + _people(2, ("安全生产", "危险化学品"))
            + _people(1, ("安全生产",), "调出")
        ),
    ),
    Department("xfjy", 4, tuple(_people(6, ("消防",)) + _people(1, ("消防",), "调出"))),
    Department("sthj", 5, tuple(_people(3, ("环境监测",)) + _people(2, ("环境监测", "环境执法")))),
    Department("jtys", 6, tuple(_people(5, ("道路运输",)) + _people(1, ("道路运输",), "退休"))),
    Department("whly", 7, tuple(_people(3, ("文化市场",)) + _people(1, ("文化市场", "旅游")))),
    Department("sw", 8, tuple(_people(4, ("成品油", "商务执法")))),
    Department("gyxx", 9, tuple(_people(3, ("民用爆炸物品", "安全生产")))),
)


@dataclass(frozen=True)
class Entity:
    """One generated row of the 检查对象名录库."""

    code: str
    regno: str
    name: str
    entity_type: str
    division: str
    industries: tuple[str, ...]
    status: str
    risk: str
    last_inspected: str
    address: str

    @property
    def ident(self) -> str:
        """The library key: the credit code, or the 注册号 when there is none."""
        return self.code or self.regno


@dataclass(frozen=True)
class Inspector:
    """One generated row of the 执法检查人员名录库."""

    credential: str
    name: str
    dept: str
    tags: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Conflict:
    """A generated 回避 pair; ``note`` names both sides (a comment in the file)."""

    inspector: str
    entity: str
    reason: str
    note: str


@dataclass(frozen=True)
class Example:
    """Everything the generator produces, before serialisation."""

    entities: tuple[Entity, ...]
    inspectors: tuple[Inspector, ...]
    conflicts: tuple[Conflict, ...]


def gs15_check_digit(first14: str) -> str:
    """The GS15-2006 check digit (ISO 7064 MOD 11,10) of a 14-digit 注册号 prefix."""
    p = 10
    for ch in first14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


class _Generator:
    """Holds the single seeded RNG and the sets that keep names and codes unique."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 — reproducible example data, not security
        self.names: set[str] = set()
        self.bodies: set[str] = set()
        self.regnos: set[str] = set()
        self.people: set[str] = set()

    # -- names -------------------------------------------------------------------------------

    def _zihao(self) -> str:
        first = self.rng.choice(_ZIHAO)
        second = self.rng.choice(_ZIHAO)
        while second == first:
            second = self.rng.choice(_ZIHAO)
        return first + second

    def _town(self) -> str:
        towns = [t for t, _ in _TOWNS]
        weights = [w for _, w in _TOWNS]
        return self.rng.choices(towns, weights)[0]

    def entity_name(self, spec: IndustrySpec, entity_type: str, town: str) -> str:
        """A unique synthetic name: 崇信县 + 字号 + suffix (individuals sometimes 姓 + 记)."""
        while True:
            if entity_type == ENTERPRISE:
                name = f"崇信县{self._zihao()}{self.rng.choice(spec.enterprise)}"
            elif entity_type == COOPERATIVE:
                name = f"崇信县{self._zihao()}{self.rng.choice(spec.coop)}"
            elif self.rng.random() < 0.3:
                name = f"崇信县{town}{self.rng.choice(_SURNAMES)}记{self.rng.choice(spec.sole)}"
            else:
                name = f"崇信县{self._zihao()}{self.rng.choice(spec.sole)}"
            if name not in self.names:
                self.names.add(name)
                return name

    def person_name(self) -> str:
        """A unique synthetic personal name (姓 + one or two given characters)."""
        while True:
            given = self.rng.choice(_GIVEN)
            if self.rng.random() < 0.7:
                given += self.rng.choice(_GIVEN)
            name = self.rng.choice(_SURNAMES) + given
            if name not in self.people:
                self.people.add(name)
                return name

    def address(self, town: str) -> str:
        """A synthetic 住所 in ``town``."""
        number = self.rng.randint(1, 360)
        if town == "锦屏镇":
            return f"甘肃省平凉市崇信县锦屏镇{self.rng.choice(_STREETS)}{number}号"
        return f"甘肃省平凉市崇信县{town}{town[:2]}街{number}号"

    # -- codes -------------------------------------------------------------------------------

    def uscc(self, entity_type: str, division: str) -> str:
        """A valid synthetic 统一社会信用代码 (9-1/9-2/9-3) with a unique ``GK…`` body."""
        cls = {ENTERPRISE: "1", SOLE_TRADER: "2", COOPERATIVE: "3"}[entity_type]
        while True:
            body = "GK" + "".join(self.rng.choice(USCC_CHARSET) for _ in range(6))
            if body not in self.bodies:
                self.bodies.add(body)
                return make_uscc("9", cls, division, body)

    def regno(self) -> str:
        """A unique synthetic 15-digit 注册号 of a 崇信县 个体工商户 (valid GS15 check digit)."""
        while True:
            first14 = DIVISION + "6" + "".join(str(self.rng.randrange(10)) for _ in range(7))
            number = first14 + gs15_check_digit(first14)
            if number not in self.regnos:
                self.regnos.add(number)
                return number

    # -- records -----------------------------------------------------------------------------

    def _entity_type(self, spec: IndustrySpec) -> str:
        return self.rng.choices((ENTERPRISE, SOLE_TRADER, COOPERATIVE), spec.types)[0]

    def _status(self) -> str:
        draw = self.rng.random()
        for cut, status in _STATUS_CUTS:
            if draw < cut:
                return status
        return "存续"

    def _last_inspected(self) -> str:
        if self.rng.random() >= _INSPECTED_SHARE:
            return ""
        day = _INSPECTED_FROM + dt.timedelta(days=self.rng.randrange(_INSPECTED_DAYS))
        return day.isoformat()

    def entities(self) -> list[Entity]:
        """Every entity of :data:`INDUSTRIES`, sorted by library key."""
        out: list[Entity] = []
        sole_count = 0
        for spec in INDUSTRIES:
            for _ in range(spec.count):
                entity_type = self._entity_type(spec)
                town = self._town()
                name = self.entity_name(spec, entity_type, town)
                division = DIVISION
                if entity_type == ENTERPRISE and self.rng.random() < 0.02:
                    division = CITY_DIVISION
                code, regno = "", ""
                if entity_type == SOLE_TRADER:
                    sole_count += 1
                if entity_type == SOLE_TRADER and sole_count % _REGNO_EVERY == _REGNO_OFFSET:
                    regno = self.regno()
                else:
                    code = self.uscc(entity_type, division)
                industries = [spec.industry]
                for tag, percent in spec.extra:
                    if self.rng.randrange(100) < percent:
                        industries.append(tag)
                out.append(
                    Entity(
                        code=code,
                        regno=regno,
                        name=name,
                        entity_type=entity_type,
                        division=division,
                        industries=tuple(industries),
                        status=self._status(),
                        risk=self.rng.choices(_RISKS, _RISK_WEIGHTS)[0],
                        last_inspected=self._last_inspected(),
                        address=self.address(town),
                    )
                )
        # Credit codes first, then the 注册号-only rows; each group in code order.
        out.sort(key=lambda e: (e.code == "", e.ident))
        return out

    def inspectors(self) -> list[Inspector]:
        """The roster of :data:`DEPARTMENTS`, with synthetic names and 执法证号."""
        out: list[Inspector] = []
        for dept in DEPARTMENTS:
            for seq, (tags, status) in enumerate(dept.roster, start=1):
                credential = f"{DIVISION}{dept.number:02d}{seq:03d}"
                out.append(Inspector(credential, self.person_name(), dept.id, tags, status))
        return out

    def conflicts(
        self, entities: Sequence[Entity], inspectors: Sequence[Inspector]
    ) -> list[Conflict]:
        """A few plausible 回避 pairs between active inspectors and drawable entities."""
        plans = (
            ("scjg", "食品安全", "餐饮", SOLE_TRADER, "配偶经营该个体工商户"),
            ("scjg", "药品", "药品零售", ENTERPRISE, "近亲属（子女）为该企业股东"),
            ("sw", "成品油", "加油站", ENTERPRISE, "曾在该企业任职（2018年至2020年）"),
            ("xfjy", "消防", "加油站", ENTERPRISE, "近亲属（兄弟）担任该企业负责人"),
            ("wsjk", "卫生监督", "餐饮", ENTERPRISE, "与该企业法定代表人存在债权债务关系"),
        )
        out: list[Conflict] = []
        used_people: set[str] = set()
        used_entities: set[str] = set()
        for dept, tag, industry, entity_type, reason in plans:
            people = [
                x
                for x in inspectors
                if x.dept == dept
                and tag in x.tags
                and x.status == "在岗"
                and x.credential not in used_people
            ]
            targets = [
                e
                for e in entities
                if industry in e.industries
                and e.entity_type == entity_type
                and e.division == DIVISION
                and e.status in ("存续", "在业")
                and e.code
                and e.ident not in used_entities
            ]
            person = self.rng.choice(people)
            target = self.rng.choice(targets)
            used_people.add(person.credential)
            used_entities.add(target.ident)
            note = f"{person.name}（{dept}）— {target.name}"
            out.append(Conflict(person.credential, target.ident, reason, note))
        return out


def build(seed: int = SEED) -> Example:
    """Generate the example libraries from ``seed`` (no I/O)."""
    gen = _Generator(seed)
    entities = gen.entities()
    inspectors = gen.inspectors()
    conflicts = gen.conflicts(entities, inspectors)
    return Example(tuple(entities), tuple(inspectors), tuple(conflicts))


def entities_csv(entities: Sequence[Entity]) -> bytes:
    """``entities.csv``: UTF-8 with BOM, the headers of docs/content.md, ``\\n`` line ends."""
    rows = [
        (
            e.code,
            e.regno,
            e.name,
            e.entity_type,
            e.division,
            "、".join(e.industries),
            e.status,
            e.risk,
            e.last_inspected,
            e.address,
        )
        for e in entities
    ]
    return csv_bytes(ENTITY_HEADER, rows, line_end="\n")


def inspectors_csv(inspectors: Sequence[Inspector]) -> bytes:
    """``inspectors.csv``: UTF-8 with BOM, ``部门`` as the department id."""
    rows = [(x.credential, x.name, x.dept, "、".join(x.tags), x.status) for x in inspectors]
    return csv_bytes(INSPECTOR_HEADER, rows, line_end="\n")


def conflicts_yaml(conflicts: Sequence[Conflict]) -> bytes:
    """``conflicts.yaml`` with a header comment; strings are JSON-quoted (valid YAML)."""
    lines = [
        "# 示例数据：回避关系（虚构）。回避理由只保存在内容仓库中，网站和账本均不公开。",
        "# 本文件由 python -m generator.example.county 生成，请勿手工修改。",
        "conflicts:",
    ]
    for c in conflicts:
        lines += [
            f"  # {c.note}",
            f"  - inspector: {json.dumps(c.inspector, ensure_ascii=False)}",
            f"    entity: {json.dumps(c.entity, ensure_ascii=False)}",
            f"    reason: {json.dumps(c.reason, ensure_ascii=False)}",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render(example: Example) -> dict[str, bytes]:
    """The three output files, by name."""
    return {
        "entities.csv": entities_csv(example.entities),
        "inspectors.csv": inspectors_csv(example.inspectors),
        "conflicts.yaml": conflicts_yaml(example.conflicts),
    }


def generate(out: Path, seed: int = SEED) -> dict[str, Path]:
    """Generate and write the three files into ``out``; return their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, data in render(build(seed)).items():
        path = out / name
        path.write_bytes(data)
        written[name] = path
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m generator.example.county [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.example.county",
        description="生成示例县（崇信县，示例数据）的检查对象名录库、执法检查人员名录库和回避关系。",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=CONTENT_DIR,
        help=f"输出目录（默认 {CONTENT_DIR}）",
    )
    args = parser.parse_args(argv)
    for name, path in generate(args.out).items():
        print(f"已写入 {name}：{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
