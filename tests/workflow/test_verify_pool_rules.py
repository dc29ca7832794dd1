"""The verifier recomputes the pool rules of docs/workflow.md §6 (ledger/draw/poolrules.py).

An operator who skips gongkai's own steps at announce time (the ledger's visits, 抽查频次, the
order of draws sharing a frequency-limited item) still produces a ledger whose every draw
re-runs byte for byte. These tests forge such ledgers on the site of tests/workflow/
test_visits.py by replacing ``generator.workflow.drawing.pool_rules`` with what a careless or
dishonest operator would use, and require the verifier to refuse them, naming the entry and the
rule, while the honest ledger passes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fresh_site import Site
from test_visits import (
    INSPECTED,
    ROUND_APRIL,
    A,
    B,
    C,
    _announce,
    announced_site,
    draw_and_visit,
)

import generator.workflow.drawing as drawing
from generator.workflow.visits import PoolRules, last_visits
from ledger.errors import VerificationError
from ledger.report import VerifyReport
from ledger.verify import verify_directory


def _copy(s: Site, tmp: Path) -> Site:
    shutil.copytree(s.root.parent, tmp, dirs_exist_ok=True)
    return Site(tmp)


def _verify(s: Site) -> VerifyReport:
    return verify_directory(s.root / "draws", update_pin=False)


def _refused(s: Site) -> str:
    with pytest.raises(VerificationError) as caught:
        _verify(s)
    return str(caught.value)


def _forge(monkeypatch: pytest.MonkeyPatch, rules: Callable[..., PoolRules]) -> None:
    monkeypatch.setattr(drawing, "pool_rules", rules)


@pytest.fixture(scope="module")
def announced(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The plan published (A and B inspect SJ-SP-01, 抽查频次 1) and A announced."""
    return announced_site(tmp_path_factory.mktemp("pool-announced"))


@pytest.fixture(scope="module")
def visited(announced: Site, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, str]:
    """A drawn, confirmed, one business's visit on ``INSPECTED`` published."""
    s = _copy(announced, tmp_path_factory.mktemp("pool-visited"))
    return s, draw_and_visit(s, tmp_path_factory.mktemp("pool-forms"))


def test_the_honest_ledger_passes_with_every_snapshot_checked(
    visited: tuple[Site, str], tmp_path: Path
) -> None:
    s = _copy(visited[0], tmp_path)
    _announce(s, B, "2024-04-16T10:00:00+08:00", ROUND_APRIL)
    _announce(s, C, "2024-04-16T10:05:00+08:00", ROUND_APRIL)
    report = _verify(s)
    assert report.pools_checked == 3  # A, B and C
    assert not any("item_rules" in w for w in report.warnings)


def test_announcing_beside_a_pending_draw_that_shares_a_limited_item_is_found(
    announced: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(announced, tmp_path)
    _forge(monkeypatch, lambda repo, task, departments, items: PoolRules())
    _announce(s, B, "2024-02-22T10:05:00+08:00", 5358915)
    message = _refused(s)
    assert f"draw.announce/{B}" in message
    assert f"任务 {A} 已公告抽取但尚未抽取" in message
    assert "SJ-SP-01" in message
    assert "规则 3" in message


def test_a_business_at_its_frequency_left_in_the_snapshot_is_found(
    visited: tuple[Site, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(visited[0], tmp_path)
    # the operator keeps the ledger's last visits but not the 抽查频次 exclusion
    _forge(monkeypatch, lambda repo, task, d, items: PoolRules(last_visit=last_visits(repo)))
    _announce(s, B, "2024-04-16T10:00:00+08:00", ROUND_APRIL)
    message = _refused(s)
    assert f"draw.announce/{B}" in message
    assert "检查事项 SJ-SP-01 本年度已被其他任务抽中 1 次，达到抽查频次上限 1 次" in message


def test_a_snapshot_hiding_a_recorded_visit_is_found(
    visited: tuple[Site, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, entity = _copy(visited[0], tmp_path), visited[1]
    _forge(monkeypatch, lambda repo, task, d, items: PoolRules())  # the library's dates only
    _announce(s, C, "2024-04-16T10:05:00+08:00", ROUND_APRIL)
    message = _refused(s)
    assert f"draw.announce/{C}" in message
    assert f"主体 {entity} 的上次检查日期为" in message
    assert f"早于账本此前已记录的检查日期 {INSPECTED}" in message


def test_gongkai_verify_exits_4_with_the_chinese_message(
    visited: tuple[Site, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(visited[0], tmp_path)
    _forge(monkeypatch, lambda repo, task, d, items: PoolRules())
    _announce(s, C, "2024-04-16T10:05:00+08:00", ROUND_APRIL)
    result = s.run("verify", str(s.root / "draws"), "--no-update-pin", ok=False)
    assert result.exit_code == 4
    assert "验证失败" in result.output
    assert "docs/workflow.md §6 规则 1" in result.output


def test_an_item_rule_changed_after_the_plan_was_recorded_stops_the_announcement(
    announced: Site, tmp_path: Path
) -> None:
    s = _copy(announced, tmp_path)
    checklist = s.content / "checklist.yaml"
    text = checklist.read_text("utf-8")
    assert text.count("    frequency: 1\n") == 1
    checklist.write_text(text.replace("    frequency: 1\n", "    frequency: 2\n"), "utf-8")
    refused = s.multi(
        "draw", "announce", C, "--round", "5358915", "--secrets", str(s.secrets),
        "--at", "2024-02-22T10:05:00+08:00", depts=("scjg",), ok=False,
    )  # fmt: skip
    assert refused.exit_code == 10
    assert "抽查比例、抽查频次在记入账本（plan.publish）后被修改" in refused.output
