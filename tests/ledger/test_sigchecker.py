"""The auditor's signature workers (ledger.replay.SigChecker): batches answered out of order
still give the earliest failure in log order, and a worker that dies fails the audit closed."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import ledger_factory as lf
import pytest

from ledger import replay
from ledger.errors import UnverifiableError, VerificationError
from ledger.note import Signer
from ledger.verify import verify_directory

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="the workers see the patched module only when forked",
)

KEY = Signer.from_seed("gongkai.test/sigchecker", bytes(32))
PUB = KEY.verifier().public_key


def _fill(checker: replay.SigChecker, n: int, bad: set[int]) -> str | None:
    """Queue ``n`` checks, the ones at ``bad`` with a wrong signature (the first message of
    every other batch says "slow"), and return the message of the failure reported, if any."""
    try:
        for i in range(n):
            first = i % replay._BATCH == 0 and (i // replay._BATCH) % 2 == 0
            msg = (b"slow " if first else b"") + f"message {i}".encode()
            sig = KEY.sign(msg if i not in bad else b"another message")
            checker.add(i, PUB, msg, sig, "ref", f"第 {i} 条条目")
        failure = checker.first_failure()
    except VerificationError as exc:  # add() reports a failure as soon as it is known
        return str(exc)
    return None if failure is None else str(replay._sig_error(failure))


def _slow_then_verify(blob: bytes) -> int:
    if blob[100:104] == b"slow":
        time.sleep(0.3)  # the even batches are answered after the odd ones sent after them
    return _REAL_VERIFY_BATCH(blob)


_REAL_VERIFY_BATCH = replay._verify_batch


@needs_fork
@pytest.mark.parametrize("workers", [2, 3])
def test_earliest_failure_wins_when_batches_are_answered_out_of_order(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(replay, "_verify_batch", _slow_then_verify)
    batch = replay._BATCH
    bad = {3 * batch + 5, 2 * batch + 7, 5 * batch + 1}  # batch 3 is fast, batch 2 slow
    checker = replay.SigChecker(workers)
    try:
        assert _fill(checker, 6 * batch, bad) == f"第 {2 * batch + 7} 条条目：密钥 ref 的签名无效"
    finally:
        checker.close()


@needs_fork
def test_every_check_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "_verify_batch", _slow_then_verify)
    checker = replay.SigChecker(2)
    try:
        assert _fill(checker, 5 * replay._BATCH + 3, set()) is None
        assert not checker.pending
        assert not any(checker.sent)
    finally:
        checker.close()
    assert all(not proc.is_alive() for proc in checker.procs)


def _die(blob: bytes) -> int:
    os._exit(3)


@needs_fork
def test_a_worker_that_dies_fails_the_audit_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built = lf.build_ledger(tmp_path / "ledger", 300)
    monkeypatch.setattr(replay, "_verify_batch", _die)
    with pytest.raises(UnverifiableError, match="签名验证子进程意外退出"):
        verify_directory(built.directory, trust=built.trust, workers=2, types=lf.TYPES)
