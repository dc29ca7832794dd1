"""DRAW-V1: publicly verifiable 双随机 draws (normative text: docs/draw-v1.md).

Pure functions, no file I/O. Modules, in protocol order:

* :mod:`~ledger.draw.primitives` — ``H``, ``LP``, ``u32be``/``u64be``, canonical JSON;
* :mod:`~ledger.draw.rules` — the announcement's ``rules`` as payload classes (§3);
* :mod:`~ledger.draw.snapshot` — canonical, sorted JSON-lines snapshot files;
* :mod:`~ledger.draw.seed` — commitments, seed, sub-seeds, RFC 3797 key strings;
* :mod:`~ledger.draw.drand` — offline drand quicknet beacon verification;
* :mod:`~ledger.draw.tickets` — consistent-sampling tickets (``consistent_sampler``-compatible);
* :mod:`~ledger.draw.sampling` — stratified sampling, recency exclusion, min_count, reserves;
* :mod:`~ledger.draw.matching` — per-department inspector matching;
* :mod:`~ledger.draw.result` — ``run_draw``, the result record, ``replace``;
* :mod:`~ledger.draw.reference` — the plain-Python reference the engine is tested against;
* :mod:`~ledger.draw.algorithms` — the draw algorithms a verifier knows, as a value;
* :mod:`~ledger.draw.library` — the 检查对象名录库 a ledger records and the entity snapshot it
  determines (docs/workflow.md §9).

Importing the package loads none of them: the entry parser needs only :mod:`ledger.draw.rules`.
"""
