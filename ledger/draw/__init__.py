"""DRAW-V1: publicly verifiable 双随机 draws (normative text: docs/draw-v1.md).

Pure functions, no file I/O. Modules, in protocol order:

* :mod:`~ledger.draw.primitives` — ``H``, ``LP``, ``u32be``/``u64be``, canonical JSON;
* :mod:`~ledger.draw.snapshot` — canonical, sorted JSON-lines snapshot files;
* :mod:`~ledger.draw.seed` — commitments, seed, sub-seeds, RFC 3797 key strings;
* :mod:`~ledger.draw.drand` — offline drand quicknet beacon verification;
* :mod:`~ledger.draw.tickets` — consistent-sampling tickets (``consistent_sampler``-compatible);
* :mod:`~ledger.draw.sampling` — stratified sampling, recency exclusion, min_count, reserves;
* :mod:`~ledger.draw.matching` — per-department inspector matching;
* :mod:`~ledger.draw.result` — ``run_draw``, the result record, ``replace``.
"""

from __future__ import annotations

from ledger.draw.result import replace, result_sha256, run_draw, verify_result

__all__ = ["ALGORITHM", "replace", "result_sha256", "run_draw", "verify_result"]

ALGORITHM = "draw-v1"
