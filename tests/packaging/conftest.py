"""Fixtures of the packaging tests: a wheel of the checkout installed into a fresh virtual
environment outside it, with its dependencies from PyPI (these tests need the network; they run
only when selected: ``make wheel-check``, i.e. ``pytest -m packaging``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from venv_helpers import ROOT, fresh_venv, run

# test_wheel.py follows the ledger page with the helper of the site tests.
sys.path.insert(0, str(ROOT / "tests" / "site"))


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv (outside the checkout) with the wheel of the checkout installed."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", ROOT, "-w", dist, "--no-deps", "-q"], cwd=work)
    (wheel,) = dist.glob("gongkai-*.whl")
    bin_dir = fresh_venv(work / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], cwd=work)
    return bin_dir
