"""Tests for ledger.store: layout, append, verification, recovery and blobs (docs/ledger.md §12)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from ledger import auditread, canonical
from ledger import store as store_module
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.durable import LedgerLock
from ledger.errors import (
    FatalStoreError,
    LockBusyError,
    MalformedError,
    StoreError,
    VerificationError,
)
from ledger.journal import AppendJournal, parse_journal
from ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from ledger.note import Signer
from ledger.store import MAX_ENTRY_SIZE, LedgerStore

ORIGIN = "example.gov.cn/gongkai/test-log"
SIGNER = Signer.from_seed(ORIGIN, bytes(range(32)))
# Same name, different key: its signatures are "unknown key" lines to the store.
IMPOSTOR = Signer.from_seed(ORIGIN, bytes(32))
WITNESS = Signer.from_seed("witness.example/w1", bytes([9]) * 32)

Snapshot = dict[str, tuple[bytes | None, int]]


def entry(i: int) -> bytes:
    return canonical.dumps({"body": {"i": i}, "v": 1})


def new_store(directory: Path) -> LedgerStore:
    return LedgerStore(directory, ORIGIN, [SIGNER.verifier()])


def populated(directory: Path, batches: Sequence[int] = (2, 1, 3)) -> LedgerStore:
    """A ledger with checkpoints after each batch: sizes 2, 3, 6 by default."""
    store = new_store(directory)
    i = 0
    for n in batches:
        store.append([entry(j) for j in range(i, i + n)], [SIGNER])
        i += n
    return store


def snapshot(directory: Path) -> Snapshot:
    """Every file and directory below ``directory`` with its bytes and mode."""
    snap: Snapshot = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs:
            path = Path(root) / name
            snap[str(path.relative_to(directory)) + "/"] = (None, path.stat().st_mode)
        for name in files:
            path = Path(root) / name
            snap[str(path.relative_to(directory))] = (path.read_bytes(), path.stat().st_mode)
    return snap


def lines_of(directory: Path) -> list[bytes]:
    data = (directory / "entries.jsonl").read_bytes()
    return data.split(b"\n")[:-1]


def assert_consistent(directory: Path) -> None:
    """Independent check: entries verify against every archived checkpoint and `checkpoint`."""
    leaves = [leaf_hash(line) for line in lines_of(directory)]
    tree = MerkleTree(leaves)
    archive = directory / "checkpoints"
    sizes = sorted(int(n) for n in os.listdir(archive))
    for size in sizes:
        cp, _ = open_checkpoint((archive / str(size)).read_bytes(), ORIGIN, [SIGNER.verifier()])
        assert cp.size == size
        assert tree.root_at(size) == cp.root
    assert (directory / "checkpoint").read_bytes() == (archive / str(sizes[-1])).read_bytes()
    assert sizes[-1] == tree.size


# --------------------------------------------------------------------------- basics


def test_missing_directory_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    d = tmp_path / "draws"
    state = new_store(d).read_state()
    assert state.size == 0
    assert state.root == EMPTY_ROOT
    assert state.checkpoint is None
    assert state.checkpointed_size == 0
    assert not state.needs_recovery
    assert not d.exists()


def test_first_append_creates_the_layout(tmp_path: Path) -> None:
    d = tmp_path / "draws"
    store = new_store(d)
    cp = store.append([entry(0), entry(1)], [SIGNER])
    assert cp == Checkpoint(ORIGIN, 2, MerkleTree([leaf_hash(entry(0)), leaf_hash(entry(1))]).root)
    assert sorted(snapshot(d)) == [
        "LOCK",
        "checkpoint",
        "checkpoints/",
        "checkpoints/2",
        "entries.jsonl",
    ]
    assert (d / "entries.jsonl").read_bytes() == entry(0) + b"\n" + entry(1) + b"\n"
    note = (d / "checkpoint").read_bytes()
    assert note == (d / "checkpoints" / "2").read_bytes()
    assert note == sign_checkpoint(cp, [SIGNER])  # deterministic Ed25519
    opened, _ = open_checkpoint(note, ORIGIN, [SIGNER.verifier()])
    assert opened == cp
    state = store.read_state()
    assert (state.size, state.checkpoint, state.archived_sizes) == (2, cp, (2,))
    assert state.checkpoint_note == note
    assert not state.needs_recovery


def test_many_appends_verify(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    expected: list[bytes] = []
    for k in range(1, 40):
        batch = [entry(len(expected) + j) for j in range(k % 4 + 1)]
        expected += batch
        cp = store.append(batch, [SIGNER])
        assert cp.size == len(expected)
    assert list(store.iter_lines()) == expected
    assert cp.root == MerkleTree([leaf_hash(x) for x in expected]).root
    assert_consistent(tmp_path)
    assert len(store.read_state().archived_sizes) == 39


def test_small_read_chunks_give_the_same_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = populated(tmp_path)
    with (tmp_path / "entries.jsonl").open("ab") as f:
        f.write(entry(6) + b"\n" + entry(7)[:5])
    before = store.read_state()
    for chunk in (1, 2, 7, 23):
        monkeypatch.setattr(auditread, "READ_CHUNK", chunk)
        assert store.read_state() == before
        assert list(store.iter_lines()) == [entry(i) for i in range(7)]
    assert before.torn_tail == entry(7)[:5]
    assert before.uncheckpointed == 1


def test_two_log_signers_and_a_witness_verifier(tmp_path: Path) -> None:
    rotated = Signer.from_seed(ORIGIN, bytes([5]) * 32)
    store = LedgerStore(
        tmp_path, ORIGIN, [SIGNER.verifier(), rotated.verifier(), WITNESS.verifier()]
    )
    store.append([entry(0)], [SIGNER])
    store.append([entry(1)], [SIGNER, rotated])  # overlap during a log-key rotation
    store.append([entry(2)], [rotated])
    assert store.read_state().archived_sizes == (1, 2, 3)
    # A verifier that only knows the new key cannot read the old archive: fatal, by design.
    with pytest.raises(FatalStoreError, match=r"checkpoints/1：.*未知密钥"):
        LedgerStore(tmp_path, ORIGIN, [rotated.verifier()]).read_state()


# --------------------------------------------------------------------------- input checks


def test_new_lines_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    store = populated(tmp_path)
    before = snapshot(tmp_path)
    pad = len(canonical.dumps({"body": {"s": ""}, "v": 1}))
    biggest = canonical.dumps({"body": {"s": "a" * (MAX_ENTRY_SIZE - pad)}, "v": 1})
    assert len(biggest) == MAX_ENTRY_SIZE
    too_big = canonical.dumps({"body": {"s": "a" * (MAX_ENTRY_SIZE - pad + 1)}, "v": 1})
    bad: list[tuple[object, str]] = [
        (b'{"v":1, "body":{}}', "第 1 条新条目不是规范 JSON"),
        (b'{"body":{},"v":1}\n', "第 1 条新条目含有换行符"),
        (b"", "第 1 条新条目不是规范 JSON"),
        (too_big, "第 1 条新条目长 65536 字节"),
        ('{"body":{},"v":1}', "第 1 条新条目的类型为 str"),
    ]
    for line, message in bad:
        with pytest.raises(MalformedError, match=re.escape(message)):
            store.append([entry(6), line], [SIGNER])  # type: ignore[list-item]
        assert snapshot(tmp_path) == before
    assert store.append([biggest], [SIGNER]).size == 7


def test_validate_sees_the_first_index_and_can_reject(tmp_path: Path) -> None:
    store = populated(tmp_path)
    calls: list[tuple[int, list[bytes]]] = []

    def validate(first: int, lines: Sequence[bytes]) -> None:
        calls.append((first, list(lines)))
        assert store.read_state().size == first  # no deadlock on our own lock
        if any(b'"i":99' in line for line in lines):
            raise VerificationError("entry 99 is not allowed")

    store.append([entry(6), entry(7)], [SIGNER], validate)
    assert calls == [(6, [entry(6), entry(7)])]
    before = snapshot(tmp_path)
    with pytest.raises(VerificationError, match="99"):
        store.append([entry(8), entry(99)], [SIGNER], validate)
    assert snapshot(tmp_path) == before


def test_signers_must_match_the_verifiers(tmp_path: Path) -> None:
    store = populated(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="均不匹配"):
        store.append([entry(6)], [IMPOSTOR])
    with pytest.raises(StoreError, match="至少需要一个日志签名者"):
        store.append([entry(6)], [])
    assert snapshot(tmp_path) == before


def test_constructor_checks(tmp_path: Path) -> None:
    with pytest.raises(MalformedError):
        LedgerStore(tmp_path, "bad\norigin", [SIGNER.verifier()])
    with pytest.raises(StoreError, match="至少需要一个日志验证密钥"):
        LedgerStore(tmp_path, ORIGIN, [])


def test_empty_append(tmp_path: Path) -> None:
    store = new_store(tmp_path / "d")
    with pytest.raises(StoreError, match="日志为空"):
        store.append([], [SIGNER])
    cp = store.append([entry(0)], [SIGNER])
    assert store.append([], [SIGNER]) == cp


# --------------------------------------------------------------------------- tamper matrix


def _rewrite_lines(d: Path, edit: Callable[[list[bytes]], list[bytes]]) -> None:
    (d / "entries.jsonl").write_bytes(b"".join(x + b"\n" for x in edit(lines_of(d))))


def _replace_byte(d: Path, line: int, old: bytes, new: bytes) -> None:
    def edit(lines: list[bytes]) -> list[bytes]:
        assert old in lines[line]
        lines[line] = lines[line].replace(old, new, 1)
        return lines

    _rewrite_lines(d, edit)


def _swap(lines: list[bytes], a: int, b: int) -> list[bytes]:
    lines[a], lines[b] = lines[b], lines[a]
    return lines


def _signed(size: int, root: bytes, signers: Sequence[Signer] = (SIGNER,)) -> bytes:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), signers)


def _entries_data(d: Path) -> bytes:
    return (d / "entries.jsonl").read_bytes()


def _unlink(path: Path) -> None:
    path.unlink()


def _clear_archive(d: Path) -> None:
    for p in (d / "checkpoints").iterdir():
        p.unlink()


def _edit_root(note: bytes) -> bytes:
    lines = note.split(b"\n")
    lines[2] = (b"B" if lines[2][:1] != b"B" else b"C") + lines[2][1:]
    return b"\n".join(lines)


def _root(n: int) -> bytes:
    return MerkleTree([leaf_hash(entry(i)) for i in range(n)]).root


TAMPER: dict[str, tuple[Callable[[Path], object], str]] = {
    "flipped digit (still canonical)": (
        lambda d: _replace_byte(d, 4, b'"i":4', b'"i":9'),
        r"checkpoints/6：签名的根 .* 第 0\.\.5 行\) = .*第 3\.\.5 行中有条目.*修改",
    ),
    "flipped byte breaks json": (
        lambda d: _replace_byte(d, 1, b"{", b"["),
        r"entries\.jsonl：第 1 行（字节偏移 23）位于检查点覆盖的范围（0\.\.5）内，"
        r"不是规范 JSON",
    ),
    "lost newline on the last checkpointed line": (
        lambda d: (d / "entries.jsonl").write_bytes(_entries_data(d)[:-1]),
        r"第 5 行（被检查点覆盖的最后一行）丢失了结尾的换行符",
    ),
    "lost newline on the last checkpointed line, more lines follow": (
        lambda d: (d / "entries.jsonl").write_bytes(_entries_data(d)[:-1] + entry(6) + b"\n"),
        r"第 5 行（字节偏移 115）位于检查点覆盖的范围.*不是规范 JSON",
    ),
    "lost newline in the middle": (
        lambda d: _rewrite_lines(d, lambda x: [*x[:2], x[2] + x[3], *x[4:]]),
        r"第 2 行.*不是规范 JSON",
    ),
    "CRLF line ending": (
        lambda d: _rewrite_lines(d, lambda x: [*x[:5], x[5] + b"\r"]),
        r"第 5 行.*不是规范 JSON",
    ),
    "non-canonical spacing": (
        lambda d: _replace_byte(d, 0, b'"v":1', b'"v": 1'),
        r"第 0 行.*不是规范 JSON",
    ),
    "deleted line": (
        lambda d: _rewrite_lines(d, lambda x: x[:2] + x[3:]),
        r"checkpoints/3：签名的根 .*第 2\.\.2 行中有条目",
    ),
    "deleted last line": (
        lambda d: _rewrite_lines(d, lambda x: x[:5]),
        r"只有 5 个完整行，而 checkpoints/6 覆盖 6 行：第 5\.\.5 行缺失",
    ),
    "truncated inside the checkpointed range": (
        lambda d: (d / "entries.jsonl").write_bytes(_entries_data(d)[:100]),
        r"只有 4 个完整行，而 checkpoints/6 覆盖 6 行：第 4\.\.5 行缺失",
    ),
    "entries deleted": (
        lambda d: _unlink(d / "entries.jsonl"),
        r"只有 0 个完整行，而 checkpoints/6",
    ),
    "swapped lines": (
        lambda d: _rewrite_lines(d, lambda x: _swap(x, 3, 4)),
        r"checkpoints/6：签名的根",
    ),
    "inserted duplicate line": (
        lambda d: _rewrite_lines(d, lambda x: [x[0], *x]),
        r"checkpoints/2：签名的根",
    ),
    "blank line after the checkpoint": (
        lambda d: (d / "entries.jsonl").write_bytes(_entries_data(d) + b"\n"),
        r"第 6 行（字节偏移 138）位于最后一个检查点之后.*不是规范 JSON",
    ),
    "checkpoint size edited": (
        lambda d: (d / "checkpoint").write_bytes(
            (d / "checkpoint").read_bytes().replace(b"\n6\n", b"\n5\n", 1)
        ),
        r"draws/checkpoint：不是由日志密钥有效签署的 .* 检查点",
    ),
    "checkpoint root edited": (
        lambda d: (d / "checkpoint").write_bytes(_edit_root((d / "checkpoint").read_bytes())),
        r"draws/checkpoint：不是由日志密钥有效签署的 .* 检查点",
    ),
    "checkpoint signed by an unknown key": (
        lambda d: (d / "checkpoint").write_bytes(_signed(6, _root(6), [IMPOSTOR])),
        r"draws/checkpoint：.*(未知密钥|没有受信任密钥的有效签名)",
    ),
    "checkpoint ahead of the archive": (
        lambda d: (d / "checkpoint").write_bytes(_signed(7, _root(7))),
        r"draws/checkpoint：大小为 7，领先于存档中最新的 checkpoints/6",
    ),
    "checkpoint forks the archive": (
        lambda d: (d / "checkpoint").write_bytes(_signed(6, _root(5))),
        r"draws/checkpoint：与大小相同的 checkpoints/6 不同",
    ),
    "checkpoint older but not byte-identical": (
        lambda d: (d / "checkpoint").write_bytes(_signed(3, _root(3), [SIGNER, WITNESS])),
        r"draws/checkpoint：大小为 3，但与 checkpoints/3 并非逐字节相同",
    ),
    "archive deleted": (
        lambda d: _clear_archive(d),
        r"draws/checkpoint：存在，但 checkpoints/ 为空",
    ),
    "archived checkpoint signed by an unknown key": (
        lambda d: (d / "checkpoints" / "3").write_bytes(_signed(3, _root(3), [IMPOSTOR])),
        r"draws/checkpoints/3：不是由日志密钥有效签署的",
    ),
    "archived checkpoint forked": (
        lambda d: (d / "checkpoints" / "3").write_bytes(_signed(3, _root(4))),
        r"draws/checkpoints/3：签名的根 .*第 2\.\.2 行中有条目",
    ),
    "archived checkpoint beyond the entries": (
        lambda d: (d / "checkpoints" / "9").write_bytes(_signed(9, _root(9))),
        r"只有 6 个完整行，而 checkpoints/9 覆盖 9 行",
    ),
    "archive file under a non-canonical name": (
        lambda d: (d / "checkpoints" / "06").write_bytes((d / "checkpoints" / "6").read_bytes()),
        r"draws/checkpoints/06：检查点存档中有意外的文件",
    ),
    "archive file under the wrong size": (
        lambda d: (d / "checkpoints" / "4").write_bytes((d / "checkpoints" / "3").read_bytes()),
        r"draws/checkpoints/4：文件名表示大小 4，签名检查点的大小却是 3",
    ),
    "over-long torn tail": (
        lambda d: (d / "entries.jsonl").write_bytes(_entries_data(d) + b"x" * 70000),
        r"第 6 行（字节偏移 138）超过 65535 字节仍没有换行符",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_tampering_is_fatal_and_modifies_nothing(tmp_path: Path, case: str) -> None:
    d = tmp_path / "draws"
    populated(d)
    mutate, pattern = TAMPER[case]
    mutate(d)
    before = snapshot(d)
    store = new_store(d)
    with pytest.raises(FatalStoreError, match=pattern):
        store.read_state()
    with pytest.raises(FatalStoreError, match=pattern):
        store.recover()
    with pytest.raises(FatalStoreError):
        store.append([entry(100)], [SIGNER])
    with pytest.raises(FatalStoreError):
        new_store(d).append([entry(100)], [SIGNER])
    assert snapshot(d) == before


# --------------------------------------------------------------------------- recovery


def test_uncheckpointed_lines_without_a_journal_are_fatal(tmp_path: Path) -> None:
    """Lines after the last checkpoint that no append journal explains are unverifiable: the
    writer neither signs over them nor drops them, and says how to discard them."""
    store = populated(tmp_path)
    good = _entries_data(tmp_path)
    with (tmp_path / "entries.jsonl").open("ab") as f:
        f.write(entry(6) + b"\n" + entry(7) + b"\n")
    state = store.read_state()
    assert (state.size, state.checkpointed_size, state.uncheckpointed) == (8, 6, 2)
    assert state.checkpointed_length == len(good)
    assert state.needs_recovery
    before = snapshot(tmp_path)
    pattern = (
        rf"第 6\.\.7 行（字节 {len(good)}\.\.\d+）不在任何签名检查点内，也没有追加日志.*"
        rf"truncate -s {len(good)} "
    )
    with pytest.raises(FatalStoreError, match=pattern):
        store.recover()
    with pytest.raises(FatalStoreError, match="因致命错误已停止"):
        store.append([entry(8)], [SIGNER])
    with pytest.raises(FatalStoreError, match=pattern):
        new_store(tmp_path).append([entry(8)], [SIGNER])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("how", ["missing", "older"])
def test_lagging_checkpoint_is_recopied(tmp_path: Path, how: str) -> None:
    store = populated(tmp_path)
    if how == "missing":
        (tmp_path / "checkpoint").unlink()
    else:
        (tmp_path / "checkpoint").write_bytes((tmp_path / "checkpoints" / "3").read_bytes())
    state = store.read_state()
    assert state.published_lags
    assert state.needs_recovery
    recovery = store.recover()
    assert recovery.state.published_lags is False
    assert recovery.actions == ("checkpoint 落后于存档：已改为 checkpoints/6 的副本（大小 6）",)
    assert store.recover().actions == ()
    assert_consistent(tmp_path)


def test_torn_tail_is_saved_then_truncated(tmp_path: Path) -> None:
    store = populated(tmp_path)
    good = _entries_data(tmp_path)
    (tmp_path / "entries.jsonl").write_bytes(good + b'{"body":{"i"')
    state = store.read_state()
    assert (state.torn_tail, state.valid_length, state.size) == (b'{"body":{"i"', len(good), 6)
    (action,) = store.recover().actions
    assert re.fullmatch(
        r"已移除 entries\.jsonl 末尾 12 字节不完整的行（原样保存在 torn-\d+）", action
    )
    assert _entries_data(tmp_path) == good
    torn = [p for p in tmp_path.iterdir() if p.name.startswith("torn-")]
    assert [p.read_bytes() for p in torn] == [b'{"body":{"i"']
    # The same tail again (a crash between saving and truncating) is not copied twice.
    (tmp_path / "entries.jsonl").write_bytes(good + b'{"body":{"i"')
    store.recover()
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("torn-")]) == 1
    # A different tail in the same second gets its own file.
    (tmp_path / "entries.jsonl").write_bytes(good + b"{")
    store.recover()
    tails = sorted(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("torn-"))
    assert tails == sorted([b'{"body":{"i"', b"{"])
    assert_consistent(tmp_path)


def test_stale_temp_files_are_ignored_then_removed(tmp_path: Path) -> None:
    store = populated(tmp_path)
    stale = [
        tmp_path / "checkpoints" / ".tmp.7.123.abcdef",
        tmp_path / ".tmp.checkpoint.123.abcdef",
    ]
    for path in stale:
        path.write_bytes(b"half")
    foreign = tmp_path / ".tmp.someone-else"
    foreign.write_bytes(b"keep")
    state = store.read_state()
    assert state.stale_temps == (
        (".tmp.checkpoint.123.abcdef", 4),
        ("checkpoints/.tmp.7.123.abcdef", 4),
    )
    assert state.needs_recovery
    assert store.recover().actions == (
        "已删除中断的写入留下的临时文件：.tmp.checkpoint.123.abcdef（4 字节）、"
        "checkpoints/.tmp.7.123.abcdef（4 字节）",
    )
    assert not any(p.exists() for p in stale)
    assert foreign.exists()


def test_fatal_io_error_stops_the_object_but_a_new_one_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = populated(tmp_path)
    real = os.fsync

    def fail(fd: int) -> None:
        real(fd)
        raise OSError(5, "injected")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(FatalStoreError, match="不要在本进程中重试"):
        store.append([entry(6)], [SIGNER])
    monkeypatch.undo()
    with pytest.raises(FatalStoreError, match="因致命错误已停止"):
        store.append([entry(7)], [SIGNER])
    with pytest.raises(FatalStoreError, match="因致命错误已停止"):
        store.put_blob(b"x")
    fresh = new_store(tmp_path)
    # The failed fsync was the journal's (the first of the transaction): its temp file was
    # never renamed into place and was removed, so the append left nothing at all.
    assert fresh.recover().actions == ()
    assert fresh.append([entry(6)], [SIGNER]).size == 7
    assert_consistent(tmp_path)


# --------------------------------------------------------------------------- locking


def test_writer_and_readers_exclude_each_other(tmp_path: Path) -> None:
    store = populated(tmp_path)
    before = snapshot(tmp_path)
    with LedgerLock(tmp_path):
        with pytest.raises(LockBusyError):
            store.append([entry(6)], [SIGNER])
        with pytest.raises(LockBusyError):
            store.read_state(lock_timeout=0)
        with pytest.raises(LockBusyError):
            store.put_blob(b"x")
    with LedgerLock(tmp_path, exclusive=False):
        assert store.read_state(lock_timeout=0).size == 6
        with pytest.raises(LockBusyError):
            store.append([entry(6)], [SIGNER])
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- blobs


def test_blobs(tmp_path: Path) -> None:
    store = new_store(tmp_path / "d")
    data = "名单\n".encode() * 1000
    digest = store.put_blob(data, "text/csv")
    assert digest == hashlib.sha256(data).hexdigest()
    path = tmp_path / "d" / "blobs" / "sha256" / digest
    assert path.read_bytes() == data
    assert store.put_blob(data) == digest  # idempotent
    assert store.get_blob(digest) == data
    with pytest.raises(MalformedError):
        store.put_blob(b"x", "Text/CSV; charset=utf-8")
    with pytest.raises(MalformedError):
        store.get_blob(digest.upper())
    with pytest.raises(MalformedError):
        store.get_blob("../../etc/passwd")
    with pytest.raises(StoreError, match="ENOENT"):
        store.get_blob("0" * 64)
    path.write_bytes(data + b"!")
    with pytest.raises(VerificationError, match=f"而不是 {digest}"):
        store.get_blob(digest)
    with pytest.raises(FatalStoreError, match="不可变文件不一致"):
        new_store(tmp_path / "d").put_blob(data)
    assert path.read_bytes() == data + b"!"


# --------------------------------------------------------------------------- the transaction


def test_blobs_are_written_with_their_entries_and_readable_while_validating(
    tmp_path: Path,
) -> None:
    store = populated(tmp_path)
    data = b"snapshot\n" * 10
    digest = hashlib.sha256(data).hexdigest()
    seen: list[bytes] = []

    def validate(first: int, lines: Sequence[bytes]) -> None:
        seen.append(store.get_blob(digest))  # not on disk yet, but visible to the validator

    store.append([entry(6)], [SIGNER], validate, [data])
    assert seen == [data]
    assert store.get_blob(digest) == data
    assert not (tmp_path / "journal").exists()
    assert_consistent(tmp_path)
    with pytest.raises(StoreError, match="blob 只能与引用它的条目一同追加"):
        store.append([], [SIGNER], None, [b"orphan"])


def test_a_refused_append_leaves_nothing_not_even_its_blobs(tmp_path: Path) -> None:
    store = populated(tmp_path)
    before = snapshot(tmp_path)

    def refuse(first: int, lines: Sequence[bytes]) -> None:
        raise VerificationError("refused")

    with pytest.raises(VerificationError, match="refused"):
        store.append([entry(6)], [SIGNER], refuse, [b"blob of a refused entry"])
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "blobs").exists()


def test_generation_counts_write_sessions(tmp_path: Path) -> None:
    store = populated(tmp_path)
    before = store.generation
    store.read_state()
    store.recover()  # clean: nothing to do, no write session
    assert store.generation == before
    store.append([entry(6)], [SIGNER])
    assert store.generation == before + 1


def _journaled(d: Path) -> None:
    """``d`` with an append of entry 6 whose lines are written but not checkpointed."""
    store = populated(d)
    real = store_module.create_immutable

    def fail_on_archive(path: Path, data: bytes) -> None:
        raise StoreError("injected")

    store_module.create_immutable = fail_on_archive  # type: ignore[assignment]
    try:
        with pytest.raises(StoreError, match="injected"):
            store.append([entry(6)], [SIGNER])
    finally:
        store_module.create_immutable = real


JOURNAL_TAMPER: dict[str, tuple[Callable[[Path], object], str]] = {
    "journal payload edited": (
        lambda d: (d / "journal").write_bytes((d / "journal").read_bytes()[:-3] + b"}}\n"),
        r"journal：追加日志无法解析.*SHA-256",
    ),
    "journal truncated": (
        lambda d: (d / "journal").write_bytes((d / "journal").read_bytes()[:-1]),
        r"journal：追加日志无法解析.*不完整",
    ),
    "written line edited after the journal": (
        lambda d: _replace_byte(d, 6, b'"i":6', b'"i":7'),
        r"journal：追加日志（准备把第 6\.\.6 条追加到 6 条之后）与账本不符："
        r"entries\.jsonl 第 \d+ 字节之后的内容不是新条目的前缀",
    ),
    "checkpointed line edited": (
        lambda d: _replace_byte(d, 4, b'"i":4', b'"i":9'),
        r"checkpoints/6：签名的根",
    ),
    "journal of another ledger": (
        lambda d: _rewrite_lines(d, lambda x: x[:4] + x[6:]),
        r"checkpoints/6",
    ),
}


@pytest.mark.parametrize("case", sorted(JOURNAL_TAMPER))
def test_a_journal_that_does_not_fit_is_fatal_and_modifies_nothing(
    tmp_path: Path, case: str
) -> None:
    d = tmp_path / "draws"
    _journaled(d)
    mutate, pattern = JOURNAL_TAMPER[case]
    mutate(d)
    before = snapshot(d)
    with pytest.raises(FatalStoreError, match=pattern):
        new_store(d).read_state()
    with pytest.raises(FatalStoreError, match=pattern):
        new_store(d).recover()
    with pytest.raises(FatalStoreError, match=pattern):
        new_store(d).append([entry(7)], [SIGNER])
    assert snapshot(d) == before


def test_journal_is_parsed_strictly() -> None:
    journal = AppendJournal(2, 46, 3, b"note\n", entry(2) + b"\n", (("ab" * 32, 5),))
    data = journal.encode()
    assert parse_journal(data) == journal
    assert data.startswith(b"gongkai-append-journal/v1\n{")
    for bad, message in (
        (b"x" + data, "文件头"),
        (data.replace(b'"size":3', b'"size":4'), "应有 2 个"),
        (data.replace(b'"size":3', b'"size":3,"zz":1'), "恰好含有字段"),
        (data + b"x", "头部记载"),
    ):
        with pytest.raises(MalformedError, match=message):
            parse_journal(bad)
