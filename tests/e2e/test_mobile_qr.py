"""The enrolment file and a small bundle shown as QR codes on the phone (docs/mobile.md §5.2),
scanned from a screenshot and passed to the CLI, at 390×844 with the network cut.

The app of ``test_mobile_app.py`` is opened at a phone's pixel ratio (3). The inspector makes his
key and shows the enrolment file as a QR code; zxing-cpp reads it from a screenshot (as a
department's scanner reads the screen) and ``gongkai inspector enroll --qr-text`` enrols it. He
signs three results, one of them with a long 具体情况 so that the bundle needs several codes,
and shows the bundle's codes one after another; their texts put together are exactly the bundle
file the page exports. A part left out is refused (exit code 15, nothing appended); all parts,
given in reverse order, are imported by ``gongkai results import --qr-text`` and ``gongkai
verify`` accepts the ledger. A result whose text makes the bundle too large for 9 codes turns
the QR button off, with the reason. No request leaves the page after it loaded.

Same requirements as ``test_browser.py``, and zxing-cpp with pillow (the ``test`` extra).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mobile"))

import mobile_kit as kit
from phone_kit import RECTIFY, download, enter, scan, serve_app

from generator.mobile import qrparts
from generator.workflow.site import SiteRepo

pytestmark = pytest.mark.browser

ME = "62082301005"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.confirmed_site(tmp_path_factory.mktemp("mobile-qr"))


@pytest.fixture(scope="module")
def app_url(site: Path) -> Iterator[str]:
    yield from serve_app(site)


def _hanzi(label: str, count: int) -> str:
    """``count`` CJK ideographs drawn from SHA-256 of ``label`` (text that hardly compresses)."""
    out = []
    for i in range(count):
        n = int.from_bytes(hashlib.sha256(f"{label}/{i}".encode()).digest()[:4], "big")
        out.append(chr(0x4E00 + n % 20000))
    return "".join(out)


def _fit(page: Any) -> None:
    """One hand at 390 px: nothing wider than the screen, every visible button ≥ 48 px high."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    heights = page.eval_on_selector_all(
        "button", "bs => bs.filter(b => b.offsetParent).map(b => b.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 48


def _scan_all(page: Any) -> list[str]:
    """Every code of the QR screen, read one after the other with “下一张”."""
    texts = []
    while True:
        text, symbol = scan(page)
        assert symbol["ECLevel"] == "M"
        assert int(symbol["Version"]) <= 25
        assert page.get_attribute("#qr-code svg", "data-modules") == str(
            17 + 4 * int(symbol["Version"])
        )
        texts.append(text)
        if page.is_disabled("#qr-next") or page.is_hidden("#qr-next"):
            return texts
        page.click("#qr-next")
        page.wait_for_function(
            f"document.getElementById('qr-code').dataset.part === '{len(texts) + 1}'"
        )


def test_enrolment_and_bundle_travel_as_qr_codes(browser: Any, site: Path, app_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, accept_downloads=True
    )
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
    assert page.is_disabled("#qr-bundle")  # nothing signed yet
    assert "还没有签名的结果" in page.text_content("#qr-bundle")
    page.click("#qr-enrol")
    page.wait_for_selector("#qr:not([hidden]) #qr-code svg")
    _fit(page)
    assert page.text_content("#qr-count") == "共 1 张"
    assert page.is_hidden("#qr-prev")  # one code: no paging
    assert page.is_hidden("#qr-next")
    enrol_text, symbol = scan(page)
    assert symbol["ECLevel"] == "M"
    assert enrol_text.startswith(f"{qrparts.PREFIX}1/1:")
    page.set_viewport_size({"width": 360, "height": 740})  # the narrowest phone: resized to fit
    page.wait_for_function(
        "document.querySelector('#qr-code svg').getBoundingClientRect().right <= 360"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert scan(page)[0] == enrol_text
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#qr-back")
    page.wait_for_selector("#list:not([hidden])")
    enrolment = download(page, "#export-enrol", site.parent / "me.enrol.json")
    assert [f.data for f in qrparts.decode([enrol_text])] == [enrolment.read_bytes()]

    before = kit.size(site)
    cut = enrol_text[:-8]  # a scan cut short
    refused = kit.gk(site, "inspector", "enroll", "--qr-text", cut, "--dept", kit.DEPT)
    assert refused.exit_code == 15, refused.output
    assert kit.size(site) == before
    enrolled = kit.gk(site, "inspector", "enroll", "--qr-text", enrol_text, "--dept", kit.DEPT)
    assert enrolled.exit_code == 0, enrolled.output
    assert kit.size(site) == before + 1

    mine = kit.team_of(site, ME)[:3]
    enter(page, mine[0], ["未发现问题"])
    long_detail = "进货查验记录不完整，责令限期整改。" + _hanzi("detail", 1500)
    enter(page, mine[1], ["违反市场监管相关规定"], detail=long_detail, measure=RECTIFY)
    enter(page, mine[2], ["未发现问题"], detail="店主说：\"'<b>没问题</b>'\"")
    page.wait_for_function("!document.getElementById('qr-bundle').disabled")
    label = page.text_content("#qr-bundle")
    page.click("#qr-bundle")
    page.wait_for_selector("#qr:not([hidden]) #qr-code svg")
    _fit(page)
    assert page.is_disabled("#qr-prev")
    page.screenshot(path=str(site.parent / "qr-first.png"))
    texts = _scan_all(page)
    assert len(texts) >= 3, "the long 具体情况 makes the bundle take several codes"
    assert label == f"用二维码传送结果包（{len(texts)} 张）"
    assert page.text_content("#qr-count") == f"第 {len(texts)} 张，共 {len(texts)} 张"
    assert [t.split(":")[1] for t in texts] == [
        f"{i}/{len(texts)}" for i in range(1, len(texts) + 1)
    ]
    page.click("#qr-back")
    page.wait_for_selector("#list:not([hidden])")
    bundle = download(page, "#export-bundle", site.parent / "me.bundle.json")
    assert [f.data for f in qrparts.decode(texts)] == [bundle.read_bytes()]

    before = kit.size(site)
    missing = [a for t in texts[1:] for a in ("--qr-text", t)]
    refused = kit.gk(site, "results", "import", *missing, "--dept", kit.DEPT)
    assert refused.exit_code == 15, refused.output
    assert "缺第 1 张" in refused.output
    assert kit.size(site) == before
    shuffled = [a for t in reversed(texts) for a in ("--qr-text", t)]
    imported = kit.gk(site, "results", "import", *shuffled, "--dept", kit.DEPT)
    assert imported.exit_code == 0, imported.output
    assert "新公示 3 条" in imported.output
    state = SiteRepo.open(site).state()
    published = {
        e.payload.result.entity: e.payload for e in state.entries if e.type == "result.publish"
    }
    assert sorted(published) == mine
    assert published[mine[1]].result.detail == long_detail
    assert published[mine[1]].result.followup.measure == RECTIFY
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output

    # A result whose text cannot be compressed much: the bundle no longer fits in 9 codes.
    fourth = kit.team_of(site, ME)[3]
    enter(page, fourth, ["违反市场监管相关规定"], detail=_hanzi("huge", 6000), measure=RECTIFY)
    page.wait_for_function("document.getElementById('qr-bundle').textContent.includes('太大')")
    assert page.is_disabled("#qr-bundle")
    assert "超过 9 张" in page.text_content("#qr-bundle")
    _fit(page)
    assert not errors
    assert requests == []
    context.close()
