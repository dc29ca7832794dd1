"""The end-to-end tamper matrix (docs/ledger.md §13.5).

A ledger of 600 entries (archived checkpoints at 4, 100, 256, 300, 513 and 600, so it crosses
the 256-entry tile boundary) and its published folder are built once. Each case copies one of
them, applies one named tampering, and requires the auditor to fail with a specific error type
*and* a message naming what was tampered with. Cases marked "operator" model a log operator who
holds the log key and re-signs checkpoints over a rewritten history: only the key registry
replay (or the pin) can catch those.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ledger_factory as lf
import pytest

from ledger import canonical
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entries import make_entry
from ledger.errors import (
    InconsistencyError,
    LedgerError,
    MalformedError,
    VerificationError,
)
from ledger.merkle import leaf_hash
from ledger.note import Signer, sign_note
from ledger.publish import publish_ledger
from ledger.registry import TrustAnchor
from ledger.verify import check_fork_evidence, parse_fork_evidence, verify_directory

N = 600


@dataclass
class Ctx:
    """What a tampering may touch: the copied folder, the trust anchor and the pin file."""

    root: Path
    trust: TrustAnchor
    pin: Path
    tmp: Path
    lines: list[bytes]
    blobs: dict[str, bytes]

    @property
    def entries(self) -> Path:
        return self.root / "entries.jsonl"

    def read_lines(self) -> list[bytes]:
        return self.entries.read_bytes().split(b"\n")[:-1]

    def write_lines(self, lines: list[bytes]) -> None:
        self.entries.write_bytes(b"".join(x + b"\n" for x in lines))

    def edit_line(self, index: int, fn: Callable[[bytes], bytes]) -> None:
        lines = self.read_lines()
        lines[index] = fn(lines[index])
        self.write_lines(lines)

    def rewrite_history(self, lines: list[bytes]) -> None:
        """Operator: replace the log and re-sign every checkpoint with the real log key."""
        for path in (self.root / "checkpoints").iterdir():
            path.unlink()
        lf.write_raw_ledger(self.root, lines, lf.default_batches(len(lines)))


@dataclass(frozen=True)
class Case:
    name: str
    target: str  # "dir" or "site"
    tamper: Callable[[Ctx], None]
    error: type[LedgerError]
    pattern: str


def flip_char(data: bytes, pos: int) -> bytes:
    """Replace one ASCII letter/digit by another of the same class (keeps the syntax)."""
    c = chr(data[pos])
    if c.isdigit():
        new = "1" if c != "1" else "2"
    elif c.isupper():
        new = "A" if c != "A" else "B"
    else:
        new = "a" if c != "a" else "b"
    return data[:pos] + new.encode() + data[pos + 1 :]


def flip_in(data: bytes, marker: bytes, offset: int = 0) -> bytes:
    return flip_char(data, data.index(marker) + len(marker) + offset)


def flip_file(path: Path, pos: int) -> None:
    data = bytearray(path.read_bytes())
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))


IMPOSTOR = Signer.from_seed(lf.ORIGIN, bytes(32))  # the origin's name, an unknown key


def edit_checkpoint_line(ctx: Ctx, line_no: int, value: str) -> None:
    """Edit one line of the checkpoint text, keeping the old signature."""
    data = (ctx.root / "checkpoint").read_bytes().decode()
    text, sigs = data.split("\n\n", 1)
    lines = text.split("\n")
    lines[line_no] = value
    (ctx.root / "checkpoint").write_bytes(("\n".join(lines) + "\n\n" + sigs).encode())


def other_root() -> str:
    return base64.b64encode(hashlib.sha256(b"other").digest()).decode()


# --------------------------------------------------------------------------- tamperings


def t_body(index: int) -> Callable[[Ctx], None]:
    return lambda ctx: ctx.edit_line(index, lambda x: flip_in(x, b'"seq":'))


def t_signature(ctx: Ctx) -> None:
    ctx.edit_line(300, lambda x: flip_in(x, b'"sig":"', 10))


def t_key_ref(ctx: Ctx) -> None:
    ctx.edit_line(257, lambda x: flip_char(x, x.index(b'","sig":"') - 1))


def t_delete(ctx: Ctx) -> None:
    lines = ctx.read_lines()
    del lines[150]
    ctx.write_lines(lines)


def t_insert(ctx: Ctx) -> None:
    lines = ctx.read_lines()
    lines.insert(150, lf.statement_line(99_999))
    ctx.write_lines(lines)


def t_reorder(ctx: Ctx) -> None:
    lines = ctx.read_lines()
    lines[150], lines[151] = lines[151], lines[150]
    ctx.write_lines(lines)


def t_duplicate(ctx: Ctx) -> None:
    lines = ctx.read_lines()
    lines.insert(151, lines[150])
    ctx.write_lines(lines)


def t_truncate(ctx: Ctx) -> None:
    ctx.write_lines(ctx.read_lines()[:550])


def t_lost_newline(ctx: Ctx) -> None:
    ctx.entries.write_bytes(ctx.entries.read_bytes()[:-1])


def t_checkpoint_unknown_key(ctx: Ctx) -> None:
    """The right root, signed by a key named like the log but not the log's key."""
    real = (ctx.root / "checkpoint").read_bytes().decode().split("\n")[2]
    cp = Checkpoint(lf.ORIGIN, N, base64.b64decode(real))
    (ctx.root / "checkpoint").write_bytes(sign_checkpoint(cp, [IMPOSTOR]))


