"""The example year enters one team's results on a phone (generator/example/mobile.py), his
teammate co-signing their shared businesses on his own phone: the ledger holds them beside the
form-imported ones, signed by the public example inspector keys, the site names the inspectors
who signed each of them, and every verifier counts them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.example import mobile
from generator.ledgerops import LedgerState, open_store, read_trust, replay_store
from generator.mobile.example import example_public_key
from ledger.inspector_payloads import InspectorEnrol, InspectorRevoke
from ledger.payloads import ResultPublish
from ledger.publish import build_zipapp

ROOT = Path(__file__).resolve().parents[2]


def _state() -> LedgerState:
    trust = read_trust(ROOT / "draws")
    return replay_store(open_store(ROOT / "draws", trust), trust)


def _signed(state: LedgerState) -> list[ResultPublish]:
    return [
        e.payload
        for e in state.entries
        if isinstance(e.payload, ResultPublish) and e.payload.inspection is not None
    ]


def test_one_team_is_signed_on_phones_and_co_signed_beside_form_results() -> None:
    state = _state()
    inspector = mobile.phone_inspector(state)
    partner = mobile.co_signer(state, inspector)
    keys = {k.inspector: k for k in state.registry.inspectors.keys.values()}
    assert set(keys) == {inspector, partner}
    for who, key in keys.items():
        assert (key.dept, key.verifier.public_key) == (
            mobile.DEPT,
            example_public_key(mobile.DEPT, who),
        )
    results = [e.payload for e in state.entries if isinstance(e.payload, ResultPublish)]
    signed = _signed(state)
    team = state.tasks.tasks[mobile.TASK].teams
    mine = {e for e, t in team.items() if inspector in t.get(mobile.DEPT, ())}
    shared = {e for e in mine if partner in team[e][mobile.DEPT]}
    assert len(signed) >= 3
    assert shared
    assert {r.result.entity for r in signed} == mine
    by_ref = {k.verifier.key_ref: who for who, k in keys.items()}
    for r in signed:
        assert r.inspection is not None
        signers = [by_ref[s.key] for s in r.inspection.sigs]  # sorted by key: by 执法证号
        expected = [inspector, partner] if r.result.entity in shared else [inspector]
        assert signers == sorted(expected)
    assert all(r.task_id == mobile.TASK and r.dept == mobile.DEPT for r in signed)
    assert len(results) - len(signed) > 100  # the form-imported ones
    assert any(r.result.followup.state == "未完结" for r in signed)


def test_the_site_names_the_signing_inspectors(example_site: Path) -> None:
    state = _state()
    names = dict(
        line.split(",")[:2]
        for line in (ROOT / "content" / "inspectors.csv").read_text(encoding="utf-8").splitlines()
    )
    keys = {k.verifier.key_ref: k.inspector for k in state.registry.inspectors.keys.values()}
    signed = _signed(state)
    single = next(r for r in signed if r.inspection is not None and len(r.inspection.sigs) == 1)
    double = next(r for r in signed if r.inspection is not None and len(r.inspection.sigs) == 2)
    for r in (single, double):
        assert r.inspection is not None
        who = [keys[s.key] for s in r.inspection.sigs]
        line = "、".join(f"{names[i]}（执法证号 {i}）" for i in who)
        page = (example_site / "entities" / r.result.entity / "index.html").read_text("utf-8")
        assert f"检查人员现场录入并签名：{line}</small>" in page
    unsigned = next(
        e.payload
        for e in state.entries
        if isinstance(e.payload, ResultPublish) and not e.payload.inspection
    )
    other = (example_site / "entities" / unsigned.result.entity / "index.html").read_text("utf-8")
    assert other.count("现场录入并签名") == sum(
        1 for r in signed if r.result.entity == unsigned.result.entity
    )


def _counts() -> tuple[int, int, int, int, int]:
    """Enrolled, revoked and compromised inspector keys, phone-signed results and their
    signatures, counted from the entries themselves (not from the registry the report uses)."""
    payloads = [e.payload for e in _state().entries]
    signed = [p for p in payloads if isinstance(p, ResultPublish) and p.inspection is not None]
    revokes = [p for p in payloads if isinstance(p, InspectorRevoke)]
    return (
        sum(isinstance(p, InspectorEnrol) for p in payloads),
        len(revokes),
        sum(p.reason == "compromised" for p in revokes),
        len(signed),
        sum(len(p.inspection.sigs) for p in signed if p.inspection is not None),
    )


@pytest.mark.parametrize("verifier", ["gongkai", "python -m ledger", "gongkai-verify.pyz"])
def test_every_verifier_counts_inspector_keys_and_signed_results(
    verifier: str, tmp_path: Path
) -> None:
    enrolled, revoked, compromised, results, sigs = _counts()
    assert enrolled >= 1
    assert results >= 3
    draws = str(ROOT / "draws")
    if verifier == "gongkai":
        runs = [
            CliRunner().invoke(main, ["verify", *args, draws]).stdout for args in ([], ["--json"])
        ]
    else:
        if verifier == "gongkai-verify.pyz":
            pyz = tmp_path / "gongkai-verify.pyz"
            pyz.write_bytes(build_zipapp())
            cmd = [sys.executable, str(pyz)]
        else:
            cmd = [sys.executable, "-m", "ledger", "verify"]
        runs = [
            subprocess.run(
                [*cmd, *args, draws], capture_output=True, text=True, check=True, cwd=tmp_path,
                env={"PYTHONPATH": str(ROOT)} if verifier != "gongkai-verify.pyz" else {},
            ).stdout
            for args in ([], ["--json"])
        ]  # fmt: skip
    text, report = runs[0], json.loads(runs[1])
    assert (
        f"检查人员手机密钥登记 {enrolled} 个（已撤销 {revoked} 个，"
        f"其中因手机丢失或密钥泄露撤销 {compromised} 个），"
        f"带检查人员签名的检查结果 {results} 条（检查人员签名 {sigs} 个）"
    ) in text
    assert len(report["inspector_keys"]) == enrolled
    assert sum(k["revoked_at"] is not None for k in report["inspector_keys"]) == revoked
    assert report["inspections"] == {"results": results, "signatures": sigs}
    assert report["flagged_inspections"] == []
