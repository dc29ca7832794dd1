"""DRAW-V1 byte primitives (docs/draw-v1.md §1).

Everything in a draw is built from four operations on bytes:

* ``H(x)`` — SHA-256 (FIPS 180-4); hex output is always lowercase;
* ``LP(x) = u32be(len(x)) ‖ x`` — length prefix, so that a sequence of fields can never be
  re-split differently (``LP("ab") ‖ LP("c") != LP("a") ‖ LP("bc")``);
* ``u32be`` / ``u64be`` — fixed-width unsigned big-endian integers;
* ``CJ(v)`` — canonical JSON (RFC 8785 JCS profile, integers only), delegated to
  :func:`ledger.canonical.dumps`, the single definition of canonical bytes in the ledger.

Strings that the algorithm reads as identifiers (entity and inspector ids, department ids,
strata, tags) must be NFC-normalised and free of control characters (docs/draw-v1.md §1), so that
two implementations cannot disagree on their UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from ledger.canonical import dumps as _canonical_dumps
from ledger.errors import MalformedError

__all__ = [
    "CJ",
    "LP",
    "H",
    "H_hex",
    "check_identifier",
    "identifier_problem",
    "u32be",
    "u64be",
    "utf8",
]

_U32_LIMIT = 1 << 32
_U64_LIMIT = 1 << 64
# C0 controls, DEL and C1 controls (Unicode category Cc).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def H(data: bytes) -> bytes:
    """Return SHA-256 of ``data`` (docs/draw-v1.md §1 ``H``).

    Args:
        data: the bytes to hash.

    Returns:
        The 32-byte digest.
    """
    return hashlib.sha256(data).digest()


def H_hex(data: bytes) -> str:
    """Return SHA-256 of ``data`` as 64 lowercase hex digits.

    Args:
        data: the bytes to hash.

    Returns:
        The lowercase hex digest.
    """
    return hashlib.sha256(data).hexdigest()


def u32be(n: int) -> bytes:
    """Encode ``n`` as 4 bytes, unsigned big-endian.

    Args:
        n: an integer with 0 ≤ n < 2^32.

    Returns:
        The 4-byte encoding.

    Raises:
        MalformedError: if ``n`` is out of range.
    """
    if not 0 <= n < _U32_LIMIT:
        raise MalformedError(f"u32be：数值超出范围：{n}")
    return n.to_bytes(4, "big")


def u64be(n: int) -> bytes:
    """Encode ``n`` as 8 bytes, unsigned big-endian.

    Args:
        n: an integer with 0 ≤ n < 2^64.

    Returns:
        The 8-byte encoding.

    Raises:
        MalformedError: if ``n`` is out of range.
    """
    if not 0 <= n < _U64_LIMIT:
        raise MalformedError(f"u64be：数值超出范围：{n}")
    return n.to_bytes(8, "big")


def LP(data: bytes) -> bytes:
    """Length-prefix ``data``: ``u32be(len(data)) ‖ data`` (docs/draw-v1.md §1 ``LP``).

    Args:
        data: the field bytes (use :func:`utf8` for strings).

    Returns:
        The framed field.

    Raises:
        MalformedError: if ``data`` is 4 GiB or longer.
    """
    return u32be(len(data)) + data


def utf8(text: str) -> bytes:
    """Encode ``text`` as strict UTF-8.

    Args:
        text: a string without lone surrogates.

    Returns:
        The UTF-8 bytes.

    Raises:
        MalformedError: if ``text`` holds a lone surrogate.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedError("字符串含有孤立的代理码元（lone surrogate）") from exc


def CJ(value: object) -> bytes:
    """Canonical JSON bytes of ``value`` (RFC 8785 profile, see :mod:`ledger.canonical`).

    Args:
        value: JSON-compatible value with integer numbers only.

    Returns:
        Canonical UTF-8 JSON without a trailing newline.

    Raises:
        MalformedError: if the value is not representable (a float, a big integer, ...).
    """
    return _canonical_dumps(value)


def check_identifier(value: object, what: str) -> str:
    """Check that ``value`` is a usable identifier string (docs/draw-v1.md §1).

    An identifier is a non-empty ``str`` in Unicode NFC without control characters (so its UTF-8
    bytes are unambiguous and it can be printed safely).

    Args:
        value: the candidate.
        what: a name for error messages.

    Returns:
        ``value`` itself, typed as ``str``.

    Raises:
        MalformedError: if ``value`` is not such a string.
    """
    if not isinstance(value, str) or not value:
        raise MalformedError(f"{what}：应为非空字符串")
    problem = identifier_problem(value)
    if problem is not None:
        raise MalformedError(f"{what}：{problem}")
    return value


def identifier_problem(value: str) -> str | None:
    """What keeps the non-empty string ``value`` from being an identifier (docs/draw-v1.md §1),
    in Chinese, or None if it is one (see :func:`check_identifier`)."""
    if not value.isascii():
        if not unicodedata.is_normalized("NFC", value):
            return f"不是 Unicode NFC 规范化形式：{value!r}"
        try:
            utf8(value)
        except MalformedError as exc:
            return str(exc)
    if _CONTROL.search(value):
        return f"含有控制字符：{value!r}"
    return None