def t_checkpoint_root(ctx: Ctx) -> None:
    edit_checkpoint_line(ctx, 2, other_root())


def t_checkpoint_size(ctx: Ctx) -> None:
    edit_checkpoint_line(ctx, 1, "599")


def t_checkpoint_origin(ctx: Ctx) -> None:
    edit_checkpoint_line(ctx, 0, "evil.example/ledger")


def t_checkpoint_extension(ctx: Ctx) -> None:
    data = (ctx.root / "checkpoint").read_bytes().decode()
    text = data.split("\n\n", 1)[0] + "\n"
    (ctx.root / "checkpoint").write_bytes(sign_note(text + "extension 1\n", [lf.LOG]))


def t_archive_edited(ctx: Ctx) -> None:
    path = ctx.root / "checkpoints" / "256"
    data = path.read_bytes().decode()
    text, sigs = data.split("\n\n", 1)
    lines = text.split("\n")
    lines[2] = other_root()
    path.write_bytes(("\n".join(lines) + "\n\n" + sigs).encode())


def t_archive_unknown_key(ctx: Ctx) -> None:
    path = ctx.root / "checkpoints" / "300"
    real = path.read_bytes().decode().split("\n")[2]
    path.write_bytes(
        sign_checkpoint(Checkpoint(lf.ORIGIN, 300, base64.b64decode(real)), [IMPOSTOR])
    )


def t_archive_bad_name(ctx: Ctx) -> None:
    (ctx.root / "checkpoints" / "300").rename(ctx.root / "checkpoints" / "0300")


def t_archive_newer(ctx: Ctx) -> None:
    (ctx.root / "checkpoint").write_bytes((ctx.root / "checkpoints" / "513").read_bytes())


def t_rollback(ctx: Ctx) -> None:
    ctx.pin.write_bytes((ctx.root / "checkpoint").read_bytes())
    (ctx.root / "checkpoint").write_bytes((ctx.root / "checkpoints" / "513").read_bytes())
    (ctx.root / "checkpoints" / "600").unlink()
    ctx.write_lines(ctx.read_lines()[:513])


def t_fork(ctx: Ctx) -> None:
    """Operator: the pinned checkpoint (600) and a rewritten history, both validly signed."""
    ctx.pin.write_bytes((ctx.root / "checkpoint").read_bytes())
    lines = ctx.read_lines()
    lines[400] = lf.statement_line(400, blob=None)  # same id/seq, the attachment dropped
    lines = [*lines, lf.statement_line(700)]
    ctx.rewrite_history(lines)


def t_tile_level0(ctx: Ctx) -> None:
    flip_file(ctx.root / "tile" / "0" / "000", 32 * 17 + 5)


def t_tile_partial_top(ctx: Ctx) -> None:
    flip_file(ctx.root / "tile" / "0" / "002.p" / "88", 32 * 80)


