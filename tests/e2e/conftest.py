"""Fixtures of the browser tests: the example site (``example_site`` of tests/conftest.py)
served on 127.0.0.1 at the path of its ``base_url``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from example_site import BASE_PATH, serve


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
