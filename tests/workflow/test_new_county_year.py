"""A new, non-example county through a whole year, by the README's commands (issue #12, done-when).

陕西省延安市宜川县 (test data of its own, see ``county_kit``), year 2023: three departments each
working from an office directory that holds only its own private key; one joint “一业一查” task
(市场监管 leads, 卫健 and 消防 accept) and one single-department task, both drawn with the real
drand quicknet round 1,000,000; results with 责令整改 and 立案 (移送办案机构) and 抄告; follow-ups
recorded and closed; one result published late and some never published. Then the figures of
“两个100%” must be the same in ``gongkai metrics``, on the home page and in the open data, and
``frictionless validate`` must accept the datapackage.

Every step is the installed ``gongkai`` console script in a subprocess, as staff run it.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.workflow import county_kit as kit
from tests.workflow.county_kit import County
from tests.workflow.form_kit import fill_xlsx

SIG_1000000 = (
    "83ad29e4c409f9470fc2ef02f90214df49e02b441a1a241a82d622d9f608ef98"
    "fd8b11a029f1bee9d9e83b45088abe72"
)
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"
REFER = "发现案件线索，初步固定相关证据后移送办案机构依法依规处理"
NOTIFY = "违反其他部门相关规定，抄告相关部门"
NONE_NEEDED = "未发现问题或相关问题已规范、已改正，无需后续处置"
YEAR_END = "2023-12-31"


def _fill(county: County, task: str, dept: str, plan: dict[int, dict[str, Any]]) -> Path:
    form = county.forms / task / f"{dept}.xlsx"
    fill_xlsx(form, plan)
    return form


def _result(day: dt.date, category: str, measure: str, state: str, detail: str = "") -> dict:
    cells: dict[str, Any] = {
        "检查日期": day,
        "完成日期": day,
        "检查方式1": "现场检查",
        "检查结果1": category,
        "后续处置措施": measure,
        "后续处置是否完结": state,
    }
    if detail:
        cells["具体情况"] = detail
    if state == "已完结":
        cells["完结日期"] = day
    return cells


def _rows(form: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(form, read_only=True)["结果录入"]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:] if row[0] is not None]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    return kit.new_county(tmp_path_factory.mktemp("yichuan"))


def _jointly(c: County, request: Path, depts: tuple[str, ...], at: str) -> None:
    """Each office signs ``request`` on its own (own key, own ledger copy, own secrets); only the
    request and the signature files travel; then the lead appends."""
    inbox = c.root / "lead" / "signatures" / request.stem
    inbox.mkdir(parents=True)
    for d in depts:
        mail = c.office(d) / "inbox" / request.name
        mail.parent.mkdir(exist_ok=True)
        shutil.copyfile(request, mail)
        out = c.run("sign", str(mail), "--key", c.key(d), "--ledger", str(c.sync(d)),
                    "--secrets", str(c.office(d) / "secrets"), "--out", str(c.office(d) / "outbox"),
                    "--at", at)  # fmt: skip
        assert "签署申请：" in out, out
        assert f"部门 {d} 已签署" in out, out
        for sig in (c.office(d) / "outbox").glob(f"{request.stem}.*.sig"):
            shutil.copyfile(sig, inbox / sig.name)
    if len(depts) > 1:  # a missing signature names the department and writes nothing
        last = sorted(inbox.glob("*.sig"))[-1]
        held = last.rename(c.root / last.name)
        refused = c.run("request", "append", str(request), "--signatures", str(inbox),
                        "--site", str(c.site), "--at", at, ok=False)  # fmt: skip
        assert "缺少部门" in refused, refused
        assert last.name.split(".")[-2] in refused, refused
        held.rename(last)
    c.run("request", "append", str(request), "--signatures", str(inbox), "--site", str(c.site),
          "--at", at)  # fmt: skip


def _draw(c: County, tasks: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Announce, reveal, take the beacon, draw and confirm each task, in time order, every
    department on its own machine: its own secret, its own key, signatures through requests."""
    lead = c.root / "lead"
    for n, (task, depts) in enumerate(tasks.items()):
        commitments = lead / "commitments" / task
        commitments.mkdir(parents=True)
        for d in depts:
            mine = c.office(d) / "outbox" / f"{task}.{d}.commitment"
            mine.parent.mkdir(exist_ok=True)
            c.run("draw", "commit", task, "--dept", d, "--secrets", str(c.office(d) / "secrets"),
                  "--out", str(mine))  # fmt: skip
            shutil.copyfile(mine, commitments / mine.name)
        at = f"2023-09-25T10:{n:02d}:00+08:00"
        request = lead / f"{task}.announce.json"
        c.run("request", "announce", task, "--round", "1000000", "--commitments", str(commitments),
              "--out", str(request), "--site", str(c.site), "--at", at)  # fmt: skip
        _jointly(c, request, depts, at)
    for n, (task, depts) in enumerate(tasks.items()):
        for d in depts:  # each office signs its own reveal; the lead only appends the files
            at = f"2023-09-26T10:{n:02d}:00+08:00"
            c.run("draw", "reveal", task, "--dept", d, "--key", c.key(d), "--secrets",
                  str(c.office(d) / "secrets"), "--ledger", str(c.sync(d)),
                  "--out", str(c.office(d) / "outbox"), "--at", at)  # fmt: skip
            inbox = lead / "reveals" / f"{task}.{d}"
            inbox.mkdir(parents=True)
            for sent in (c.office(d) / "outbox").glob(f"{task}.reveal.{d}.*"):
                shutil.copyfile(sent, inbox / sent.name)
            c.run("request", "append", str(inbox / f"{task}.reveal.{d}.json"), "--signatures",
                  str(inbox), "--site", str(c.site), "--at", at)  # fmt: skip
    drawn = {}
    for n, (task, depts) in enumerate(tasks.items()):
        c.dept(depts[0], "draw", "beacon", task, "--signature", SIG_1000000,
               "--at", f"2023-09-27T17:{2 * n:02d}:00+08:00")  # fmt: skip
        out = c.dept(
            depts[0], "draw", "run", task, "--at", f"2023-09-27T17:{2 * n + 1:02d}:00+08:00"
        )
        drawn[task] = int(re.search(r"已抽取 (\d+) 户", out).group(1))  # type: ignore[union-attr]
    for n, (task, depts) in enumerate(tasks.items()):
        at = f"2023-09-28T10:{n:02d}:00+08:00"
        request = lead / f"{task}.confirm.json"
        c.run("request", "confirm", task, "--forms", str(c.forms), "--out", str(request),
              "--site", str(c.site), "--at", at)  # fmt: skip
        _jointly(c, request, depts, at)
    return drawn