def t_tile_partial_archived(ctx: Ctx) -> None:
    flip_file(ctx.root / "tile" / "0" / "001.p" / "44", 32 * 3 + 1)


def t_tile_level1(ctx: Ctx) -> None:
    flip_file(ctx.root / "tile" / "1" / "000.p" / "2", 40)


def t_tile_partial_truncated(ctx: Ctx) -> None:
    path = ctx.root / "tile" / "0" / "001.p" / "44"
    path.write_bytes(path.read_bytes()[:-32])


def t_tile_missing(ctx: Ctx) -> None:
    (ctx.root / "tile" / "0" / "001").unlink()


def t_bundle(ctx: Ctx) -> None:
    path = ctx.root / "tile" / "entries" / "001"
    data = path.read_bytes()
    path.write_bytes(flip_in(data, b'"seq":'))


def _receipt(ctx: Ctx, index: int) -> Path:
    return ctx.root / "proofs" / f"{index}.tlog-proof"


def t_receipt_proof_hash(ctx: Ctx) -> None:
    path = _receipt(ctx, 10)
    lines = path.read_bytes().split(b"\n")
    k = next(i for i, x in enumerate(lines) if x.startswith(b"index "))
    lines[k + 1] = base64.b64encode(hashlib.sha256(b"x").digest())
    path.write_bytes(b"\n".join(lines))


def t_receipt_index(ctx: Ctx) -> None:
    path = _receipt(ctx, 10)
    path.write_bytes(path.read_bytes().replace(b"\nindex 10\n", b"\nindex 11\n"))


def t_receipt_extra(ctx: Ctx) -> None:
    path = _receipt(ctx, 10)
    lines = path.read_bytes().split(b"\n")
    lines[1] = b"extra " + base64.b64encode(lf.statement_line(10, dept="c", key=lf.DEPT_KEYS["c"]))
    path.write_bytes(b"\n".join(lines))


def t_receipt_moved(ctx: Ctx) -> None:
    _receipt(ctx, 10).write_bytes(_receipt(ctx, 11).read_bytes())


def t_blob_edited(ctx: Ctx) -> None:
    digest = sorted(ctx.blobs)[3]
    flip_file(ctx.root / "blobs" / "sha256" / digest, 7)


def t_blob_missing(ctx: Ctx) -> None:
    (ctx.root / "blobs" / "sha256" / sorted(ctx.blobs)[0]).unlink()


def t_trust_root_key(ctx: Ctx) -> None:
    other = Signer.from_seed("gongkai.test/root/1", bytes([7]) * 32).verifier()
    ctx.trust = TrustAnchor(
        ctx.trust.origin,
        ctx.trust.log_keys,
        (other, *ctx.trust.roots[1:]),
        ctx.trust.threshold,
        ctx.trust.entry0_hash,
    )


def t_trust_entry0(ctx: Ctx) -> None:
    ctx.trust = TrustAnchor(
        ctx.trust.origin,
        ctx.trust.log_keys,
        ctx.trust.roots,
        ctx.trust.threshold,
        leaf_hash(b"another entry 0"),
    )


def t_trust_log_key(ctx: Ctx) -> None:
    ctx.trust = TrustAnchor(
        ctx.trust.origin,
        (lf.LOG2.verifier(),),
        ctx.trust.roots,
        ctx.trust.threshold,
        ctx.trust.entry0_hash,
    )


def t_revoked_key(ctx: Ctx) -> None:
    """Operator: dept a's key is revoked at 200; 201 is a statement signed by it."""
    lines = list(ctx.lines)
    lines[200] = lf.key_revoke_line(lf.DEPT_KEYS["a"], "revoke-a")
    assert b'"dept":"a"' in lines[201]
    ctx.rewrite_history(lines)


def t_key_before_add(ctx: Ctx) -> None:
    """Operator: a statement of dept a at index 1, before its key.add at index 1→2."""
    lines = list(ctx.lines)
    lines.insert(1, lf.statement_line(5000, dept="a"))
    ctx.rewrite_history(lines)


