"""End to end on a fresh, non-example site with real keys: init → keys → plan → invitation →
draw with the real drand round → confirmation → results → status, metrics and verify.

Also checks that a forged draw result (validly signed by the lead department and the log
operator, but not what the announced inputs give) is caught by ``gongkai verify``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from figures_kit import assert_one_definition
from fresh_site import SIG, TASK, Site, fill_row, new_site

from generator.workflow import forms
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.entries import make_entry
from ledger.keys import read_private_key
from ledger.store import LedgerStore
from ledger.trust import parse_trust


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return new_site(tmp_path_factory.mktemp("e2e"))


def test_an_unpublished_plan_is_not_public(site: Site, tmp_path: Path) -> None:
    """Before ``plan publish`` the plan is content only: not on the site, not in the feed; a
    preview build shows it, marked 预览（未发布） on every page and kept out of feed and sitemap."""
    content = str(site.root / "content")
    public = tmp_path / "public"
    site.run("build", "--content", content, "--output", str(public))
    assert not (public / "plans" / "2024").exists()
    assert not (public / "tasks" / TASK).exists()
    assert "plans/2024/" not in (public / "feeds" / "plans.xml").read_text("utf-8")
    assert "预览" not in (public / "index.html").read_text("utf-8")
    preview = tmp_path / "preview"
    built = site.run("build", "--content", content, "--output", str(preview), "--preview")
    assert "预览（未发布" in built.output
    assert (preview / "plans" / "2024" / "index.html").is_file()
    pages = list(preview.rglob("*.html"))
    assert pages
    assert all("预览（未发布）" in p.read_text("utf-8") for p in pages)
    assert "plans/2024/" not in (preview / "feeds" / "plans.xml").read_text("utf-8")
    sitemap = (preview / "sitemap.xml").read_text("utf-8")
    assert "plans/2024/" not in sitemap
    assert f"tasks/{TASK}/" not in sitemap
    assert "plans/" in sitemap


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
    both = ("scjg", "wsjk")
    too_soon = s.jointly(
        "announce", TASK, "2024-02-25T10:00:00+08:00", both, "--round", "5358915", ok=False
    )
    assert too_soon.exit_code == 11
    assert "24 小时" in too_soon.output
    s.jointly("announce", TASK, "2024-02-22T10:00:00+08:00", both, "--round", "5358915")
    for dept in ("scjg", "wsjk"):
        secret = s.office_secrets(dept) / TASK / f"{dept}.secret"
        assert secret.stat().st_mode & 0o777 == 0o600
        s.run("draw", "reveal", TASK, "--dept", dept, "--secrets", str(s.office_secrets(dept)), "--site", str(s.root),
              "--key", s.dept_key(dept), "--log-key", s.log_key, "--at", "2024-02-23")  # fmt: skip
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
    # The count is read after the command's own append (issue #12.6: it said 0 before).
    drawn = SiteRepo.open(s.root).state().tasks.tasks[TASK].drawn
    assert drawn
    assert f"已抽取 {len(drawn)} 户检查对象" in out
    forms_dir = s.root.parent / "forms"
    s.jointly("confirm", TASK, "2024-02-27", both, "--forms", str(forms_dir))
    form = forms_dir / TASK / "scjg.xlsx"
    fill_row(form, 2, {
        forms.COL_INSPECTED: dt.date(2024, 4, 8),
        forms.COL_COMPLETED: dt.date(2024, 4, 8),
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: "未发现问题",
        forms.COL_DETAIL: "未发现问题。",
        forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置",
        forms.COL_STATE: "已完结",
        forms.COL_CLOSED: dt.date(2024, 4, 8),
    })  # fmt: skip
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
    log = read_private_key(site.log_key)
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


def test_a_form_follow_up_is_closed_and_every_output_agrees(site: Site, tmp_path: Path) -> None:
    """A result imported with 未完结 is listed open by ``status`` and closed directly by
    ``followup close``; then ``gongkai metrics``, the site and the open data give the same
    figures, and the site lists the results that were due and never published."""
    s = site
    form = s.root.parent / "forms" / TASK / "scjg.xlsx"
    entity = fill_row(form, 3, {
        forms.COL_INSPECTED: dt.date(2024, 4, 9),
        forms.COL_COMPLETED: dt.date(2024, 4, 9),
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: "发现问题经责令已改正",
        forms.COL_DETAIL: "后厨卫生不合格，已责令改正。",
        forms.COL_MEASURE: "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责",
        forms.COL_STATE: "未完结",
    })  # fmt: skip
    s.site(
        "results", "import", TASK, str(form), "--dept", "scjg", "--at", "2024-04-20", dept="scjg"
    )
    status = s.run("status", "--site", str(s.root), "--at", "2024-04-21").output
    assert f"{TASK} scjg {entity}" in status
    s.site("followup", "close", TASK, entity, "--dept", "scjg", "--note", "复查已整改",
           "--at", "2024-11-20", dept="scjg")  # fmt: skip
    status = s.run("status", "--site", str(s.root), "--at", "2024-11-20").output
    assert "未完结的后续处置：0" in status
    overdue = int(re.search(r"逾期未公示的检查结果（超过20个工作日）：(\d+)", status).group(1))  # type: ignore[union-attr]
    assert overdue > 0
    out = tmp_path / "site"
    s.run("build", "--content", str(s.root / "content"), "--output", str(out))
    figures = assert_one_definition(s.root, out)
    assert ("后续处置完结率", "100.0%", "1", "1") in figures
    page = (out / "results" / "overdue" / "index.html").read_text("utf-8")
    assert f"逾期未公示（{overdue} 条）" in page
    assert "已完结（2024-11-20）" in (out / "entities" / entity / "index.html").read_text("utf-8")
    rows = (out / "data" / "results.csv").read_text("utf-8-sig").splitlines()
    assert any(entity in r and "已完结" in r and "2024-11-20" in r for r in rows)


def test_a_plan_changed_after_publishing_stops_the_build(site: Site, tmp_path: Path) -> None:
    plan = site.root / "content" / "plans" / "2024.yaml"
    original = plan.read_bytes()
    plan.write_text(original.decode("utf-8").replace("（测试）", "（已修改）"), encoding="utf-8")
    try:
        result = site.run("build", "--content", str(site.root / "content"), "--output",
                          str(tmp_path / "site"), ok=False)  # fmt: skip
    finally:
        plan.write_bytes(original)
    assert result.exit_code == 10, result.output
    assert "记入账本（plan.publish）后被修改" in result.output
    assert not (tmp_path / "site").exists()
