"""The business page's in-browser check of inspectors' signatures (static/verify/inspection-v1.js,
docs/mobile.md §10), on the example site: a phone-signed result verifies (“验证通过”); an entry
changed in entries.jsonl fails on the checkpoint's root; a forgery that keeps every other check
true — the result's text changed, the entry re-signed with the (public) example department key
and the checkpoint re-signed with the (public) example log key — fails on the inspector's
signature alone; and once the department revokes the inspector's key as compromised from that
result's index, or the department key is revoked so, the result verifies but is flagged
(“验证通过（已标记）”, §3).

Same requirements as ``test_browser.py`` (skipped without Chromium and Playwright).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from example_site import BASE_PATH, serve

from generator.keynames import dept_key_name
from ledger import canonical
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entries import make_entry
from ledger.examplekeys import example_signer
from ledger.merkle import RootBuilder, leaf_hash

pytestmark = pytest.mark.browser


def _signed_line(ledger: Path) -> tuple[int, dict[str, Any]]:
    for i, line in enumerate((ledger / "entries.jsonl").read_bytes().splitlines()):
        value = json.loads(line)
        if value["body"]["type"] == "result.publish" and "inspection" in value["body"]:
            return i, value
    raise AssertionError("no phone-signed result in the example ledger")


def _check(browser: Any, url: str) -> str:
    page = browser.new_page()
    page.goto(url)
    page.click("button.gk-inspection")
    page.wait_for_function(
        "() => /^验证(通过|失败)/.test(document.querySelector('.gk-inspection-status').textContent)",
        timeout=60000,
    )
    text: str = page.text_content(".gk-inspection-status")
    page.close()
    return text


@pytest.fixture(scope="module")
def copies(example_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three copies of the example site under one web root: ``moved/`` (an entry line changed),
    ``forged/`` (changed, re-signed, new checkpoint) and ``flagged/`` (the inspector's key then
    revoked by the department as compromised from that result's index, new checkpoint)."""
    www = tmp_path_factory.mktemp("inspection-www")
    index, value = _signed_line(example_site / "ledger")
    for name in ("moved", "forged", "flagged", "dept-flagged"):
        site = www / name / BASE_PATH.strip("/")
        shutil.copytree(example_site, site, symlinks=True)
        ledger = site / "ledger"
        lines = (ledger / "entries.jsonl").read_bytes().splitlines()
        body = dict(value["body"], result=dict(value["body"]["result"], detail="（签名后改动）"))
        origin = (ledger / "trust.txt").read_text().split("\norigin ", 1)[1].split("\n", 1)[0]
        dept = example_signer(dept_key_name(origin, body["dept"]))
        if name == "moved":
            lines[index] = canonical.dumps(dict(value, body=body))
        else:
            if name == "forged":
                lines[index] = make_entry(origin, body, [dept])
            elif name == "flagged":
                lines.append(make_entry(origin, _revoke(value["body"], index), [dept]))
            else:
                lines.append(make_entry(origin, _dept_revoke(value, index), [dept]))
            tree = RootBuilder()
            tree.extend(leaf_hash(line) for line in lines)
            note = sign_checkpoint(
                Checkpoint(origin, len(lines), tree.root()), [example_signer(origin)]
            )
            (ledger / "checkpoint").write_bytes(note)
        (ledger / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    yield from serve(www)


def _revoke(result: dict[str, Any], index: int) -> dict[str, Any]:
    """The ``inspector.revoke`` of the key that signed ``result``, compromised from ``index``."""
    ref = result["inspection"]["sigs"][0]["key"]
    return {
        "compromised_from_index": index,
        "dept": result["dept"],
        "id": f"inspector.revoke/{result['dept']}/{ref.rsplit('+', 1)[1]}",
        "key": ref,
        "reason": "compromised",
        "ts": "2024-12-31T00:00:00Z",
        "type": "inspector.revoke",
    }


def test_a_phone_signed_result_verifies_in_the_browser(
    browser: Any, example_url: str, example_site: Path
) -> None:
    _, value = _signed_line(example_site / "ledger")
    text = _check(browser, f"{example_url}entities/{value['body']['result']['entity']}/")
    assert text.startswith("验证通过："), text
    assert "在手机上签名" in text
    assert "已标记" not in text


def test_an_entry_changed_in_the_published_ledger_fails(
    browser: Any, copies: str, example_site: Path
) -> None:
    _, value = _signed_line(example_site / "ledger")
    text = _check(browser, f"{copies}moved{BASE_PATH}entities/{value['body']['result']['entity']}/")
    assert text.startswith("验证失败"), text
    assert "默克尔根" in text


def test_a_result_re_signed_by_the_department_fails_on_the_inspector_signature(
    browser: Any, copies: str, example_site: Path
) -> None:
    _, value = _signed_line(example_site / "ledger")
    text = _check(
        browser, f"{copies}forged{BASE_PATH}entities/{value['body']['result']['entity']}/"
    )
    assert text.startswith("验证失败"), text
    assert "签名无效" in text


def _dept_revoke(entry: dict[str, Any], index: int) -> dict[str, Any]:
    """The ``key.revoke`` of the department key that signed ``entry``, by the key itself,
    compromised from ``index`` (docs/ledger.md §13.3)."""
    ref = entry["sigs"][0]["key"]
    return {
        "compromised_from_index": index,
        "id": f"key.revoke/{entry['body']['dept']}/{ref.rsplit('+', 1)[1]}",
        "key": ref,
        "reason": "compromised",
        "ts": "2024-12-31T00:00:00Z",
        "type": "key.revoke",
    }


def test_a_result_signed_after_the_declared_compromise_is_flagged(
    browser: Any, copies: str, example_site: Path
) -> None:
    _, value = _signed_line(example_site / "ledger")
    text = _check(
        browser, f"{copies}flagged{BASE_PATH}entities/{value['body']['result']['entity']}/"
    )
    assert text.startswith("验证通过（已标记）"), text
    assert "注意：该检查人员密钥已声明泄露。" in text
    assert "不能证明是本人所签" in text


def test_a_department_key_declared_compromised_is_flagged_too(
    browser: Any, copies: str, example_site: Path
) -> None:
    _, value = _signed_line(example_site / "ledger")
    entity = value["body"]["result"]["entity"]
    text = _check(browser, f"{copies}dept-flagged{BASE_PATH}entities/{entity}/")
    assert text.startswith("验证通过（已标记）"), text
    assert f"注意：部门密钥 {value['sigs'][0]['key']} 已于第" in text
    assert "部门的签名已标记为可疑" in text
    assert "该检查人员密钥已声明泄露" not in text
