"""Checkpoint notes as the auditor reads them, the pin, and portable fork/rollback evidence.

docs/ledger.md §13.5 steps 2 and 7, §13.6. A checkpoint note is parsed strictly before its
signature can be checked (:func:`parse_note_checkpoint`), then opened with the log keys the
registry holds (:func:`open_with`). The pin file holds the last checkpoint an auditor verified;
:func:`check_pin` requires the log to extend it, else it raises
:class:`~ledger.errors.InconsistencyError` carrying :class:`ForkEvidence` text, whose
consistency proof is streamed from the entries (:func:`consistency_proof_from_entries`, the
ranges of :func:`ledger.merkle.consistency_ranges`). :func:`check_fork_evidence` lets anyone
re-check such evidence with the log's keys alone.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ledger.auditread import DECIMAL, EntryLines, read_required
from ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from ledger.errors import InconsistencyError, MalformedError, VerificationError
from ledger.merkle import EMPTY_ROOT, RootBuilder, consistency_ranges, leaf_hash, verify_consistency
from ledger.note import Verifier, parse_note

__all__ = [
    "EVIDENCE_HEADER",
    "ForkEvidence",
    "check_fork_evidence",
    "check_pin",
    "consistency_proof_from_entries",
    "open_with",
    "parse_fork_evidence",
    "parse_note_checkpoint",
    "read_pin",
]

EVIDENCE_HEADER: Final = "gongkai-fork-evidence/v1"
"""First line of the portable fork/rollback evidence (see :class:`ForkEvidence`)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- checkpoint notes


def parse_note_checkpoint(note: bytes, origin: str, name: str) -> Checkpoint:
    """Strict syntax of a checkpoint note (signatures are checked later, with replayed keys).

    Raises:
        MalformedError: the note or its checkpoint text does not parse (``name`` named).
        VerificationError: its origin is not ``origin``.
    """
    try:
        text, _ = parse_note(note)
        return parse_checkpoint(text, origin)
    except MalformedError as exc:
        raise MalformedError(f"{name} 不是合格的签名检查点：{exc}") from exc
    except VerificationError as exc:  # origin mismatch
        raise VerificationError(f"{name}：{exc}（信任锚的 origin 为 {origin!r}）") from exc


def open_with(note: bytes, origin: str, keys: Iterable[Verifier], name: str) -> Checkpoint:
    """Open a signed checkpoint note with the log ``keys``; ``name`` names it in errors.

    Raises:
        MalformedError: the note does not parse.
        VerificationError: no key verifies it, or the keys are ambiguous.
    """
    try:
        cp, _ = open_checkpoint(note, origin, keys)
    except ValueError as exc:
        raise VerificationError(f"{name}：日志密钥有歧义：{exc}") from None
    except MalformedError as exc:
        raise MalformedError(f"{name} 不是合格的签名检查点：{exc}") from exc
    except VerificationError as exc:
        raise VerificationError(
            f"{name} 的签名无法用日志密钥验证（未知密钥签署或内容被改动）：{exc}"
        ) from exc
    return cp


# --------------------------------------------------------------------------- fork evidence


@dataclass(frozen=True)
class ForkEvidence:
    """Portable proof that a log signed two inconsistent checkpoints, or rolled back.

    Text format (UTF-8; ``#`` lines are explanations and are ignored by the parser)::

        gongkai-fork-evidence/v1
        kind fork|rollback
        origin <origin>
        old <size> <b64 root>          the pinned (earlier verified) checkpoint
        new <size> <b64 root>          the checkpoint now presented
        computed <b64 root>            fork only: MTH of the first <old size> entries of the
                                       new log, as the consistency proof commits to it
        proof <b64 hash>               fork only, zero or more: consistency proof old → new
        note old <byte length>         followed by a newline and exactly that many bytes
        note new <byte length>         likewise

    A fork is proven when both notes verify under the log's keys and ``verify_consistency(old,
    new, proof, computed, new_root)`` succeeds while ``computed != old_root`` (then no proof at
    all can link the two roots, by collision resistance of SHA-256). A rollback is two verified
    notes where the newly presented size is smaller than the pinned one.
    """

    kind: str
    origin: str
    old_size: int
    old_root: bytes
    new_size: int
    new_root: bytes
    computed: bytes | None
    proof: tuple[bytes, ...]
    old_note: bytes
    new_note: bytes

    def to_text(self) -> str:
        """Serialize (see the class docstring); :func:`parse_fork_evidence` inverts it."""
        if self.kind == "fork":
            explain = [
                "# 分叉证据：同一日志签署了两个互不一致的检查点。",
                f"# 旧检查点（大小 {self.old_size}）此前已通过验证并被固定；新检查点（大小 "
                f"{self.new_size}）所承诺的日志，其前 {self.old_size} 条的根为 computed，",
                "# 与旧检查点的根不同。下面的一致性证明由新日志的条目计算（RFC 9162 §2.1.4），",
                "# 用 computed 可验证通过，用旧检查点的根则不通过。任何人只需两份签名检查点、",
                "# 日志公钥和 SHA-256 即可复核，无需信任本工具或日志运营者。",
            ]
        else:
            explain = [
                "# 回滚证据：日志出示的检查点（大小 "
                f"{self.new_size}）比审计者此前已验证并固定的检查点（大小 {self.old_size}）更旧。",
                "# 两份检查点均由日志密钥签署；日志只能增长，出示旧状态意味着回滚或分割视图。",
            ]
        lines = [
            EVIDENCE_HEADER,
            *explain,
            f"kind {self.kind}",
            f"origin {self.origin}",
            f"old {self.old_size} {_b64(self.old_root)}",
            f"new {self.new_size} {_b64(self.new_root)}",
        ]
        if self.computed is not None:
            lines.append(f"computed {_b64(self.computed)}")
        lines += [f"proof {_b64(h)}" for h in self.proof]
        head = "\n".join(lines) + "\n"
        old = self.old_note.decode("utf-8")
        new = self.new_note.decode("utf-8")
        return f"{head}note old {len(self.old_note)}\n{old}note new {len(self.new_note)}\n{new}"