def _only_own_secrets(c: County) -> None:
    """No office, and not the lead's or the operator's directory, holds another department's
    private key or draw secret."""
    for path in c.root.rglob("*"):
        if path.suffix not in (".key", ".secret"):
            continue
        rel = path.relative_to(c.root)
        if rel.parts[0] == "rootkeys":
            # One medium per root holder and one for the log key, one key on each.
            assert rel.parts[1] in ("root-1", "root-2", "root-3", "log"), rel
            assert [p.name for p in path.parent.glob("*.key")] == [path.name], rel
            assert "_dept_" not in path.name, rel
            continue
        assert rel.parts[0].startswith("office-"), rel
        dept = rel.parts[0].removeprefix("office-")
        assert path.name in (f"{dept}.secret", f"scjgj.yichuan.test_gongkai_dept_{dept}_1.key"), rel
    for d in kit.DEPTS:
        assert sorted(p.name for p in (c.office(d) / "secrets").rglob("*.secret")) == [
            f"{d}.secret"
        ] * len([t for t in (kit.JOINT, kit.SINGLE) if d == "scjg" or t == kit.JOINT])


def test_a_whole_year(county: County) -> None:
    c = county
    c.dept("scjg", "plan", "publish", "2023", "--at", "2023-03-01")
    c.dept("scjg", "task", "invite", kit.JOINT, "--at", "2023-03-06")
    for day, dept in (("2023-03-10", "wsjk"), ("2023-03-12", "xfjy")):
        c.dept(dept, "task", "reply", kit.JOINT, "--dept", dept, "--accept", "--at", day)
        waiting = c.run("status", "--site", str(c.site), "--at", day)
        assert ("邀约中的任务：1" in waiting) is (dept == "wsjk"), waiting
    drawn = _draw(c, {kit.JOINT: ("scjg", "wsjk", "xfjy"), kit.SINGLE: ("scjg",)})
    joint, single = drawn[kit.JOINT], drawn[kit.SINGLE]
    rows = {d: _rows(c.forms / kit.JOINT / f"{d}.xlsx") for d in kit.DEPTS}
    assert joint == len(rows["scjg"]) == len(rows["wsjk"]) == len(rows["xfjy"]) >= 3
    assert single == len(_rows(c.forms / kit.SINGLE / "scjg.xlsx")) >= 2

    # 进一次门、查多项事: the three departments visit each business on the same day.
    visit = [dt.date(2023, 10, 16) + dt.timedelta(days=i % 5) for i in range(joint)]
    plans: dict[str, dict[int, dict[str, Any]]] = {d: {} for d in kit.DEPTS}
    for i in range(joint):
        r = i + 2
        plans["scjg"][r] = _result(visit[i], "未发现问题", NONE_NEEDED, "已完结")
        plans["wsjk"][r] = _result(visit[i], "未发现问题", NONE_NEEDED, "已完结")
        plans["xfjy"][r] = _result(visit[i], "未发现问题", NONE_NEEDED, "已完结")
    plans["scjg"][2] = _result(visit[0], "违反食品药品管理相关规定", RECTIFY, "未完结",
                               "后厨生熟食品未分开存放，责令限期整改。")  # fmt: skip
    plans["scjg"][3] = _result(visit[1], "违反食品药品管理相关规定", REFER, "未完结",
                               "使用超过保质期的食品原料，移送办案机构立案查处。")  # fmt: skip
    plans["xfjy"][2] = _result(visit[0], "违反其他部门相关规定", NOTIFY, "未完结",
                               "疏散通道堆放杂物，抄告县市场监管局。")  # fmt: skip
    # 卫健 leaves its last business uninspected (never published: due but not 公示).
    del plans["wsjk"][joint + 1]
    for dept in kit.DEPTS:
        form = _fill(c, kit.JOINT, dept, plans[dept])
        c.dept(
            dept, "results", "import", kit.JOINT, str(form), "--dept", dept, "--at", "2023-11-08"
        )
    single_plan = {r: _result(dt.date(2023, 10, 18), "未发现问题", NONE_NEEDED, "已完结")
                   for r in range(2, single + 2)}  # fmt: skip
    form = _fill(c, kit.SINGLE, "scjg", single_plan)
    # Published late: 2023-10-18 + 20 working days is 2023-11-15.
    c.dept(
        "scjg", "results", "import", kit.SINGLE, str(form), "--dept", "scjg", "--at", "2023-11-28"
    )

    first = str(rows["scjg"][0]["统一社会信用代码/注册号"])
    second = str(rows["scjg"][1]["统一社会信用代码/注册号"])
    c.dept("scjg", "followup", "record", kit.JOINT, first, "--dept", "scjg", "--measure", RECTIFY,
           "--note", "责令限期整改。", "--deadline", "2023-12-15", "--at", "2023-11-29")  # fmt: skip
    c.dept("scjg", "followup", "close", kit.JOINT, first, "--dept", "scjg", "--note", "整改完成。",
           "--recheck", "复查：已整改到位。", "--at", "2023-11-30")  # fmt: skip
    c.dept("scjg", "followup", "record", kit.JOINT, second, "--dept", "scjg", "--measure", REFER,
           "--note", "已立案（宜市监立〔2023〕15号）。", "--at", "2023-12-01")  # fmt: skip
    c.dept("xfjy", "followup", "close", kit.JOINT, first, "--dept", "xfjy",
           "--note", "县市场监管局已回复处理情况。", "--at", "2023-12-05")  # fmt: skip
    c.dept("scjg", "followup", "close", kit.JOINT, second, "--dept", "scjg",
           "--note", "已结案，罚款并没收违法所得。", "--at", "2023-12-20")  # fmt: skip
    # A time earlier than the entry it would follow is refused, naming --at.
    late_row = {joint + 1: _result(visit[-1], "未发现问题", NONE_NEEDED, "已完结")}
    form = _fill(c, kit.JOINT, "wsjk", {**plans["wsjk"], **late_row})
    backdated = c.run("results", "import", kit.JOINT, str(form), "--dept", "wsjk",
                      "--site", str(c.site), "--key", c.key("wsjk"), "--at", "2023-12-10", ok=False)  # fmt: skip
    assert "--at" in backdated, backdated
    _fill(c, kit.JOINT, "wsjk", {joint + 1: {k: None for k in late_row[joint + 1]}})

    _case_and_notice(c, first, second)

    c.run("verify", str(c.site / "draws"))
    _only_own_secrets(c)
    metrics = c.run("metrics", "--site", str(c.site), "--at", YEAR_END)
    status = c.run("status", "--site", str(c.site), "--at", YEAR_END)
    assert "未完结的后续处置：0" in status, status
    c.run("build", "--content", str(c.site / "content"),
          "--output", str(c.root / "_site"))  # fmt: skip
    _same_figures(c, metrics, joint, single)
    _case_published(c, second)
    _rectification_published(c, first)


