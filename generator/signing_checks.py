"""The checks every signing request shares, single (``docs/signing.md`` §2) or batch (§13).

A request, of either form, names the log (``origin``), the ledger it was prepared against
(``size`` and ``root`` of its latest signed checkpoint) and an expiry. ``gongkai sign`` compares
them with the department's own copy of the ledger (§5 steps 1–3) and applies the entries to that
copy (§5 step 6); ``gongkai request append`` checks that the request's ledger is a prefix of the
site's (§7). Those checks are here, once, so that both forms refuse the same things with the
same words.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from generator.errors import SigningError, WorkflowError
from generator.ledgerops import LedgerState, open_store, replay_store, require_not_earlier
from ledger.entries import Entry, assemble_entry, parse_entry
from ledger.errors import VerificationError
from ledger.examplekeys import is_example_key, refuse_example_key
from ledger.merkle import RootBuilder, leaf_hash
from ledger.note import Signer
from ledger.registry import KeyRecord, Registry
from ledger.tasks import parse_ts
from ledger.trust import parse_trust

if TYPE_CHECKING:
    from ledger.checkpoint import Checkpoint
    from ledger.store import LedgerStore

__all__ = [
    "LedgerView",
    "apply_next",
    "b64_field",
    "check_not_expired",
    "check_prefix",
    "copy_state",
    "is_hex64",
    "read_head",
    "read_signature_head",
    "refuse_example_signer",
    "usable",
]

_HEX = frozenset("0123456789abcdef")
#: The signature that stands in while an unsigned entry is applied to the rules (never kept).
_UNSIGNED = {"unsigned+00000000": bytes(64)}


class LedgerView(Protocol):
    """What a request says about the ledger it was prepared against."""

    @property
    def origin(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def root(self) -> str: ...
    @property
    def expires(self) -> str: ...


def is_hex64(value: Any) -> bool:
    """Whether ``value`` is 64 lowercase hexadecimal digits (a SHA-256)."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def b64_field(value: Any, where: str, field: str) -> bytes:
    """The bytes of a field in standard, padded, canonical base64.

    Raises:
        SigningError: naming ``where`` and ``field`` if it is not.
    """
    try:
        if not isinstance(value, str):
            raise ValueError
        data = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise SigningError(f"{where}：字段 {field} 应为标准 base64") from None
    if base64.b64encode(data).decode("ascii") != value:
        raise SigningError(f"{where}：字段 {field} 的 base64 不规范")
    return data


def read_head(v: Mapping[str, Any], format_: str, where: str) -> tuple[str, int, str, str]:
    """``origin``, ``ledger.size``, ``ledger.root`` and ``expires`` of a parsed request file
    whose ``format`` must be ``format_`` (§2, §13.1).

    Raises:
        SigningError: naming ``where`` and the field that is wrong.
    """
    if v["format"] != format_:
        raise SigningError(f"{where}：字段 format 应为 {format_}")
    ledger = v["ledger"]
    if not isinstance(ledger, dict) or set(ledger) != {"root", "size"}:
        raise SigningError(f"{where}：字段 ledger 应恰好包含 root 和 size")
    if type(ledger["size"]) is not int or ledger["size"] < 0 or not is_hex64(ledger["root"]):
        raise SigningError(f"{where}：字段 ledger.size 或 ledger.root 格式错误")
    if not isinstance(v["origin"], str) or not v["origin"]:
        raise SigningError(f"{where}：字段 origin 应为非空字符串")
    try:
        parse_ts(v["expires"])
    except (TypeError, ValueError):
        raise SigningError(f"{where}：字段 expires 应为 YYYY-MM-DDTHH:MM:SSZ") from None
    return v["origin"], ledger["size"], ledger["root"], v["expires"]


def read_signature_head(v: Mapping[str, Any], format_: str, where: str) -> None:
    """Check ``format`` (must be ``format_``), ``request``, ``dept`` and ``key`` of a parsed
    signature file (§3, §13.2).

    Raises:
        SigningError: naming ``where`` and the field that is wrong.
    """
    if v["format"] != format_:
        raise SigningError(f"{where}：字段 format 应为 {format_}")
    if not is_hex64(v["request"]):
        raise SigningError(f"{where}：字段 request 应为 64 位小写十六进制数字")
    for key in ("dept", "key"):
        if not isinstance(v[key], str) or not v[key]:
            raise SigningError(f"{where}：字段 {key} 应为非空字符串")


