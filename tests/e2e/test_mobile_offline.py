"""The phone app offline and installable (docs/mobile.md §8.1), in Chromium.

Served over http://127.0.0.1 (a secure context, as HTTPS is), the app registers its service
worker, which caches the page after checking its SHA-256; Chromium reports no installability
error. Then the web server is stopped and the network cut: the page still reloads and opens in a
new tab, and a key is made and a result signed. A copy of the page changed after generation is
not cached (the worker's install fails). Opened from a file, the page works and fetches nothing.

Same requirements as ``test_browser.py`` (skipped without Chromium and Playwright).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mobile"))

import mobile_kit as kit
from example_site import CHROMIUM, FLAGS
from phone_kit import enter

pytestmark = pytest.mark.browser

ME = "62082301005"
#: Registers the page's worker as the page does and resolves to the state it settles in.
SETTLE = """async () => {
  const reg = await navigator.serviceWorker.register(`${DEPT}.sw.js`,
    { scope: location.href.split(/[?#]/)[0] });
  const worker = reg.installing || reg.waiting || reg.active;
  if (worker.state === 'activated' || worker.state === 'redundant') return worker.state;
  return await new Promise((resolve) => worker.addEventListener('statechange', () => {
    if (worker.state === 'activated' || worker.state === 'redundant') resolve(worker.state);
  }));
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server:
    """A web server on 127.0.0.1 for ``root`` that the test can stop."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = kit.confirmed_site(tmp_path_factory.mktemp("mobile-offline"))
    out = site.parent / "apps"
    made = kit.gk(site, "task", "app", kit.TASK, "--dept", kit.DEPT, "--out", str(out))
    assert made.exit_code == 0, made.output
    return out / kit.TASK


@pytest.fixture
def server(apps: Path, tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    shutil.copytree(apps, root)
    running = Server(root)
    yield running
    running.stop()


def _settle(page: Any) -> str:
    state: str = page.evaluate(SETTLE.replace("${DEPT}", kit.DEPT))
    return state


def test_the_app_opens_and_signs_with_the_server_gone(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    # A profile on disk, as a phone's browser has (an incognito context cannot install apps).
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 390, "height": 844},
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = f"{server.url}{kit.DEPT}.html"
    page.goto(url)
    assert _settle(page) == "activated"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    server.stop()
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#setup:not([hidden])")
    again = context.new_page()
    again.goto(url)
    again.wait_for_selector("#setup:not([hidden])")
    again.close()
    page.select_option("#me", ME)
    page.click("#make-key")
    page.wait_for_selector("#list:not([hidden])")
    first = page.eval_on_selector("#assignments button", "b => b.dataset.entity")
    enter(page, first, ["未发现问题"])
    assert not errors
    context.close()


def test_a_page_changed_after_generation_is_not_cached(browser: Any, server: Server) -> None:
    html = server.root / f"{kit.DEPT}.html"
    html.write_bytes(html.read_bytes().replace("移动检查".encode(), "移动检查（改）".encode(), 1))
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}{kit.DEPT}.html")
    assert _settle(page) == "redundant"
    assert page.evaluate("() => caches.keys()") == []
    context.close()


def test_opened_from_a_file_it_works_and_fetches_nothing(browser: Any, apps: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    url = (apps / f"{kit.DEPT}.html").as_uri()
    page.goto(url)
    page.wait_for_selector("#setup:not([hidden])")
    page.select_option("#me", ME)
    page.click("#make-key")
    page.wait_for_selector("#list:not([hidden])")
    assert requests == [url]
    assert page.evaluate("() => document.querySelector('link[rel=manifest]')") is None
    assert not errors
    context.close()
