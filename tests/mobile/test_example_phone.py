"""The example year enters one team's results on a phone (generator/example/mobile.py): the
ledger holds them beside the form-imported ones, signed by the public example inspector key, and
the site names the inspector who signed each of them."""

from __future__ import annotations

from pathlib import Path

from generator.example import mobile
from generator.ledgerops import open_store, read_trust, replay_store
from generator.mobile.example import example_public_key
from ledger.payloads import ResultPublish

ROOT = Path(__file__).resolve().parents[2]


def _state():  # type: ignore[no-untyped-def]
    trust = read_trust(ROOT / "draws")
    return replay_store(open_store(ROOT / "draws", trust), trust)


def test_one_team_is_signed_on_a_phone_beside_form_results() -> None:
    state = _state()
    inspector = mobile.phone_inspector(state)
    (enrolled,) = state.registry.inspectors.keys.values()
    assert (enrolled.dept, enrolled.inspector) == (mobile.DEPT, inspector)
    assert enrolled.verifier.public_key == example_public_key(mobile.DEPT, inspector)
    results = [e.payload for e in state.entries if isinstance(e.payload, ResultPublish)]
    signed = [r for r in results if r.inspection is not None]
    team = state.tasks.tasks[mobile.TASK].teams
    mine = {e for e, t in team.items() if inspector in t.get(mobile.DEPT, ())}
    assert len(signed) >= 3
    assert {r.result.entity for r in signed} <= mine
    assert all(r.task_id == mobile.TASK and r.dept == mobile.DEPT for r in signed)
    assert len(results) - len(signed) > 100  # the form-imported ones
    assert any(r.result.followup.state == "未完结" for r in signed)


def test_the_site_names_the_signing_inspector(example_site: Path) -> None:
    state = _state()
    inspector = mobile.phone_inspector(state)
    name = next(
        line.split(",")[1]
        for line in (ROOT / "content" / "inspectors.csv").read_text(encoding="utf-8").splitlines()
        if line.startswith(inspector + ",")
    )
    signed = [
        e.payload
        for e in state.entries
        if isinstance(e.payload, ResultPublish) and e.payload.inspection
    ]
    page = (example_site / "entities" / signed[0].result.entity / "index.html").read_text("utf-8")
    assert f"检查人员现场录入并签名：{name}（执法证号 {inspector}）" in page
    unsigned = next(
        e.payload
        for e in state.entries
        if isinstance(e.payload, ResultPublish) and not e.payload.inspection
    )
    other = (example_site / "entities" / unsigned.result.entity / "index.html").read_text("utf-8")
    assert other.count("现场录入并签名") == sum(
        1 for r in signed if r.result.entity == unsigned.result.entity
    )
