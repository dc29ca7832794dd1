"""``gongkai status`` and ``gongkai metrics`` give the right numbers on the example ledger.

The expected figures are recomputed here straight from the entries, independently of
generator/workflow/status.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

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


def _expected() -> dict[str, int]:
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
        if publication_deadline(dt.date.fromisoformat(ends[task])) < AS_OF:
            overdue += sum(1 for e in ids for d in participants[task] if (task, d, e) not in latest)
    needing = [
        k
        for k, b in latest.items()
        if not b["result"]["followup"]["measure"].startswith("未发现问题")
    ]
    closed = defaultdict(bool)
    for b in bodies:
        if b["type"] == "followup.close":
            closed[(b["task_id"], b["dept"], b["entity"])] = True
    return {
        "published": len(latest),
        "expected": expected,
        "on_time": on_time,
        "due": len(latest) + overdue,
        "overdue": overdue,
        "needing": len(needing),
        "closed": sum(
            1 for k in needing if closed[k] or latest[k]["result"]["followup"]["state"] == "已完结"
        ),
    }


def test_metrics_and_status_on_the_example() -> None:
    e = _expected()
    runner = CliRunner()
    metrics = runner.invoke(main, ["metrics", "--site", str(ROOT), "--at", AS_OF.isoformat()])
    assert metrics.exit_code == 0, metrics.output
    assert f"已公示 {e['published']} / 应公示 {e['expected']}" in metrics.output
    assert f"按时 {e['on_time']} / 到期 {e['due']}" in metrics.output
    assert f"已完结 {e['closed']} / 需处置 {e['needing']}" in metrics.output
    status = runner.invoke(main, ["status", "--site", str(ROOT), "--at", AS_OF.isoformat()])
    assert status.exit_code == 0, status.output
    assert f"逾期未公示的检查结果（超过20个工作日）：{e['overdue']}" in status.output
    assert e["overdue"] > 0
    assert e["on_time"] < e["published"]  # the example has late results on purpose