CASE_NO = "宜市监立〔2023〕15号"
#: Hostile text in the free-text fields of a case: escaped on pages, neutralised in CSV.
CASE_SUMMARY = '=HYPERLINK("http://x.test","使用超过保质期的食品原料")<script>alert(1)</script>'


def _case_and_notice(c: County, first: str, second: str) -> None:
    """立案 → 查处进展 → 结案 by the handling department; a 抄告 the addressee sees in its
    ``status`` until it signs for it; the wrong department is refused each time."""
    c.dept("scjg", "case", "open", kit.JOINT, second, "--dept", "scjg", "--from-dept", "scjg",
           "--case-no", CASE_NO, "--summary", CASE_SUMMARY, "--at", "2023-12-21")  # fmt: skip
    # The case is now the result's follow-up (docs/workflow.md §7 rule 5): open, listed with the
    # case, and not closed by the inspecting department on its own.
    closing = c.run("followup", "close", kit.JOINT, second, "--dept", "scjg", "--note", "另行完结",
                    "--site", str(c.site), "--key", c.key("scjg"), "--at", "2023-12-21", ok=False)  # fmt: skip
    assert f"该结果已立案（{CASE_NO}），案件查处中" in closing, closing
    during = c.run("status", "--site", str(c.site), "--at", "2023-12-21")
    assert "查处中的案件：1" in during, during
    assert "未完结的后续处置：0" in during, during
    refused = c.run("case", "progress", CASE_NO, "--dept", "wsjk", "--note", "越权记录",
                    "--site", str(c.site), "--key", c.key("wsjk"), "--at", "2023-12-22", ok=False)  # fmt: skip
    assert "办案部门 scjg" in refused, refused
    c.dept("scjg", "case", "progress", CASE_NO, "--dept", "scjg",
           "--note", "已调查取证，拟作出行政处罚。", "--at", "2023-12-22")  # fmt: skip
    c.dept("scjg", "notice", "copy", kit.JOINT, first, "--dept", "scjg", "--to", "wsjk",
           "--subject", "从业人员未取得健康证明", "--at", "2023-12-23")  # fmt: skip
    mine = c.run("status", "--site", str(c.site), "--at", "2023-12-23", "--dept", "wsjk")
    assert "待签收的抄告：1" in mine, mine
    assert "从业人员未取得健康证明" in mine, mine
    assert "查处中的案件：0" in mine, mine
    theirs = c.run("status", "--site", str(c.site), "--at", "2023-12-23", "--dept", "xfjy")
    assert "待签收的抄告：0" in theirs, theirs
    index = re.search(r"gongkai notice ack (\d+) --dept wsjk", mine).group(1)  # type: ignore[union-attr]
    refused = c.run("notice", "ack", index, "--dept", "xfjy", "--site", str(c.site),
                    "--key", c.key("xfjy"), "--at", "2023-12-24", ok=False)  # fmt: skip
    assert "收件部门 wsjk" in refused, refused
    c.dept("wsjk", "notice", "ack", index, "--dept", "wsjk", "--reply", "已列入日常监管。",
           "--at", "2023-12-24")  # fmt: skip
    mine = c.run("status", "--site", str(c.site), "--at", "2023-12-24", "--dept", "wsjk")
    assert "待签收的抄告：0" in mine, mine
    assert "查处中的案件：1" in c.run("status", "--site", str(c.site), "--at", "2023-12-24")
    c.dept("scjg", "case", "close", CASE_NO, "--dept", "scjg", "--outcome",
           "罚款并没收违法所得。", "--decision-no", "宜市监处罚〔2023〕9号",
           "--at", "2023-12-28")  # fmt: skip
    again = c.run("case", "progress", CASE_NO, "--dept", "scjg", "--note", "再记",
                  "--site", str(c.site), "--key", c.key("scjg"), "--at", "2023-12-29", ok=False)  # fmt: skip
    assert "已结案" in again, again


