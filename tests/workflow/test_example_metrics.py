"""``gongkai status`` and ``gongkai metrics`` give the right numbers on the example ledger.

The expected figures are recomputed here straight from the entries, independently of
generator/workflow/status.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import yaml
from click.testing import CliRunner
from figures_kit import assert_one_definition

from generator.cli import main
from generator.content.workdays import publication_deadline

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 12, 31)


def _entries() -> list[dict]:
    return [
        json.loads(line)["body"]
        for line in (ROOT / "draws" / "entries.jsonl").read_text("utf-8").splitlines()
    ]


def _china_date(ts: str) -> dt.date:
    return (dt.datetime.fromisoformat(ts.replace("Z", "+00:00")) + dt.timedelta(hours=8)).date()


def _expected(as_of: dt.date = AS_OF) -> dict[str, int]:
    bodies = _entries()
    blobs = ROOT / "draws" / "blobs" / "sha256"
    drawn: dict[str, set[str]] = {}
    participants: dict[str, list[str]] = {}
    for b in bodies:
        if b["type"] == "draw.announce":
            participants[b["task_id"]] = [d["dept"] for d in b["rules"]["departments"]]
        if b["type"] == "draw.result":
            record = json.loads((blobs / b["result"]["sha256"]).read_text("utf-8"))
            drawn[b["task_id"]] = {d["id"] for s in record["strata"] for d in s["drawn"]}
        if b["type"] == "draw.replace":
            drawn[b["task_id"]].discard(b["removed"])
            if b["replacement"]:
                drawn[b["task_id"]].add(b["replacement"]["id"])
    latest: dict[tuple[str, str, str], dict] = {}
    for b in bodies:
        if b["type"] in ("result.publish", "result.correct"):
            latest[(b["task_id"], b["dept"], b["result"]["entity"])] = b
    expected = sum(len(drawn[t]) * len(participants[t]) for t in drawn)
    on_time = sum(
        1 for b in latest.values()
        if _china_date(b["ts"]) <= publication_deadline(dt.date.fromisoformat(b["result"]["completed_on"]))
    )  # fmt: skip
    plan = (ROOT / "content" / "plans" / "2024.yaml").read_text("utf-8")
    ends = dict(re.findall(r"- id: (\S+)\n(?:.*\n)*?    period: \{start: \S+, end: (\S+)\}", plan))
    overdue = 0
    for task, ids in drawn.items():
        if publication_deadline(dt.date.fromisoformat(ends[task])) < as_of:
            overdue += sum(1 for e in ids for d in participants[task] if (task, d, e) not in latest)
    # The follow-up of each current result: its form's state, then in log order followup.record
    # (open), followup.close (closed), case.open (the case: needing, open) and case.close
    # (closed) — docs/workflow.md §5 and §7 rule 5.
    state = {k: b["result"]["followup"]["state"] == "已完结" for k, b in latest.items()}
    needing = {
        k
        for k, b in latest.items()
        if not b["result"]["followup"]["measure"].startswith("未发现问题")
    }
    case_keys: dict[int, tuple[str, str, str]] = {}
    for index, b in enumerate(bodies):
        if b["type"] in ("followup.record", "followup.close"):
            state[(b["task_id"], b["dept"], b["entity"])] = b["type"] == "followup.close"
        elif b["type"] == "case.open":
            case_keys[index] = key = (b["task_id"], b["source_dept"], b["entity"])
            needing.add(key)
            state[key] = False
        elif b["type"] == "case.close":
            state[case_keys[b["case"]["index"]]] = True
    return {
        "published": len(latest),
        "expected": expected,
        "on_time": on_time,
        "due": len(latest) + overdue,
        "overdue": overdue,
        "needing": len(needing),
        "closed": sum(1 for k in needing if state[k]),
    }


def test_metrics_and_status_on_the_example() -> None:
    e = _expected()
    runner = CliRunner()
    metrics = runner.invoke(main, ["metrics", "--site", str(ROOT), "--at", AS_OF.isoformat()])
    assert metrics.exit_code == 0, metrics.output
    assert f"已公示 {e['published']} / 应公示 {e['expected']}" in metrics.output
    assert f"按时公示 {e['on_time']} / 到期 {e['due']}" in metrics.output
    assert f"已完结 {e['closed']} / 需后续处置 {e['needing']}" in metrics.output
    status = runner.invoke(main, ["status", "--site", str(ROOT), "--at", AS_OF.isoformat()])
    assert status.exit_code == 0, status.output
    assert f"逾期未公示的检查结果（超过20个工作日）：{e['overdue']}" in status.output
    assert e["overdue"] > 0
    assert e["on_time"] < e["published"]  # the example has late results on purpose


# ---- one definition: the CLI, the site and the open data agree (docs/workflow.md §4.2) --------


def test_cli_site_and_open_data_agree_on_the_example(example_site: Path) -> None:
    figures = assert_one_definition(ROOT, example_site)
    last = max(_china_date(b["ts"]) for b in _entries())
    e = _expected(last)
    assert (
        "按时公示率",
        f"{100 * e['on_time'] / e['due']:.1f}%",
        str(e["on_time"]),
        str(e["due"]),
    ) in figures


def test_closed_followups_show_as_closed_everywhere(example_site: Path) -> None:
    """A follow-up closed in the ledger is 已完结 on the business page and in results.csv."""
    closes = [b for b in _entries() if b["type"] == "followup.close"]
    assert closes
    rows = list(
        csv.DictReader(io.StringIO((example_site / "data/results.csv").read_text("utf-8-sig")))
    )
    current = {
        (r["任务编号"], r["统一社会信用代码/注册号"], r["检查实施机关"]): r
        for r in rows
        if not r["更正记录序号"]
    }
    names = {d["id"]: d["name"] for d in _departments()}
    for b in closes:
        row = current[(b["task_id"], b["entity"], names[b["dept"]])]
        assert (row["后续处置是否完结"], row["完结日期"]) == ("已完结", b["closed_on"])
        page = (example_site / "entities" / b["entity"] / "index.html").read_text("utf-8")
        assert f"已完结（{b['closed_on']}）" in page


def _departments() -> list[dict[str, str]]:
    data = yaml.safe_load((ROOT / "content" / "departments.yaml").read_text("utf-8"))
    departments: list[dict[str, str]] = data["departments"]
    return departments


def test_a_joint_visit_is_one_inspection(example_site: Path) -> None:
    """A business inspected by three departments in one joint task counts one inspection."""
    by_task: dict[tuple[str, str], set[str]] = defaultdict(set)
    for b in _entries():
        if b["type"] == "result.publish":
            by_task[(b["result"]["entity"], b["task_id"])].add(b["dept"])
    entity, _ = next(k for k, depts in sorted(by_task.items()) if len(depts) >= 3)
    tasks = {t for (e, t) in by_task if e == entity}
    page = (example_site / "entities" / entity / "index.html").read_text("utf-8")
    assert f'<td data-label="年度">2024年</td><td data-label="次数">{len(tasks)}</td>' in page


def test_a_declined_department_is_not_a_participant(example_site: Path) -> None:
    """A partner that declined the invitation is neither a 联查部门 nor in the 分工 table."""
    names = {d["id"]: d["name"] for d in _departments()}
    declines = [b for b in _entries() if b["type"] == "task.reply" and b["decision"] == "decline"]
    assert declines
    for b in declines:
        page = (example_site / "tasks" / b["task_id"] / "index.html").read_text("utf-8")
        partners = re.search(r"<dt>联查部门</dt><dd>(.*?)</dd>", page)
        assert partners is not None
        assert names[b["dept"]] not in partners.group(1)
        table = page[page.index("各部门分工") : page.index("h-ratios")]
        assert names[b["dept"]] not in table
        assert "拒绝邀约、不参与检查的部门" in page
