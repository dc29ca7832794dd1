"""Two-process split of the draw's CPU-bound loops (``fork``, one child, one pipe).

:func:`split` runs one part of a computation in a forked child and the other part in the calling
process, at the same time, and returns both results. The child sends its result back pickled
through a pipe and leaves with ``os._exit`` (no ``atexit`` handlers, no flushed stdio buffers).

The results are always those of a sequential run: when forking is unavailable or unsafe (not
POSIX, one CPU, other threads running, ``GONGKAI_DRAW_WORKERS=1``), or the child fails for any
reason — including an exception such as a malformed line, which must be raised with its exact
message — the child's part is simply run again in the calling process. So only pure functions of
data that both processes hold after the fork may be split.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Pending", "available", "split", "start"]

A = TypeVar("A")
B = TypeVar("B")

#: Environment variable: ``1`` turns the split off (everything runs in the calling process).
WORKERS_ENV = "GONGKAI_DRAW_WORKERS"


def available() -> bool:
    """Tell whether :func:`split` would fork here.

    Returns:
        ``True`` on a POSIX system with at least two CPUs, no other Python thread running and
        ``GONGKAI_DRAW_WORKERS`` not set to ``1``.
    """
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) >= 2
        and threading.active_count() == 1
        and os.environ.get(WORKERS_ENV, "") != "1"
    )


class Pending(Generic[B]):
    """A computation started by :func:`start`: running in a forked child, or not yet run.

    Collect it with :meth:`result`, or stop it with :meth:`cancel`; do one of the two exactly
    once. Used as a context manager, leaving the block cancels it unless it was collected (so an
    exception inside never leaves a child behind).
    """

    def __init__(self, fn: Callable[[], B], pid: int | None, read_fd: int | None) -> None:
        self._fn = fn
        self._pid = pid
        self._inp = None if read_fd is None else os.fdopen(read_fd, "rb")

    def result(self) -> B:
        """Return ``fn()``: the child's result, or, if there is no child or it failed for any
        reason, the result of running ``fn`` here.

        Raises:
            Exception: whatever ``fn()`` raises when it runs here. If waiting is interrupted
                (e.g. ``KeyboardInterrupt``), the child is killed and reaped first.
        """
        if self._pid is None or self._inp is None:
            return self._fn()
        try:
            payload = self._inp.read()
            self._inp.close()
            status = _reap(self._pid, kill=False)
            self._pid = None
        except BaseException:
            self.cancel()
            raise
        if status != 0 or not payload:
            return self._fn()
        theirs: B = pickle.loads(payload)  # noqa: S301 - our own child's output, same program
        return theirs

    def __enter__(self) -> Pending[B]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Kill and reap the child, if any (its result is never needed); nothing after
        :meth:`result`."""
        if self._inp is not None:
            self._inp.close()
        if self._pid is not None:
            pid, self._pid = self._pid, None
            _reap(pid, kill=True)


def start(fn: Callable[[], B], *, nice: int = 0) -> Pending[B]:
    """Start computing ``fn()`` in a forked child, if :func:`available`.

    Preconditions: ``fn`` is a deterministic function of data already in memory; its result can
    be pickled.

    Args:
        fn: the computation.
        nice: added to the child's nice value (a positive value lets the calling process and its
            other children go first; the child then mostly uses otherwise idle CPU time).

    Returns:
        The pending computation; collect it with :meth:`Pending.result`.
    """
    if not available():
        return Pending(fn, None, None)
    try:
        read_fd, write_fd = os.pipe()
    except OSError:  # e.g. out of file descriptors: run fn here when collected
        return Pending(fn, None, None)
    # SIGINT stays blocked from the fork until the child is inside its try (so a Ctrl-C can never
    # unwind the parent's copied stack in the child) and until the parent holds the Pending.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(read_fd)
        os.close(write_fd)
        return Pending(fn, None, None)
    if pid == 0:  # pragma: no cover - runs in the child; its effect is checked by the tests
        status = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(read_fd)
            if nice:
                with contextlib.suppress(OSError):
                    os.nice(nice)
            payload = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    pending = Pending(fn, pid, read_fd)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a pending Ctrl-C is raised here
    except BaseException:
        pending.cancel()
        raise
    return pending


def split(here: Callable[[], A], there: Callable[[], B]) -> tuple[A, B]:
    """Run ``there`` in a forked child while ``here`` runs in this process.

    Preconditions: both callables are deterministic functions of data already in memory; the
    result of ``there`` can be pickled.

    Args:
        here: the part computed by the calling process.
        there: the part computed by the child (or here, as a fallback).

    Returns:
        ``(here(), there())``.

    Raises:
        Exception: whatever ``here()`` raises (the child is then killed and reaped), or whatever
            ``there()`` raises when it is re-run here after the child failed.
    """
    with start(there) as pending:
        mine = here()
        return mine, pending.result()


def _reap(pid: int, *, kill: bool) -> int:
    """Wait for the child (killing it first if asked); return its wait status (-1 if it was
    already reaped elsewhere)."""
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return -1
    return status
