"""Time rules that use the RFC 3161 bounds (docs/ledger.md §15.8).

:class:`TimeRules` is a replay hook (called for every verified entry, in log order) that checks
what signers claim in ``ts`` against what the time-stamp tokens prove (:class:`TimeBounds`):

1. **No post-dating**: ``ts`` ≤ ``public_by(i)`` + :data:`FUTURE_TOLERANCE`;
2. **No backdating along the log**: ``ts`` ≥ (latest ``ts`` of entries ``0..i−1``) −
   :data:`BACKWARD_TOLERANCE`;
3. **Announced before the round**: a ``draw.announce`` with a proven bound was public at least
   24 hours (:data:`ledger.tasks.MIN_ANNOUNCE_LEAD`) before its drand round's time;
4. **Invitation window**: a ``task.reply`` with a proven bound was public by the end (China
   time) of the invitation's ``closes`` day, plus :data:`FUTURE_TOLERANCE`.

Rules 3–4 apply only where a bound exists (a ledger without tokens, or the entries after the
last stamped checkpoint, are judged by ``ts`` alone, as docs/workflow.md §3 says).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ledger.entries import Entry
from ledger.errors import VerificationError
from ledger.payloads import DrawAnnounce, TaskInvite, TaskReply
from ledger.tasks import CHINA, MIN_ANNOUNCE_LEAD, parse_ts, round_time
from ledger.timestamp import TimeBounds, Timestamp, utc_text

__all__ = ["BACKWARD_TOLERANCE", "FUTURE_TOLERANCE", "TimeRules"]

FUTURE_TOLERANCE: Final = dt.timedelta(minutes=10)
"""How far a signer's clock may run ahead of the TSA's (rule 1; rule 4)."""
BACKWARD_TOLERANCE: Final = dt.timedelta(hours=1)
"""How far ``ts`` may go back along the log (rule 2): entries signed on several machines and
appended by another writer may interleave; ``gongkai`` itself appends in order (tolerance 0)."""


def _where(entry: Entry) -> str:
    return f"第 {entry.index} 条条目（{entry.type} {entry.id}）"


def _stamp_text(stamp: Timestamp) -> str:
    return f"检查点 {stamp.size} 的可信时间戳 {utc_text(stamp.latest)}（{stamp.tsa}）"


class TimeRules:
    """The replay hook of rules 1–4; ``bounded`` counts entries with a proven bound."""

    def __init__(self, bounds: TimeBounds) -> None:
        self.bounds = bounds
        self.bounded = 0
        self._latest: tuple[dt.datetime, int] | None = None
        self._closes: dict[str, dt.date] = {}

    def __call__(self, entry: Entry, read_blob: object = None) -> None:
        """Check ``entry`` (verified, at ``entry.index``) against rules 1–4.

        Raises:
            VerificationError: naming the entry, the rule and both times.
        """
        ts = parse_ts(entry.ts)
        stamp = self.bounds.public_by(entry.index)
        if stamp is not None:
            self.bounded += 1
            if ts > stamp.latest + FUTURE_TOLERANCE:
                raise VerificationError(
                    f"{_where(entry)}：签署时间 {entry.ts} 晚于包含它的{_stamp_text(stamp)}"
                    "超过 10 分钟：签署时间不实（时间倒流或虚报）"
                )
        if self._latest is not None and ts < self._latest[0] - BACKWARD_TOLERANCE:
            raise VerificationError(
                f"{_where(entry)}：签署时间 {entry.ts} 比账本中排在它之前的第 {self._latest[1]} 条"
                f"条目的时间 {utc_text(self._latest[0])} 早 1 小时以上：条目被倒签（backdated）"
            )
        if self._latest is None or ts > self._latest[0]:
            self._latest = (ts, entry.index)
        payload = entry.payload
        if isinstance(payload, TaskInvite):
            self._closes[payload.task_id] = payload.closes
        elif isinstance(payload, TaskReply) and stamp is not None:
            self._reply(entry, payload, stamp)
        elif isinstance(payload, DrawAnnounce) and stamp is not None:
            round_ = payload.randomness.drand.round
            if round_time(round_) - stamp.latest < MIN_ANNOUNCE_LEAD:
                raise VerificationError(
                    f"{_where(entry)}：公告可证明的公开时间（{_stamp_text(stamp)}）距 drand 轮次 "
                    f"{round_} 的时间 {utc_text(round_time(round_))} 不足 24 小时"
                )

    def _reply(self, entry: Entry, payload: TaskReply, stamp: Timestamp) -> None:
        closes = self._closes.get(payload.task_id)
        if closes is None:
            return  # the task rules (ledger.tasks) refuse a reply without an invitation
        end = dt.datetime.combine(closes + dt.timedelta(days=1), dt.time(), CHINA)
        if stamp.latest > end + FUTURE_TOLERANCE:
            raise VerificationError(
                f"{_where(entry)}：应约可证明的公开时间（{_stamp_text(stamp)}）晚于邀约截止日 "
                f"{closes.isoformat()}（北京时间）"
            )
