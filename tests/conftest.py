"""Fixtures shared by several test directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site as ``gongkai build`` makes it from ``content/`` and ``draws/``, built once
    per session (~30 s). Read-only: a test that changes files works on its own copy."""
    from generator.cli import main

    out = tmp_path_factory.mktemp("example") / "site"
    built = CliRunner().invoke(
        main, ["build", "--content", str(ROOT / "content"), "--output", str(out)]
    )
    assert built.exit_code == 0, built.output
    return out
