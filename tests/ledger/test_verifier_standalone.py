"""The published verifier (``gongkai-verify.pyz``) runs where the writer's locking cannot.

Readers must not depend on the writer's ``flock`` lock: the zipapp has to start, and verify the
example ledger, in a Python without ``fcntl`` (Windows has none)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger.publish import PYZ_NAME, build_zipapp

ROOT = Path(__file__).resolve().parents[2]
DRAWS = ROOT / "draws"

# Runs the zipapp as ``python3 gongkai-verify.pyz`` does, with ``fcntl`` made unimportable.
_NO_FCNTL = """
import runpy, sys
sys.modules["fcntl"] = None
pyz = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(pyz, run_name="__main__")
"""


@pytest.mark.slow
def test_zipapp_verifies_the_example_ledger_without_fcntl(tmp_path: Path) -> None:
    pyz = tmp_path / PYZ_NAME
    pyz.write_bytes(build_zipapp())
    # -I: the worktree (PYTHONPATH) is not importable; ledger comes from the zipapp only.
    done = subprocess.run(
        [sys.executable, "-I", "-c", _NO_FCNTL, str(pyz), str(DRAWS), "--trust",
         str(DRAWS / "trust.txt"), "--workers", "1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "fcntl" not in done.stderr
