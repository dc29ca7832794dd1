"""Helpers of the phone app's browser tests (docs/mobile.md §8): serve a confirmed site's app,
download a file the page exports, enter and sign one result through the form, read the QR code
the page shows (§5.2) from a screenshot."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from example_site import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mobile"))

import mobile_kit as kit

RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"


def download(page: Any, button: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.click(button)
    info.value.save_as(to)
    return to


def scan(page: Any, selector: str = "#qr-code svg") -> tuple[str, dict[str, str]]:
    """The text of the one QR code in a screenshot of ``selector``, read by zxing-cpp as a
    scanner reads a screen, and what zxing-cpp says of the symbol (``Version``, ``ECLevel``).
    Skips the test when zxing-cpp or pillow is missing (``pip install -e '.[test]'``)."""
    import io

    zxingcpp = pytest.importorskip("zxingcpp", reason="缺少 zxing-cpp（pip install -e '.[test]'）")
    image = pytest.importorskip("PIL.Image", reason="缺少 pillow（pip install -e '.[test]'）")
    shot = image.open(io.BytesIO(page.locator(selector).screenshot()))
    found = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"截图中应恰好有一个二维码，读到 {len(found)} 个"
    return found[0].text, dict(found[0].extra)


def enter(page: Any, entity: str, categories: list[str], **fields: Any) -> None:
    page.click(f"button[data-entity='{entity}']")
    page.wait_for_selector("#form:not([hidden])")
    for word in categories:
        page.check(f"#f-categories input[value='{word}']")
    if "detail" in fields:
        page.fill("#f-detail", fields["detail"])
    if "measure" in fields:
        page.select_option("#f-measure", fields["measure"])
    if "photo" in fields:
        page.set_input_files(
            "#f-files",
            files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": fields["photo"]}],
        )
        page.wait_for_selector("#f-hashes li")
    page.click("#sign")
    page.wait_for_selector("#list:not([hidden])")
    assert "已签名" in page.text_content(f"button[data-entity='{entity}']")


def serve_app(site: Path) -> Iterator[str]:
    """``gongkai task app`` of :data:`mobile_kit.TASK` for :data:`mobile_kit.DEPT`, served on
    127.0.0.1 while the generator is suspended; yields the app's URL."""
    out = site.parent / "apps"
    made = kit.gk(site, "task", "app", kit.TASK, "--dept", kit.DEPT, "--out", str(out))
    assert made.exit_code == 0, made.output
    for root in serve(out):
        yield f"{root}{kit.TASK}/{kit.DEPT}.html"
