"""The entry line format and how departments sign it (docs/ledger.md §13.2).

One entry is one line of ``entries.jsonl``: the canonical JSON (``ledger.canonical``) of ::

    {"body": {...}, "sigs": [{"key": "<name>+<hex8>", "sig": "<base64 64 bytes>"}, ...], "v": 1}

:func:`make_entry` checks the common body fields and writes that line; :mod:`ledger.entries`
parses it back (``parse_entry``) and types its body with :mod:`ledger.payloads`, which builds
its lines with :func:`make_entry`. This module imports neither of them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ledger import canonical
from ledger.errors import MalformedError
from ledger.note import Signer
from ledger.tiles import MAX_ENTRY_SIZE

__all__ = [
    "ENTRY_CONTEXT",
    "ENTRY_VERSION",
    "MAX_ENTRY_SIZE",
    "MAX_SIGNATURES",
    "check_body",
    "envelope",
    "make_entry",
    "signing_message",
]

ENTRY_CONTEXT = b"gongkai-ledger/v1 entry\n"
ENTRY_VERSION = 1
MAX_SIGNATURES = 64

_TS_RE = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$"
)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def signing_message(origin: str, body: Mapping[str, Any]) -> bytes:
    """The exact bytes a department signs for ``body`` in the log ``origin``.

    Raises:
        MalformedError: if ``body`` cannot be canonicalised.
    """
    return ENTRY_CONTEXT + origin.encode("utf-8") + b"\n" + canonical.dumps(body)


def check_body(body: Any) -> None:
    """Check the common body fields (``type``, ``id``, ``ts``).

    Raises:
        MalformedError: naming the field that is missing or malformed.
    """
    if not isinstance(body, dict):
        raise MalformedError("条目 body 应为对象")
    for key, pattern in (("type", _TYPE_RE), ("id", _ID_RE), ("ts", _TS_RE)):
        value = body.get(key)
        # fullmatch: with match, "$" would also accept the text followed by one "\n".
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise MalformedError(f"条目 body.{key} 缺失或格式错误：{value!r}")


def make_entry(origin: str, body: Mapping[str, Any], signers: Sequence[Signer]) -> bytes:
    """Sign ``body`` by every signer and return the canonical entry line (without ``\\n``).

    Raises:
        MalformedError: if the body is malformed or the line would exceed 65535 bytes.
        ValueError: if no signer is given or two signers share a key.
    """
    if not signers:
        raise ValueError("至少需要一个签名者")
    check_body(body)
    msg = signing_message(origin, body)
    sigs = {s.verifier().key_ref: s.sign(msg) for s in signers}
    if len(sigs) != len(signers):
        raise ValueError("签名者重复")
    return envelope(body, sigs)


def envelope(body: Mapping[str, Any], sigs: Mapping[str, bytes]) -> bytes:
    """The entry line of ``body`` with the signatures ``sigs`` (key reference → 64 bytes).

    Raises:
        MalformedError: if the body cannot be canonicalised or the line exceeds 65535 bytes.
    """
    record = {
        "body": dict(body),
        "sigs": [
            {"key": k, "sig": base64.b64encode(sigs[k]).decode("ascii")} for k in sorted(sigs)
        ],
        "v": ENTRY_VERSION,
    }
    line = canonical.dumps(record)
    if len(line) > MAX_ENTRY_SIZE:
        raise MalformedError(
            f"条目过大（{len(line)} 字节，上限 {MAX_ENTRY_SIZE}）；大数据应放入 blob"
        )
    return line