def t_unregistered_key(ctx: Ctx) -> None:
    lines = list(ctx.lines)
    lines[123] = lf.statement_line(123, dept="a", key=lf.OUTSIDER)
    ctx.rewrite_history(lines)


def t_wrong_department(ctx: Ctx) -> None:
    lines = list(ctx.lines)
    lines[123] = lf.statement_line(123, dept="b", key=lf.DEPT_KEYS["a"])
    ctx.rewrite_history(lines)


def t_unknown_type(ctx: Ctx) -> None:
    lines = list(ctx.lines)
    body = {"type": "mystery.kind", "id": "m-1", "ts": lf.TS, "dept": "a"}
    lines[123] = make_entry(lf.ORIGIN, body, [lf.DEPT_KEYS["a"]])
    ctx.rewrite_history(lines)


def t_duplicate_id(ctx: Ctx) -> None:
    lines = list(ctx.lines)
    body = canonical.loads(lines[100])["body"]
    lines[450] = make_entry(lf.ORIGIN, {**body, "text": "另一条"}, [lf.DEPT_KEYS[body["dept"]]])
    ctx.rewrite_history(lines)


def t_extra_space(ctx: Ctx) -> None:
    ctx.edit_line(222, lambda x: x.replace(b'"body":{', b'"body": {', 1))


def t_crlf(ctx: Ctx) -> None:
    ctx.edit_line(222, lambda x: x + b"\r")


def t_oversized(ctx: Ctx) -> None:
    big = canonical.dumps({"body": {"pad": "x" * 70_000}, "sigs": [], "v": 1})
    ctx.edit_line(222, lambda x: big)


def t_invalid_utf8(ctx: Ctx) -> None:
    def mangle(x: bytes) -> bytes:
        pos = x.index("记录".encode())
        return x[:pos] + b"\xff" + x[pos + 1 :]

    ctx.edit_line(222, mangle)


def t_entry0_replaced(ctx: Ctx) -> None:
    """Operator: a different log.init (other log keys) at index 0."""
    lines = list(ctx.lines)
    lines[0] = lf.init_line(log_keys=(lf.LOG, lf.LOG2))
    ctx.rewrite_history(lines)


