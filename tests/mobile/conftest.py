"""Fixtures of the mobile tests: the example county's year played up to 名单确认下发
(:func:`mobile_kit.confirmed_site` plays it once per process, ~20 s), as a read-only copy for the
session and a fresh copy for each test that writes to it."""

from __future__ import annotations

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
def site(tmp_path: Path) -> Path:
    """A copy of the confirmed site of this test's own."""
    return kit.confirmed_site(tmp_path)
