"""Ledger entries: the signed envelope, its strict parser, and how departments sign it.

One entry is one line of ``entries.jsonl``: the canonical JSON (``ledger.canonical``) of ::

    {"body": {...}, "sigs": [{"key": "<name>+<hex8>", "sig": "<base64 64 bytes>"}, ...], "v": 1}

``body`` is the signed statement; it always has ``type``, ``id`` (unique in the log) and ``ts``
(``YYYY-MM-DDTHH:MM:SSZ``, UTC, the signer's claim). ``sigs`` is non-empty, sorted by ``key``,
keys unique. Each signature is Ed25519 over (docs/ledger.md §13.2)::

    b"gongkai-ledger/v1 entry\\n" ‖ utf8(origin) ‖ b"\\n" ‖ canonical(body)

The context string and the origin stop a signature from being replayed into another log or into
another protocol (the checkpoint note). The leaf bytes are the line without its ``\\n``; no line
may exceed 65535 bytes (C2SP tlog-tiles entry bundles use a 16-bit length).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, overload

from ledger import canonical
from ledger.envelope import (
    ENTRY_CONTEXT,
    ENTRY_VERSION,
    MAX_ENTRY_SIZE,
    MAX_SIGNATURES,
    check_body,
    envelope,
    make_entry,
    signing_message,
)
from ledger.errors import MalformedError
from ledger.merkle import leaf_hash
from ledger.note import Signer
from ledger.payloads import ENTRY_TYPES

__all__ = [
    "ENTRY_CONTEXT",
    "MAX_ENTRY_SIZE",
    "Entry",
    "EntrySignature",
    "add_signatures",
    "assemble_entry",
    "check_body",
    "make_entry",
    "parse_entry",
    "signing_message",
]


@dataclass(frozen=True)
class EntrySignature:
    """One signature of an entry: the signer's key reference and the 64 signature bytes."""

    key: str
    sig: bytes