def _case_published(c: County, entity: str) -> None:
    """The business page, the follow-up list, the feed and the open data tell the case."""
    site = c.root / "_site"
    page = next(site.glob(f"entities/**/{entity}/index.html"))
    raw = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw
    assert "&lt;script&gt;" in raw
    text = _page_text(page)
    for words in ("立案", CASE_NO, "查处进展", "已调查取证", "结案", "罚款并没收违法所得",
                  "宜市监处罚〔2023〕9号", "抄告"):  # fmt: skip
        assert words in text, (words, text[:3000])
    story = text[text.index(f"案件 {CASE_NO}") :]
    assert story.index("立案：") < story.index("查处进展：") < story.index("结案：")
    assert story.index("已调查取证") < story.index("罚款并没收违法所得")
    listing = _page_text(site / "followups" / "index.html")
    for words in (CASE_NO, "从业人员未取得健康证明", "已签收"):
        assert words in listing, (words, listing[:3000])
    feed = (site / "followups" / "feed.xml").read_text(encoding="utf-8")
    assert CASE_NO in feed
    assert "<script>" not in feed
    rows = list(csv.DictReader(io.StringIO(
        (site / "data" / "cases.csv").read_text(encoding="utf-8-sig"))))  # fmt: skip
    results = list(csv.DictReader(io.StringIO(
        (site / "data" / "results.csv").read_text(encoding="utf-8-sig"))))  # fmt: skip
    (followed,) = [r for r in results if r["统一社会信用代码/注册号"] == entity
                   and r["任务编号"] == kit.JOINT and r["检查实施机关"] in ("scjg", "宜川县市场监督管理局")]  # fmt: skip
    assert followed["后续处置措施"].startswith("发现案件线索"), followed
    assert (followed["后续处置是否完结"], followed["完结日期"]) == ("已完结", "2023-12-28")
    (case,) = [r for r in rows if r["案件编号"] == CASE_NO]
    assert case["结案情况"] == "罚款并没收违法所得。"
    assert case["办案部门"] == "scjg"
    assert case["案由"].startswith("'=HYPERLINK"), case
    notices = list(csv.DictReader(io.StringIO(
        (site / "data" / "notices.csv").read_text(encoding="utf-8-sig"))))  # fmt: skip
    assert [(n["收件部门"], n["签收日期"]) for n in notices] == [("wsjk", "2023-12-24")]


