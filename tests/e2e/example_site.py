"""Helpers of the browser tests: serve a built site on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from generator.site.urls import base_path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The path of the example's ``base_url`` (``/…/``): its 404 page links there.
BASE_PATH = base_path(
    yaml.safe_load((ROOT / "content" / "gongkai.yaml").read_text(encoding="utf-8"))["base_url"]
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(out: Path) -> Iterator[str]:
    """Serve ``out`` on 127.0.0.1 (a free port) while the generator is suspended; yields the
    base URL ending in ``/``."""
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