class _BodyText:
    """``str(entry.body[key])``, computed on first access and kept in the instance's
    ``__dict__`` (a non-data descriptor, so later reads are plain attribute reads). Like
    ``functools.cached_property`` without its per-access lock in Python 3.11: the verifier
    reads an entry's type about ten times.

    Raises:
        KeyError: on access, if the body has no such key.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    @overload
    def __get__(self, entry: None, owner: type[Any]) -> _BodyText: ...
    @overload
    def __get__(self, entry: Entry, owner: type[Any]) -> str: ...
    def __get__(self, entry: Entry | None, owner: type[Any]) -> _BodyText | str:
        if entry is None:
            return self
        value = str(entry.body[self.key])
        entry.__dict__[self.key] = value  # what cached_property does, also on frozen classes
        return value


class _TypedBody:
    """``entry.payload``: the body parsed into its typed payload (:mod:`ledger.payloads`).

    The registry stores the payload it parsed (with the entry types it was given) in the
    instance's ``__dict__``; otherwise the first access parses with every gongkai-ledger/v1
    type and keeps the result, like :class:`_BodyText`.

    Raises:
        VerificationError: on access, if the body does not match its type's schema or the type
            is unknown (the message names the entry and the field).
    """

    @overload
    def __get__(self, entry: None, owner: type[Any]) -> _TypedBody: ...
    @overload
    def __get__(self, entry: Entry, owner: type[Any]) -> Any: ...
    def __get__(self, entry: Entry | None, owner: type[Any]) -> Any:
        if entry is None:
            return self
        where = f"第 {entry.index} 条条目" if entry.index >= 0 else "条目"
        value = ENTRY_TYPES.parse(entry, f"{where}（{entry.type} {entry.id}）")
        entry.__dict__["payload"] = value
        return value


@dataclass(frozen=True)
class Entry:
    """A parsed entry line. ``index`` is its log position when known."""

    body: Mapping[str, Any]
    sigs: tuple[EntrySignature, ...]
    line: bytes
    index: int = -1

    #: The entry type, e.g. ``key.add``.
    type = _BodyText("type")
    #: The entry id, unique in the log.
    id = _BodyText("id")
    #: The signer's claimed UTC time.
    ts = _BodyText("ts")
    #: The typed body (a :mod:`ledger.payloads` class), checked against its schema.
    payload = _TypedBody()

    @property
    def leaf_hash(self) -> bytes:
        """The RFC 9162 leaf hash of the line."""
        return leaf_hash(self.line)

    @property
    def body_bytes(self) -> bytes:
        """``canonical(body)``, sliced from the line (no re-serialisation).

        The envelope is canonical, so it starts with ``{"body":`` and the body ends where the
        *last* ``,"sigs":[`` begins (signature objects hold only a key reference and base64,
        neither of which can contain that text; inside the body, a ``"`` in a string is
        escaped, and a nested ``sigs`` key is always followed by more of the envelope).
        """
        return self.line[8 : self.line.rfind(b',"sigs":[')]

    def signing_message(self, origin: str) -> bytes:
        """The bytes every signature of this entry covers (same as :func:`signing_message`)."""
        return ENTRY_CONTEXT + origin.encode("utf-8") + b"\n" + self.body_bytes

    def signed_by(self) -> tuple[str, ...]:
        """The key references of every signature."""
        return tuple(s.key for s in self.sigs)


def add_signatures(origin: str, line: bytes, signers: Sequence[Signer]) -> bytes:
    """Add signatures to an entry line (co-signing, e.g. every department of a draw).

    Existing signatures are kept as they are (they are not re-checked here).

    Raises:
        MalformedError: if ``line`` is not a valid entry or a signer already signed it.
    """
    entry = parse_entry(line)
    msg = signing_message(origin, entry.body)
    sigs = {s.key: s.sig for s in entry.sigs}
    for signer in signers:
        ref = signer.verifier().key_ref
        if ref in sigs:
            raise MalformedError(f"密钥 {ref} 已经签署该条目")
        sigs[ref] = signer.sign(msg)
    return envelope(entry.body, sigs)


def assemble_entry(body: Mapping[str, Any], sigs: Mapping[str, bytes]) -> bytes:
    """The entry line of ``body`` with signatures made elsewhere (``{key reference: 64 bytes}``),
    e.g. collected from each department's own machine. The signatures are not checked here (the
    registry does that when the line is applied).

    Raises:
        MalformedError: if the body is malformed or the line would exceed 65535 bytes.
    """
    check_body(body)
    return envelope(body, sigs)


def parse_entry(line: bytes, index: int = -1) -> Entry:
    """Parse one entry line strictly (canonical bytes, envelope shape, common body fields).

    Signatures are decoded but not verified (that is the registry's job).

    Raises:
        MalformedError: for any deviation, naming the index when given.
    """
    if len(line) > MAX_ENTRY_SIZE:
        raise MalformedError(f"{_where(index)}条目过大（{len(line)} 字节）")
    try:
        value = canonical.loads(line)
    except MalformedError as exc:
        raise MalformedError(f"{_where(index)}不是规范 JSON：{exc}") from exc
    if type(value) is not dict or value.keys() != _ENVELOPE_KEYS:
        raise MalformedError(f"{_where(index)}信封应恰好包含 body、sigs、v")
    if value["v"] != ENTRY_VERSION:
        raise MalformedError(f"{_where(index)}不支持的版本 v={value['v']!r}")
    try:
        check_body(value["body"])
    except MalformedError as exc:
        raise MalformedError(f"{_where(index)}{exc}") from exc
    sigs = _parse_sigs(value["sigs"], index)
    # Checked: fill the frozen instance directly (its __init__ sets each field through
    # object.__setattr__, several times slower; the auditor parses every line), with the
    # three common fields check_body found to be strings (what _BodyText would compute).
    body = value["body"]
    entry = object.__new__(Entry)
    entry.__dict__.update(
        body=body,
        sigs=sigs,
        line=line,
        index=index,
        type=body["type"],
        id=body["id"],
        ts=body["ts"],
    )
    return entry


_ENVELOPE_KEYS: Final = frozenset({"body", "sigs", "v"})
_SIGNATURE_KEYS: Final = frozenset({"key", "sig"})


def _where(index: int) -> str:
    """How an error message of :func:`parse_entry` starts: the entry's index, when known."""
    return f"第 {index} 条条目：" if index >= 0 else ""


def _parse_sigs(raw: Any, index: int) -> tuple[EntrySignature, ...]:
    """The signatures of the envelope of entry ``index``: decoded, canonical, sorted, unique.

    Raises:
        MalformedError: naming the index and what is wrong.
    """
    if type(raw) is not list or not raw or len(raw) > MAX_SIGNATURES:
        raise MalformedError(f"{_where(index)}sigs 应为 1 到 {MAX_SIGNATURES} 个签名的列表")
    out: list[EntrySignature] = []
    for item in raw:
        if type(item) is not dict or item.keys() != _SIGNATURE_KEYS:
            raise MalformedError(f"{_where(index)}签名应恰好包含 key 和 sig")
        key, sig = item["key"], item["sig"]
        if type(key) is not str or type(sig) is not str:
            raise MalformedError(f"{_where(index)}签名的 key 和 sig 应为字符串")
        try:
            # strict_mode: only the base64 alphabet, correct padding, nothing after it.
            raw_sig = binascii.a2b_base64(sig, strict_mode=True)
        except (binascii.Error, ValueError):
            raise MalformedError(f"{_where(index)}签名不是有效的 base64") from None
        if len(raw_sig) != 64 or binascii.b2a_base64(raw_sig, newline=False) != sig.encode():
            raise MalformedError(f"{_where(index)}签名应为规范 base64 编码的 64 字节")
        # Checked: fill the frozen instance directly (as for Entry above).
        signature = object.__new__(EntrySignature)
        signature.__dict__.update(key=key, sig=raw_sig)
        out.append(signature)
    if len(out) > 1:
        keys = [s.key for s in out]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            raise MalformedError(f"{_where(index)}签名应按 key 排序且不重复")
    return tuple(out)
