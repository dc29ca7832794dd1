"""Co-signing by the two inspectors of a team (docs/mobile.md §5.1, §6.3): a v2 bundle carrying
both signatures, or two phones' bundles imported together, publish one result with both
inspectors' signatures that every verifier accepts; bundles that disagree on a result, a
co-signature that does not verify or comes from outside the team, and a v2 bundle whose
signatures are out of order are refused with nothing appended; a co-signature that arrives after
the result was published is reported, not added."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit

from generator.mobile.formats import Bundle, cosign_bundle, sign_bundle
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.note import Signer
from ledger.payloads import ResultPublish

A = "62082301005"


def _enrol(site: Path, inspector: str) -> Signer:
    signer = kit.key_for(site, inspector, f"phone of {inspector}")
    path = kit.write_enrolment(site, inspector, signer, site.parent / f"{inspector}.enrol.json")
    out = kit.gk(site, "inspector", "enroll", str(path), "--dept", kit.DEPT, "--at", "2024-03-01")
    assert out.exit_code == 0, out.output
    return signer


@pytest.fixture(scope="module")
def team(confirmed: Path) -> kit.Pair:
    return kit.pair_of(confirmed, A)


def _bundle(site: Path, signer: Signer, entities: list[str]) -> Bundle:
    results = [(kit.result_for(site, e, problem=(i == 0)), ()) for i, e in enumerate(entities)]
    return sign_bundle(kit.origin(site), kit.TASK, kit.DEPT, signer, results)


def _write(site: Path, bundle: Bundle | bytes, name: str) -> Path:
    path = site.parent / name
    path.write_bytes(bundle if isinstance(bundle, bytes) else bundle.dumps())
    return path


def _import(site: Path, *paths: Path) -> Result:
    return kit.gk(
        site, "results", "import", *map(str, paths), "--dept", kit.DEPT, "--at", "2024-03-05"
    )


def _published(site: Path) -> dict[str, ResultPublish]:
    state = SiteRepo.open(site).state()
    return {
        e.payload.result.entity: e.payload
        for e in state.entries
        if isinstance(e.payload, ResultPublish)
    }


def test_a_cosigned_bundle_publishes_both_signatures(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    shared = team.shared[:2]
    cosigned = cosign_bundle(_bundle(site, a, shared), b)
    assert json.loads(cosigned.dumps())["format"] == "gongkai-result-bundle/v2"
    out = _import(site, _write(site, cosigned, "ab.bundle.json"))
    assert out.exit_code == 0, out.output
    assert (
        f"检查人员 {'、'.join(sorted((A, partner)))} 签名的结果：新公示 2 条（其中多人共同签名 2 条）"
        in out.output
    )
    refs = sorted([a.verifier().key_ref, b.verifier().key_ref])
    for entity in shared:
        inspection = _published(site)[entity].inspection
        assert inspection is not None
        assert [s.key for s in inspection.sigs] == refs
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output
    assert "带检查人员签名的检查结果 2 条（检查人员签名 4 个）" in verified.output


def test_two_phones_bundles_imported_together_are_merged(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    shared = team.shared
    only_a = team.only_a
    first = _write(site, _bundle(site, a, sorted([shared[0], only_a])), "a.bundle.json")
    second = _write(site, _bundle(site, b, [shared[0]]), "b.bundle.json")
    out = _import(site, first, second)
    assert out.exit_code == 0, out.output
    assert "新公示 2 条（其中多人共同签名 1 条）" in out.output
    published = _published(site)
    both, alone = published[shared[0]].inspection, published[only_a].inspection
    assert both is not None
    assert alone is not None
    assert len(both.sigs) == 2
    assert [s.key for s in alone.sigs] == [a.verifier().key_ref]
    assert kit.gk_verify(site).exit_code == 0


def test_bundles_that_disagree_on_a_result_are_refused(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    entity = team.shared[0]
    first = _write(site, _bundle(site, a, [entity]), "a.bundle.json")
    other = sign_bundle(
        kit.origin(site), kit.TASK, kit.DEPT, b, [(kit.result_for(site, entity), ())]
    )  # no problem found, where A's says one was
    second = _write(site, other, "b.bundle.json")
    before = kit.size(site)
    out = _import(site, first, second)
    assert out.exit_code == 15, out.output
    assert "不是同一份结果" in out.output
    assert "b.bundle.json" in out.output
    assert kit.size(site) == before


def test_a_cosignature_over_another_result_is_refused(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    shared = team.shared[:2]
    value = json.loads(cosign_bundle(_bundle(site, a, shared), b).dumps())
    # B's signature of the second result moved to the first: it no longer verifies.
    b_ref = b.verifier().key_ref
    first_sigs, second_sigs = (r["sigs"] for r in value["results"])
    i = next(k for k, s in enumerate(first_sigs) if s["key"] == b_ref)
    first_sigs[i]["sig"] = next(s["sig"] for s in second_sigs if s["key"] == b_ref)
    before = kit.size(site)
    out = _import(site, _write(site, canonical.dumps(value) + b"\n", "moved.json"))
    assert out.exit_code == 15, out.output
    assert f"检查人员 {partner} 的签名无效" in out.output
    assert kit.size(site) == before


def test_a_cosigner_outside_the_team_is_refused(site: Path, team: kit.Pair) -> None:
    a = _enrol(site, A)
    outsider = team.outsider
    c = _enrol(site, outsider)
    before = kit.size(site)
    cosigned = cosign_bundle(_bundle(site, a, [team.shared[0]]), c)
    out = _import(site, _write(site, cosigned, "ac.bundle.json"))
    assert out.exit_code == 15, out.output
    assert f"签名的检查人员 {outsider} 不在主体" in out.output
    assert kit.size(site) == before


def test_v2_signatures_out_of_order_are_refused(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    value = json.loads(cosign_bundle(_bundle(site, a, [team.shared[0]]), b).dumps())
    value["results"][0]["sigs"].reverse()
    out = _import(site, _write(site, canonical.dumps(value) + b"\n", "r.json"))
    assert out.exit_code == 15, out.output
    assert "应按 key 排序" in out.output


def test_a_cosignature_after_publication_is_reported_not_added(site: Path, team: kit.Pair) -> None:
    partner = team.partner
    a, b = _enrol(site, A), _enrol(site, partner)
    entity = team.shared[0]
    alone = _bundle(site, a, [entity])
    assert _import(site, _write(site, alone, "a.bundle.json")).exit_code == 0
    before = kit.size(site)
    out = _import(site, _write(site, cosign_bundle(alone, b), "ab.bundle.json"))
    assert out.exit_code == 0, out.output
    assert "已公示未改动 1 条" in out.output
    assert "1 个签名所签的结果此前已公示" in out.output
    assert kit.size(site) == before
