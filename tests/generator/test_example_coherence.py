"""The example's results tell a story an inspector finds plausible (issue #18, docs/domain.md §3.4).

Read straight from the committed ledger (``draws/entries.jsonl``), independently of the code that
wrote it: every inspection on a working day; a joint task's departments visit a business once,
together; an unreachable business is unreachable for the whole team; categories and measures
agree; a follow-up closed after a re-inspection belongs to an order to correct.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from generator.content.loader import load_content
from generator.content.model import ItemClass
from generator.content.results import (
    Category,
    DeptFinding,
    FollowUpMeasure,
    ResultCategory,
    measure_mismatch,
)
from generator.content.workdays import is_workday
from ledger.vocabulary import RESULT_CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "通过登记的住所（经营场所）无法联系"


def _current_results() -> tuple[dict[tuple[str, str, str], dict], list[dict]]:
    bodies = [
        json.loads(line)["body"]
        for line in (ROOT / "draws" / "entries.jsonl").read_text("utf-8").splitlines()
    ]
    current = {
        (b["task_id"], b["dept"], b["result"]["entity"]): b["result"]
        for b in bodies
        if b["type"] in ("result.publish", "result.correct")
    }
    return current, bodies


def test_every_inspection_is_on_a_working_day() -> None:
    current, _ = _current_results()
    assert current
    off = sorted(
        {r["inspected_on"] for r in current.values()}
        | {r["completed_on"] for r in current.values()}
    )
    assert [d for d in off if not is_workday(dt.date.fromisoformat(d))] == []


def test_a_joint_team_visits_each_business_once_and_sees_the_same_thing() -> None:
    current, _ = _current_results()
    visits: dict[tuple[str, str], set[str]] = defaultdict(set)
    unreachable: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for (task, _, entity), r in current.items():
        visits[(task, entity)].add(r["inspected_on"])
        unreachable[(task, entity)].add(UNREACHABLE in r["categories"])
    assert {k: v for k, v in visits.items() if len(v) > 1} == {}
    assert {k: v for k, v in unreachable.items() if len(v) > 1} == {}
    assert any(True in v for v in unreachable.values())  # the story has such a business


def _own_words(bodies: list[dict]) -> dict[str, dict[str, bool]]:
    """Each department's published words → whether they record a problem (docs/workflow.md §10)."""
    words: dict[str, dict[str, bool]] = defaultdict(dict)
    for b in bodies:
        if b["type"] == "vocabulary.publish":
            for f in b["findings"]:
                words[b["dept"]].setdefault(f["word"], f["problem"])
    return words


def test_categories_and_measures_agree() -> None:
    current, bodies = _current_results()
    own = _own_words(bodies)
    for key, r in current.items():
        measure = FollowUpMeasure(r["followup"]["measure"])
        dept = key[1]
        categories: list[Category] = [
            DeptFinding(dept, c, f"{dept}-0", own[dept][c]) if c in own[dept] else ResultCategory(c)
            for c in r["categories"]
        ]
        assert measure_mismatch(measure, categories) is None, (key, r)
    # No pre-2018 wording for new results, and partner departments use their own category.
    words = {c for r in current.values() for c in r["categories"]}
    assert not words & {
        "违反其他工商行政管理规定行为",
        "违反食品药品管理相关规定",
        "违反质量技术监督相关规定",
    }
    assert {"违反市场监管相关规定", "违反本部门相关规定"} <= words


def test_health_records_its_findings_under_its_own_words() -> None:
    """卫健 publishes its own 检查结果 twice (docs/workflow.md §10) and records its findings
    under the words in force when it imports them, never as the catch-all of the form."""
    current, bodies = _current_results()
    versions = [b for b in bodies if b["type"] == "vocabulary.publish"]
    assert [(b["dept"], b["version"]) for b in versions] == [("wsjk", 1), ("wsjk", 2)]
    in_force = {f["word"] for f in versions[-1]["findings"]}
    assert in_force != {f["word"] for f in versions[0]["findings"]}
    draws = [b["ts"] for b in bodies if b["type"] == "draw.announce"]
    assert versions[-1]["ts"] < min(draws)  # the forms, confirmed later, offer version 2
    wsjk = [c for (_, d, _), r in current.items() if d == "wsjk" for c in r["categories"]]
    assert set(wsjk) & in_force
    assert "违反本部门相关规定" not in wsjk
    assert {c for c in wsjk if c not in RESULT_CATEGORIES} <= in_force


def _blob(sha256: str) -> dict:
    data: dict = json.loads((ROOT / "draws" / "blobs" / "sha256" / sha256).read_bytes())
    return data


