"""``gongkai inspector enroll --qr-text`` and ``gongkai results import --qr-text``
(docs/mobile.md §5.2, §6): a scanner's text stands for the file, with the same checks, messages
and exit codes, and nothing appended on any refusal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit
from click.testing import Result

from generator.mobile import qrparts
from generator.mobile.formats import cosign_bundle, sign_bundle
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.note import Signer

A = "62082301005"


def _qr(data: bytes) -> list[str]:
    """``--qr-text T`` for each code of ``data``, as a scanner read them."""
    return [a for text in qrparts.encode(data) for a in ("--qr-text", text)]


def _enrol_qr(site: Path, *args: str) -> Result:
    return kit.gk(site, "inspector", "enroll", *args, "--dept", kit.DEPT, "--at", "2024-03-01")


def _import_qr(site: Path, *args: str) -> Result:
    return kit.gk(site, "results", "import", *args, "--dept", kit.DEPT, "--at", "2024-03-05")


def _enrolled(site: Path, inspector: str, label: str) -> Signer:
    signer = kit.key_for(site, inspector, label)
    path = kit.write_enrolment(site, inspector, signer, site.parent / f"{label}.enrol.json")
    out = _enrol_qr(site, *_qr(path.read_bytes()))
    assert out.exit_code == 0, out.output
    assert f"已登记检查人员密钥 {signer.verifier().key_ref}" in out.output
    return signer


def test_an_enrolment_scanned_from_its_code_is_enrolled(site: Path) -> None:
    before = kit.size(site)
    signer = _enrolled(site, A, "phone A")
    assert kit.size(site) == before + 1
    keys = SiteRepo.open(site).state().registry.inspectors.keys
    assert keys[signer.verifier().key_ref].inspector == A
    again = _enrol_qr(
        site, *_qr(kit.write_enrolment(site, A, signer, site.parent / "x").read_bytes())
    )
    assert again.exit_code == 15
    assert "已登记过" in again.output
    assert "--qr-text 第 1 个" in again.output
    assert kit.size(site) == before + 1


def test_an_enrolment_code_is_refused_as_the_file_would_be(site: Path) -> None:
    signer = kit.key_for(site, A, "phone A")
    good = kit.write_enrolment(site, A, signer, site.parent / "a.enrol.json").read_bytes()
    altered = json.loads(good)
    altered["inspector"] = "62082301001"
    bundle = sign_bundle(
        kit.origin(site),
        kit.TASK,
        kit.DEPT,
        signer,
        [(kit.result_for(site, kit.team_of(site, A)[0]), ())],
    ).dumps()
    (text,) = qrparts.encode(good)
    (other,) = qrparts.encode(bundle)
    before = kit.size(site)
    cases = [
        (_qr(canonical.dumps(altered) + b"\n"), 15, "proof"),  # changed, then re-encoded
        (["--qr-text", text[:-6]], 15, "二维码数据无效"),  # a scan cut short
        (["--qr-text", text, "--qr-text", other], 15, "一次只能登记一个登记文件"),
        (["--qr-text", other], 15, "检查人员密钥登记文件应恰好包含字段"),
        (["--qr-text", text + "\n"], 2, "控制字符"),  # a scanner's line end
        (["--qr-text", "扫码文字"], 15, "不应有的字符"),
        ([str(site.parent / "a.enrol.json"), "--qr-text", text], 2, "二者选一"),
        ([], 2, "二者选一"),
    ]
    for args, code, words in cases:
        out = _enrol_qr(site, *args)
        assert out.exit_code == code, (args, out.output)
        assert words in out.output, out.output
        assert kit.size(site) == before


def test_a_bundle_scanned_from_its_codes_is_published(site: Path) -> None:
    signer = _enrolled(site, A, "phone A")
    mine = kit.team_of(site, A)[:3]
    results = [kit.result_for(site, e, problem=(e == mine[1])) for e in mine]
    bundle = kit.write_bundle(site, signer, results, site.parent / "a.bundle.json").read_bytes()
    out = _import_qr(site, *_qr(bundle))
    assert out.exit_code == 0, out.output
    assert "新公示 3 条" in out.output
    state = SiteRepo.open(site).state()
    published = [e.payload for e in state.entries if e.type == "result.publish"]
    assert [p.result.entity for p in published] == mine
    again = _import_qr(site, *_qr(bundle))
    assert again.exit_code == 0
    assert "已公示未改动 3 条" in again.output
    assert kit.gk_verify(site).exit_code == 0


def test_a_file_and_a_colleagues_codes_are_merged(site: Path) -> None:
    pair = kit.pair_of(site, A)
    a = _enrolled(site, A, "phone A")
    b = _enrolled(site, pair.partner, "phone B")
    alone = sign_bundle(
        kit.origin(site),
        kit.TASK,
        kit.DEPT,
        a,
        [(kit.result_for(site, e), ()) for e in pair.shared],
    )
    path = site.parent / "a.bundle.json"
    path.write_bytes(alone.dumps())
    out = _import_qr(site, str(path), *_qr(cosign_bundle(alone, b).dumps()))
    assert out.exit_code == 0, out.output
    assert f"其中多人共同签名 {len(pair.shared)} 条" in out.output


def test_a_bundle_code_is_refused_as_the_file_would_be(site: Path) -> None:
    signer = _enrolled(site, A, "phone A")
    mine = kit.team_of(site, A)[:2]
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, e) for e in mine], site.parent / "b.json"
    ).read_bytes()
    altered = json.loads(bundle)
    altered["results"][1]["result"]["detail"] = "（签名后补写）"
    stranger = kit.key_for(site, A, "never enrolled")
    unknown = kit.write_bundle(site, stranger, [kit.result_for(site, mine[0])], site.parent / "u")
    parts = qrparts.encode(bundle)
    before = kit.size(site)
    cases = [
        (_qr(canonical.dumps(altered) + b"\n"), 15, "签名无效"),
        (_qr(unknown.read_bytes()), 15, "不是账本中登记的检查人员密钥"),
        (["--qr-text", parts[0][:-4]], 15, "二维码数据无效"),
        (
            ["--qr-text", parts[0].replace(qrparts.PREFIX + "1/1", qrparts.PREFIX + "1/2")],
            15,
            "缺第 2 张",
        ),
        ([kit.TASK, str(site.parent / "b.json"), "--qr-text", parts[0]], 2, "不能与录入表同用"),
        ([], 2, "--qr-text"),
    ]
    for args, code, words in cases:
        out = _import_qr(site, *args)
        assert out.exit_code == code, (args, out.output)
        assert words in out.output, out.output
        if code == 15:
            assert "--qr-text 第 1 个" in out.output
        assert kit.size(site) == before


def test_a_request_from_codes_carries_the_same_entries(site: Path) -> None:
    signer = _enrolled(site, A, "phone A")
    mine = kit.team_of(site, A)[:2]
    bundle = kit.write_bundle(
        site, signer, [kit.result_for(site, e) for e in mine], site.parent / "b.json"
    ).read_bytes()
    before = kit.size(site)
    out = _import_qr(site, *_qr(bundle), "--request", str(site.parent / "r.request"))
    assert out.exit_code == 0, out.output
    assert "待签署 2 条" in out.output
    assert (site.parent / "r.request").is_file()
    assert kit.size(site) == before