CASES = [
    Case("body byte flip (index 4)", "dir", t_body(4), VerificationError, r"第 4 条条目.*签名无效"),
    Case(
        "body byte flip (index 255)", "dir", t_body(255), VerificationError, r"第 255 条.*签名无效"
    ),
    Case(
        "body byte flip (index 599)", "site", t_body(599), VerificationError, r"第 599 条.*签名无效"
    ),
    Case("signature byte flip", "dir", t_signature, VerificationError, r"第 300 条.*签名无效"),
    Case("key reference flip", "dir", t_key_ref, VerificationError, r"第 257 条.*未登记或无权签署"),
    Case("deleted line", "dir", t_delete, VerificationError, r"checkpoints/256 签名的根.*不符"),
    Case("inserted line", "dir", t_insert, VerificationError, r"checkpoints/256 签名的根.*不符"),
    Case("reordered lines", "dir", t_reorder, VerificationError, r"checkpoints/256 签名的根.*重排"),
    Case("duplicated line", "dir", t_duplicate, VerificationError, r"第 151 条.*id 重复"),
    Case("tail truncated", "dir", t_truncate, VerificationError, r"只有 550 个完整行.*600"),
    Case("lost final newline", "dir", t_lost_newline, VerificationError, r"599 个完整行.*缺少"),
    Case(
        "checkpoint signed by unknown key",
        "dir",
        t_checkpoint_unknown_key,
        VerificationError,
        r"^checkpoint 的签名无法用日志密钥验证",
    ),
    Case(
        "checkpoint root edited",
        "dir",
        t_checkpoint_root,
        VerificationError,
        r"^checkpoint 的签名无法用日志密钥验证.*签名无效",
    ),
    Case(
        "checkpoint size edited",
        "dir",
        t_checkpoint_size,
        VerificationError,
        r"存档 checkpoints/600 比 checkpoint（大小 599）更新",
    ),
    Case(
        "checkpoint origin edited",
        "dir",
        t_checkpoint_origin,
        VerificationError,
        r"^checkpoint：.*evil\.example",
    ),
    Case(
        "checkpoint with extension line",
        "dir",
        t_checkpoint_extension,
        MalformedError,
        r"^checkpoint 不是合格的签名检查点.*恰好有三行",
    ),
    Case(
        "archived checkpoint edited",
        "dir",
        t_archive_edited,
        VerificationError,
        r"^checkpoints/256 的签名无法用日志密钥验证",
    ),
    Case(
        "archived checkpoint by unknown key",
        "dir",
        t_archive_unknown_key,
        VerificationError,
        r"^checkpoints/300 的签名无法用日志密钥验证",
    ),
    Case(
        "archive name not canonical", "dir", t_archive_bad_name, MalformedError, r"checkpoints/0300"
    ),
    Case(
        "archive newer than checkpoint",
        "site",
        t_archive_newer,
        VerificationError,
        r"存档 checkpoints/600 比 checkpoint（大小 513）更新",
    ),
    Case("rollback below the pin", "dir", t_rollback, InconsistencyError, r"^回滚：检查点大小 513"),
    Case(
        "fork (operator re-signs)",
        "dir",
        t_fork,
        InconsistencyError,
        r"^分叉：已固定的检查点（大小 600）",
    ),
    Case("level-0 tile byte flip", "site", t_tile_level0, VerificationError, r"瓦片与下层不一致"),
    Case(
        "partial top tile byte flip",
        "site",
        t_tile_partial_top,
        VerificationError,
        r"部分瓦片 tile/0/002\.p/88 的内容与 entries\.jsonl 前 600 行重算的不符",
    ),
    Case(
        "archived partial tile byte flip",
        "site",
        t_tile_partial_archived,
        VerificationError,
        r"部分瓦片 tile/0/001\.p/44 的内容与 entries\.jsonl 前 300 行重算的不符",
    ),
    Case(
        "level-1 tile edit",
        "site",
        t_tile_level1,
        VerificationError,
        r"瓦片与下层不一致.*第 1 层瓦片",
    ),
    Case(
        "partial tile truncated",
        "site",
        t_tile_partial_truncated,
        MalformedError,
        r"存档大小 300 的部分瓦片格式错误.*001\.p/44",
    ),
    Case("tile missing", "site", t_tile_missing, VerificationError, r"缺少瓦片 tile/0/001"),
    Case(
        "bundle edit",
        "site",
        t_bundle,
        VerificationError,
        r"条目包 tile/entries/001 的第 \d+ 条与 entries\.jsonl 第 \d+ 行不符",
    ),
    Case(
        "receipt proof hash edit",
        "site",
        t_receipt_proof_hash,
        VerificationError,
        r"回执 proofs/10\.tlog-proof 验证失败",
    ),
    Case(
        "receipt index edit",
        "site",
        t_receipt_index,
        VerificationError,
        r"回执 proofs/10\.tlog-proof 验证失败",
    ),
    Case(
        "receipt extra edit",
        "site",
        t_receipt_extra,
        VerificationError,
        r"回执 proofs/10\.tlog-proof 验证失败",
    ),
    Case(
        "receipt of another entry",
        "site",
        t_receipt_moved,
        VerificationError,
        r"回执 proofs/10\.tlog-proof 的 index 为 11",
    ),
    Case(
        "blob edited",
        "dir",
        t_blob_edited,
        VerificationError,
        r"blob blobs/sha256/[0-9a-f]{64} 内容哈希",
    ),
    Case("blob missing", "site", t_blob_missing, VerificationError, r"引用的 blob 缺失"),
    Case(
        "trust.txt with another root key",
        "dir",
        t_trust_root_key,
        VerificationError,
        r"第 0 条条目.*根密钥或门限与信任锚 trust\.txt 不符",
    ),
    Case(
        "trust.txt entry0 mismatch",
        "dir",
        t_trust_entry0,
        VerificationError,
        r"第 0 条条目.*entry0 不符",
    ),
    Case(
        "trust.txt with another log key",
        "dir",
        t_trust_log_key,
        VerificationError,
        r"trust\.txt 中的日志密钥 .* 从未在日志中生效",
    ),
    Case(
        "entry0 replaced (operator)",
        "dir",
        t_entry0_replaced,
        VerificationError,
        r"第 0 条条目.*entry0 不符",
    ),
    Case(
        "entry signed by a revoked key (operator)",
        "dir",
        t_revoked_key,
        VerificationError,
        r"第 201 条条目.*(未登记或无权签署|缺少部门 a)",
    ),
    Case(
        "key used before key.add (operator)",
        "dir",
        t_key_before_add,
        VerificationError,
        r"第 1 条条目.*(未登记或无权签署|缺少部门 a)",
    ),
    Case(
        "entry by an unregistered key (operator)",
        "dir",
        t_unregistered_key,
        VerificationError,
        r"第 123 条条目.*未登记或无权签署",
    ),
    Case(
        "department signs for another (operator)",
        "dir",
        t_wrong_department,
        VerificationError,
        r"第 123 条条目.*(未登记或无权签署|缺少部门 b)",
    ),
    Case(
        "unknown entry type (operator)",
        "dir",
        t_unknown_type,
        VerificationError,
        r"第 123 条条目.*未知的条目类型 mystery\.kind",
    ),
    Case(
        "duplicated entry id (operator)",
        "dir",
        t_duplicate_id,
        VerificationError,
        r"第 450 条条目.*id 重复",
    ),
    Case(
        "non-canonical line (extra space)",
        "dir",
        t_extra_space,
        MalformedError,
        r"第 222 条条目：不是规范 JSON",
    ),
    Case("CRLF line", "dir", t_crlf, MalformedError, r"第 222 行以 CRLF"),
    Case("entry over 65535 bytes", "dir", t_oversized, MalformedError, r"第 222 条条目：条目过大"),
    Case(
        "invalid UTF-8",
        "site",
        t_invalid_utf8,
        MalformedError,
        r"第 222 条条目：.*不是有效的 UTF-8",
    ),
]


