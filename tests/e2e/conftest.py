"""Fixtures of the browser tests: Debian's Chromium through Playwright (skipped without them),
and the example site (``example_site`` of tests/conftest.py) served on 127.0.0.1 at the path
of its ``base_url``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from example_site import BASE_PATH, CHROMIUM, FLAGS, serve


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium (``/usr/bin/chromium``, never ``playwright install``), one per test module."""
    if not Path(CHROMIUM).exists():
        pytest.skip("缺少 /usr/bin/chromium（apt-get install chromium）")
    sync_api = pytest.importorskip("playwright.sync_api", reason="缺少 playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def example_url(tmp_path_factory: pytest.TempPathFactory, example_site: Path) -> Iterator[str]:
    """URL (ending in ``/``) of the example site, served from a web root where the site sits
    at its base path (a link), where its 404 page's root-absolute links point."""
    www = tmp_path_factory.mktemp("example-www")
    at = www / BASE_PATH.strip("/")
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(example_site, target_is_directory=True)
    for root in serve(www):
        yield root.rstrip("/") + BASE_PATH
