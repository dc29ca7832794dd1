"""An inspector key revoked as compromised from an index (docs/mobile.md §3, §6.2): the results it
signed from that index on stay in the log but are flagged by the verifier's report and on the
business page, those before are not; its bundles are refused afterwards with nothing appended;
``--compromised-from`` with another reason or out of range is refused; the body's rule holds
when it is built and when it is parsed."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit

from generator.cli import main
from generator.signing_summary import summarise
from generator.workflow.site import SiteRepo
from ledger.inspector_payloads import InspectorRevoke
from ledger.note import Signer
from ledger.schema import BodyError, encode, parse

A = "62082301005"


@dataclass(frozen=True)
class Scenario:
    site: Path
    ref: str
    early: int  # a result signed before the declared compromise
    late: int  # one signed at the declared compromise
    revoke_output: str
    refused_output: str
    refused_appended: int
    entities: tuple[str, str]


def _import_one(site: Path, signer: Signer, entity: str, name: str) -> int:
    bundle = kit.write_bundle(site, signer, [kit.result_for(site, entity)], site.parent / name)
    out = kit.gk(site, "results", "import", str(bundle), "--dept", kit.DEPT, "--at", "2024-03-05")
    assert out.exit_code == 0, out.output
    return kit.size(site) - 1


def _copy(confirmed: Path, tmp: Path) -> Path:
    copy = tmp / "site"
    shutil.copytree(confirmed, copy)
    return copy


@pytest.fixture(scope="module")
def scenario(confirmed: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    site = _copy(confirmed, tmp_path_factory.mktemp("scenario"))
    signer = kit.key_for(site, A, "lost phone")
    enrolment = kit.write_enrolment(site, A, signer, site.parent / "a.enrol.json")
    out = kit.gk(
        site, "inspector", "enroll", str(enrolment), "--dept", kit.DEPT, "--at", "2024-03-01"
    )
    assert out.exit_code == 0, out.output
    first, second, third = kit.team_of(site, A)[:3]
    early = _import_one(site, signer, first, "1.bundle.json")
    late = _import_one(site, signer, second, "2.bundle.json")
    ref = signer.verifier().key_ref
    revoked = kit.gk(
        site, "inspector", "revoke", ref, "--dept", kit.DEPT, "--reason", "compromised",
        "--compromised-from", str(late), "--at", "2024-03-06",
    )  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, third)], site.parent / "3.bundle.json"
    )
    before = kit.size(site)
    refused = kit.gk(
        site, "results", "import", str(bundle), "--dept", kit.DEPT, "--at", "2024-03-07"
    )
    assert refused.exit_code == 15, refused.output
    return Scenario(
        site, ref, early, late, revoked.output, refused.output, kit.size(site) - before,
        (first, second),
    )  # fmt: skip


def test_the_revocation_lists_the_results_it_flags(scenario: Scenario) -> None:
    assert f"该密钥自账本第 {scenario.late} 条起签名的检查结果 1 条已标记为可疑" in (
        scenario.revoke_output
    )
    assert f"第 {scenario.late} 条" in scenario.revoke_output.splitlines()[-1]
    assert f"第 {scenario.early} 条" not in scenario.revoke_output.splitlines()[-1]
    revoke = SiteRepo.open(scenario.site).state().entries[-1].payload
    assert isinstance(revoke, InspectorRevoke)
    assert (revoke.reason, revoke.compromised_from_index) == ("compromised", scenario.late)


def test_a_bundle_of_the_revoked_key_is_refused_with_nothing_appended(scenario: Scenario) -> None:
    assert "撤销" in scenario.refused_output
    assert "未写入任何条目" in scenario.refused_output
    assert scenario.refused_appended == 0


def test_the_verifier_reports_the_flagged_result(scenario: Scenario) -> None:
    out = CliRunner().invoke(main, ["verify", "--json", str(scenario.site / "draws")])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["flagged_inspections"] == [{"index": scenario.late, "key": scenario.ref}]
    assert report["flagged"] == []  # no department key is concerned
    (key,) = report["inspector_keys"]
    assert key["key"] == scenario.ref
    assert key["inspector"] == A
    assert key["reason"] == "compromised"
    assert key["compromised_from"] == scenario.late
    assert key["revoked_at"] == scenario.late + 1
    assert report["inspections"] == {"results": 2, "signatures": 2}
    assert any("检查人员密钥" in w and "已标记" in w for w in report["warnings"])
    text = CliRunner().invoke(main, ["verify", str(scenario.site / "draws")])
    assert text.exit_code == 0, text.output
    assert (
        "检查人员手机密钥登记 1 个（已撤销 1 个，其中因手机丢失或密钥泄露撤销 1 个），"
        "带检查人员签名的检查结果 2 条（检查人员签名 2 个）"
    ) in text.stdout
    assert (
        f"注意：1 条检查结果的检查人员签名由事后声明泄露的检查人员密钥所作：第 {scenario.late} 条"
        in (text.stdout)
    )


def test_the_business_page_shows_the_declared_compromise(
    scenario: Scenario, tmp_path: Path
) -> None:
    out = tmp_path / "www"
    built = CliRunner().invoke(
        main, ["build", "--content", str(scenario.site / "content"), "--output", str(out)]
    )
    assert built.exit_code == 0, built.output
    early, late = scenario.entities
    flagged = (out / "entities" / late / "index.html").read_text("utf-8")
    assert "注意：该检查人员密钥已声明泄露。" in flagged
    assert f"（执法证号 {A}）的手机密钥已于账本第 {scenario.late + 1} 条撤销" in flagged
    assert f"并声明自账本第 {scenario.late} 条起可能已被他人掌握" in flagged
    assert f"本条结果记入账本第 {scenario.late} 条" in flagged
    clean = (out / "entities" / early / "index.html").read_text("utf-8")
    assert "检查人员现场录入并签名" in clean
    assert "已声明泄露" not in clean


def _enrolled_copy(confirmed: Path, tmp_path: Path) -> tuple[Path, Signer]:
    """A copy of the confirmed site where A's phone key has just been enrolled."""
    site = _copy(confirmed, tmp_path)
    signer = kit.key_for(site, A, "phone")
    enrolment = kit.write_enrolment(site, A, signer, site.parent / "e.json")
    assert kit.gk(site, "inspector", "enroll", str(enrolment), "--dept", kit.DEPT).exit_code == 0
    return site, signer


