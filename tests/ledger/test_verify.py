"""The offline auditor (docs/ledger.md §13.5, §13.9): happy paths, report, pin, fork evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import ledger_factory as lf
import pytest

from ledger.__main__ import main
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.entries import Entry
from ledger.errors import (
    InconsistencyError,
    InterruptedAppendError,
    MalformedError,
    VerificationError,
)
from ledger.merkle import (
    MerkleTree,
    RootMismatchError,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    verify_consistency,
)
from ledger.pin import consistency_proof_from_entries
from ledger.publish import publish_ledger
from ledger.receipt import parse_receipt, verify_receipt
from ledger.store import LedgerStore
from ledger.trust import format_trust
from ledger.verify import (
    REPORT_SCHEMA,
    BlobReader,
    check_fork_evidence,
    parse_fork_evidence,
    verify_directory,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> lf.Ledger:
    return lf.build_ledger(tmp_path_factory.mktemp("verify") / "ledger", 600)


@pytest.fixture(scope="module")
def site(built: lf.Ledger, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "ledger"
    publish_ledger(built.directory, out, trust=built.trust, types=lf.TYPES)
    return out


@pytest.fixture
def ledger_copy(built: lf.Ledger, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(built.directory, target)
    return target


def test_directory_verifies(built: lf.Ledger) -> None:
    report = verify_directory(built.directory, trust=built.trust, types=lf.TYPES)
    assert (report.origin, report.size, report.entries_verified) == (lf.ORIGIN, 600, 600)
    assert report.root == MerkleTree([leaf_hash(x) for x in built.lines]).root.hex()
    assert report.checkpoints_checked == len(built.archived) == 6
    assert report.blobs_checked == len(built.blobs) == 11
    assert report.signatures_checked == 3 + 3 * 3 + 596
    assert report.unverified_tail == 0
    assert report.trust_source == "given"
    assert report.warnings == []
    assert (report.tiles_checked, report.bundles_checked, report.receipts_checked) == (0, 0, 0)
    assert len(report.keys) == 3
    assert report.threshold == 2
    assert report.log_keys == [lf.LOG.verifier().vkey]


def test_trust_from_directory_warns(built: lf.Ledger) -> None:
    report = verify_directory(built.directory, types=lf.TYPES)
    assert report.trust_source == "directory"
    assert any("trust.txt" in w and "核对" in w for w in report.warnings)


def test_published_folder_verifies(site: Path, built: lf.Ledger) -> None:
    report = verify_directory(site, trust=built.trust, types=lf.TYPES)
    assert report.size == 600
    # 4, 100, 256, 300, 513, 600 → level 0: 000.p/4 000.p/100 000 001.p/44 001 002.p/1
    # 002.p/88; level 1: 000.p/1 000.p/2.
    assert report.tiles_checked == 9
    assert report.bundles_checked == 7
    assert report.receipts_checked == 600
    assert report.blobs_checked == 11
    assert report.warnings == []


def test_json_report_schema(built: lf.Ledger) -> None:
    report = verify_directory(built.directory, trust=built.trust, types=lf.TYPES)
    data = json.loads(report.to_json())
    assert report.to_json().endswith("\n")
    assert set(data) == {
        "schema",
        "ok",
        "origin",
        "size",
        "root",
        "entries_verified",
        "unverified_tail",
        "signatures_checked",
        "threshold",
        "root_keys",
        "log_keys",
        "log_keys_ever",
        "keys",
        "flagged",
        "inspector_keys",
        "inspections",
        "flagged_inspections",
        "warnings",
        "trust_source",
        "checked",
        "pin",
        "timestamps",
        "time_bounds",
    }
    assert data["schema"] == REPORT_SCHEMA
    assert data["ok"] is True
    assert set(data["checked"]) == {
        "checkpoints",
        "tiles",
        "bundles",
        "receipts",
        "blobs",
        "draws",
        "beacons",
        "replacements",
        "timestamps",
        "pools",
        "libraries",
        "inspector_libraries",
    }
    assert data["timestamps"] == []  # this log has no TSA (tests/ledger/test_timestamp.py has)
    assert set(data["pin"]) == {"previous_size", "updated"}
    assert len(data["root"]) == 64
    assert int(data["root"], 16) >= 0
    for key in data["keys"]:
        assert set(key) == {
            "key",
            "vkey",
            "dept",
            "scopes",
            "added_at",
            "revoked_at",
            "compromised_from",
        }
    assert data["inspector_keys"] == []  # this log has no phone-signed results (tests/mobile)
    assert data["inspections"] == {"results": 0, "signatures": 0}
    assert data["flagged_inspections"] == []
    # Stable: serializing twice gives the same bytes, keys sorted.
    assert report.to_json() == report.to_json()
    assert list(data) == sorted(data)
    assert report.to_text().startswith("验证通过：")


def test_workers_give_the_same_report(site: Path, built: lf.Ledger) -> None:
    one = verify_directory(site, trust=built.trust, workers=1, types=lf.TYPES).as_dict()
    two = verify_directory(site, trust=built.trust, workers=2, types=lf.TYPES).as_dict()
    assert one == two


@pytest.mark.parametrize("workers", [1, 2])
def test_first_error_in_log_order_wins(ledger_copy: Path, built: lf.Ledger, workers: int) -> None:
    """A bad signature at 200 and a malformed line at 400: both modes report index 200."""
    lines = (ledger_copy / "entries.jsonl").read_bytes().split(b"\n")
    lines[200] = lf.reencode(lines[200], text="改动")
    lines[400] = lines[400].replace(b'{"body":', b'{"body": ', 1)
    (ledger_copy / "entries.jsonl").write_bytes(b"\n".join(lines))
    with pytest.raises(VerificationError, match=r"第 200 条条目.*签名无效"):
        verify_directory(ledger_copy, trust=built.trust, workers=workers, types=lf.TYPES)


def test_workers_report_signature_error_at_its_index(ledger_copy: Path, built: lf.Ledger) -> None:
    lines = (ledger_copy / "entries.jsonl").read_bytes().split(b"\n")
    lines[590] = lf.reencode(lines[590], text="改动")
    (ledger_copy / "entries.jsonl").write_bytes(b"\n".join(lines))
    messages = []
    for workers in (1, 2):
        with pytest.raises(VerificationError) as info:
            verify_directory(ledger_copy, trust=built.trust, workers=workers, types=lf.TYPES)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "第 590 条条目" in messages[0]


def test_unverified_tail_is_reported(ledger_copy: Path, built: lf.Ledger) -> None:
    extra = [lf.statement_line(600), lf.statement_line(601)]
    with open(ledger_copy / "entries.jsonl", "ab") as f:
        f.write(b"".join(x + b"\n" for x in extra) + b'{"torn')
    # Without a journal nothing explains them: exit code 8, every leftover named precisely.
    with pytest.raises(InterruptedAppendError, match="账本目录中有检查点之外的内容") as info:
        verify_directory(ledger_copy, trust=built.trust, types=lf.TYPES)
    assert info.value.exit_code == 8
    assert "entries.jsonl 在检查点大小 600 之后还有 2 个完整行和 6 字节不完整的行" in str(
        info.value
    )
    assert "写入命令会拒绝继续（退出码 7）" in str(info.value)


def test_draw_checks_are_called_for_every_entry(built: lf.Ledger) -> None:
    seen: list[int] = []
    blobs: list[bytes] = []

    def hook(entry: Entry, read_blob: BlobReader) -> None:
        seen.append(entry.index)
        attachment = entry.body.get("attachment")
        if attachment is not None:
            blobs.append(read_blob(attachment["sha256"]))

    verify_directory(built.directory, trust=built.trust, types=lf.TYPES, checks=[hook])
    assert seen == list(range(600))
    assert sorted(blobs) == sorted(built.blobs.values())


def test_draw_check_failure_aborts(built: lf.Ledger) -> None:
    def hook(entry: Entry, read_blob: BlobReader) -> None:
        if entry.index == 321:
            raise VerificationError("第 321 条：抽取结果与重算结果不符")

    with pytest.raises(VerificationError, match="第 321 条：抽取结果"):
        verify_directory(
            built.directory, trust=built.trust, workers=2, types=lf.TYPES, checks=[hook]
        )


def test_receipts_are_made_against_the_first_covering_checkpoint(site: Path) -> None:
    archived = [4, 100, 256, 300, 513, 600]
    for index in (0, 3, 4, 99, 100, 255, 256, 299, 512, 599):
        data = (site / "proofs" / f"{index}.tlog-proof").read_bytes()
        extra, got, cp = verify_receipt(data, lf.ORIGIN, [lf.LOG.verifier()])
        assert got == index
        assert cp.size == min(s for s in archived if s > index)
        assert extra == (site / "entries.jsonl").read_bytes().split(b"\n")[index]
        assert (
            parse_receipt(data).checkpoint_note
            == (site / "checkpoints" / str(cp.size)).read_bytes()
        )


# --------------------------------------------------------------------------- pin


def test_pin_is_created_then_advanced(tmp_path: Path) -> None:
    lines, blobs = lf.build_lines(450)
    ledger = lf.build_ledger(tmp_path / "l", lines=lines[:300], blobs=blobs, marks=[4, 100, 300])
    pin = tmp_path / "pin"
    first = verify_directory(ledger.directory, trust=ledger.trust, pin_path=pin, types=lf.TYPES)
    assert first.pin_previous_size is None
    assert first.pin_updated
    assert pin.read_bytes() == (ledger.directory / "checkpoint").read_bytes()
    again = verify_directory(ledger.directory, trust=ledger.trust, pin_path=pin, types=lf.TYPES)
    assert again.pin_previous_size == 300
    assert not again.pin_updated
    LedgerStore(ledger.directory, lf.ORIGIN, [lf.LOG.verifier()]).append(lines[300:], [lf.LOG])
    advanced = verify_directory(ledger.directory, trust=ledger.trust, pin_path=pin, types=lf.TYPES)
    assert advanced.pin_previous_size == 300
    assert advanced.pin_updated
    assert pin.read_bytes() == (ledger.directory / "checkpoint").read_bytes()
    # update_pin=False leaves the file alone.
    before = pin.read_bytes()
    verify_directory(
        ledger.directory, trust=ledger.trust, pin_path=pin, update_pin=False, types=lf.TYPES
    )
    assert pin.read_bytes() == before


def test_rollback_is_detected(built: lf.Ledger, ledger_copy: Path, tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_bytes((built.directory / "checkpoint").read_bytes())
    # Serve the state of size 513: older checkpoint, later archive and lines removed.
    (ledger_copy / "checkpoint").write_bytes((ledger_copy / "checkpoints" / "513").read_bytes())
    (ledger_copy / "checkpoints" / "600").unlink()
    with pytest.raises(InconsistencyError, match="回滚") as info:
        verify_directory(ledger_copy, trust=built.trust, pin_path=pin, types=lf.TYPES)
    assert info.value.exit_code == 5
    assert pin.read_bytes() == (built.directory / "checkpoint").read_bytes()  # not updated
    assert info.value.evidence is not None
    evidence = parse_fork_evidence(info.value.evidence)
    assert (evidence.kind, evidence.old_size, evidence.new_size) == ("rollback", 600, 513)
    assert "回滚" in check_fork_evidence(evidence, [lf.LOG.verifier()])


def _fork(tmp_path: Path, pinned_size: int) -> tuple[lf.Ledger, Path, list[bytes]]:
    """Ledger B (600 entries) diverging at 300 from ledger A, whose size-m checkpoint is pinned."""
    lines, blobs = lf.build_lines(600)
    a = lf.build_ledger(tmp_path / "a", lines=lines[:pinned_size], blobs=blobs, marks=[pinned_size])
    other = [*lines[:300], *(lf.statement_line(i + 10_000) for i in range(300, 600))]
    b = lf.build_ledger(tmp_path / "b", lines=other, blobs=blobs, marks=[100, 450, 600])
    pin = tmp_path / "pin"
    pin.write_bytes((a.directory / "checkpoint").read_bytes())
    return b, pin, other


@pytest.mark.parametrize("pinned_size", [400, 512, 600])
def test_fork_is_detected_with_portable_evidence(tmp_path: Path, pinned_size: int) -> None:
    b, pin, other = _fork(tmp_path, pinned_size)
    pinned_note = pin.read_bytes()
    with pytest.raises(InconsistencyError, match="分叉") as info:
        verify_directory(b.directory, trust=b.trust, pin_path=pin, types=lf.TYPES)
    assert pin.read_bytes() == pinned_note  # never updated on failure
    text = info.value.evidence
    assert text is not None
    assert text.startswith("gongkai-fork-evidence/v1\n")

    # Independent re-check, from the evidence text alone plus the log's public key.
    evidence = parse_fork_evidence(text)
    old, _ = open_checkpoint(evidence.old_note, lf.ORIGIN, [lf.LOG.verifier()])
    new, _ = open_checkpoint(evidence.new_note, lf.ORIGIN, [lf.LOG.verifier()])
    assert (old.size, new.size) == (pinned_size, 600)
    assert old.root == evidence.old_root
    assert new.root == evidence.new_root
    assert evidence.computed is not None
    assert evidence.computed != old.root
    if old.size < new.size:
        with pytest.raises(RootMismatchError):
            verify_consistency(old.size, new.size, list(evidence.proof), old.root, new.root)
    else:
        assert evidence.proof == ()
        assert old.root != new.root
    verify_consistency(old.size, new.size, list(evidence.proof), evidence.computed, new.root)
    tree = MerkleTree([leaf_hash(x) for x in other])
    assert evidence.computed == tree.root_at(pinned_size)
    if pinned_size < 600:
        assert list(evidence.proof) == tree.consistency_proof(pinned_size, 600)
    assert "分叉" in check_fork_evidence(evidence, [lf.LOG.verifier()])


def test_fake_evidence_is_rejected(tmp_path: Path) -> None:
    b, pin, _ = _fork(tmp_path, 400)
    with pytest.raises(InconsistencyError) as info:
        verify_directory(b.directory, trust=b.trust, pin_path=pin, types=lf.TYPES)
    assert info.value.evidence is not None
    evidence = parse_fork_evidence(info.value.evidence)
    consistent = evidence.__class__(
        **{**evidence.__dict__, "computed": evidence.old_root}  # claims nothing is wrong
    )
    with pytest.raises(VerificationError):
        check_fork_evidence(consistent, [lf.LOG.verifier()])
    with pytest.raises(VerificationError):  # notes signed by a key the checker does not trust
        check_fork_evidence(evidence, [lf.LOG2.verifier()])
    with pytest.raises(MalformedError):
        parse_fork_evidence(info.value.evidence.replace("kind fork", "kind spoon"))


# --------------------------------------------------------------------------- proofs


def test_proof_ranges_match_merkle_tree() -> None:
    tree = MerkleTree([leaf_hash(bytes([i % 256, i // 256])) for i in range(300)])

    def mth(start: int, end: int) -> bytes:
        return MerkleTree([tree.leaf_hash(i) for i in range(start, end)]).root

    for n in (1, 2, 3, 7, 8, 9, 255, 256, 257, 300):
        for m in {1, min(2, n), n // 3 or 1, n // 2 or 1, n - 1 or 1, n}:
            ranges = consistency_ranges(m, n)
            assert [mth(s, e) for s, e in ranges] == tree.consistency_proof(m, n)
        for i in {0, n // 2, n - 1}:
            assert [mth(s, e) for s, e in inclusion_ranges(i, n)] == tree.inclusion_proof(i, n)


def test_streamed_consistency_proof(built: lf.Ledger) -> None:
    tree = MerkleTree([leaf_hash(x) for x in built.lines])
    path = built.directory / "entries.jsonl"
    for m, n in ((1, 600), (255, 256), (256, 600), (300, 513), (599, 600), (600, 600)):
        assert consistency_proof_from_entries(path, m, n) == tree.consistency_proof(m, n)


# --------------------------------------------------------------------------- log key rotation


def test_log_key_rotation_is_followed(tmp_path: Path) -> None:
    """Old archives signed by the retired key still verify; the checkpoint needs current keys."""
    lines, blobs = lf.build_lines(40)
    lines.insert(10, lf.logkey_rotate_line([lf.LOG, lf.LOG2], "rotate-1"))
    lines.insert(20, lf.logkey_rotate_line([lf.LOG2], "rotate-2"))
    directory = tmp_path / "l"
    store = LedgerStore(directory, lf.ORIGIN, [lf.LOG.verifier(), lf.LOG2.verifier()])
    for data in blobs.values():
        store.put_blob(data)
    store.append(lines[:10], [lf.LOG])
    store.append(lines[10:20], [lf.LOG, lf.LOG2])
    store.append(lines[20:], [lf.LOG2])
    trust = lf.trust_for(lines[0])
    report = verify_directory(directory, trust=trust, types=lf.TYPES)
    assert report.log_keys == [lf.LOG2.verifier().vkey]
    assert sorted(report.log_keys_ever) == sorted([lf.LOG.verifier().vkey, lf.LOG2.verifier().vkey])
    # A final checkpoint signed by the retired key alone is refused.
    note = sign_checkpoint(Checkpoint(lf.ORIGIN, report.size, bytes.fromhex(report.root)), [lf.LOG])
    (directory / "checkpoint").write_bytes(note)
    (directory / "checkpoints" / str(report.size)).write_bytes(note)
    with pytest.raises(VerificationError, match="checkpoint 的签名无法用日志密钥验证"):
        verify_directory(directory, trust=trust, types=lf.TYPES)


def test_compromised_key_flags_entries(tmp_path: Path) -> None:
    lines, _ = lf.build_lines(30, blob_every=0)
    lines.append(lf.key_revoke_line(lf.DEPT_KEYS["a"], "revoke-a", compromised_from=20))
    directory = tmp_path / "l"
    lf.write_raw_ledger(directory, lines, [len(lines)])
    report = verify_directory(directory, trust=lf.trust_for(lines[0]), types=lf.TYPES)
    key_a = lf.DEPT_KEYS["a"].verifier().key_ref
    assert report.flagged == {i: key_a for i in range(20, 30) if i % 3 == 0}
    assert "被标记" in report.to_text() or "泄露" in report.to_text()


# --------------------------------------------------------------------------- CLI


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    # The CLI knows the production types only: the factory's test type is allowed explicitly.
    code = main([*args, "--allow-type", lf.TEST_TYPE])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trust_file(built: lf.Ledger, tmp_path: Path) -> Path:
    path = tmp_path / "trust.txt"
    path.write_bytes(format_trust(built.trust))
    return path


def test_cli_ok_text_and_json(
    built: lf.Ledger, trust_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run_cli(
        ["verify", str(built.directory), "--trust", str(trust_file), "--workers", "1"], capsys
    )
    assert code == 0
    assert out.startswith("验证通过：")
    code, out, _ = _run_cli(
        ["verify", str(built.directory), "--trust", str(trust_file), "--json"], capsys
    )
    data: dict[str, Any] = json.loads(out)
    assert code == 0
    assert data["ok"] is True
    assert data["size"] == 600


@pytest.mark.parametrize(
    ("mutation", "code", "kind"),
    [
        (lambda lines: lines.__setitem__(7, lines[7] + b" "), 3, "MalformedError"),
        (lambda lines: lines.__setitem__(7, lf.reencode(lines[7], seq=1)), 4, "VerificationError"),
    ],
)
def test_cli_exit_codes(
    ledger_copy: Path,
    trust_file: Path,
    capsys: pytest.CaptureFixture[str],
    mutation: Any,
    code: int,
    kind: str,
) -> None:
    lines = (ledger_copy / "entries.jsonl").read_bytes().split(b"\n")
    mutation(lines)
    (ledger_copy / "entries.jsonl").write_bytes(b"\n".join(lines))
    got, _, err = _run_cli(["verify", str(ledger_copy), "--trust", str(trust_file)], capsys)
    assert got == code
    assert err.startswith("验证失败")
    assert "第 7 条" in err
    got, out, _ = _run_cli(
        ["verify", str(ledger_copy), "--trust", str(trust_file), "--json"], capsys
    )
    data = json.loads(out)
    assert got == code
    assert data["ok"] is False
    assert data["error"]["type"] == kind
    assert data["error"]["exit_code"] == code


def test_cli_fork_exit_code_and_evidence_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b, pin, _ = _fork(tmp_path, 400)
    trust = tmp_path / "trust-b.txt"
    trust.write_bytes(format_trust(b.trust))
    evidence = tmp_path / "evidence.txt"
    code, _, err = _run_cli(
        [
            "verify",
            str(b.directory),
            "--trust",
            str(trust),
            "--pin",
            str(pin),
            "--evidence",
            str(evidence),
        ],
        capsys,
    )
    assert code == 5
    assert "分叉" in err
    assert "gongkai-fork-evidence/v1" in err
    parsed = parse_fork_evidence(evidence.read_text(encoding="utf-8"))
    assert parsed.kind == "fork"


def test_cli_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_cli(["verify", str(tmp_path / "nothing")], capsys)
    assert code == 6  # not a ledger directory: README's "账本目录不可用", not "验证失败"
    assert "不是账本目录" in err
