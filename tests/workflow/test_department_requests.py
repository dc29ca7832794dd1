"""A single-department statement prepared on the operator's machine and signed in the
department's own office (docs/signing.md §11): ``--request`` instead of ``--key``.

The county of ``county_kit`` (three departments, each with only its own key in its own office
directory); the operator works in ``lead/``, which never holds a department's private key.
Every step is the ``gongkai`` console script.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.example.keys import example_signer
from ledger.keys import write_private_key
from tests.workflow import county_kit as kit
from tests.workflow.ceremony import private_keys
from tests.workflow.county_kit import County

SIGNING_EXIT, WORKFLOW_EXIT, USAGE_EXIT, EXAMPLE_KEY_EXIT = 14, 11, 2, 9
REPLY_AT = "2023-03-10"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    c = kit.new_county(tmp_path_factory.mktemp("requests"))
    (c.root / "lead").mkdir()
    return c


def _size(c: County) -> int:
    return len((c.site / "draws" / "entries.jsonl").read_bytes().splitlines())


def _code(c: County, *args: str) -> tuple[int, str]:
    proc = subprocess.run([str(kit.GONGKAI), *args], capture_output=True, text=True,
                          env=c.env, cwd=c.root, check=False)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def _prepare(c: County, name: str, *args: str) -> Path:
    """The operator prepares ``args`` (a command and its options) as request ``lead/name``."""
    request = c.root / "lead" / name
    before = _size(c)
    out = c.run(*args, "--request", str(request), "--site", str(c.site))
    assert "已写出签署申请" in out, out
    assert "未写入账本" in out, out
    assert _size(c) == before  # nothing appended
    return request


def _sign(c: County, dept: str, request: Path, *extra: str) -> tuple[int, str]:
    return _code(c, "sign", str(request), "--key", c.key(dept), "--ledger", str(c.sync(dept)),
                 "--out", str(c.office(dept) / "outbox"), *extra)  # fmt: skip


def _round_trip(c: County, dept: str, request: Path, at: str) -> bytes:
    """``dept`` signs in its office; the operator appends; the new entry line."""
    code, out = _sign(c, dept, request, "--at", at)
    assert code == 0, out
    inbox = c.root / "lead" / f"{request.stem}.sigs"
    inbox.mkdir()
    sig = c.office(dept) / "outbox" / f"{request.stem}.{dept}.sig"
    shutil.copyfile(sig, inbox / sig.name)
    before = _size(c)
    c.run("request", "append", str(request), "--signatures", str(inbox), "--site", str(c.site),
          "--at", at)  # fmt: skip
    assert _size(c) == before + 1
    return (c.site / "draws" / "entries.jsonl").read_bytes().splitlines()[-1]


def _signed_by(line: bytes) -> list[str]:
    return [s["key"].split("+")[0] for s in json.loads(line)["sigs"]]


def test_plan_and_invite_are_signed_in_the_lead_departments_office(county: County) -> None:
    c = county
    request = _prepare(c, "plan.json", "plan", "publish", "2023", "--at", "2023-03-01")
    value = json.loads(request.read_bytes())
    assert value["signers"] == ["scjg"]
    assert value["body"]["type"] == "plan.publish"
    assert len(value["blobs"]) == 1  # the plan document travels with the request
    assert "签署申请：发布年度抽查工作计划" in value["summary"]
    line = _round_trip(c, "scjg", request, "2023-03-01")
    assert _signed_by(line) == [f"{kit.ORIGIN.rsplit('/', 1)[0]}/dept/scjg/1"]
    request = _prepare(c, "invite.json", "task", "invite", kit.JOINT, "--at", "2023-03-06")
    _round_trip(c, "scjg", request, "2023-03-06")
    c.run("verify", str(c.site / "draws"))


def test_a_partner_refuses_what_it_should_not_sign(county: County) -> None:
    c = county
    request = _prepare(c, "reply.wsjk.json", "task", "reply", kit.JOINT, "--dept", "wsjk",
                       "--accept", "--at", REPLY_AT)  # fmt: skip
    # Another department's key: xfjy may not sign wsjk's reply.
    code, out = _sign(c, "xfjy", request, "--at", REPLY_AT)
    assert code == SIGNING_EXIT, out
    assert "不是该条目须签署的部门" in out, out
    # Expired: the default validity is three days after the entry's time.
    code, out = _sign(c, "wsjk", request, "--at", "2023-03-14")
    assert code == SIGNING_EXIT, out
    assert "过期" in out, out
    assert "签署申请：应约" in out, out
    # Tampered: the body says decline, the bytes to sign still say accept.
    forged = c.root / "lead" / "forged.json"
    value = json.loads(request.read_bytes())
    value["body"]["decision"] = "decline"
    forged.write_bytes(
        json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        + b"\n"
    )
    code, out = _sign(c, "wsjk", forged, "--at", REPLY_AT)
    assert code == SIGNING_EXIT, out
    assert "申请可能被改动" in out, out
    # Another log: the office's trust anchor names another origin.
    other = c.office("wsjk") / "other-trust.txt"
    text = (c.site / "draws" / "trust.txt").read_text(encoding="utf-8")
    other.write_text(text.replace(f"origin {kit.ORIGIN}", "origin other.test/ledger"), "utf-8")
    code, out = _sign(c, "wsjk", request, "--trust", str(other), "--at", REPLY_AT)
    assert code == SIGNING_EXIT, out
    assert "不是本部门账本副本的日志" in out, out
    # The public example key of wsjk's key name (anyone can derive it) signs nothing for a real
    # ledger (exit code 9, docs/signing.md §5 step 4).
    example = c.root / "example-key" / "wsjk.key"
    example.parent.mkdir()
    name = f"{kit.ORIGIN.rsplit('/', 1)[0]}/dept/wsjk/1"
    write_private_key(example, example_signer(name), allow_in_repo=True)
    code, out = _code(c, "sign", str(request), "--key", str(example), "--ledger",
                      str(c.sync("wsjk")), "--out", str(example.parent), "--at", REPLY_AT)  # fmt: skip
    assert code == EXAMPLE_KEY_EXIT, out
    assert "公开的示例密钥" in out, out
    assert not list(example.parent.glob("*.sig"))
    assert not list((c.office("xfjy") / "outbox").glob("reply.*"))
    # wsjk's own signature goes through; afterwards the request is stale.
    line = _round_trip(c, "wsjk", request, REPLY_AT)
    assert json.loads(line)["body"]["decision"] == "accept"
    assert _signed_by(line) == [f"{kit.ORIGIN.rsplit('/', 1)[0]}/dept/wsjk/1"]
    code, out = _sign(c, "wsjk", request, "--at", REPLY_AT)
    assert code == SIGNING_EXIT, out
    assert "已过时" in out, out
    c.run("verify", str(c.site / "draws"))


def test_request_options_and_refusals(county: County) -> None:
    c = county
    lead = c.root / "lead"
    site = ["--site", str(c.site)]
    reply = ["task", "reply", kit.JOINT, "--dept", "xfjy", "--accept", "--at", "2023-03-12"]
    code, out = _code(c, *reply, "--request", str(lead / "both.json"), "--key", c.key("xfjy"),
                      *site)  # fmt: skip
    assert code == USAGE_EXIT, out
    assert "--key" in out, out
    code, out = _code(c, *reply, "--expires", "2023-03-20", "--key", c.key("xfjy"), *site)
    assert code == USAGE_EXIT, out
    assert "--expires" in out, out
    # What the command refuses is refused before any request is written (exit code 11).
    code, out = _code(c, "task", "reply", kit.JOINT, "--dept", "scjg", "--accept", "--at",
                      "2023-03-12", "--request", str(lead / "lead-reply.json"), *site)  # fmt: skip
    assert code == WORKFLOW_EXIT, out
    assert not (lead / "lead-reply.json").exists()
    # A request may be given a shorter validity.
    request = _prepare(c, "reply.xfjy.json", *reply, "--expires", "2023-03-12T12:00:00+08:00")
    assert json.loads(request.read_bytes())["expires"] == "2023-03-12T04:00:00Z"
    _qr_round_trip(c, "xfjy", request, "2023-03-12")


def _qr_round_trip(c: County, dept: str, request: Path, at: str) -> None:
    """``dept`` signs with ``--qr``; the operator appends the scanned text alone
    (docs/signing.md §12); a damaged or tampered scan is refused first (exit code 14)."""
    import segno

    from generator.sigqr import payload

    code, out = _sign(c, dept, request, "--qr", "--at", at)
    assert code == 0, out
    sig = c.office(dept) / "outbox" / f"{request.stem}.{dept}.sig"
    text = payload(sig.read_bytes())
    assert text + "\n" == sig.read_text(encoding="ascii")
    expected = io.BytesIO()  # the QR code of exactly that text (§12)
    segno.make_qr(text, error="m", boost_error=False).save(expected, kind="svg", scale=4, border=4)
    assert sig.with_suffix(".svg").read_bytes() == expected.getvalue()
    assert "▄" in out or "▀" in out, out  # drawn in the terminal
    append = ["request", "append", str(request), "--site", str(c.site), "--at", at]
    code, out = _code(c, *append)
    assert code == USAGE_EXIT, out
    for bad in (text[:-20] + text[-20:].swapcase(), text[: len(text) // 2]):
        code, out = _code(c, *append, "--qr-text", bad)
        assert code == SIGNING_EXIT, out
        assert "--qr-text 第 1 个" in out, out
    before = _size(c)
    c.run(*append, "--qr-text", f"  {text} ")  # spaces around, as pasted
    assert _size(c) == before + 1


def test_the_lead_directory_never_holds_a_department_key(county: County) -> None:
    c = county
    assert private_keys(c.root / "lead") == []
    for dept in kit.DEPTS:
        assert private_keys(c.office(dept)) == [f"{kit.ORIGIN.rsplit('/', 1)[0]}/dept/{dept}/1"]
