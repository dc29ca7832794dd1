"""A result import prepared as one batch request and signed in the department's own office
(docs/signing.md §13): ``gongkai results import … --request``, ``gongkai sign``, ``gongkai
request append``.

On the example county played up to 名单确认下发 (``tests/mobile/mobile_kit.py``): 卫健委 (wsjk)
takes part in task 2024-YYYC-YD led by 市场监管局 (scjg), which runs the site. The operator works
in ``lead/``, which never holds a key; wsjk's office holds only wsjk's key and its copy of the
published ledger.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.example.keys import dept_key_name, example_signer
from generator.example.year import Year, _fill
from generator.signing_batch import BatchRequest, BatchSignature, append_batch
from generator.signing_summary import shown, summarise_batch
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.entries import signing_message
from ledger.keys import write_private_key
from tests.workflow.ceremony import private_keys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mobile"))

import mobile_kit

TASK, DEPT = "2024-YYYC-YD", "wsjk"
AT = "2024-12-02T16:00:00+08:00"
SIGNING_EXIT, USAGE_EXIT = 14, 2


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The confirmed example site and its forms (``forms/`` beside ``site/``)."""
    return mobile_kit.confirmed_site(tmp_path_factory.mktemp("batch"))


@pytest.fixture
def site(confirmed: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(confirmed, tmp_path / "site")
    shutil.copytree(confirmed.parent / "forms", tmp_path / "forms")
    for dept in (DEPT, "xfjy"):
        office = tmp_path / f"office-{dept}"
        office.mkdir()
        origin = SiteRepo.open(tmp_path / "site").trust.origin
        write_private_key(office / "key", example_signer(dept_key_name(origin, dept)))
    (tmp_path / "lead").mkdir()
    yield tmp_path / "site"
    assert private_keys(tmp_path / "lead") == []  # the operator never held a key


def _gk(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _size(site: Path) -> int:
    return len((site / "draws" / "entries.jsonl").read_bytes().splitlines())


def _form(site: Path, rows: int, name: str = "filled.xlsx", dept: str = DEPT) -> Path:
    """wsjk's form of :data:`TASK` with its first ``rows`` planned results filled in."""
    forms = site.parent / "forms"
    template = forms / TASK / f"{dept}.xlsx"
    (task,) = [t for p in SiteRepo.open(site).content.plans for t in p.tasks if t.id == TASK]
    planned = Year(site, forms)._plan_rows(task, dept, template)[:rows]
    out = site.parent / name
    _fill(template, out, [(number, cells) for number, _, cells, _ in planned])
    return out


def _prepare(site: Path, form: Path, name: str = "results.json", at: str = AT) -> Path:
    request = site.parent / "lead" / name
    before = _size(site)
    out = _gk("results", "import", TASK, str(form), "--dept", DEPT, "--request", str(request),
              "--site", str(site), "--at", at)  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "已写出批量签署申请" in out.output, out.output
    assert "未写入账本" in out.output, out.output
    assert _size(site) == before  # nothing appended
    return request


def _office(site: Path, dept: str = DEPT) -> Path:
    return site.parent / f"office-{dept}"


def _sync(site: Path, dept: str = DEPT) -> Path:
    copy = _office(site, dept) / "ledger"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(site / "draws", copy, ignore=shutil.ignore_patterns("LOCK"))
    return copy


def _sign(site: Path, request: Path, dept: str = DEPT, at: str = AT, *extra: str) -> Result:
    office = _office(site, dept)
    return _gk("sign", str(request), "--key", str(office / "key"), "--ledger", str(_sync(site, dept)),
               "--out", str(office / "outbox"), "--at", at, *extra)  # fmt: skip


def _inbox(site: Path, request: Path, dept: str = DEPT) -> Path:
    inbox = site.parent / "lead" / f"{request.stem}.sigs.d"
    inbox.mkdir(exist_ok=True)
    sigs = _office(site, dept) / "outbox" / f"{request.stem}.{dept}.sigs"
    shutil.copyfile(sigs, inbox / sigs.name)
    return inbox


def _append(site: Path, request: Path, inbox: Path, at: str = AT) -> Result:
    return _gk("request", "append", str(request), "--signatures", str(inbox), "--site", str(site),
               "--at", at)  # fmt: skip


def _rewrite(path: Path, value: dict[str, object]) -> None:
    path.write_bytes(canonical.dumps(value) + b"\n")


def test_round_trip_is_the_same_ledger_as_signing_with_the_key(site: Path, tmp_path: Path) -> None:
    same = tmp_path / "same"  # the same import signed here with --key, for comparison
    shutil.copytree(site, same / "site")
    form = _form(site, 4)
    request = _prepare(site, form)
    value = json.loads(request.read_bytes())
    assert value["format"] == "gongkai-sign-batch/v1"
    assert value["signers"] == [DEPT]
    assert len(value["entries"]) == len(value["messages"]) == 4
    entities = [e["result"]["entity"] for e in value["entries"]]
    before = _size(site)
    signed = _sign(site, request)
    assert signed.exit_code == 0, signed.output
    assert "批量签署申请：检查结果 4 条（公示检查结果 4 条）" in signed.output
    assert f"任务：{TASK}" in signed.output
    assert all(entity in signed.output for entity in entities)
    # The office's key is the only key anywhere near the signing; nothing was appended yet.
    assert private_keys(_office(site)) == [dept_key_name(SiteRepo.open(site).trust.origin, DEPT)]
    assert _size(site) == before
    appended = _append(site, request, _inbox(site, request))
    assert appended.exit_code == 0, appended.output
    assert "4 条条目" in appended.output
    assert _size(site) == before + 4
    assert _gk("verify", str(site / "draws")).exit_code == 0
    direct = _gk("results", "import", TASK, str(form), "--dept", DEPT, "--site",
                 str(same / "site"), "--at", AT)  # fmt: skip
    assert direct.exit_code == 0, direct.output
    lines = (site / "draws" / "entries.jsonl").read_bytes().splitlines()
    assert lines == (same / "site" / "draws" / "entries.jsonl").read_bytes().splitlines()
    # The same form again: nothing new, no request written.
    again = _gk("results", "import", TASK, str(form), "--dept", DEPT, "--request",
                str(site.parent / "lead" / "again.json"), "--site", str(site), "--at", AT)  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "未生成签署申请" in again.output
    assert not (site.parent / "lead" / "again.json").exists()


def test_the_department_refuses_what_it_should_not_sign(site: Path) -> None:
    request = _prepare(site, _form(site, 3))
    value = json.loads(request.read_bytes())
    # One entry changed, the bytes to sign left as they were: the batch was tampered with.
    tampered = request.with_name("tampered.json")
    forged = json.loads(request.read_bytes())
    forged["entries"][1]["result"]["detail"] = "经查无问题"
    _rewrite(tampered, forged)
    out = _sign(site, tampered)
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "messages[1]" in out.output, out.output
    assert "申请可能被改动" in out.output, out.output
    # Another department's key (xfjy) may not sign wsjk's results.
    out = _sign(site, request, "xfjy")
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "不是这些条目须签署的部门" in out.output, out.output
    # Expired: three days after the entries' time by default.
    out = _sign(site, request, DEPT, "2024-12-06T16:00:00+08:00")
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "过期" in out.output, out.output
    assert value["expires"] in out.output, out.output
    # A signature QR code cannot hold a batch's signatures.
    out = _sign(site, request, DEPT, AT, "--qr")
    assert out.exit_code == USAGE_EXIT, out.output
    assert not list((_office(site) / "outbox").glob("*.sigs"))
    # Stale: the ledger moved on after the batch was made (here: another import of wsjk).
    other = _prepare(site, _form(site, 1, "one.xlsx"), "one.json")
    assert _sign(site, other).exit_code == 0
    assert _append(site, other, _inbox(site, other)).exit_code == 0
    out = _sign(site, request)
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "已过时" in out.output, out.output


def test_append_is_all_or_nothing(site: Path) -> None:
    request = _prepare(site, _form(site, 3))
    before = _size(site)
    empty = site.parent / "lead" / "empty"
    empty.mkdir()
    out = _append(site, request, empty)
    assert out.exit_code == SIGNING_EXIT, out.output
    assert f"缺少部门 {DEPT}" in out.output, out.output
    out = _gk("request", "append", str(request), "--qr-text", "{}", "--site", str(site),
              "--at", AT)  # fmt: skip
    assert out.exit_code == USAGE_EXIT, out.output  # a batch's signatures travel as a file
    assert _sign(site, request).exit_code == 0
    inbox = _inbox(site, request)
    (sig_path,) = inbox.glob("*.sigs")
    good = sig_path.read_bytes()
    # One signature of the three replaced by another entry's: the batch is refused whole.
    value = json.loads(good)
    value["sigs"][2] = value["sigs"][0]
    _rewrite(sig_path, value)
    out = _append(site, request, inbox)
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "第 3 条" in out.output, out.output
    assert "签名无效" in out.output, out.output
    assert _size(site) == before
    # One entry changed after signing (messages and summary recomputed to match, the signature
    # file pointed at the new bytes): that entry's signature does not verify.
    sig_path.write_bytes(good)
    forged = json.loads(request.read_bytes())
    forged["entries"][1]["result"]["detail"] = "经查无问题"
    batch = BatchRequest.loads(request.read_bytes(), "r")
    changed = BatchRequest(batch.origin, batch.size, batch.root, batch.expires,
                           tuple(forged["entries"]), batch.signers,
                           summarise_batch(forged["entries"]))  # fmt: skip
    request.write_bytes(changed.dumps())
    value = json.loads(good)
    value["request"] = hashlib.sha256(request.read_bytes()).hexdigest()
    _rewrite(sig_path, value)
    out = _append(site, request, inbox)
    assert out.exit_code == SIGNING_EXIT, out.output
    assert "第 2 条" in out.output, out.output
    assert "签名无效" in out.output, out.output
    assert _size(site) == before
    assert _gk("verify", str(site / "draws")).exit_code == 0


class _Crash(BaseException):
    """Stands for the process being killed in the middle of writing the lines."""


def test_an_interrupted_batch_append_is_finished_by_recovery(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _prepare(site, _form(site, 3))
    assert _sign(site, request).exit_code == 0
    inbox = _inbox(site, request)
    before = _size(site)
    import ledger.store

    real = ledger.store.append_durable

    def half(path: Path, data: bytes) -> None:
        real(path, data[: len(data) // 2])  # half of the new lines reach the disk
        raise _Crash

    monkeypatch.setattr(ledger.store, "append_durable", half)
    with pytest.raises(_Crash):
        append_batch(SiteRepo.open(site), request, inbox, None, "2024-12-02T08:00:00Z")
    monkeypatch.setattr(ledger.store, "append_durable", real)
    notes: list[str] = []
    SiteRepo.open(site, notify=notes.append)  # the next command finishes the append
    assert notes, notes
    assert _size(site) == before + 3
    assert _gk("verify", str(site / "draws")).exit_code == 0


def test_hostile_text_is_shown_escaped(site: Path) -> None:
    request = _prepare(site, _form(site, 2))
    batch = BatchRequest.loads(request.read_bytes(), "r")
    hostile = "\x1b[2J\u202e伪造\n部门 scjg 已签署\\u{000A}"
    entries = [dict(e) for e in batch.entries]
    entries[0] = json.loads(json.dumps(entries[0]))
    entries[0]["result"]["detail"] = hostile
    summary = summarise_batch(entries)
    forged = BatchRequest(batch.origin, batch.size, batch.root, batch.expires, tuple(entries),
                          batch.signers, summary)  # fmt: skip
    request.write_bytes(forged.dumps())
    out = _sign(site, request)
    shown_text = "\\u{001B}[2J\\u{202E}伪造\\u{000A}部门 scjg 已签署\\\\u{000A}"
    assert shown(hostile) == shown_text
    assert shown_text in out.output, out.output
    for raw in ("\x1b", "\u202e"):
        assert raw not in out.output
    assert not any(line.startswith("部门 scjg 已签署") for line in out.output.splitlines())


def test_a_phone_bundle_goes_through_a_batch(site: Path) -> None:
    """The operator's own department (the phone user's, scjg): the inspector's signatures in
    the bundle stay as they are; the department's is made in its office."""
    office = site.parent / "office-scjg"
    office.mkdir()
    origin = SiteRepo.open(site).trust.origin
    write_private_key(office / "key", example_signer(dept_key_name(origin, "scjg")))
    inspector = "62082301005"
    phone = mobile_kit.key_for(site, inspector, "phone")
    enrolment = mobile_kit.write_enrolment(site, inspector, phone, site.parent / "e.json")
    out = _gk("inspector", "enroll", str(enrolment), "--dept", "scjg", "--site", str(site),
              "--at", "2024-03-01")  # fmt: skip
    assert out.exit_code == 0, out.output
    mine = mobile_kit.team_of(site, inspector)[:2]
    results = [mobile_kit.result_for(site, e) for e in mine]
    bundle = mobile_kit.write_bundle(site, phone, results, site.parent / "a.bundle.json")
    request = site.parent / "lead" / "bundle.json"
    out = _gk("results", "import", str(bundle), "--dept", "scjg", "--request", str(request),
              "--site", str(site), "--at", "2024-03-05")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "待签署 2 条" in out.output
    signed = _sign(site, request, "scjg", "2024-03-05")
    assert signed.exit_code == 0, signed.output
    assert "检查人员手机签名" in signed.output
    before = _size(site)
    appended = _append(site, request, _inbox(site, request, "scjg"), "2024-03-05")
    assert appended.exit_code == 0, appended.output
    lines = (site / "draws" / "entries.jsonl").read_bytes().splitlines()[before:]
    assert len(lines) == 2
    for line in lines:
        entry = json.loads(line)
        assert entry["body"]["inspection"]["sigs"][0]["key"] == phone.verifier().key_ref
        assert [s["key"].split("+")[0] for s in entry["sigs"]] == [dept_key_name(origin, "scjg")]
        message = signing_message(origin, entry["body"])
        sig = BatchSignature.loads(
            next(_office(site, "scjg").glob("outbox/*.sigs")).read_bytes(), "s"
        ).sigs[lines.index(line)]
        assert base64.b64encode(sig).decode() == entry["sigs"][0]["sig"]
        assert example_signer(dept_key_name(origin, "scjg")).verifier().verify(message, sig)
    assert _gk("verify", str(site / "draws")).exit_code == 0


def test_request_and_key_options_exclude_each_other(site: Path) -> None:
    form = _form(site, 1)
    key = _office(site) / "key"
    out = _gk("results", "import", TASK, str(form), "--dept", DEPT, "--request",
              str(site.parent / "lead" / "x.json"), "--key", str(key), "--site", str(site))  # fmt: skip
    assert out.exit_code == USAGE_EXIT, out.output
    out = _gk("results", "import", TASK, str(form), "--dept", DEPT, "--expires", "2024-12-09",
              "--site", str(site))  # fmt: skip
    assert out.exit_code == USAGE_EXIT, out.output
