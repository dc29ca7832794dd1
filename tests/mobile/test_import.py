"""``gongkai inspector enroll`` / ``revoke`` and ``gongkai results import BUNDLE`` (docs/mobile.md §6):
a signed bundle is published with the inspector's and the department's signatures and verifies;
an altered bundle, an inspector outside the business's team, a revoked or unknown key are
refused with exit code 15 and nothing appended; the verifier refuses a forged inspection."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit

from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.inspector_payloads import Inspection, InspectorSig
from ledger.payloads import ResultPublish, sign

A, B = "62082301005", "62082301001"


def _enrol(site: Path, inspector: str, label: str) -> object:
    signer = kit.key_for(site, inspector, label)
    path = kit.write_enrolment(site, inspector, signer, site.parent / f"{label}.enrol.json")
    out = kit.gk(site, "inspector", "enroll", str(path), "--dept", kit.DEPT, "--at", "2024-03-01")
    assert out.exit_code == 0, out.output
    return signer


def _import(site: Path, bundle: Path) -> object:
    return kit.gk(site, "results", "import", str(bundle), "--dept", kit.DEPT, "--at", "2024-03-05")


def test_a_signed_bundle_is_published_and_verifies(site: Path) -> None:
    signer = _enrol(site, A, "phone A")
    mine = kit.team_of(site, A)[:3]
    results = [kit.result_for(site, e, problem=(e == mine[1])) for e in mine]
    bundle = kit.write_bundle(site, signer, results, site.parent / "a.bundle.json")
    out = _import(site, bundle)
    assert out.exit_code == 0, out.output
    assert "新公示 3 条" in out.output
    state = SiteRepo.open(site).state()
    published = [e for e in state.entries if e.type == "result.publish"]
    assert [e.payload.result.entity for e in published] == mine
    for entry in published:
        assert isinstance(entry.payload, ResultPublish)
        assert entry.payload.inspection is not None
        assert [s.key for s in entry.payload.inspection.sigs] == [signer.verifier().key_ref]
        assert [s.key for s in entry.sigs] == [
            f"example.gov.cn/chongxin/gongkai/dept/{kit.DEPT}/1+" + s.key.split("+")[1]
            for s in entry.sigs
        ]
    again = _import(site, bundle)
    assert again.exit_code == 0
    assert "新公示 0 条" in again.output
    assert "未改动 3 条" in again.output
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output


def test_an_altered_bundle_is_refused(site: Path) -> None:
    signer = _enrol(site, A, "phone A")
    mine = kit.team_of(site, A)[:2]
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, e) for e in mine], site.parent / "b.json"
    )
    value = json.loads(bundle.read_bytes())
    value["results"][1]["result"]["detail"] = "（签名后补写）"
    bundle.write_bytes(canonical.dumps(value) + b"\n")
    before = kit.size(site)
    out = _import(site, bundle)
    assert out.exit_code == 15, out.output
    assert "签名无效" in out.output
    assert "被改动" in out.output
    assert "未写入任何条目" in out.output
    assert kit.size(site) == before


def test_a_bundle_not_in_canonical_form_is_refused(site: Path) -> None:
    signer = _enrol(site, A, "phone A")
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, kit.team_of(site, A)[0])], site.parent / "c.json"
    )
    bundle.write_bytes(json.dumps(json.loads(bundle.read_bytes()), indent=1).encode())
    out = _import(site, bundle)
    assert out.exit_code == 15
    assert "一行规范 JSON" in out.output


def test_an_inspector_outside_the_team_is_refused(site: Path) -> None:
    signer = _enrol(site, B, "phone B")
    foreign = next(e for e in kit.team_of(site, A) if e not in kit.team_of(site, B))
    result = kit.result_for(site, foreign)
    result = type(result)(**{**result.__dict__, "inspectors": (*result.inspectors, B)})
    bundle = kit.write_bundle(site, signer, [result], site.parent / "d.json")
    before = kit.size(site)
    out = _import(site, bundle)
    assert out.exit_code == 15, out.output
    assert f"签名的检查人员 {B} 不在主体 {foreign} 的本部门检查组中" in out.output
    assert kit.size(site) == before


def test_a_revoked_key_is_refused(site: Path) -> None:
    signer = _enrol(site, A, "phone A")
    ref = signer.verifier().key_ref
    out = kit.gk(
        site,
        "inspector",
        "revoke",
        ref,
        "--dept",
        kit.DEPT,
        "--reason",
        "compromised",
        "--at",
        "2024-03-02",
    )
    assert out.exit_code == 0, out.output
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, kit.team_of(site, A)[0])], site.parent / "e.json"
    )
    before = kit.size(site)
    out = _import(site, bundle)
    assert out.exit_code == 15, out.output
    assert "已于账本第" in out.output
    assert "撤销" in out.output
    assert kit.size(site) == before


def test_an_unenrolled_key_is_refused(site: Path) -> None:
    signer = kit.key_for(site, A, "never enrolled")
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, kit.team_of(site, A)[0])], site.parent / "f.json"
    )
    out = _import(site, bundle)
    assert out.exit_code == 15
    assert "不是账本中登记的检查人员密钥" in out.output


def test_an_altered_enrolment_is_refused(site: Path) -> None:
    signer = kit.key_for(site, A, "phone A")
    path = kit.write_enrolment(site, A, signer, site.parent / "g.enrol.json")
    value = json.loads(path.read_bytes())
    value["inspector"] = B
    path.write_bytes(canonical.dumps(value) + b"\n")
    before = kit.size(site)
    out = kit.gk(site, "inspector", "enroll", str(path), "--dept", kit.DEPT, "--at", "2024-03-01")
    assert out.exit_code == 15, out.output
    assert "proof" in out.output
    assert kit.size(site) == before


def test_an_inspector_of_another_department_cannot_be_enrolled(site: Path) -> None:
    other = "62082302005"  # wsjk
    path = kit.write_enrolment(site, other, kit.key_for(site, other, "x"), site.parent / "h.json")
    out = kit.gk(site, "inspector", "enroll", str(path), "--dept", kit.DEPT, "--at", "2024-03-01")
    assert out.exit_code == 15
    assert "执法检查人员名录" in out.output


def test_the_verifier_refuses_an_inspection_the_inspector_did_not_sign(site: Path) -> None:
    """A department that signs a result.publish claiming an inspector's signature it did not get
    (here: the inspector's signature of another result) is refused by the ledger's rules."""
    signer = _enrol(site, A, "phone A")
    mine = kit.team_of(site, A)[:2]
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, e) for e in mine], site.parent / "i.json"
    )
    items = json.loads(bundle.read_bytes())["results"]
    repo = SiteRepo.open(site)
    body = ResultPublish(
        id=f"result.publish/{kit.TASK}/{kit.DEPT}/{mine[0]}", ts="2024-03-05T08:00:00Z", dept=kit.DEPT,
        task_id=kit.TASK, result=kit.result_for(site, mine[0]),
        inspection=Inspection(attachments=(), sigs=(InspectorSig(key=signer.verifier().key_ref, sig=items[1]["sig"]),)),
    )  # fmt: skip
    line = sign(repo.trust.origin, body, [repo.signer(kit.DEPT, None)])
    with pytest.raises(Exception, match=r"检查人员密钥 .* 的签名无效"):
        repo.append([line], repo.log_signer(None))


def test_an_invisible_or_direction_changing_character_is_refused(site: Path) -> None:
    signer = _enrol(site, A, "phone A")
    result = kit.result_for(site, kit.team_of(site, A)[0])
    result = type(result)(**{**result.__dict__, "detail": "已整改\u202e完毕"})
    bundle = kit.write_bundle(site, signer, [result], site.parent / "j.json")
    before = kit.size(site)
    out = _import(site, bundle)
    assert out.exit_code == 15, out.output
    assert "U+202E" in out.output
    assert "result.detail" in out.output
    assert kit.size(site) == before
