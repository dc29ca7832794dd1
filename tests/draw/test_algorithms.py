"""The draw algorithms are a value passed to the auditor (ledger/draw/algorithms.py).

A recorded draw is re-run by the algorithm its announcement names, looked up in the
``DrawAlgorithms`` given to ``verify_directory``: a verifier that lacks it refuses the draw
instead of re-running it with another algorithm, and a mapping with a further algorithm needs
no change to the auditor (docs/extending.md §3).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from ledger.draw.algorithms import DRAW_ALGORITHMS, DRAW_V1, DrawAlgorithms
from ledger.draw.result import run_draw
from ledger.errors import VerificationError
from ledger.verify import verify_directory

DRAWS = Path(__file__).resolve().parents[2] / "draws"


def test_recorded_draws_are_rerun_by_the_algorithm_passed_in() -> None:
    calls: list[str] = []

    def counted_run(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(args[0]["task_id"])
        return run_draw(*args, **kwargs)

    algorithms = DrawAlgorithms({"draw-v1": dataclasses.replace(DRAW_V1, run=counted_run)})
    report = verify_directory(DRAWS, algorithms=algorithms)
    assert report.draws_checked > 0
    assert len(calls) == report.draws_checked


def test_a_verifier_without_the_announced_algorithm_refuses_the_draw() -> None:
    with pytest.raises(VerificationError, match="未知的抽取算法 'draw-v1'"):
        verify_directory(DRAWS, algorithms=DrawAlgorithms({}))


def test_the_mapping_is_immutable_and_keyed_by_name() -> None:
    later = dataclasses.replace(DRAW_V1, name="draw-v2")
    both = DRAW_ALGORITHMS.with_algorithm(later)
    assert sorted(both) == ["draw-v1", "draw-v2"]
    assert list(DRAW_ALGORITHMS) == ["draw-v1"]  # the default is unchanged
    assert both.get_algorithm("draw-v2") is later
    with pytest.raises(ValueError):
        DrawAlgorithms({"draw-v1": later})