@pytest.mark.parametrize(
    ("reason", "start", "message"),
    [
        ("rotated", "5", "只能与 --reason compromised 一起使用"),
        ("compromised", "1", "--compromised-from：应在"),
        ("compromised", "999999", "--compromised-from：应在"),
    ],
)
def test_a_wrong_compromised_from_is_refused_with_nothing_appended(
    confirmed: Path, tmp_path: Path, reason: str, start: str, message: str
) -> None:
    site, signer = _enrolled_copy(confirmed, tmp_path)
    before = kit.size(site)
    out = kit.gk(
        site, "inspector", "revoke", signer.verifier().key_ref, "--dept", kit.DEPT,
        "--reason", reason, "--compromised-from", start,
    )  # fmt: skip
    assert out.exit_code == 11, out.output
    assert message in out.output
    assert kit.size(site) == before


def test_the_body_rule_holds_when_built_and_when_parsed() -> None:
    body = InspectorRevoke(
        id="inspector.revoke/scjg/00000000", ts="2024-03-06T00:00:00Z", dept="scjg",
        key="k+00000000", reason="compromised", compromised_from_index=7,
    )  # fmt: skip
    assert encode(body)["compromised_from_index"] == 7
    assert parse(InspectorRevoke, encode(body)) == body
    with pytest.raises(BodyError, match="只能与 reason"):
        InspectorRevoke(
            id="x", ts="2024-03-06T00:00:00Z", dept="scjg", key="k", reason="left",
            compromised_from_index=7,
        )  # fmt: skip
    bad = {**encode(body), "reason": "rotated"}
    with pytest.raises(BodyError) as caught:
        parse(InspectorRevoke, bad)
    assert caught.value.where == "compromised_from_index"
    assert "compromised_from_index" not in encode(
        InspectorRevoke(id="x", ts="2024-03-06T00:00:00Z", dept="scjg", key="k", reason="left")
    )


def test_a_revocation_drafted_as_a_request_says_what_it_flags(
    confirmed: Path, tmp_path: Path
) -> None:
    site, signer = _enrolled_copy(confirmed, tmp_path)
    before = kit.size(site)
    request = tmp_path / "revoke.json"
    out = kit.gk(
        site, "inspector", "revoke", signer.verifier().key_ref, "--dept", kit.DEPT,
        "--reason", "compromised", "--compromised-from", str(before), "--request", str(request),
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert kit.size(site) == before
    body = json.loads(request.read_bytes())["body"]
    assert body["compromised_from_index"] == before
    text = summarise(body)
    assert (
        f"撤销检查人员密钥：{signer.verifier().key_ref}；原因：compromised（私钥泄露或丢失）"
        in text
    )
    assert f"该密钥在第 {before} 条及以后签名的检查结果将被标记为可疑（不删除）" in text
