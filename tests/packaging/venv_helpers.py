"""Helpers of the packaging tests: fresh virtual environments and commands run outside the
checkout (nothing of the checkout importable)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """The environment without anything that would make the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GONGKAI_"))}
    env.pop("VIRTUAL_ENV", None)
    return env


def run(
    args: list[str | Path], cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``cwd`` with :func:`clean_env`; fail the test with its output on error."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"{args} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def fresh_venv(path: Path) -> Path:
    """A new virtual environment with pip (no system site-packages); returns its bin/."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / ("Scripts" if sys.platform == "win32" else "bin")