def check_not_expired(request: LedgerView, now: str, where: str) -> None:
    """Raises SigningError if ``now`` is after the request's ``expires`` (§5 step 1)."""
    if now > request.expires:
        raise SigningError(
            f"{where}：签署申请已于 {request.expires} 过期（当前 {now}），请牵头部门重新生成"
        )


def usable(record: KeyRecord | None, dept: str | None, type_: str, index: int) -> bool:
    """Whether ``record`` is a key (of ``dept``, unless None) valid at ``index`` that may sign
    entries of ``type_``."""
    return (
        record is not None
        and (dept is None or record.dept == dept)
        and record.valid_at(index)
        and type_ in record.scopes
    )


def apply_next(
    state: LedgerState,
    body: Mapping[str, Any],
    blobs: Mapping[str, bytes],
    last: Entry | None = None,
    index: int | None = None,
) -> Entry:
    """Apply ``body`` to the task rules of ``state`` as the entry at ``index`` (default: the
    next one), signatures aside, its ``blobs`` (by SHA-256) read as if they were stored, as an
    append does; ``last`` is the entry before it (default: the last of ``state``). Returns the
    unsigned entry, for the next call of a batch.

    Raises:
        WorkflowError: with the rule's reason (exit code 11).
    """
    stored = state.tasks.blob_reader
    if blobs and stored is not None:
        state.tasks.blob_reader = lambda h: blobs[h] if h in blobs else stored(h)
    at = state.registry.size if index is None else index
    entry = parse_entry(assemble_entry(body, _UNSIGNED), at)
    if last is None and state.entries:
        last = state.entries[-1]
    try:
        require_not_earlier(last, entry)
        state.tasks.apply(entry, at)
    except VerificationError as exc:
        raise WorkflowError(str(exc)) from exc
    return entry


def copy_state(
    request: LedgerView, ledger_dir: Path, trust_path: Path | None, where: str
) -> LedgerState:
    """The replayed state of a department's own copy of the ledger, after checking that the
    copy verifies, is the request's log and has exactly the request's size and root (§5
    steps 2–3).

    Raises:
        SigningError: for another log or another view; LedgerError if the copy does not verify.
    """
    trust = parse_trust((trust_path or ledger_dir / "trust.txt").read_bytes())
    if trust.origin != request.origin:
        raise SigningError(
            f"{where}：申请属于日志 {request.origin}，不是本部门账本副本的日志 {trust.origin}"
        )
    store = open_store(ledger_dir, trust)
    checkpoint = store.read_state().checkpoint
    if checkpoint is None:
        raise SigningError(f"{ledger_dir}：账本副本没有检查点")
    _compare_view(request, checkpoint, where)
    return replay_store(store, trust)


def _compare_view(request: LedgerView, checkpoint: Checkpoint, where: str) -> None:
    if checkpoint.size > request.size:
        raise SigningError(
            f"{where}：申请按第 {request.size} 条时的账本生成，账本现已有 {checkpoint.size} 条；"
            "申请已过时，请牵头部门按最新账本重新生成"
        )
    if checkpoint.size < request.size:
        raise SigningError(
            f"{where}：申请按 {request.size} 条的账本生成，本部门的账本副本只有 {checkpoint.size} 条；"
            "请先同步已公布的账本再签署"
        )
    if checkpoint.root.hex() != request.root:
        raise SigningError(
            f"{where}：账本第 {request.size} 条时的根哈希与本部门的副本不同（日志分叉？），拒绝签署"
        )


def check_prefix(store: LedgerStore, request: LedgerView, where: str) -> None:
    """Raises SigningError unless the ledger the request was prepared against (its size and
    root) is a prefix of ``store`` (§7)."""
    builder = RootBuilder()
    for index, line in enumerate(store.iter_lines()):
        if index == request.size:
            break
        builder.append(leaf_hash(line))
    if builder.size != request.size or builder.root().hex() != request.root:
        raise SigningError(
            f"{where}：申请所依据的账本（{request.size} 条）不是本站点账本的前缀，拒绝追加"
        )


def refuse_example_signer(signer: Signer, registry: Registry) -> None:
    """Refuse a public example key (``docs/ledger.md`` §11.8) unless the ledger of ``registry``
    is an example ledger: every root and log key of it is a public example key too (§5 step 4).

    Raises:
        ExampleKeyError: naming the key (exit code 9).
    """
    anchors = [*registry.roots.values(), *registry.log_keys]
    refuse_example_key(signer.verifier(), example_site=all(map(is_example_key, anchors)))
