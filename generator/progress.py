"""A Chinese progress line on stderr for long commands (``gongkai build``, ``gongkai import``).

Shown only when stderr is a terminal or when the user asks for it (``--progress``); it never
writes to stdout and never touches the command's outputs, so scripts and the deterministic
site are unaffected. On a terminal the line is rewritten in place with the elapsed seconds;
otherwise (``--progress`` into a log) each phase prints one line when it starts and one when it
ends.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: Seconds between two rewrites of the terminal line.
TICK = 0.5


class Progress:
    """Phases of one command, reported on ``stream`` (default: stderr).

    Args:
        forced: report even when the stream is not a terminal (``--progress``).
        stream: where to write (tests pass a buffer).
    """

    def __init__(self, forced: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = _isatty(self.stream)
        self.enabled = forced or self.live

    @classmethod
    def off(cls) -> Progress:
        """A progress that reports nothing (library callers that do not want one)."""
        progress = cls()
        progress.enabled = False
        return progress

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        """Report ``label`` while the block runs, then its duration (also when it fails)."""
        if not self.enabled:
            yield
            return
        start = time.monotonic()
        stop = threading.Event()
        ticker = None
        if self.live:
            ticker = threading.Thread(target=self._tick, args=(label, start, stop), daemon=True)
            ticker.start()
        else:
            self._write(f"… {label}\n")
        ok = False
        try:
            yield
            ok = True
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            seconds = time.monotonic() - start
            end = "完成" if ok else "中止"
            prefix = "\r\x1b[K" if self.live else ""
            self._write(f"{prefix}… {label}：{end}（用时 {seconds:.1f} 秒）\n")

    def _tick(self, label: str, start: float, stop: threading.Event) -> None:
        while True:
            self._write(f"\r\x1b[K… {label}（已用 {time.monotonic() - start:.0f} 秒）")
            if stop.wait(TICK):
                return

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not fail the command
            self.enabled = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
