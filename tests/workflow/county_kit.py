"""A new, non-example county for end-to-end tests: 陕西省延安市宜川县 (610630), year 2023.

Everything here is test data written for these tests (not the example county): three departments
(市场监管, 卫健, 消防救援), a checklist, seeded synthetic businesses and inspectors, and one annual
plan with a joint “一业一查” task and a single-department task. Each department works in its own
office directory that holds only its own private key, as separate offices would.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from generator.content.uscc import make_uscc
from tests.workflow.ceremony import Media, ceremony, register

GONGKAI = Path(sys.executable).with_name("gongkai")
REGION = "610630"
REGION_NAME = "陕西省延安市宜川县"
ORIGIN = "scjgj.yichuan.test/gongkai/ledger"
BASE_URL = "https://scjgj.yichuan.test/gongkai/"
DEPTS = {
    "scjg": ("宜川县市场监督管理局", "县市场监管局", "11610630YC0000018"),
    "wsjk": ("宜川县卫生健康局", "县卫健局", "11610630YC0000026"),
    "xfjy": ("宜川县消防救援大队", "县消防大队", "11610630YC0000034"),
}
JOINT = "2023-CY-LH"
SINGLE = "2023-SJ-ZS"

CHECKLIST = """\
items:
  - id: YC-SP-01
    dept: scjg
    category: 食品安全
    name: 餐饮服务经营者食品安全的检查
    object_types: [餐饮服务经营者]
    item_class: 重点检查事项
    methods: [现场检查]
    subject: 县市场监管局
    legal_basis:
      - 《中华人民共和国食品安全法》第一百一十条
  - id: YC-GS-01
    dept: scjg
    category: 企业信息公示
    name: 企业公示信息情况的检查
    object_types: [企业, 个体工商户]
    item_class: 一般检查事项
    methods: [书面检查, 实地核查]
    subject: 县市场监管局
    legal_basis:
      - 《企业信息公示暂行条例》第十四条
    ratio_cap: "20%"
  - id: YC-WS-01
    dept: wsjk
    category: 公共卫生
    name: 公共场所卫生的检查
    object_types: [公共场所经营者]
    item_class: 一般检查事项
    methods: [现场检查]
    subject: 县卫健局
    legal_basis:
      - 《公共场所卫生管理条例》第十条
    ratio_cap: "30%"
  - id: YC-XF-01
    dept: xfjy
    category: 消防安全
    name: 公众聚集场所消防安全的检查
    object_types: [公众聚集场所]
    item_class: 重点检查事项
    methods: [现场检查]
    subject: 县消防大队
    legal_basis:
      - 《中华人民共和国消防法》第五十三条
"""

PLAN = f"""\
id: "2023"
year: 2023
title: 宜川县2023年度部门联合“双随机、一公开”抽查工作计划
organiser: scjg
published_on: 2023-03-01
tasks:
  - id: {JOINT}
    name: 餐饮住宿场所“一业一查”部门联合抽查
    kind: 一业一查
    mode: 定向抽查
    industry: 餐饮
    lead: scjg
    departments:
      - dept: scjg
        items: [YC-SP-01]
        inspectors_per_entity: 2
      - dept: wsjk
        items: [YC-WS-01]
        inspectors_per_entity: 2
      - dept: xfjy
        items: [YC-XF-01]
        inspectors_per_entity: 2
    pool:
      industries: [餐饮]
      divisions: ["{REGION}"]
    ratios: {{A: "10%", B: "20%", C: "25%", D: "25%"}}
    min_count: 3
    period: {{start: 2023-10-09, end: 2023-12-15}}
    invitation: {{opens: 2023-03-06, closes: 2023-05-05}}
  - id: {SINGLE}
    name: 企业公示信息抽查
    kind: 单部门
    mode: 不定向抽查
    industry: 批发零售
    lead: scjg
    departments:
      - dept: scjg
        items: [YC-GS-01]
        inspectors_per_entity: 2
    pool:
      industries: [批发零售]
      divisions: ["{REGION}"]
    ratios: {{A: "5%", B: "5%", C: "10%", D: "10%"}}
    min_count: 2
    period: {{start: 2023-10-09, end: 2023-12-15}}
