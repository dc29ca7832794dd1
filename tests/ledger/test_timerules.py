"""The time rules of docs/ledger.md §15.8 on ledgers stamped by a real TSA: a backdated or
post-dated entry is refused at append and reported by the auditor on a forged ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.ledgerops import append_entries, init_ledger, key_add_entry, read_trust
from ledger.draw.algorithms import DRAW_V1
from ledger.errors import VerificationError
from ledger.note import Signer
from ledger.store import LedgerStore
from ledger.timerules import BACKWARD_TOLERANCE, FUTURE_TOLERANCE
from ledger.tsa import HttpAuthority, add_tsa, stamp_checkpoint
from ledger.verify import verify_directory
from tests.ledger.tsa_server import TsaCa, TsaServer, make_test_ca

ORIGIN = "example.gov.cn/time-test/ledger"
LOG = Signer.generate(ORIGIN)
ROOT = Signer.generate("example.gov.cn/time-test/root/1")


def _ts(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TsaCa:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


def _key_line(n: int, ts: str) -> bytes:
    key = Signer.generate(f"example.gov.cn/time-test/dept/d{n}/1")
    return key_add_entry(ORIGIN, key, f"d{n}", [ROOT], ts)


def _forge(tmp: Path, ca: TsaCa, times: list[dt.datetime]) -> Path:
    """A ledger whose entries 1.. carry ``times`` as ``ts``, each appended alone (bypassing the
    writer's order check, as a forger would) and its checkpoint stamped by the TSA right away."""
    draws = tmp / "draws"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=400)
    init_ledger(draws, ORIGIN, LOG, [ROOT], 1, _ts(start), draw=DRAW_V1)
    add_tsa(draws, "test-tsa", ca.chain)
    trust = read_trust(draws)
    store = LedgerStore(draws, trust.origin, trust.log_keys)
    with TsaServer(ca) as url:
        stamp_checkpoint(draws, 1, HttpAuthority("test-tsa", url))
        for n, when in enumerate(times, start=1):
            checkpoint = store.append([_key_line(n, _ts(when))], [LOG])
            stamp_checkpoint(draws, checkpoint.size, HttpAuthority("test-tsa", url))
    return draws


def test_honest_ledger_is_bounded_by_its_tokens(tmp_path: Path, ca: TsaCa) -> None:
    now = dt.datetime.now(dt.UTC)
    draws = _forge(tmp_path, ca, [now - dt.timedelta(hours=2), now - dt.timedelta(minutes=5)])
    report = verify_directory(draws, update_pin=False).as_dict()
    assert report["time_bounds"]["bounded_entries"] == 3
    assert report["time_bounds"]["unbounded_entries"] == 0
    assert report["time_bounds"]["future_tolerance_seconds"] == 600
    assert report["time_bounds"]["backward_tolerance_seconds"] == 3600
    assert [t["size"] for t in report["timestamps"]] == [1, 2, 3]


def test_backdated_entry_in_a_forged_ledger_is_reported(tmp_path: Path, ca: TsaCa) -> None:
    """The issue's case: a result dated months back appended after later entries."""
    now = dt.datetime.now(dt.UTC)
    draws = _forge(tmp_path, ca, [now - dt.timedelta(days=20), now - dt.timedelta(days=260)])
    with pytest.raises(VerificationError, match=r"第 2 条条目.*早 1 小时以上：条目被倒签"):
        verify_directory(draws, update_pin=False)


def test_backward_tolerance_is_exactly_one_hour(tmp_path: Path, ca: TsaCa) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = now - dt.timedelta(hours=3)
    ok = _forge(tmp_path / "ok", ca, [first, first - BACKWARD_TOLERANCE])
    verify_directory(ok, update_pin=False)
    bad = _forge(
        tmp_path / "bad", ca, [first, first - BACKWARD_TOLERANCE - dt.timedelta(seconds=1)]
    )
    with pytest.raises(VerificationError, match="倒签"):
        verify_directory(bad, update_pin=False)


def test_post_dated_entry_is_reported(tmp_path: Path, ca: TsaCa) -> None:
    """An entry claiming a time after the TSA saw its checkpoint (+10 min) is a false claim."""
    now = dt.datetime.now(dt.UTC)
    draws = _forge(tmp_path, ca, [now + FUTURE_TOLERANCE + dt.timedelta(minutes=5)])
    with pytest.raises(VerificationError, match=r"第 1 条条目.*晚于包含它的检查点 2 的可信时间戳"):
        verify_directory(draws, update_pin=False)


def test_backdated_entry_is_refused_at_append(tmp_path: Path) -> None:
    draws = tmp_path / "draws"
    init_ledger(draws, ORIGIN, LOG, [ROOT], 1, "2024-11-20T02:00:00Z", draw=DRAW_V1)
    before = (draws / "entries.jsonl").read_bytes()
    with pytest.raises(VerificationError, match="早于账本最后一条条目"):
        append_entries(draws, [_key_line(1, "2024-03-10T02:00:00Z")], LOG)
    assert (draws / "entries.jsonl").read_bytes() == before
