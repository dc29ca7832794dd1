"""The two-process split gives exactly the sequential results (ledger.draw.forked)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from ledger.draw import forked, snapshot, tickets
from ledger.draw.snapshot import build_snapshot, parse_entity_table
from ledger.draw.tickets import TicketMaker
from ledger.errors import MalformedError

needs_fork = pytest.mark.skipif(not forked.available(), reason="fork unavailable here")


@needs_fork
def test_split_runs_the_second_part_in_a_child() -> None:
    here, there = forked.split(os.getpid, os.getpid)
    assert here == os.getpid()
    assert there != os.getpid()


def test_split_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(forked.WORKERS_ENV, "1")
    assert not forked.available()
    assert forked.split(os.getpid, os.getpid) == (os.getpid(), os.getpid())


def test_a_failing_child_part_is_rerun_here_and_raises_its_own_error() -> None:
    calls: list[int] = []

    def there() -> int:
        calls.append(os.getpid())
        raise MalformedError("第二部分有误")

    with pytest.raises(MalformedError, match="第二部分有误"):
        forked.split(lambda: 1, there)
    assert calls == [os.getpid()]  # the child's attempt is not seen here; the re-run is


def test_a_failing_parent_part_reaps_the_child() -> None:
    def boom() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        forked.split(boom, lambda: 2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


def _entities(n: int) -> bytes:
    return build_snapshot(
        "entities",
        [
            {
                "id": f"91620823MA{i:08d}",
                "name": f"崇信县某某商贸有限公司{i}",
                "stratum": "ABC"[i % 3],
                "last_inspected": None if i % 4 else f"2023-0{1 + i % 9}-1{i % 10}",
                "tags": ["餐饮"] if i % 5 == 0 else [],
            }
            for i in range(n)
        ],
    )


@needs_fork
def test_split_entity_parse_equals_one_span(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _entities(5000)
    whole = parse_entity_table(data)
    monkeypatch.setattr(snapshot, "SPLIT_BYTES", 1000)
    assert parse_entity_table(data) == whole


def _swap(lines: list[bytes], at: int) -> None:
    lines[at], lines[at + 1] = lines[at + 1], lines[at]


@needs_fork
@pytest.mark.parametrize("where", [0.1, 0.55, 0.9])
@pytest.mark.parametrize(
    "mutate",
    [
        lambda lines, at: lines.__setitem__(
            at, lines[at].replace(b'"stratum":', b'"stratum":"X","stratum":', 1)
        ),
        lambda lines, at: lines.__setitem__(
            at, lines[at].replace(b'"tags":[', b'"tags":["z","a"', 1).replace(b'"a""', b'"a","')
        ),
        lambda lines, at: lines.__setitem__(
            at, lines[at].replace(b'"last_inspected":null', b'"last_inspected":"2023-02-30"', 1)
        ),
        _swap,
    ],
    ids=["non-canonical", "unsorted-tags", "bad-date", "out-of-order"],
)
def test_split_entity_parse_errors_are_the_sequential_ones(
    monkeypatch: pytest.MonkeyPatch, where: float, mutate: Callable[[list[bytes], int], None]
) -> None:
    lines = _entities(5000).splitlines(keepends=True)
    at = int(len(lines) * where)
    if b'"last_inspected":null' not in lines[at]:
        at += 1
    mutate(lines, at)
    data = b"".join(lines)
    with pytest.raises(MalformedError) as sequential:
        parse_entity_table(data)
    monkeypatch.setattr(snapshot, "SPLIT_BYTES", 1000)
    with pytest.raises(MalformedError) as split:
        parse_entity_table(data)
    assert str(split.value) == str(sequential.value)


@needs_fork
def test_split_ticket_scan_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    maker = TicketMaker("ab" * 32)
    ids = [f"E{i:06d}" for i in range(30_000)]
    groups = ["AB"[i % 2] for i in range(30_000)]
    wanted = {"A": 300, "B": 20}
    whole = maker.smallest_grouped(ids, groups, wanted)
    monkeypatch.setattr(tickets, "SPLIT_IDS", 1000)
    assert maker.smallest_grouped(ids, groups, wanted) == whole


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@needs_fork
def test_an_interrupt_while_reaping_leaves_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.waitpid
    armed = [True]

    def interrupted(pid: int, flags: int) -> tuple[int, int]:
        if armed[0] and flags == 0:
            armed[0] = False
            raise KeyboardInterrupt
        return real(pid, flags)

    monkeypatch.setattr(os, "waitpid", interrupted)
    with pytest.raises(KeyboardInterrupt):
        forked.split(lambda: 1, lambda: 2)
    monkeypatch.setattr(os, "waitpid", real)
    assert _no_children_left()


@needs_fork
def test_a_cancelled_computation_leaves_no_child() -> None:
    pending = forked.start(lambda: sum(range(10**8)), nice=10)
    pending.cancel()
    pending.cancel()  # harmless
    assert _no_children_left()


def test_without_a_pipe_the_computation_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pipe() -> tuple[int, int]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "pipe", no_pipe)
    assert forked.start(os.getpid).result() == os.getpid()
