"""Two inspectors of a team, each with the app on his own phone (two browser contexts: separate
storage, separate keys), co-sign results with the network cut (docs/mobile.md §5.1, §8).

Phone A enters and signs three results — two of businesses it shares with B, one of its own —
and exports a v1 bundle. Phone B loads that bundle, sees each result to review, cannot co-sign
the business outside its team, co-signs the two others and exports a v2 bundle carrying A's
signatures unchanged and its own, in key order. The department imports both bundles in one
command: three results, two of them with both signatures, and ``gongkai verify`` accepts the
ledger. No request leaves either page after it loaded.

Same requirements as ``test_browser.py`` (skipped without Chromium and Playwright).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mobile"))

import mobile_kit as kit
from phone_kit import RECTIFY, download, enter, serve_app

from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.payloads import ResultPublish

pytestmark = pytest.mark.browser

A = "62082301005"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.confirmed_site(tmp_path_factory.mktemp("mobile-cosign"))


@pytest.fixture(scope="module")
def app_url(site: Path) -> Iterator[str]:
    yield from serve_app(site)


class Phone:
    """One handset: a browser context of its own, offline once the app is loaded, with a key
    made for ``inspector`` and enrolled by the department."""

    def __init__(self, browser: Any, url: str, site: Path, inspector: str) -> None:
        self.context = browser.new_context(
            viewport={"width": 390, "height": 844}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.context.set_offline(True)
        self.page.on(
            "request",
            lambda r: self.requests.append(r.url) if not r.url.startswith("blob:") else None,
        )
        self.page.select_option("#me", inspector)
        self.page.click("#make-key")
        self.page.wait_for_selector("#list:not([hidden])")
        enrolment = download(self.page, "#export-enrol", site.parent / f"{inspector}.enrol.json")
        enrolled = kit.gk(site, "inspector", "enroll", str(enrolment), "--dept", kit.DEPT)
        assert enrolled.exit_code == 0, enrolled.output


def test_a_second_phone_cosigns_and_both_signatures_are_published(
    browser: Any, site: Path, app_url: str
) -> None:
    pair = kit.pair_of(site, A)
    first, second = pair.shared[:2]
    a = Phone(browser, app_url, site, A)
    enter(a.page, first, ["违反市场监管相关规定"], detail="进货查验记录不完整", measure=RECTIFY)
    enter(a.page, second, ["未发现问题"])
    enter(a.page, pair.only_a, ["未发现问题"])
    from_a = download(a.page, "#export-bundle", site.parent / "a.bundle.json")
    assert json.loads(from_a.read_bytes())["format"] == "gongkai-result-bundle/v1"

    b = Phone(browser, app_url, site, pair.partner)
    b.page.set_input_files("#cosign-file", str(from_a))
    b.page.wait_for_selector("#cosign:not([hidden])")
    assert "来自" in b.page.text_content("#cosign-from")
    outside = b.page.locator(f"button[data-cosign='{pair.only_a}']")
    assert outside.is_disabled()
    assert "不在您的检查对象中" in outside.text_content()
    review = b.page.text_content("#cosign-results")
    assert "进货查验记录不完整" in review
    assert RECTIFY in review
    for entity in (first, second):
        b.page.click(f"button[data-cosign='{entity}']")
        b.page.wait_for_function(
            f"() => document.querySelector(\"button[data-cosign='{entity}']\").textContent"
            " === '已共同签名'"
        )
    b.page.click("#cosign-back")
    b.page.wait_for_selector("#list:not([hidden])")
    assert "共同签名" in b.page.text_content(f"button[data-entity='{first}']")
    from_b = download(b.page, "#export-bundle", site.parent / "b.bundle.json")
    for phone in (a, b):
        assert not phone.errors
        assert phone.requests == []
        phone.context.close()

    value = json.loads(from_b.read_bytes())
    assert from_b.read_bytes() == canonical.dumps(value) + b"\n"
    assert value["format"] == "gongkai-result-bundle/v2"
    assert [r["result"]["entity"] for r in value["results"]] == [first, second]
    a_sigs = {r["result"]["entity"]: r["sig"] for r in json.loads(from_a.read_bytes())["results"]}
    a_key = json.loads(from_a.read_bytes())["key"]
    for r in value["results"]:
        keys = [s["key"] for s in r["sigs"]]
        assert keys == sorted(keys)
        assert len(keys) == 2
        assert {"key": a_key, "sig": a_sigs[r["result"]["entity"]]} in r["sigs"]

    imported = kit.gk(site, "results", "import", str(from_a), str(from_b), "--dept", kit.DEPT)
    assert imported.exit_code == 0, imported.output
    assert "新公示 3 条（其中多人共同签名 2 条）" in imported.output
    state = SiteRepo.open(site).state()
    signers = {
        e.payload.result.entity: len(e.payload.inspection.sigs)
        for e in state.entries
        if isinstance(e.payload, ResultPublish) and e.payload.inspection is not None
    }
    assert signers == {first: 2, second: 2, pair.only_a: 1}
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output