"""

_SHOPS = ("面馆", "饭店", "火锅店", "小吃店", "餐厅", "酒楼")
_STORES = ("超市", "便利店", "百货店", "商行")
_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


def _dept_uscc(first16: str) -> str:
    return make_uscc(first16[0], first16[1], first16[2:8], first16[8:16])


def _entity_rows(rng: random.Random) -> list[list[str]]:
    rows = []
    for n in range(60):
        joint = n < 36
        kind = "企业" if n % 3 else "个体工商户"
        cls = "1" if kind == "企业" else "2"
        body = f"YC{n + 1:05d}X"[:8]
        code = make_uscc("9", cls, REGION, body)
        suffix = (_SHOPS if joint else _STORES)[n % (6 if joint else 4)]
        name = f"宜川县{'丹州' if n % 2 else '秋林'}{rng.choice(_SURNAMES)}记{suffix}"
        if kind == "企业":
            name += "有限公司"
        industry = "餐饮" if joint else "批发零售"
        risk = "ABCD"[rng.randrange(4)] if n % 5 else "B"
        rows.append(
            [
                code,
                name,
                kind,
                REGION,
                industry,
                "存续" if n % 7 else "在业",
                risk,
                "",
                "",
                f"宜川县丹州街道{n + 1}号（测试数据）",
            ]
        )
    return rows


def _inspector_rows(rng: random.Random) -> list[list[str]]:
    rows = []
    counts = {"scjg": 8, "wsjk": 4, "xfjy": 4}
    for d, (dept, count) in enumerate(counts.items()):
        for i in range(count):
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            rows.append([f"6106300{d + 1}{i + 1:03d}", name, dept, "", "在岗"])
    return rows


def write_content(content: Path, seed: int = 610630) -> None:
    """Fill ``content/`` (made by ``gongkai init``) with the county's data."""
    rng = random.Random(seed)
    depts = ["departments:"]
    for ident, (name, short, first16) in DEPTS.items():
        depts += [
            f"  - id: {ident}",
            f"    name: {name}",
            f"    short_name: {short}",
            f"    uscc: {_dept_uscc(first16[:16])}",
        ]
    (content / "departments.yaml").write_text("\n".join(depts) + "\n", encoding="utf-8")
    (content / "checklist.yaml").write_text(CHECKLIST, encoding="utf-8")
    (content / "plans").mkdir(exist_ok=True)
    for old in (content / "plans").glob("*.yaml"):
        old.unlink()
    (content / "plans" / "2023.yaml").write_text(PLAN, encoding="utf-8")
    with open(content / "entities.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "名称", "主体类型", "行政区划", "行业", "登记状态",
                    "信用风险分类", "上次检查日期", "注册号", "住所"])  # fmt: skip
        w.writerows(_entity_rows(rng))
    with open(content / "inspectors.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["执法证号", "姓名", "部门", "专长", "状态"])
        w.writerows(_inspector_rows(rng))


class County:
    """The county's working directories: the site repository and one office per department."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.site = root / "site"
        # One medium per root holder and one for the operator's log key (docs/signing.md §10).
        self.media = Media(root / "rootkeys", ORIGIN)
        self.forms = root / "forms"
        self.env = dict(os.environ, GONGKAI_LOG_KEY=str(self.log_key))

    @property
    def log_key(self) -> Path:
        return self.media.log_key

    def office(self, dept: str) -> Path:
        return self.root / f"office-{dept}"

    def key(self, dept: str) -> str:
        return str(self.office(dept) / f"scjgj.yichuan.test_gongkai_dept_{dept}_1.key")

    def run(self, *args: str, ok: bool = True, cwd: Path | None = None) -> str:
        proc = subprocess.run(
            [str(GONGKAI), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=cwd or self.root,
            check=False,
        )
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out, out
        if ok:
            assert proc.returncode == 0, f"gongkai {' '.join(args)}\n{out}"
        return out

    def sync(self, dept: str) -> Path:
        """Give ``dept``'s office a fresh copy of the published ledger (as a download would)."""
        copy = self.office(dept) / "ledger"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(self.site / "draws", copy, ignore=shutil.ignore_patterns("LOCK"))
        return copy

    def dept(self, dept: str, *args: str) -> str:
        """A step run in ``dept``'s office with only that office's key."""
        return self.run(*args, "--site", str(self.site), "--key", self.key(dept))


def new_county(root: Path) -> County:
    """``gongkai init`` the county in ``root/site`` with its content, give each department an
    office directory holding only its own newly registered key, and publish each department's
    checklist (version 1)."""
    c = County(root)
    ceremony(c.run, c.site, c.media, ["--name", "宜川县“双随机、一公开”监管信息公示",
             "--region-code", REGION, "--region-name", REGION_NAME, "--base-url", BASE_URL],
             "2023-01-03")  # fmt: skip
    content = c.site / "content"
    write_content(content)
    assert f'base_url: "{BASE_URL}"' in (content / "gongkai.yaml").read_text(encoding="utf-8")
    assert "检查通过" in c.run("check", "--content", str(content))
    for dept in DEPTS:
        c.office(dept).mkdir()
        c.run(
            "keys", "new", "--content", str(content), "--dept", dept, "--out", str(c.office(dept))
        )
        # Each office signs the possession proof against its own copy of the ledger.
        register(c.run, c.site, c.media, dept, Path(c.key(dept)), "2023-01-05", c.sync(dept))
    # Plans and draws may use only published checklists (docs/workflow.md §8.2).
    for dept in DEPTS:
        c.dept(dept, "checklist", "publish", "--dept", dept, "--at", "2023-01-06")
    # Draws are derived from the published libraries (docs/workflow.md §9).
    for kind in ("entities", "inspectors"):
        c.dept("scjg", "library", "publish", kind, "--dept", "scjg", "--at", "2023-01-06")
    return c