def parse_fork_evidence(text: str) -> ForkEvidence:
    """Parse evidence produced by :meth:`ForkEvidence.to_text` (strict; notes not verified).

    Raises:
        MalformedError: If the text does not follow the format.
    """
    data = text.encode("utf-8")
    notes: dict[str, bytes] = {}
    fields: dict[str, str] = {}
    proof: list[bytes] = []
    pos = 0
    first = True
    try:
        while pos < len(data):
            end = data.index(b"\n", pos)
            line = data[pos:end].decode("utf-8")
            pos = end + 1
            if first:
                if line != EVIDENCE_HEADER:
                    raise MalformedError(f"证据首行应为 {EVIDENCE_HEADER}")
                first = False
                continue
            if line.startswith("#"):
                continue
            keyword, _, value = line.partition(" ")
            if keyword == "note":
                which, _, length = value.partition(" ")
                if which not in ("old", "new") or which in notes or not DECIMAL.fullmatch(length):
                    raise MalformedError(f"证据中的 note 行无效：{line!r}")
                notes[which] = data[pos : pos + int(length)]
                if len(notes[which]) != int(length):
                    raise MalformedError("证据中的签名检查点被截断")
                pos += int(length)
            elif keyword == "proof":
                proof.append(_strict_b64(value))
            elif keyword in ("kind", "origin", "old", "new", "computed") and keyword not in fields:
                fields[keyword] = value
            else:
                raise MalformedError(f"证据中有未知或重复的行：{line!r}")
    except ValueError as exc:  # index() without a newline, or a decoding error
        raise MalformedError(f"证据格式错误：{exc}") from None
    if first or set(notes) != {"old", "new"} or not {"kind", "origin", "old", "new"} <= set(fields):
        raise MalformedError("证据缺少必需的行（kind、origin、old、new、两份 note）")
    kind = fields["kind"]
    if kind not in ("fork", "rollback"):
        raise MalformedError(f"证据的 kind 无效：{kind!r}")
    old_size, old_root = _size_root(fields["old"])
    new_size, new_root = _size_root(fields["new"])
    computed = _strict_b64(fields["computed"]) if "computed" in fields else None
    return ForkEvidence(
        kind,
        fields["origin"],
        old_size,
        old_root,
        new_size,
        new_root,
        computed,
        tuple(proof),
        notes["old"],
        notes["new"],
    )


def _strict_b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise MalformedError(f"无效的 base64：{text!r}") from None
    if _b64(raw) != text or len(raw) != 32:
        raise MalformedError(f"应为 32 字节哈希的规范 base64：{text!r}")
    return raw


def _size_root(value: str) -> tuple[int, bytes]:
    size, _, root = value.partition(" ")
    if not DECIMAL.fullmatch(size):
        raise MalformedError(f"证据中的大小无效：{size!r}")
    return int(size), _strict_b64(root)


