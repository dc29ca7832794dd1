"""Key lifecycle through signing requests (docs/signing.md §9, docs/ledger.md §13.3).

``gongkai keys add|revoke|rotate-root|rotate-log`` only prepare a request; every root holder
(and the key the entry is about, where the rules need it) signs it with ``gongkai sign`` and
only their own key; ``gongkai request append`` assembles and appends it. Each test starts from a
fresh non-example site (``fresh_site``: three root keys, threshold 2, keys for scjg and wsjk).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.ledgerops import append_entries, open_store, read_trust
from ledger.entries import make_entry
from ledger.errors import LedgerError
from ledger.keys import read_private_key
from tests.workflow.fresh_site import ORIGIN, Site, new_site

ROOT = "scjg.test.example/gongkai/root/{}"
SIGNING_EXIT = 14
WORKFLOW_EXIT = 11
VERIFY_EXIT = 4  # README 退出码: the ledger does not verify


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return new_site(tmp_path)


def _root(s: Site, n: int) -> str:
    return s.root_key(n)


def _size(s: Site) -> int:
    return len((s.root / "draws" / "entries.jsonl").read_bytes().splitlines())


def _request(s: Site, name: str, *args: str, at: str = "2024-01-10") -> Path:
    request = s.root.parent / "requests" / f"{name}.json"
    request.parent.mkdir(exist_ok=True)
    s.run("keys", *args, "--out", str(request), "--site", str(s.root), "--at", at)
    return request


def _sign(s: Site, request: Path, key: str, *, ok: bool = True, at: str = "2024-01-10") -> str:
    """``gongkai sign`` on the holder's own machine: its key, its copy of the ledger."""
    sigs = request.parent / f"{request.stem}.sigs"
    result = s.run("sign", str(request), "--key", key, "--ledger", str(s.root / "draws"),
                   "--out", str(sigs), "--at", at, ok=ok)  # fmt: skip
    if not ok:
        assert result.exit_code == SIGNING_EXIT, result.output
    return result.output


def _append(s: Site, request: Path, *extra: str, ok: bool = True, at: str = "2024-01-10") -> str:
    sigs = request.parent / f"{request.stem}.sigs"
    sigs.mkdir(exist_ok=True)
    result = s.run("request", "append", str(request), "--signatures", str(sigs), "--site",
                   str(s.root), "--at", at, *extra, ok=ok)  # fmt: skip
    return result.output


def _log(s: Site) -> list[str]:
    return ["--log-key", s.log_key]


def _verify(s: Site) -> None:
    """The independent verifier accepts the whole ledger (exit code 0)."""
    s.run("verify", str(s.root / "draws"), "--workers", "1", "--no-update-pin")


def test_revocation_keeps_earlier_entries_and_refuses_later_ones(site: Site) -> None:
    s = site
    s.site("plan", "publish", "2024", "--at", "2024-01-09", dept="scjg")  # signed before
    before = _size(s)
    ref = read_private_key(s.dept_key("scjg")).verifier().key_ref
    request = _request(s, "revoke", "revoke", ref, "--reason", "compromised")
    assert "撤销密钥：" + ref in json.loads(request.read_text(encoding="utf-8"))["summary"]
    _sign(s, request, s.dept_key("wsjk"), ok=False)  # another department's key: refused
    _sign(s, request, _root(s, 1))
    out = _append(s, request, *_log(s), ok=False)
    assert "根密钥签名（已有 1 个，门限 2" in out, out
    assert _size(s) == before
    _sign(s, request, _root(s, 3))
    _append(s, request, *_log(s))
    revoked_at = before
    _verify(s)  # the plan.publish signed before the revocation still verifies
    lines = (s.root / "draws" / "entries.jsonl").read_bytes().splitlines()
    assert json.loads(lines[revoked_at])["body"]["type"] == "key.revoke"
    # After it, the CLI refuses the key (nothing written) ...
    result = s.site("task", "invite", "2024-YYYC-CY", "--at", "2024-01-11", dept="scjg", ok=False)
    assert result.exit_code == WORKFLOW_EXIT, result.output
    assert "不是部门“scjg”在账本中登记的有效密钥" in result.output
    assert _size(s) == revoked_at + 1
    # ... and so does the ledger itself for a line signed by it, whoever writes it.
    body = {**json.loads(lines[revoked_at - 1])["body"], "id": "plan.publish/again",
            "ts": "2024-01-11T01:00:00Z"}  # fmt: skip
    assert body["type"] == "plan.publish"
    line = make_entry(ORIGIN, body, [read_private_key(s.dept_key("scjg"))])
    with pytest.raises(LedgerError, match="签名密钥未登记或无权签署"):
        append_entries(s.root / "draws", [line], read_private_key(s.log_key))
    assert _size(s) == revoked_at + 1
    # An operator who writes it anyway, bypassing every check, is caught by the verifier.
    store = open_store(s.root / "draws", read_trust(s.root / "draws"))
    store.append([line], [read_private_key(s.log_key)], None)
    result = s.run("verify", str(s.root / "draws"), "--workers", "1", "--no-update-pin", ok=False)
    assert result.exit_code == VERIFY_EXIT, result.output
    assert f"第 {revoked_at + 1} 条条目" in result.output, result.output


