"""Session fixtures of the browser tests: the example site, built once and served."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from example_site import BASE_PATH, build_example, serve


@pytest.fixture(scope="session")
def example_www(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A web root holding the example site (with its Pagefind index) at the path of its
    ``base_url``, where its 404 page's root-absolute links point."""
    www = tmp_path_factory.mktemp("example-www")
    build_example(www / BASE_PATH.strip("/"))
    return www


@pytest.fixture(scope="session")
def example_site_dir(example_www: Path) -> Path:
    """The built example site."""
    return example_www / BASE_PATH.strip("/")


@pytest.fixture(scope="session")
def example_site(example_www: Path) -> Iterator[str]:
    """URL (ending in ``/``) of the example site served on 127.0.0.1 at its base path."""
    for root in serve(example_www):
        yield root.rstrip("/") + BASE_PATH
