"""Signing requests between separate offices (docs/signing.md): what ``gongkai sign`` and
``gongkai request append`` refuse, with exit code 14 and nothing written.

The county of ``county_kit``: three departments, each with only its own key in its own office
directory, a joint task all three accepted. Every step is the ``gongkai`` console script.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.workflow import county_kit as kit
from tests.workflow.county_kit import County

AT = "2023-09-25T10:00:00+08:00"
SIGNING_EXIT = 14


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    c = kit.new_county(tmp_path_factory.mktemp("offices"))
    c.dept("scjg", "plan", "publish", "2023", "--at", "2023-03-01")
    c.dept("scjg", "task", "invite", kit.JOINT, "--at", "2023-03-06")
    for day, dept in (("2023-03-10", "wsjk"), ("2023-03-12", "xfjy")):
        c.dept(dept, "task", "reply", kit.JOINT, "--dept", dept, "--accept", "--at", day)
    return c


def _size(c: County) -> int:
    return len((c.site / "draws" / "entries.jsonl").read_bytes().splitlines())


def _commit_all(c: County, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for d in kit.DEPTS:
        c.run("draw", "commit", kit.JOINT, "--dept", d, "--secrets", str(c.office(d) / "secrets"),
              "--out", str(into / f"{d}.commitment"))  # fmt: skip


def _prepare(c: County, name: str, commitments: Path, *extra: str) -> Path:
    request = c.root / "lead" / name
    request.parent.mkdir(exist_ok=True)
    c.run("request", "announce", kit.JOINT, "--round", "1000000", "--commitments",
          str(commitments), "--out", str(request), "--site", str(c.site), "--at", AT, *extra)  # fmt: skip
    return request


def _sign(c: County, d: str, request: Path, *, ok: bool = True) -> str:
    code, out = _code(c, "sign", str(request), "--key", c.key(d), "--ledger", str(c.sync(d)),
                      "--secrets", str(c.office(d) / "secrets"), "--out", str(c.root / "sigs" / d),
                      "--at", AT)  # fmt: skip
    assert code == (0 if ok else SIGNING_EXIT), out
    return out


def _code(c: County, *args: str) -> tuple[int, str]:
    proc = subprocess.run([str(kit.GONGKAI), *args], capture_output=True, text=True,
                          env=c.env, cwd=c.root, check=False)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def test_one_process_cannot_announce_for_three_departments(county: County) -> None:
    c = county
    before = _size(c)
    keys = [a for d in kit.DEPTS for a in ("--key", f"{d}={c.key(d)}")]
    code, out = _code(c, "draw", "announce", kit.JOINT, "--round", "1000000", *keys,
                      "--secrets", str(c.root / "shared-secrets"), "--site", str(c.site), "--at", AT)  # fmt: skip
    assert code == 11, out
    assert "gongkai request announce" in out, out
    assert _size(c) == before
    assert not (c.root / "shared-secrets").exists()  # no department's secret was made here


def test_a_department_refuses_what_does_not_match_its_own_view(county: County) -> None:
    c = county
    _commit_all(c, c.root / "commitments")
    request = _prepare(c, "announce.json", c.root / "commitments")
    # Expired: signing after the request's expiry.
    code, out = _code(c, "sign", str(request), "--key", c.key("wsjk"), "--ledger",
                      str(c.sync("wsjk")), "--secrets", str(c.office("wsjk") / "secrets"),
                      "--at", "2023-09-29T10:00:00+08:00")  # fmt: skip
    assert code == SIGNING_EXIT, out
    assert "过期" in out, out
    assert "签署申请：抽取公告" in out, out  # the summary is shown even when refused
    # A ledger copy that is behind: the office must sync first.
    stale = c.office("wsjk") / "old-ledger"
    shutil.copytree(c.site / "draws", stale, ignore=shutil.ignore_patterns("LOCK"))
    lines = (stale / "entries.jsonl").read_bytes().splitlines(keepends=True)
    (stale / "entries.jsonl").write_bytes(b"".join(lines[:-1]))
    for old in (stale / "checkpoints").iterdir():
        if int(old.name) == len(lines):
            old.unlink()
    (stale / "checkpoint").write_bytes((stale / "checkpoints" / str(len(lines) - 1)).read_bytes())
    code, out = _code(c, "sign", str(request), "--key", c.key("wsjk"), "--ledger", str(stale),
                      "--secrets", str(c.office("wsjk") / "secrets"), "--at", AT)  # fmt: skip
    assert code == SIGNING_EXIT, out
    assert "同步" in out, out
    # A summary that says something other than the body.
    forged = c.root / "lead" / "forged.json"
    value = json.loads(request.read_bytes())
    value["summary"] = value["summary"].replace("1000000", "1000001")
    forged.write_bytes(
        json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        + b"\n"
    )
    code, out = _code(c, "sign", str(forged), "--key", c.key("wsjk"), "--ledger",
                      str(c.sync("wsjk")), "--at", AT)  # fmt: skip
    assert code == SIGNING_EXIT, out
    assert "summary" in out, out


def test_a_department_signs_only_its_own_commitment(county: County) -> None:
    c = county
    mixed = c.root / "mixed"
    shutil.copytree(c.root / "commitments", mixed)
    # The lead puts its own commitment in xfjy's place: xfjy's secret does not open it.
    theirs = json.loads((mixed / "scjg.commitment").read_bytes())
    theirs["dept"] = "xfjy"
    (mixed / "xfjy.commitment").write_bytes(
        json.dumps(theirs, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    )
    request = _prepare(c, "mixed.json", mixed)
    out = _sign(c, "xfjy", request, ok=False)
    assert "承诺与本部门保存的抽取秘密不符" in out, out
    assert "部门 wsjk 已签署" in _sign(c, "wsjk", request)


def test_the_lead_appends_only_with_every_signature_then_requests_go_stale(
    county: County,
) -> None:
    c = county
    request = _prepare(c, "final.json", c.root / "commitments")
    inbox = c.root / "inbox"
    inbox.mkdir()
    for d in ("scjg", "wsjk"):
        _sign(c, d, request)
        for sig in (c.root / "sigs" / d).glob("final.*.sig"):
            shutil.copyfile(sig, inbox / sig.name)
    before = _size(c)
    code, out = _code(c, "request", "append", str(request), "--signatures", str(inbox),
                      "--site", str(c.site), "--at", AT)  # fmt: skip
    assert code == SIGNING_EXIT, out
    assert "缺少部门 xfjy" in out, out
    assert _size(c) == before
    # A signature file that claims xfjy but was made with wsjk's key is no xfjy signature.
    claim = json.loads((inbox / "final.wsjk.sig").read_bytes())
    claim["dept"] = "xfjy"
    (inbox / "final.xfjy.sig").write_bytes(
        json.dumps(claim, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    )
    code, out = _code(c, "request", "append", str(request), "--signatures", str(inbox),
                      "--site", str(c.site), "--at", AT)  # fmt: skip
    assert code == SIGNING_EXIT, out
    assert "不是部门 xfjy" in out, out
    _sign(c, "xfjy", request)
    shutil.copyfile(c.root / "sigs" / "xfjy" / "final.xfjy.sig", inbox / "final.xfjy.sig")
    c.run("request", "append", str(request), "--signatures", str(inbox), "--site", str(c.site),
          "--at", AT)  # fmt: skip
    assert _size(c) == before + 1
    c.run("verify", str(c.site / "draws"))
    # The ledger moved on: an earlier request is stale for an office with the new copy.
    out = _sign(c, "wsjk", c.root / "lead" / "announce.json", ok=False)
    assert "已过时" in out, out


def test_a_department_reveals_on_its_own_machine(county: County) -> None:
    """After the announcement above: wsjk prepares and signs its own reveal from its own secret
    and its own ledger copy; another department's key is refused and leaves nothing behind;
    the lead appends the two files and the entry carries wsjk's signature only."""
    c = county
    at = "2023-09-26T10:00:00+08:00"
    outbox = c.office("wsjk") / "reveal"
    args = ["draw", "reveal", kit.JOINT, "--dept", "wsjk", "--secrets",
            str(c.office("wsjk") / "secrets"), "--ledger", str(c.sync("wsjk")), "--out",
            str(outbox), "--at", at]  # fmt: skip
    code, out = _code(c, *args, "--key", c.key("xfjy"))
    assert code == SIGNING_EXIT, out
    assert not list(outbox.glob("*")), out  # nothing half-written
    before = _size(c)
    c.run(*args, "--key", c.key("wsjk"))
    inbox = c.root / "lead" / "reveal-wsjk"
    inbox.mkdir(parents=True)
    for sent in outbox.iterdir():
        shutil.copyfile(sent, inbox / sent.name)
    c.run("request", "append", str(inbox / f"{kit.JOINT}.reveal.wsjk.json"), "--signatures",
          str(inbox), "--site", str(c.site), "--at", at)  # fmt: skip
    assert _size(c) == before + 1
    line = (c.site / "draws" / "entries.jsonl").read_bytes().splitlines()[-1]
    entry = json.loads(line)
    assert entry["body"]["type"] == "draw.reveal"
    assert [s["key"].split("+")[0] for s in entry["sigs"]] == [
        "scjgj.yichuan.test/gongkai/dept/wsjk/1"
    ]
    assert not list((c.root / "lead").rglob("*.secret"))
    c.run("verify", str(c.site / "draws"))
