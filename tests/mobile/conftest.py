"""Fixtures of the mobile tests: the example county's year played up to 名单确认下发, built once
for the session (about two minutes), and a fresh copy of it for each test that writes to it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit


@pytest.fixture(scope="session")
def confirmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The confirmed site (:func:`mobile_kit.confirmed_site`); tests only read it."""
    return kit.confirmed_site(tmp_path_factory.mktemp("confirmed"))


@pytest.fixture
def site(confirmed: Path, tmp_path: Path) -> Path:
    """A copy of :func:`confirmed` of this test's own."""
    copy = tmp_path / "site"
    shutil.copytree(confirmed, copy)
    return copy
