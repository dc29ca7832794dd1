"""The ledger's own visits at announce time: last visit and 抽查频次 (docs/workflow.md §6).

Three single-department tasks of one 2024 plan over the same 餐饮 pool: 2024-SP-A and 2024-SP-B
inspect SJ-SP-01 (抽查频次 1 a year), 2024-DJ-C inspects SJ-DJ-01 (no frequency). A is drawn and
one result is published; then B's pool has none of A's businesses, and C's snapshot carries the
result's ``inspected_on`` as ``last_inspected``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fresh_site import SIG, Site, fill_row, new_site

from generator.workflow import forms
from generator.workflow.site import SiteRepo
from generator.workflow.visits import last_visits
from ledger import canonical
from ledger.draw import drand

PLAN = """\
id: "2024"
year: 2024
title: 测试计划
organiser: scjg
published_on: 2024-01-10
tasks:
{tasks}"""
TASK = """\
  - id: {id}
    name: 餐饮服务单位抽查（{id}）
    kind: 单部门
    mode: 定向抽查
    industry: 餐饮
    lead: scjg
    departments:
      - dept: scjg
        items: [{item}]
        inspectors_per_entity: 2
    pool:
      industries: [餐饮]
      divisions: ["620823"]
    ratios: {{A: "50%", B: "50%", C: "50%", D: "50%"}}
    min_count: 0
    period: {{start: {start}, end: {end}}}
"""
A, B, C = "2024-SP-A", "2024-SP-B", "2024-DJ-C"
INSPECTED = dt.date(2024, 4, 8)


def _content(s: Site) -> None:
    checklist = s.content / "checklist.yaml"
    text = checklist.read_text("utf-8")
    marker = "      - 《中华人民共和国食品安全法》第一百一十条\n"
    assert marker in text
    checklist.write_text(text.replace(marker, marker + "    frequency: 1\n"), "utf-8")
    # The changed checklist is published as scjg's version 2 (docs/workflow.md §8).
    s.site("checklist", "publish", "--dept", "scjg", "--at", "2024-01-04", dept="scjg")
    tasks = [
        TASK.format(id=A, item="SJ-SP-01", start="2024-03-01", end="2024-06-28"),
        TASK.format(id=B, item="SJ-SP-01", start="2024-07-01", end="2024-09-30"),
        TASK.format(id=C, item="SJ-DJ-01", start="2024-07-01", end="2024-09-30"),
    ]
    (s.content / "plans" / "2024.yaml").write_text(PLAN.format(tasks="".join(tasks)), "utf-8")
    assert "检查通过" in s.run("check", "--content", str(s.content)).output


def _announce(s: Site, task: str, at: str, round_: int, ok: bool = True) -> str:
    return s.multi(
        "draw", "announce", task, "--round", str(round_), "--secrets", str(s.secrets),
        "--at", at, depts=("scjg",), ok=ok,
    ).output  # fmt: skip


def _snapshot(s: Site, task: str) -> dict[str, dict[str, object]]:
    repo = SiteRepo.open(s.root)
    record = repo.state().tasks.tasks[task]
    assert record.announce is not None
    blob = repo.store.get_blob(record.announce.payload.pools.entities.sha256)
    rows = [canonical.loads(line) for line in blob.splitlines() if line.strip()]
    return {r["id"]: r for r in rows if isinstance(r, dict) and "stratum" in r}


def announced_site(tmp: Path) -> Site:
    """A new site under ``tmp`` with the plan published and A announced."""
    s = new_site(tmp)
    _content(s)
    s.site("plan", "publish", "2024", "--at", "2024-01-10", dept="scjg")
    _announce(s, A, "2024-02-22T10:00:00+08:00", 5358915)
    return s


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return announced_site(tmp_path_factory.mktemp("visits"))


def test_a_pending_draw_sharing_a_frequency_limited_item_makes_the_announcement_wait(
    site: Site,
) -> None:
    refused = site.multi(
        "draw", "announce", B, "--round", "5358915", "--secrets", str(site.secrets),
        "--at", "2024-02-22T10:05:00+08:00", depts=("scjg",), ok=False,
    )  # fmt: skip
    assert refused.exit_code == 11
    assert f"任务“{A}”已公告抽取但尚未抽取" in refused.output
    assert "SJ-SP-01" in refused.output


def draw_and_visit(s: Site, forms_dir: Path) -> str:
    """Draw A (announced), confirm it and publish one scjg result inspected on ``INSPECTED``;
    return that business's code."""
    s.site("draw", "reveal", A, "--dept", "scjg", "--secrets", str(s.secrets),
           "--at", "2024-02-23", dept="scjg")  # fmt: skip
    s.site("draw", "beacon", A, "--signature", SIG, "--at", "2024-02-26", dept="scjg")
    s.site("draw", "run", A, "--at", "2024-02-26T10:00:00+08:00", dept="scjg")
    s.multi("task", "confirm", A, "--out", str(forms_dir), "--at", "2024-02-27", depts=("scjg",))
    visited = fill_row(forms_dir / A / "scjg.xlsx", 2, {
        forms.COL_INSPECTED: INSPECTED,
        forms.COL_COMPLETED: INSPECTED,
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: "未发现问题",
        forms.COL_DETAIL: "未发现问题。",
        forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置",
        forms.COL_STATE: "已完结",
        forms.COL_CLOSED: INSPECTED,
    })  # fmt: skip
    s.site("results", "import", A, str(forms_dir / A / "scjg.xlsx"), "--dept", "scjg",
           "--at", "2024-04-15", dept="scjg")  # fmt: skip
    return visited


#: A drand round 24 h or more after the announcements of B and C on 2024-04-16.
ROUND_APRIL = drand.round_at(int(dt.datetime(2024, 4, 18, tzinfo=dt.UTC).timestamp()))


def test_drawn_businesses_leave_the_pool_and_results_set_the_last_visit(
    site: Site, tmp_path: Path
) -> None:
    s = site
    visited = draw_and_visit(s, tmp_path)
    repo = SiteRepo.open(s.root)
    drawn_a = set(repo.state().tasks.tasks[A].drawn)
    assert visited in drawn_a
    assert last_visits(repo) == {visited: INSPECTED}

    _announce(s, B, "2024-04-16T10:00:00+08:00", ROUND_APRIL)
    _announce(s, C, "2024-04-16T10:05:00+08:00", ROUND_APRIL)
    pool_b, pool_c = _snapshot(s, B), _snapshot(s, C)
    # B inspects SJ-SP-01 again: A's businesses reached its 抽查频次 of 1 this year.
    assert not drawn_a & set(pool_b)
    assert set(pool_c) == set(pool_b) | drawn_a
    # C does not: they stay, and the visit recorded in the ledger is their last inspection.
    assert pool_c[visited]["last_inspected"] == INSPECTED.isoformat()
