"""The offline phone app (docs/mobile.md §8) at 390×844 with the network cut, end to end.

``gongkai task app`` writes a team's app for a confirmed task (the example county's year played
up to 名单确认下发); it is served from 127.0.0.1, opened, and the network is cut
(``context.set_offline(True)``) before anything is entered. On the page the inspector makes a
WebCrypto Ed25519 key and exports the enrolment file, which the department enrols with the CLI;
then enters and signs three results — one with a problem ordered to be corrected (整改), one with
an attached photo recorded by its SHA-256 — and exports the bundle. ``gongkai results import``
publishes it and ``gongkai verify`` accepts the ledger. A copy of the bundle altered after
signing, a bundle of an inspector outside the business's team and a bundle of a revoked key are
refused with exit code 15 and nothing appended. No request leaves the page after it loaded.

Same requirements as ``test_browser.py`` (skipped without Chromium and Playwright).
"""

from __future__ import annotations

import hashlib
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

pytestmark = pytest.mark.browser

ME, OTHER = "62082301005", "62082301001"
PHOTO = b"\xff\xd8\xff\xe0 photo of the storeroom"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.confirmed_site(tmp_path_factory.mktemp("mobile-e2e"))


@pytest.fixture(scope="module")
def app_url(site: Path) -> Iterator[str]:
    yield from serve_app(site)


def test_three_results_signed_offline_are_imported_and_verify(
    browser: Any, site: Path, app_url: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url)
    context.set_offline(True)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("blob:") else None)

    page.select_option("#me", ME)
    page.click("#make-key")
    page.wait_for_selector("#list:not([hidden])")
    enrolment = download(page, "#export-enrol", site.parent / "me.enrol.json")
    enrolled = kit.gk(site, "inspector", "enroll", str(enrolment), "--dept", kit.DEPT)
    assert enrolled.exit_code == 0, enrolled.output

    mine = kit.team_of(site, ME)[:3]
    shown = page.eval_on_selector_all("#assignments button", "bs => bs.map(b => b.dataset.entity)")
    assert shown == kit.team_of(site, ME)
    enter(page, mine[0], ["未发现问题"])
    enter(
        page,
        mine[1],
        ["违反市场监管相关规定"],
        detail="进货查验记录不完整，责令限期整改",
        measure=RECTIFY,
    )
    enter(page, mine[2], ["未发现问题"], photo=PHOTO)
    # One hand at 390 px: nothing wider than the screen, every button at least 48 px high.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    heights = page.eval_on_selector_all(
        "button:not([hidden])",
        "bs => bs.filter(b => b.offsetParent).map(b => b.getBoundingClientRect().height)",
    )
    assert heights
    assert min(heights) >= 48
    bundle = download(page, "#export-bundle", site.parent / "me.bundle.json")
    assert not errors
    assert requests == []

    value = json.loads(bundle.read_bytes())
    assert bundle.read_bytes() == canonical.dumps(value) + b"\n"
    assert [r["result"]["entity"] for r in value["results"]] == mine
    assert value["results"][2]["attachments"] == [hashlib.sha256(PHOTO).hexdigest()]

    altered = json.loads(bundle.read_bytes())
    altered["results"][1]["result"]["followup"]["measure"] = (
        "未发现问题或相关问题已规范、已改正，无需后续处置"
    )
    altered["results"][1]["result"]["categories"] = ["未发现问题"]
    (site.parent / "altered.json").write_bytes(canonical.dumps(altered) + b"\n")
    before = kit.size(site)
    refused = kit.gk(
        site, "results", "import", str(site.parent / "altered.json"), "--dept", kit.DEPT
    )
    assert refused.exit_code == 15, refused.output
    assert "签名无效" in refused.output
    assert kit.size(site) == before

    imported = kit.gk(site, "results", "import", str(bundle), "--dept", kit.DEPT)
    assert imported.exit_code == 0, imported.output
    assert "新公示 3 条" in imported.output
    state = SiteRepo.open(site).state()
    published = {
        e.payload.result.entity: e.payload for e in state.entries if e.type == "result.publish"
    }
    assert sorted(published) == mine
    assert published[mine[1]].result.followup.measure == RECTIFY
    assert published[mine[2]].inspection.attachments == (hashlib.sha256(PHOTO).hexdigest(),)
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output

    # A fourth result signed on the phone, then the key is revoked: its bundle is refused.
    fourth = kit.team_of(site, ME)[3]
    enter(page, fourth, ["未发现问题"])
    late = download(page, "#export-bundle", site.parent / "late.bundle.json")
    keyref = json.loads(late.read_bytes())["key"]
    revoked = kit.gk(
        site, "inspector", "revoke", keyref, "--dept", kit.DEPT, "--reason", "compromised"
    )
    assert revoked.exit_code == 0, revoked.output
    before = kit.size(site)
    refused = kit.gk(site, "results", "import", str(late), "--dept", kit.DEPT)
    assert refused.exit_code == 15, refused.output
    assert "撤销" in refused.output
    assert kit.size(site) == before
    context.close()


def test_a_bundle_of_an_inspector_outside_the_team_is_refused(site: Path) -> None:
    signer = kit.key_for(site, OTHER, "other phone")
    enrolment = kit.write_enrolment(site, OTHER, signer, site.parent / "other.enrol.json")
    assert kit.gk(site, "inspector", "enroll", str(enrolment), "--dept", kit.DEPT).exit_code == 0
    foreign = next(e for e in kit.team_of(site, ME) if e not in kit.team_of(site, OTHER))
    result = kit.result_for(site, foreign)
    result = type(result)(**{**result.__dict__, "inspectors": (*result.inspectors, OTHER)})
    bundle = kit.write_bundle(site, signer, [result], site.parent / "other.bundle.json")
    before = kit.size(site)
    refused = kit.gk(site, "results", "import", str(bundle), "--dept", kit.DEPT)
    assert refused.exit_code == 15, refused.output
    assert "不在主体" in refused.output
    assert kit.size(site) == before