def test_a_department_may_revoke_its_own_key_alone(site: Site) -> None:
    s = site
    ref = read_private_key(s.dept_key("wsjk")).verifier().key_ref
    request = _request(s, "self-revoke", "revoke", ref, "--reason", "rotated")
    _sign(s, request, s.dept_key("scjg"), ok=False)
    _sign(s, request, s.dept_key("wsjk"))
    assert (request.parent / "self-revoke.sigs").is_dir()
    _append(s, request, *_log(s))
    _verify(s)
    again = s.run("keys", "revoke", ref, "--reason", "rotated", "--out",
                  str(s.root.parent / "again.json"), "--site", str(s.root), ok=False)  # fmt: skip
    assert again.exit_code == SIGNING_EXIT, again.output
    assert "已在第" in again.output, again.output


def test_root_rotation_each_holder_signs_alone(site: Site) -> None:
    s = site
    new = s.root.parent / "new-roots"
    for n in (4, 5):
        s.run("keys", "new", "--name", ROOT.format(n), "--out", str(new / str(n)))
    pubs = [str(new / str(n) / f"{ROOT.format(n).replace('/', '_')}.pub") for n in (4, 5)]
    keys4, keys5 = (p[: -len(".pub")] + ".key" for p in pubs)
    old1 = _root(s, 1).removesuffix(".key") + ".pub"
    request = _request(s, "roots", "rotate-root", "--root-pub", old1, "--root-pub", pubs[0],
                       "--root-pub", pubs[1], "--threshold", "2")  # fmt: skip
    before = _size(s)
    for key in (_root(s, 1), _root(s, 2), keys4):
        _sign(s, request, key)
    out = _append(s, request, *_log(s), ok=False)
    assert "持有证明" in out, out  # root 5 has not proved possession
    assert ROOT.format(5) in out, out
    assert _size(s) == before
    _sign(s, request, keys5)
    _append(s, request, *_log(s))
    _verify(s)
    # Root 2 is no longer a root: it may not sign; roots 4 and 5 may.
    ref = read_private_key(s.dept_key("wsjk")).verifier().key_ref
    revoke = _request(s, "after", "revoke", ref, "--reason", "rotated")
    assert "不能签署该条目" in _sign(s, revoke, _root(s, 2), ok=False)
    _sign(s, revoke, keys4)
    _sign(s, revoke, keys5)
    _append(s, revoke, *_log(s))
    _verify(s)


def test_log_key_rotation(site: Site) -> None:
    s = site
    new = s.root.parent / "new-log"
    s.run("keys", "new", "--name", ORIGIN, "--out", str(new))
    pub = new / f"{ORIGIN.replace('/', '_')}.pub"
    new_key = str(pub)[: -len(".pub")] + ".key"
    request = _request(s, "log", "rotate-log", "--log-pub", str(pub))
    _sign(s, request, _root(s, 2))
    _sign(s, request, _root(s, 3))
    before = _size(s)
    out = _append(s, request, *_log(s), ok=False)
    assert "--new-log-key" in out, out
    assert _size(s) == before
    anchor = (s.root / "draws" / "trust.txt").read_bytes()
    _append(s, request, *_log(s), "--new-log-key", new_key)
    trust = read_trust(s.root / "draws")
    assert [v.vkey for v in trust.log_keys][1] == pub.read_text(encoding="utf-8").strip()
    _verify(s)
    # An append interrupted before trust.txt was rewritten: the next use of the new key, which
    # the verified ledger names, finishes it.
    rotated = (s.root / "draws" / "trust.txt").read_bytes()
    (s.root / "draws" / "trust.txt").write_bytes(anchor)
    s.run("plan", "publish", "2024", "--site", str(s.root), "--key", s.dept_key("scjg"),
          "--log-key", new_key, "--at", "2024-01-10")  # fmt: skip
    assert (s.root / "draws" / "trust.txt").read_bytes() == rotated
    _verify(s)
    # The old log key is refused from now on; the new one signs the next checkpoint.
    invite = ["task", "invite", "2024-YYYC-CY", "--site", str(s.root), "--key",
              s.dept_key("scjg"), "--at", "2024-01-15"]  # fmt: skip
    old = s.run(*invite, "--log-key", s.log_key, ok=False)
    assert old.exit_code == WORKFLOW_EXIT, old.output
    assert "已被 logkey.rotate 替换" in old.output
    s.run(*invite, "--log-key", new_key)
    _verify(s)
    store = open_store(s.root / "draws", read_trust(s.root / "draws"))
    assert store.read_state().checkpoint is not None


def test_key_add_through_a_request(site: Site) -> None:
    s = site
    office = s.root.parent / "office-xfjy"
    s.run("keys", "new", "--content", str(s.content), "--dept", "wsjk", "--out", str(office))
    key = office / "scjg.test.example_gongkai_dept_wsjk_2.key"
    pub = str(key)[: -len(".key")] + ".pub"
    request = _request(s, "add", "add", pub, "--dept", "wsjk")
    _sign(s, request, _root(s, 1))
    _sign(s, request, _root(s, 2))
    out = _append(s, request, *_log(s), ok=False)
    assert "持有证明" in out, out  # the department has not signed with the new key yet
    _sign(s, request, str(key))
    _append(s, request, *_log(s))
    _verify(s)