def test_matrix_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, lf.Ledger | Path]:
    base = tmp_path_factory.mktemp("tamper")
    built = lf.build_ledger(base / "ledger", N)
    site = base / "site"
    publish_ledger(built.directory, site, trust=built.trust, types=lf.TYPES)
    return {"dir": built, "site": site}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tamper(case: Case, sources: dict[str, lf.Ledger | Path], tmp_path: Path) -> None:
    built = sources["dir"]
    assert isinstance(built, lf.Ledger)
    src = built.directory if case.target == "dir" else sources["site"]
    assert isinstance(src, Path)
    root = tmp_path / "copy"
    shutil.copytree(src, root)
    ctx = Ctx(root, built.trust, tmp_path / "pin", tmp_path, list(built.lines), dict(built.blobs))
    case.tamper(ctx)
    pin = ctx.pin if ctx.pin.exists() else None
    with pytest.raises(case.error) as info:
        verify_directory(root, trust=ctx.trust, pin_path=pin, workers=1, types=lf.TYPES)
    assert re.search(case.pattern, str(info.value)), str(info.value)
    assert type(info.value) is case.error or issubclass(type(info.value), case.error)
    if isinstance(info.value, InconsistencyError):
        assert info.value.evidence is not None
        evidence = parse_fork_evidence(info.value.evidence)
        check_fork_evidence(evidence, [lf.LOG.verifier()])


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.target == "site"], ids=lambda c: f"workers=2: {c.name}"
)
def test_tamper_parallel(case: Case, sources: dict[str, lf.Ledger | Path], tmp_path: Path) -> None:
    """The parallel auditor fails the same way (same type, same message)."""
    built = sources["dir"]
    assert isinstance(built, lf.Ledger)
    site = sources["site"]
    assert isinstance(site, Path)
    root = tmp_path / "copy"
    shutil.copytree(site, root)
    ctx = Ctx(root, built.trust, tmp_path / "pin", tmp_path, list(built.lines), dict(built.blobs))
    case.tamper(ctx)
    messages = []
    for workers in (1, 2):
        with pytest.raises(case.error) as info:
            verify_directory(root, trust=ctx.trust, workers=workers, types=lf.TYPES)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
