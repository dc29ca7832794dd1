"""Plans and checklists bound into the ledger (docs/workflow.md §8): a plan edited after
publication makes the draw refuse until it is published as a new version; a ledger forged to
draw with other ratios than the published plan fails verification."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.example.ledger import build_example_ledger
from generator.ledgerops import open_store, read_trust, replay_store
from ledger.errors import VerificationError
from ledger.tasks import TaskLedger
from ledger.verify import verify_directory

ROOT = Path(__file__).resolve().parents[2]
TASK = "2024-SC-DJGS"
RATIOS = 'ratios: {A: "3%", B: "3%", C: "5%", D: "10%"}'
ANNOUNCE = ["draw", "announce", TASK, "--round", "5358915", "--at", "2024-02-22T10:00:00+08:00"]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The example content with a fresh ledger (keys, checklists) and the plan published."""
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content", root / "content")
    build_example_ledger(root / "content", root / "draws")
    assert _gk(root, "plan", "publish", "2024", "--at", "2024-01-10").exit_code == 0
    return root


def _gk(site: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--site", str(site)])


def _edit_plan(site: Path, new: str) -> None:
    path = site / "content" / "plans" / "2024.yaml"
    text = path.read_text(encoding="utf-8")
    assert RATIOS in text
    path.write_text(text.replace(RATIOS, new), encoding="utf-8")


def test_edited_plan_refuses_the_draw_until_published_as_a_new_version(site: Path) -> None:
    _edit_plan(site, 'ratios: {A: "1%", B: "3%", C: "5%", D: "10%"}')
    before = (site / "draws" / "entries.jsonl").read_bytes()
    refused = _gk(site, *ANNOUNCE)
    assert refused.exit_code == 10, refused.output
    assert "在记入账本（plan.publish）后被修改" in refused.output
    assert "gongkai plan publish 2024 把修改发布为新版本" in refused.output
    assert (site / "draws" / "entries.jsonl").read_bytes() == before
    published = _gk(site, "plan", "publish", "2024", "--at", "2024-02-01")
    assert published.exit_code == 0, published.output
    again = _gk(site, "plan", "publish", "2024", "--at", "2024-02-02")
    assert again.exit_code == 11
    assert "内容没有变化" in again.output
    announced = _gk(site, *ANNOUNCE)
    assert announced.exit_code == 0, announced.output
    trust = read_trust(site / "draws")
    state = replay_store(open_store(site / "draws", trust), trust)
    versions = state.tasks.plan_versions["2024"]
    assert [v.id for v in versions] == ["plan.publish/2024", "plan.publish/2024/v2"]
    assert versions[1].payload.version == 2
    verify_directory(site / "draws", update_pin=False)


def test_a_draw_forged_against_the_published_plan_fails_verification(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: published 3%, drawn with 1% (the writer's check bypassed)."""
    _edit_plan(site, 'ratios: {A: "1%", B: "3%", C: "5%", D: "10%"}')
    monkeypatch.setattr("generator.workflow.drawing.require_published", lambda *a: None)
    forged = _gk(site, *ANNOUNCE)
    assert forged.exit_code == 0, forged.output
    with pytest.raises(VerificationError, match=r"信用风险 A 类的抽查比例为 0\.01，计划为 0\.03"):
        verify_directory(site / "draws", update_pin=False)


def test_changed_checklist_item_needs_a_new_checklist_version(site: Path) -> None:
    path = site / "content" / "checklist.yaml"
    text = path.read_text(encoding="utf-8")
    trust = read_trust(site / "draws")
    state = replay_store(open_store(site / "draws", trust), trust)
    assert [v.payload.version for v in state.tasks.checklists["scjg"]] == [1]
    item = state.tasks.checklists["scjg"][0].payload.items[0]
    assert item.name in text
    path.write_text(text.replace(item.name, item.name + "（修订）", 1), encoding="utf-8")
    refused = _gk(site, "checklist", "publish", "--dept", "wsjk", "--at", "2024-02-01")
    assert refused.exit_code == 11  # wsjk's items did not change
    assert "没有变化" in refused.output
    published = _gk(site, "checklist", "publish", "--dept", "scjg", "--at", "2024-02-01")
    assert published.exit_code == 0, published.output
    assert "第 2 版" in published.output
    state = replay_store(open_store(site / "draws", trust), trust)
    assert state.tasks.checklists["scjg"][1].id == "checklist.publish/scjg/v2"
    verify_directory(site / "draws", update_pin=False)


def _raise_cap(site: Path) -> None:
    """SJ-DJ-01 (used by 2024-SC-DJGS) gets a 20% cap, published as scjg's checklist v2."""
    path = site / "content" / "checklist.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: SJ-DJ-01\n")
    cap = text.index('    ratio_cap: "10%"\n', start)
    path.write_text(text[:cap] + '    ratio_cap: "20%"\n' + text[cap + 20 :], encoding="utf-8")
    published = _gk(site, "checklist", "publish", "--dept", "scjg", "--at", "2024-02-01")
    assert published.exit_code == 0, published.output


def test_a_checklist_changed_after_the_plan_needs_a_new_plan_version(site: Path) -> None:
    """The plan's item rules must be those of the checklist in force (docs/workflow.md §8.1)."""
    _raise_cap(site)
    refused = _gk(site, *ANNOUNCE)
    assert refused.exit_code == 10, refused.output
    assert "gongkai plan publish 2024 把修改发布为新版本" in refused.output
    assert _gk(site, "plan", "publish", "2024", "--at", "2024-02-02").exit_code == 0
    announced = _gk(site, *ANNOUNCE)
    assert announced.exit_code == 0, announced.output
    verify_directory(site / "draws", update_pin=False)


def test_a_draw_forged_against_the_checklist_in_force_fails_verification(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan recorded SJ-DJ-01 with a 10% cap; checklist v2 says 20%; the plan was not
    published again, and the draw is announced anyway (the writer's check bypassed)."""
    _raise_cap(site)
    monkeypatch.setattr("generator.workflow.drawing.require_published", lambda *a: None)
    forged = _gk(site, *ANNOUNCE)
    assert forged.exit_code == 0, forged.output
    with pytest.raises(
        VerificationError,
        match=r"部门 scjg 的抽查事项 SJ-DJ-01 与公告时生效的抽查事项清单（checklist\.publish 第 2 版）"
        r"不符：抽查比例上限计划为 0\.1，清单为 0\.2",
    ):
        verify_directory(site / "draws", update_pin=False)


def test_a_department_without_a_published_checklist_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jtys never published its checklist: the plan that uses its items is refused at append,
    so is the draw of its task, and a ledger forged to record the plan fails verification."""
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content", root / "content")
    build_example_ledger(ROOT / "content", root / "draws")  # keys only: no checklist.publish
    for dept in ("gyxx", "scjg", "sthj", "sw", "whly", "wsjk", "xfjy", "yjgl"):
        done = _gk(root, "checklist", "publish", "--dept", dept, "--at", "2024-01-03")
        assert done.exit_code == 0, done.output
    for kind in ("entities", "inspectors"):
        done = _gk(root, "library", "publish", kind, "--dept", "scjg", "--at", "2024-01-03")
        assert done.exit_code == 0, done.output
    before = (root / "draws" / "entries.jsonl").read_bytes()
    refused = _gk(root, "plan", "publish", "2024", "--at", "2024-01-10")
    assert refused.exit_code == 11, refused.output
    assert "任务 2024-JT-WX：部门 jtys 尚未发布抽查事项清单（checklist.publish）" in refused.output
    assert (root / "draws" / "entries.jsonl").read_bytes() == before
    # Forged: the append check skipped for plan.publish only.
    check = TaskLedger.require_checklists

    def only_draws(self: TaskLedger, departments: list[str], where: str) -> None:
        if "draw.announce" in where:
            check(self, departments, where)

    monkeypatch.setattr(TaskLedger, "require_checklists", only_draws)
    assert _gk(root, "plan", "publish", "2024", "--at", "2024-01-10").exit_code == 0
    monkeypatch.setattr("generator.workflow.drawing.require_published", lambda *a: None)
    jt = ["draw", "announce", "2024-JT-WX", *ANNOUNCE[3:]]
    held = _gk(root, *jt)
    assert held.exit_code == 11, held.output
    assert "draw.announce" in held.output
    assert "部门 jtys 尚未发布抽查事项清单" in held.output
    monkeypatch.undo()
    with pytest.raises(VerificationError, match="任务 2024-JT-WX：部门 jtys 尚未发布抽查事项清单"):
        verify_directory(root / "draws", update_pin=False)
