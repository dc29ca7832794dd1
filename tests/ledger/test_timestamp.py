"""RFC 3161 tokens on checkpoints (docs/ledger.md §15): obtained from a real TSA (``openssl ts
-reply`` on 127.0.0.1, a CA made here), stored, published, verified offline, and refused when
anything about them is wrong."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.ledgerops import append_entries, init_ledger, key_add_entry
from ledger.draw.algorithms import DRAW_V1
from ledger.errors import (
    MalformedError,
    StoreError,
    UnverifiableError,
    VerificationError,
)
from ledger.note import Signer
from ledger.publish import publish_ledger
from ledger.timestamp import parse_token_name, token_name
from ledger.trust import format_trust, parse_trust
from ledger.tsa import HttpAuthority, add_tsa, stamp_all, stamp_checkpoint
from ledger.verify import verify_directory
from tests.ledger.tsa_server import TsaCa, TsaServer, make_test_ca

ORIGIN = "example.gov.cn/tsa-test/ledger"
ROOT = Path(__file__).resolve().parents[2]
LOG = Signer.generate(ORIGIN)
ROOT_KEY = Signer.generate("example.gov.cn/tsa-test/root/1")
DEPT = Signer.generate("example.gov.cn/tsa-test/dept/scjg/1")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TsaCa:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


def _ledger(tmp: Path, ca: TsaCa) -> Path:
    """A two-checkpoint ledger (sizes 1 and 2) with the test TSA installed, unstamped."""
    draws = tmp / "draws"
    init_ledger(draws, ORIGIN, LOG, [ROOT_KEY], 1, "2026-11-28T08:00:00Z", draw=DRAW_V1)
    add_tsa(draws, "test-tsa", ca.chain)
    line = key_add_entry(ORIGIN, DEPT, "scjg", [ROOT_KEY], "2026-11-28T08:01:00Z")
    append_entries(draws, [line], LOG)
    return draws


def _openssl_verify(draws: Path, size: int, tsa: str = "test-tsa") -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "openssl", "ts", "-verify",
            "-data", str(draws / "checkpoints" / str(size)),
            "-in", str(draws / "checkpoints" / token_name(size, tsa)),
            "-CAfile", str(draws / "tsa" / f"{tsa}.pem"),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_stamp_store_verify_and_openssl_accepts(tmp_path: Path, ca: TsaCa) -> None:
    draws = _ledger(tmp_path, ca)
    with TsaServer(ca) as url:
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first = stamp_checkpoint(draws, 1, HttpAuthority("test-tsa", url))
        second = stamp_checkpoint(draws, 2, HttpAuthority("test-tsa", url))
    assert (draws / "checkpoints" / "2.test-tsa.tsr").read_bytes()
    assert before <= first.time <= second.time <= dt.datetime.now(dt.UTC)
    for size in (1, 2):
        done = _openssl_verify(draws, size)
        assert done.returncode == 0, done.stderr
        assert "Verification: OK" in done.stdout
    report = verify_directory(draws, update_pin=False)
    stamps = report.as_dict()["timestamps"]
    assert [(s["size"], s["tsa"]) for s in stamps] == [(1, "test-tsa"), (2, "test-tsa")]
    assert report.as_dict()["checked"]["timestamps"] == 2
    assert "RFC 3161 时间戳令牌 2 个" in report.to_text()


def test_published_folder_carries_tokens_and_chain(tmp_path: Path, ca: TsaCa) -> None:
    draws = _ledger(tmp_path, ca)
    with TsaServer(ca) as url:
        stamp_checkpoint(draws, 2, HttpAuthority("test-tsa", url))
    out = tmp_path / "pub"
    publish_ledger(draws, out, trust=parse_trust((draws / "trust.txt").read_bytes()))
    assert (out / "checkpoints" / "2.test-tsa.tsr").read_bytes() == (
        draws / "checkpoints" / "2.test-tsa.tsr"
    ).read_bytes()
    assert (out / "tsa" / "test-tsa.pem").read_bytes() == ca.chain
    assert "checkpoints/2.test-tsa.tsr" in (out / "SHA256SUMS").read_text()
    assert _openssl_verify(out, 2).returncode == 0
    assert verify_directory(out, update_pin=False).as_dict()["checked"]["timestamps"] == 1


def _stamped(tmp: Path, ca: TsaCa) -> Path:
    draws = _ledger(tmp, ca)
    with TsaServer(ca) as url:
        stamp_checkpoint(draws, 1, HttpAuthority("test-tsa", url))
        stamp_checkpoint(draws, 2, HttpAuthority("test-tsa", url))
    return draws


def test_token_on_another_checkpoint_is_refused(tmp_path: Path, ca: TsaCa) -> None:
    draws = _stamped(tmp_path, ca)
    token = draws / "checkpoints" / "2.test-tsa.tsr"
    token.write_bytes((draws / "checkpoints" / "1.test-tsa.tsr").read_bytes())
    with pytest.raises(VerificationError, match="消息摘要不是该检查点文件的 SHA-256"):
        verify_directory(draws, update_pin=False)
    assert _openssl_verify(draws, 2).returncode != 0


def test_edited_token_is_refused(tmp_path: Path, ca: TsaCa) -> None:
    draws = _stamped(tmp_path, ca)
    token = draws / "checkpoints" / "2.test-tsa.tsr"
    data = bytearray(token.read_bytes())
    data[-5] ^= 0x01  # inside the RSA signature
    token.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="时间戳令牌验证失败"):
        verify_directory(draws, update_pin=False)
    token.write_bytes(b"not der")
    with pytest.raises(MalformedError, match="TimeStampResp"):
        verify_directory(draws, update_pin=False)


def test_replaced_chain_unknown_tsa_and_orphan_token_are_refused(tmp_path: Path, ca: TsaCa) -> None:
    draws = _stamped(tmp_path, ca)
    other = make_test_ca(tmp_path / "other", "other")
    pem = draws / "tsa" / "test-tsa.pem"
    pem.write_bytes(other.chain)
    with pytest.raises(VerificationError, match="证书链被替换"):
        verify_directory(draws, update_pin=False)
    pem.write_bytes(ca.chain)
    shutil.copy(draws / "checkpoints" / "2.test-tsa.tsr", draws / "checkpoints" / "2.rogue.tsr")
    with pytest.raises(VerificationError, match="rogue 未在信任锚"):
        verify_directory(draws, update_pin=False)
    (draws / "checkpoints" / "2.rogue.tsr").unlink()
    shutil.copy(draws / "checkpoints" / "2.test-tsa.tsr", draws / "checkpoints" / "9.test-tsa.tsr")
    with pytest.raises(VerificationError, match="没有对应的存档检查点"):
        verify_directory(draws, update_pin=False)


def test_a_token_of_another_ca_is_never_stored(tmp_path: Path, ca: TsaCa) -> None:
    draws = _ledger(tmp_path, ca)
    impostor = make_test_ca(tmp_path / "impostor", "impostor")
    with TsaServer(impostor) as url, pytest.raises(VerificationError):
        stamp_checkpoint(draws, 2, HttpAuthority("test-tsa", url))
    assert not (draws / "checkpoints" / "2.test-tsa.tsr").exists()


def test_unreachable_tsa_is_a_warning_and_writes_nothing(tmp_path: Path, ca: TsaCa) -> None:
    draws = _ledger(tmp_path, ca)
    server = TsaServer(ca)
    url = server.url
    server.server.server_close()  # nothing listens there any more
    stamps, warnings = stamp_all(draws, 2, [HttpAuthority("test-tsa", url, timeout=5)])
    assert stamps == []
    assert len(warnings) == 1
    assert "未能加盖时间戳" in warnings[0]
    assert sorted(p.name for p in (draws / "checkpoints").iterdir()) == ["1", "2"]


def test_without_the_library_a_stamped_ledger_is_unverifiable(
    tmp_path: Path, ca: TsaCa, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = _stamped(tmp_path, ca)
    monkeypatch.setitem(sys.modules, "rfc3161_client", None)
    with pytest.raises(UnverifiableError, match="rfc3161-client"):
        verify_directory(draws, update_pin=False)


def test_trust_tsa_lines_round_trip_and_are_strict(tmp_path: Path, ca: TsaCa) -> None:
    draws = _ledger(tmp_path, ca)
    data = (draws / "trust.txt").read_bytes()
    digest = hashlib.sha256(ca.chain).hexdigest()
    assert data.endswith(f"\ntsa test-tsa {digest}\n".encode())
    assert format_trust(parse_trust(data)) == data
    for bad, message in [
        (data + f"tsa test-tsa {digest}\n".encode(), "重复"),
        (data + b"tsa Bad_Name " + digest.encode() + b"\n", "名称"),
        (data + b"tsa other-tsa 00\n", "SHA-256"),
        (data.replace(b"tsa ", b"tsa  "), "格式错误"),
    ]:
        with pytest.raises(MalformedError, match=message):
            parse_trust(bad)
    with pytest.raises(StoreError, match="另一份证书链"):
        add_tsa(draws, "test-tsa", make_test_ca(tmp_path / "x", "x").chain)
    assert add_tsa(draws, "test-tsa", ca.chain) == parse_trust(data)  # idempotent


def test_token_names() -> None:
    assert token_name(302, "example-tsa") == "302.example-tsa.tsr"
    assert parse_token_name("302.example-tsa.tsr") == (302, "example-tsa")
    for name in ["0302.a.tsr", "302.A.tsr", "302.-a.tsr", "302.a.tsq", "302", "x.a.tsr"]:
        assert parse_token_name(name) is None


def test_every_example_checkpoint_carries_a_token_openssl_accepts() -> None:
    """The committed example ledger: one example-tsa token per archived checkpoint, each
    accepted by ``openssl ts -verify`` against the published example chain."""
    draws = ROOT / "draws"
    sizes = sorted(int(p.name) for p in (draws / "checkpoints").iterdir() if p.name.isdigit())
    assert sizes
    for size in sizes:
        done = _openssl_verify(draws, size, "example-tsa")
        assert done.returncode == 0, (size, done.stderr)
    report = verify_directory(draws, update_pin=False).as_dict()
    assert report["checked"]["timestamps"] == len(sizes)
    assert all(t["tsa"] == "example-tsa" for t in report["timestamps"])
