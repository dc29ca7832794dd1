"""Importing the task state machine does not load the draw stack or a BLS library (issue #13).

``ledger.tasks`` is imported by every ``gongkai`` command that reads the ledger; the draw
engines and the BLS12-381 libraries are needed only when a draw is re-run or a beacon checked,
so they are imported there (docs/draw-v1.md §14). Each check runs in a fresh interpreter,
because this test process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("ledger.draw", "py_arkworks_bls12381", "py_ecc")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout
    return [
        m
        for m in json.loads(out)
        if m.split(".")[0] in {"ledger", "py_ecc", "py_arkworks_bls12381"}
    ]


@pytest.mark.parametrize("module", ["ledger.tasks", "ledger.payloads"])
def test_import_loads_no_draw_stack_and_no_bls(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    heavy = [m for m in loaded if m == "ledger.draw" or m.startswith(HEAVY)]
    assert heavy == [], f"import {module} loads {heavy}"


def test_replaying_an_announcement_loads_the_round_times_only_then() -> None:
    """The draw clock is imported where it is used: the first draw rule checked."""
    loaded = _loaded_after(
        "import ledger.tasks\nassert ledger.tasks.round_time(5358915).timestamp() == 1708880109"
    )
    assert "ledger.draw.drand" in loaded
    assert not [m for m in loaded if m.startswith(("py_ecc", "py_arkworks_bls12381"))]