def test_draws_respect_the_yearly_frequency_of_each_item() -> None:
    """抽查频次 (docs/content.md §10.4): no business is drawn, in the plan year, by more tasks
    inspecting an item than the item's frequency allows (read from the recorded plan)."""
    _, bodies = _current_results()
    plan = _blob(next(b for b in bodies if b["type"] == "plan.publish")["document"]["sha256"])
    limits = {i: r["frequency"] for i, r in plan["item_rules"].items() if r["frequency"]}
    assert limits == {"SJ-DJ-01": 1}
    drawn: dict[str, set[str]] = {}
    for b in bodies:
        if b["type"] == "draw.result":
            drawn[b["task_id"]] = {a["entity"] for a in _blob(b["result"]["sha256"])["assignments"]}
        elif b["type"] == "draw.replace":
            drawn[b["task_id"]] = drawn[b["task_id"]] - {b["removed"]} | {b["replacement"]["id"]}
    times: dict[tuple[str, str], int] = defaultdict(int)
    for task in plan["tasks"]:
        items = {i for part in task["parts"] for i in part["items"]} & set(limits)
        for entity in drawn[task["id"]]:
            for item in items:
                times[(entity, item)] += 1
    assert times  # the limited item is inspected by a task
    assert {k: n for k, n in times.items() if n > limits[k[1]]} == {}


def test_a_re_inspection_closes_only_an_order_to_correct() -> None:
    current, bodies = _current_results()
    closes = [b for b in bodies if b["type"] == "followup.close"]
    assert closes
    for b in closes:
        result = current[(b["task_id"], b["dept"], b["entity"])]
        if "整改到位" in b["note"]:
            assert UNREACHABLE not in result["categories"], b


def test_the_checklist_reads_as_a_county_list() -> None:
    content, _ = load_content(ROOT / "content")
    general = [i for i in content.items if i.item_class is ItemClass.GENERAL]
    assert all(i.ratio_cap is not None for i in general)
    old_names = ("食品药品", "工商、", "全市", "湖北省")
    shown = [(i.id, t) for i in content.items for t in (i.subject, *i.object_types, *i.legal_basis)]
    assert [(i, t) for i, t in shown if any(o in t for o in old_names)] == []
    pharmacy = next(t for p in content.plans for t in p.tasks if t.id == "2024-YYYC-YD")
    items = {i.id: i for i in content.items}
    assert any("药品" in items[i].name for p in pharmacy.parts for i in p.items)


def _china_day(ts: str) -> dt.date:
    return (dt.datetime.fromisoformat(ts.replace("Z", "+00:00")) + dt.timedelta(hours=8)).date()


def test_staff_act_on_working_days() -> None:
    """Imports, follow-ups, cases and notices are dated on working days (content/holidays/)."""
    _, bodies = _current_results()
    acted = [
        b for b in bodies if b["type"].startswith(("result.", "followup.", "case.", "notice."))
    ]
    assert len(acted) > 100
    off = sorted({(b["type"], b["ts"]) for b in acted if not is_workday(_china_day(b["ts"]))})
    assert off == []
    closed = [b["closed_on"] for b in bodies if "closed_on" in b]
    assert closed
    assert [d for d in closed if not is_workday(dt.date.fromisoformat(d))] == []


def test_the_story_has_cases_and_notices_that_follow_findings() -> None:
    """立案 → 查处进展 → 结案 on 市场监管's own findings in food and drug tasks; 抄告 from a
    single-department task to a department outside it, one signed for, one still waiting."""
    current, bodies = _current_results()
    opened = [b for b in bodies if b["type"] == "case.open"]
    assert len(opened) >= 3
    for case in opened:
        finding = current[(case["task_id"], case["source_dept"], case["entity"])]
        assert "违反市场监管相关规定" in finding["categories"], case
        assert case["task_id"] in ("2024-YYYC-CY", "2024-YYYC-YD")
        assert finding["inspected_on"] <= case["opened_on"]
    closes = [b for b in bodies if b["type"] == "case.close"]
    assert 0 < len(closes) < len(opened)  # one case is still 查处中
    assert any(b.get("decision_no") for b in closes)
    notices = [b for b in bodies if b["type"] == "notice.copy"]
    acks = [b for b in bodies if b["type"] == "notice.ack"]
    assert len(notices) == 2
    assert len(acks) == 1
    plan = next(b for b in bodies if b["type"] == "plan.publish")
    departments = {t["task_id"]: set(t["departments"]) for t in plan["tasks"]}
    for notice in notices:
        assert notice["to"] not in departments[notice["task_id"]]
        assert current[(notice["task_id"], notice["dept"], notice["entity"])]
