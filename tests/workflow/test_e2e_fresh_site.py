"""End to end on a fresh, non-example site with real keys: init → keys → plan → invitation →
draw with the real drand round → confirmation → results → status, metrics and verify.

Also checks that a forged draw result (validly signed by the lead department and the log
operator, but not what the announced inputs give) is caught by ``gongkai verify``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fresh_site import ORIGIN, SIG, TASK, Site, fill_result_row, new_site

from generator.workflow import forms
from ledger import canonical
from ledger.entries import make_entry
from ledger.keys import read_private_key
from ledger.store import LedgerStore
from ledger.trust import parse_trust


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return new_site(tmp_path_factory.mktemp("e2e"))


def test_whole_task_from_invitation_to_published_results(site: Site) -> None:
    s = site
    s.site("plan", "publish", "2024", "--at", "2024-01-10", dept="scjg")
    s.site("task", "invite", TASK, "--at", "2024-01-15", dept="scjg")
    refused = s.site(
        "task",
        "reply",
        TASK,
        "--dept",
        "wsjk",
        "--decline",
        "--at",
        "2024-01-16",
        dept="wsjk",
        ok=False,
    )
    assert refused.exit_code == 11
    assert "理由" in refused.output
    s.site("task", "reply", TASK, "--dept", "wsjk", "--accept", "--at", "2024-01-18", dept="wsjk")
    announce = ("draw", "announce", TASK, "--round", "5358915", "--secrets", str(s.secrets))
    too_soon = s.multi(
        *announce, "--at", "2024-02-25T10:00:00+08:00", depts=("scjg", "wsjk"), ok=False
    )
    assert too_soon.exit_code == 11
    assert "24 小时" in too_soon.output
    s.multi(*announce, "--at", "2024-02-22T10:00:00+08:00", depts=("scjg", "wsjk"))
    for dept in ("scjg", "wsjk"):
        secret = s.secrets / TASK / f"{dept}.secret"
        assert secret.stat().st_mode & 0o777 == 0o600
        s.run("draw", "reveal", TASK, "--dept", dept, "--secrets", str(s.secrets), "--site", str(s.root),
              "--key", s.dept_key(dept), "--log-key", s.key(ORIGIN), "--at", "2024-02-23")  # fmt: skip
    bad = s.site(
        "draw",
        "beacon",
        TASK,
        "--signature",
        "96" + SIG[2:],
        "--at",
        "2024-02-26",
        dept="scjg",
        ok=False,
    )
    assert bad.exit_code == 11
    s.site("draw", "beacon", TASK, "--signature", SIG, "--at", "2024-02-26", dept="scjg")
    out = s.site("draw", "run", TASK, "--at", "2024-02-26T10:00:00+08:00", dept="scjg").output
    assert "已抽取" in out
    forms_dir = s.root.parent / "forms"
    s.multi(
        "task",
        "confirm",
        TASK,
        "--out",
        str(forms_dir),
        "--at",
        "2024-02-27",
        depts=("scjg", "wsjk"),
    )
    form = forms_dir / TASK / "scjg.xlsx"
    values = {
        forms.COL_INSPECTED: dt.date(2024, 4, 8),
        forms.COL_COMPLETED: dt.date(2024, 4, 8),
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: "未发现问题",
        forms.COL_DETAIL: "未发现问题。",
        forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置",
        forms.COL_STATE: "已完结",
        forms.COL_CLOSED: dt.date(2024, 4, 8),
    }
    fill_result_row(form, values)
    wrong_dept = s.site(
        "results",
        "import",
        TASK,
        str(form),
        "--dept",
        "wsjk",
        "--at",
        "2024-04-15",
        dept="wsjk",
        ok=False,
    )
    assert wrong_dept.exit_code == 10
    assert "部门" in wrong_dept.output
    imported = s.site(
        "results", "import", TASK, str(form), "--dept", "scjg", "--at", "2024-04-15", dept="scjg"
    )
    assert "新公示 1 条" in imported.output
    again = s.site(
        "results", "import", TASK, str(form), "--dept", "scjg", "--at", "2024-04-16", dept="scjg"
    )
    assert "未改动 1 条" in again.output
    status = s.run("status", "--site", str(s.root), "--at", "2024-04-20").output
    assert "待公示的检查结果" in status
    metrics = s.run("metrics", "--site", str(s.root), "--at", "2024-04-20").output
    assert "已公示 1" in metrics
    # One real subprocess: the installed console script, as an auditor runs it.
    gongkai = Path(sys.executable).with_name("gongkai")
    proc = subprocess.run(
        [str(gongkai), "verify", str(s.root / "draws"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["checked"]["draws"] == 1
    assert report["checked"]["beacons"] == 1


def test_forged_draw_result_is_caught(site: Site, tmp_path: Path) -> None:
    """A result signed by the lead and covered by a checkpoint, but not the real draw, fails."""
    copy = tmp_path / "draws"
    shutil.copytree(site.root / "draws", copy)
    trust = parse_trust((copy / "trust.txt").read_bytes())
    store = LedgerStore(copy, trust.origin, trust.log_keys)
    lines = list(store.iter_lines())
    result_index = next(i for i, line in enumerate(lines) if b'"type":"draw.result"' in line)
    # Rebuild the log up to (not including) the real result, then append a forged one.
    shutil.rmtree(copy)
    copy.mkdir()
    (copy / "trust.txt").write_bytes((site.root / "draws" / "trust.txt").read_bytes())
    shutil.copytree(site.root / "draws" / "blobs", copy / "blobs")
    store = LedgerStore(copy, trust.origin, trust.log_keys)
    log = read_private_key(site.key(ORIGIN))
    store.append(lines[:result_index], [log])
    real = canonical.loads(lines[result_index])["body"]
    record = canonical.loads(
        (site.root / "draws" / "blobs" / "sha256" / real["result"]["sha256"]).read_bytes()
    )
    record["entity_order"] = list(reversed(record["entity_order"]))
    data = canonical.dumps(record)
    digest = store.put_blob(data)
    body = dict(
        real,
        result={"sha256": digest, "size": len(data), "media": "application/json"},
        result_sha256=digest,
    )
    store.append([make_entry(trust.origin, body, [read_private_key(site.dept_key("scjg"))])], [log])
    result = site.run("verify", str(copy), ok=False)
    assert result.exit_code == 4, result.output
    assert "重新运行抽取得到的结果与账本记录的结果不一致" in result.output
