"""Follow the site's ``/ledger/`` page as a reader would: fetch it over HTTP from 127.0.0.1,
download the archive it links, then run the commands it shows, as written.

Shared by tests/site/test_ledger_page.py (the test's own Python) and tests/packaging (a fresh
venv holding only what the page says to install)."""

from __future__ import annotations

import functools
import http.server
import shlex
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin


@dataclass
class LedgerPage:
    """What the page says: its links, its commands by step, and the trust anchor it shows."""

    links: dict[str, str] = field(default_factory=dict)  # link text → href
    commands: dict[str, str] = field(default_factory=dict)  # data-step → command text
    trust: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = LedgerPage()
        self._href: str | None = None
        self._step: str | None = None
        self._trust = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a":
            self._href, self._text = a.get("href"), []
        elif tag == "code" and a.get("class") == "cmd":
            self._step, self._text = a.get("data-step"), []
        elif tag == "pre" and a.get("id") == "trust-text":
            self._trust, self._text = True, []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text)
        if tag == "a" and self._href is not None:
            self.page.links[text.strip()] = self._href
            self._href = None
        elif tag == "code" and self._step is not None:
            self.page.commands[self._step] = text
            self._step = None
        elif tag == "pre" and self._trust:
            self.page.trust = text
            self._trust = False


def read_page(html: str) -> LedgerPage:
    """Parse the ledger page."""
    reader = _Reader()
    reader.feed(html)
    return reader.page


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        finally:
            httpd.shutdown()
            thread.join()


def run_step(
    page: LedgerPage, step: str, cwd: Path, python: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command of ``step`` as the page shows it, in ``cwd``; its ``python3`` is
    ``python`` (the interpreter that stands for the reader's)."""
    words = shlex.split(page.commands[step])
    if words[0] == "python3":
        words = [*python, *words[1:]]
    return subprocess.run(
        words, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def follow(
    site_url: str,
    workdir: Path,
    python: list[str],
    *,
    install: bool,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Do what ``/ledger/`` says, in the empty directory ``workdir``: (1) install the packages it
    names (when ``install``), (2) download the archive it links and unpack it with its command,
    (3) save its trust anchor as ``trust.txt``, (4) run its verify command. Returns (4)'s run.

    Raises:
        AssertionError: if a step fails before the last one.
    """
    page_url = urljoin(site_url, "ledger/")
    with urllib.request.urlopen(page_url) as response:
        page = read_page(response.read().decode("utf-8"))
    if install:
        done = run_step(page, "install", workdir, python, env)
        assert done.returncode == 0, done.stdout + done.stderr
    archive_href = page.links["ledger.tar.gz"]
    with urllib.request.urlopen(urljoin(page_url, archive_href)) as response:
        (workdir / Path(archive_href).name).write_bytes(response.read())
    done = run_step(page, "unpack", workdir, python, env)
    assert done.returncode == 0, done.stdout + done.stderr
    (workdir / "trust.txt").write_text(page.trust, encoding="utf-8")
    return run_step(page, "verify", workdir, python, env)