def _pair(text: str, label: str) -> tuple[int, int]:
    m = re.search(label + r"[^/]*?(\d+)\s*/\s*\D*(\d+)", text)
    assert m, f"{label} not found in:\n{text[:2000]}"
    return int(m.group(1)), int(m.group(2))


def _page_text(path: Path) -> str:
    raw = re.sub(r"<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _same_figures(c: County, metrics: str, joint: int, single: int) -> None:
    home = _page_text(c.root / "_site" / "index.html")
    table = list(csv.DictReader(io.StringIO(
        (c.root / "_site" / "data" / "results.csv").read_text(encoding="utf-8-sig"))))  # fmt: skip
    current = [r for r in table if not r["更正记录序号"]]
    published = len(current)
    assert published == 3 * joint - 1 + single
    late = [r for r in current if r["是否逾期"] == "是"]
    assert len(late) == single
    due = 3 * joint + single  # every drawn business of every department
    cli_done, cli_due = _pair(metrics, "抽查完成率")
    cli_on_time, cli_due_pub = _pair(metrics, "按时公示率")
    assert (cli_done, cli_due) == (published, due)
    assert cli_on_time == published - single == len(current) - len(late)
    assert cli_due_pub == published  # due = published + overdue unpublished (none here)
    assert _pair(home, "完成率") == (cli_done, cli_due)
    assert _pair(home, "按时公示率") == (cli_on_time, cli_due_pub)
    closed = [r for r in current if r["后续处置措施"] != NONE_NEEDED]
    assert closed
    assert all(r["后续处置是否完结"] == "已完结" for r in closed), closed
    frictionless = Path(sys.executable).with_name("frictionless")
    if not frictionless.exists():
        pytest.fail("frictionless is a test dependency (pyproject [test]); install it")
    proc = subprocess.run(
        [str(frictionless), "validate", str(c.root / "_site" / "data" / "datapackage.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def _rectification_published(c: County, entity: str) -> None:
    """整改: the deadline of ``followup.record`` and the 复查结果 of ``followup.close`` reach the
    business page and data/results.csv."""
    site = c.root / "_site"
    text = _page_text(next(site.glob(f"entities/**/{entity}/index.html")))
    assert "整改期限：2023-12-15" in text, text[:3000]
    assert "复查结果：复查：已整改到位。" in text, text[:3000]
    rows = list(csv.DictReader(io.StringIO(
        (site / "data" / "results.csv").read_text(encoding="utf-8-sig"))))  # fmt: skip
    (row,) = [r for r in rows if r["统一社会信用代码/注册号"] == entity and r["检查实施机关"]
              == kit.DEPTS["scjg"][0] and not r["更正记录序号"]]  # fmt: skip
    assert (row["整改期限"], row["复查结果"]) == ("2023-12-15", "复查：已整改到位。")