def check_fork_evidence(evidence: ForkEvidence, log_keys: Iterable[Verifier]) -> str:
    """Check that ``evidence`` really proves misbehaviour of the log signed by ``log_keys``.

    Args:
        evidence: Parsed evidence.
        log_keys: The log's verifier keys (old and new ones after a rotation).

    Returns:
        A one-line Chinese conclusion.

    Raises:
        VerificationError: If the evidence does not prove a fork or rollback (a signature does
            not verify, the notes disagree with the stated sizes/roots, or the roots are in
            fact consistent).
        MalformedError: If an embedded note does not parse.
    """
    keys = list(log_keys)
    try:
        old, _ = open_checkpoint(evidence.old_note, evidence.origin, keys)
        new, _ = open_checkpoint(evidence.new_note, evidence.origin, keys)
    except ValueError as exc:
        raise VerificationError(f"日志密钥有歧义：{exc}") from None
    if (old.size, old.root, new.size, new.root) != (
        evidence.old_size,
        evidence.old_root,
        evidence.new_size,
        evidence.new_root,
    ):
        raise VerificationError("证据中的大小或根与签名检查点不符")
    if evidence.kind == "rollback":
        if new.size >= old.size:
            raise VerificationError("不构成回滚：新检查点并不比旧检查点小")
        return f"已证实回滚：日志先签署了大小 {old.size}，又出示了更小的 {new.size}"
    if evidence.computed is None:
        raise VerificationError("分叉证据缺少 computed 行")
    if old.size == 0:
        raise VerificationError("空树与任何树都一致，不构成分叉")
    verify_consistency(old.size, new.size, list(evidence.proof), evidence.computed, new.root)
    if evidence.computed == old.root:
        raise VerificationError("不构成分叉：旧检查点与新检查点一致")
    return (
        f"已证实分叉：大小 {new.size} 的检查点承诺的前 {old.size} 条的根为 "
        f"{evidence.computed.hex()}，而另一份签名检查点声称是 {old.root.hex()}"
    )


# --------------------------------------------------------------------------- the pin


def read_pin(pin_path: Path | None, origin: str) -> tuple[bytes, Checkpoint] | None:
    """The pinned note and its parsed checkpoint; None without a pin file (trust on first use).

    Raises:
        MalformedError / VerificationError: as :func:`parse_note_checkpoint`.
        StoreError: the pin cannot be read.
    """
    if pin_path is None or not pin_path.exists():
        return None
    note = read_required(pin_path, "固定文件")
    return note, parse_note_checkpoint(note, origin, f"固定文件 {pin_path}")


def check_pin(
    origin: str,
    entries: Path,
    pin: tuple[bytes, Checkpoint],
    current: tuple[bytes, Checkpoint],
    roots_at: Mapping[int, bytes],
) -> None:
    """Require the log (checkpoint ``current``) to extend the pinned checkpoint ``pin``.

    Preconditions: both notes are verified; ``roots_at`` holds MTH of the first ``s`` lines of
    ``entries`` for the pinned size ``s`` whenever it is at most the current size.

    Raises:
        InconsistencyError: a rollback (the pinned size is larger) or a fork (the roots at the
            pinned size differ), with the :class:`ForkEvidence` text.
    """
    (pin_note, pinned), (cp_note, checkpoint) = pin, current
    m, n = pinned.size, checkpoint.size
    if m > n:
        evidence = ForkEvidence(
            "rollback", origin, m, pinned.root, n, checkpoint.root, None, (), pin_note, cp_note
        )
        raise InconsistencyError(
            f"回滚：检查点大小 {n} 小于已固定的大小 {m}（日志出示了更旧的状态）",
            evidence.to_text(),
        )
    if m == 0:
        return  # the empty tree is a prefix of every tree
    computed = roots_at[m]
    if computed == pinned.root:
        return
    proof = consistency_proof_from_entries(entries, m, n)
    evidence = ForkEvidence(
        "fork",
        origin,
        m,
        pinned.root,
        n,
        checkpoint.root,
        computed,
        tuple(proof),
        pin_note,
        cp_note,
    )
    raise InconsistencyError(
        f"分叉：已固定的检查点（大小 {m}）的根 {pinned.root.hex()} 与当前日志前 {m} 条的根 "
        f"{computed.hex()} 不符；日志签署了两个互不一致的检查点",
        evidence.to_text(),
    )


def consistency_proof_from_entries(entries: Path, m: int, n: int) -> list[bytes]:
    """PROOF(m, D[0:n]) streamed from the lines, in O(log n) memory (disjoint ranges).

    The ranges are :func:`ledger.merkle.consistency_ranges`; each is a streamed MTH.

    Raises:
        ValueError: unless 0 < m ≤ n.
        UnverifiableError / StoreError: as :class:`~ledger.auditread.EntryLines`.
    """
    if m == n:
        return []
    ranges = consistency_ranges(m, n)
    order = sorted(range(len(ranges)), key=lambda k: ranges[k][0])
    builders = [RootBuilder() for _ in ranges]
    pos = 0
    for index, line in EntryLines(entries, limit=n):
        while pos < len(order) and ranges[order[pos]][1] <= index:
            pos += 1
        if pos < len(order):
            start, end = ranges[order[pos]]
            if start <= index < end:
                builders[order[pos]].append(leaf_hash(line))
    return [b.root() if b.size else EMPTY_ROOT for b in builders]
