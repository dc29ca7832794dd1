"""Commitments, the draw seed and sub-seeds (docs/draw-v1.md §4–§5), RFC 3797 key strings.

All byte strings are framed with ``LP`` (docs/draw-v1.md §1). Text fields are UTF-8; the
announcement hash, the drand chain hash, the drand randomness, the seed and department secrets
enter as their raw bytes (32 bytes each), never as hex text. Sub-seeds are returned as 64-char
lowercase hex *strings*, because that is what :func:`ledger.draw.tickets.ticket` and the pick
hash (§7.5) consume.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ledger.draw.primitives import CJ, LP, H, check_identifier, u32be, u64be, utf8
from ledger.errors import MalformedError, VerificationError

__all__ = [
    "SECRET_SIZE",
    "announce_hash",
    "check_reveal",
    "commitment",
    "compute_seed",
    "key_string",
    "parse_hex32",
    "parse_key_string",
    "seed_preimage",
    "subseeds",
]

SECRET_SIZE = 32
_HEX64 = re.compile(r"[0-9a-f]{64}")
# RFC 3797 §4 key string: per source, one or more "value." then "/"; values are decimal
# integers without leading zeros.
_KEY_STRING = re.compile(r"(?:(?:0|[1-9][0-9]*)\.)+/(?:(?:(?:0|[1-9][0-9]*)\.)+/)*")


def parse_hex32(value: object, what: str) -> bytes:
    """Decode 64 lowercase hex digits to 32 bytes.

    Args:
        value: the candidate string.
        what: a name for error messages.

    Returns:
        The 32 bytes.

    Raises:
        MalformedError: unless ``value`` is exactly 64 lowercase hex digits.
    """
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise MalformedError(f"{what}：应为 64 位小写十六进制")
    return bytes.fromhex(value)


def commitment(task_id: str, dept: str, secret: bytes) -> str:
    """Return a department's commitment ``c_d`` (docs/draw-v1.md §4).

    ``c_d = H(LP("draw-v1/commit") ‖ LP(utf8 task_id) ‖ LP(utf8 d) ‖ LP(s_d))``.

    Args:
        task_id: the draw task id.
        dept: the department id.
        secret: the department's 32-byte secret ``s_d``.

    Returns:
        ``c_d`` as lowercase hex.

    Raises:
        MalformedError: if the secret is not 32 bytes.
    """
    if len(secret) != SECRET_SIZE:
        raise MalformedError("承诺：秘密应为 32 字节")
    return H(LP(b"draw-v1/commit") + LP(utf8(task_id)) + LP(utf8(dept)) + LP(bytes(secret))).hex()


def check_reveal(task_id: str, dept: str, secret_hex: object, expected: str) -> bytes:
    """Check a ``draw.reveal`` against the announced commitment (docs/draw-v1.md §4).

    Args:
        task_id: the draw task id.
        dept: the revealing department.
        secret_hex: the revealed secret, 64 lowercase hex digits.
        expected: the commitment from the announcement (lowercase hex).

    Returns:
        The 32-byte secret.

    Raises:
        VerificationError: if the reveal is malformed or does not match the commitment.
    """
    try:
        secret = parse_hex32(secret_hex, f"{dept} 的揭示")
    except MalformedError as exc:
        raise VerificationError(str(exc)) from exc
    if commitment(task_id, dept, secret) != expected:
        raise VerificationError(f"{dept} 的揭示与其承诺不符")
    return secret


def announce_hash(body: Mapping[str, object]) -> bytes:
    """Return ``announce_hash = H(CJ(body))`` (docs/draw-v1.md §3, docs/ledger.md §14.1).

    Args:
        body: the whole signed body of the ``draw.announce`` entry (``type``, ``id``, ``ts``
            included).

    Returns:
        The 32-byte hash.

    Raises:
        MalformedError: if the body is not canonical-JSON serialisable.
    """
    return H(CJ(dict(body)))


def key_string(sources: Sequence[Sequence[int]]) -> str:
    """Form an RFC 3797 §4 key string from the announced sources' values.

    Each value is written in decimal without leading zeros; the values of each source are sorted
    ascending (numerically) and each is followed by ``.``; each source is followed by ``/``;
    sources stay in announced order. Example (RFC 3797 §6):
    ``[[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]`` →
    ``"9319./2.5.8.10.12./9.18.26.34.41.45./"``.

    Args:
        sources: one sequence of non-negative integers per source, in announced order.

    Returns:
        The key string.

    Raises:
        MalformedError: on an empty source or a value that is not a non-negative integer.
    """
    parts: list[str] = []
    for source in sources:
        values = list(source)
        if not values:
            raise MalformedError("密钥串：某个来源没有数值")
        for v in values:
            if type(v) is not int or v < 0:
                raise MalformedError("密钥串：数值应为非负整数")
        parts.append("".join(f"{v}." for v in sorted(values)) + "/")
    if not parts:
        raise MalformedError("密钥串：没有任何来源")
    return "".join(parts)


def parse_key_string(text: object) -> str:
    """Validate a transcribed RFC 3797 key string (grammar and per-source ascending order).

    Args:
        text: the candidate key string.

    Returns:
        ``text`` itself.

    Raises:
        MalformedError: if it is not in RFC 3797 §4 canonical form.
    """
    if not isinstance(text, str) or not _KEY_STRING.fullmatch(text):
        raise MalformedError("附加密钥串：不是 RFC 3797 密钥串")
    for source in text[:-1].split("/"):
        values = [int(v) for v in source[:-1].split(".")]
        if values != sorted(values):
            raise MalformedError("附加密钥串：同一来源的数值应按升序排列")
    return text


def compute_seed(
    announce_sha256: bytes,
    chain_hash: bytes,
    round_number: int,
    randomness: bytes,
    secrets: Mapping[str, bytes | None],
    extra_key_string: str | None = None,
) -> bytes:
    """Return the draw seed ``H(seed_preimage(…))`` (docs/draw-v1.md §5).

    Args:
        announce_sha256: see :func:`seed_preimage`.
        chain_hash: see :func:`seed_preimage`.
        round_number: see :func:`seed_preimage`.
        randomness: see :func:`seed_preimage`.
        secrets: see :func:`seed_preimage`.
        extra_key_string: see :func:`seed_preimage`.

    Returns:
        The 32-byte seed.

    Raises:
        MalformedError: see :func:`seed_preimage`.
    """
    return H(
        seed_preimage(
            announce_sha256, chain_hash, round_number, randomness, secrets, extra_key_string
        )
    )


def seed_preimage(
    announce_sha256: bytes,
    chain_hash: bytes,
    round_number: int,
    randomness: bytes,
    secrets: Mapping[str, bytes | None],
    extra_key_string: str | None = None,
) -> bytes:
    """Return the bytes hashed into the draw seed (docs/draw-v1.md §5).

    ``seed = H(LP("draw-v1/seed") ‖ LP(announce_hash) ‖ LP(chain_hash) ‖ LP(u64be(R)) ‖
    LP(rand) ‖ LP(u32be(n)) ‖ [LP(utf8 d) ‖ LP(s_d or b"")]* ‖ LP(utf8 extra or b""))``
    with the ``n`` committed departments in UTF-8 byte order.

    Args:
        announce_sha256: the 32-byte announcement hash.
        chain_hash: the 32-byte drand chain hash.
        round_number: the drand round ``R``.
        randomness: the 32-byte drand randomness ``H(signature)``.
        secrets: every committed department mapped to its valid revealed secret, or ``None``
            when the reveal is missing or invalid (it then contributes the empty string).
        extra_key_string: the RFC 3797 key string of the optional lottery source, or ``None``.

    Returns:
        The preimage bytes.

    Raises:
        MalformedError: on wrong field sizes or an invalid department id.
    """
    for name, value in (
        ("公告哈希", announce_sha256),
        ("链哈希", chain_hash),
        ("drand 随机数", randomness),
    ):
        if len(value) != 32:
            raise MalformedError(f"种子：{name}应为 32 字节")
    depts = sorted(secrets)  # str order == UTF-8 byte order
    parts = [
        LP(b"draw-v1/seed"),
        LP(announce_sha256),
        LP(chain_hash),
        LP(u64be(round_number)),
        LP(randomness),
        LP(u32be(len(depts))),
    ]
    for dept in depts:
        check_identifier(dept, "部门")
        secret = secrets[dept]
        if secret is not None and len(secret) != SECRET_SIZE:
            raise MalformedError(f"种子：{dept} 的秘密应为 32 字节")
        parts.append(LP(utf8(dept)))
        parts.append(LP(b"" if secret is None else bytes(secret)))
    parts.append(LP(b"" if extra_key_string is None else utf8(extra_key_string)))
    return b"".join(parts)


def subseeds(seed: bytes) -> tuple[str, str]:
    """Return ``(S_entities, S_inspectors)`` (docs/draw-v1.md §5).

    ``S_x = hex(H(LP("draw-v1/sub") ‖ LP(seed) ‖ LP(utf8 "x")))``.

    Args:
        seed: the 32-byte draw seed.

    Returns:
        The two sub-seeds as 64-char lowercase hex strings.

    Raises:
        MalformedError: if the seed is not 32 bytes.
    """
    if len(seed) != 32:
        raise MalformedError("子种子：种子应为 32 字节")
    base = LP(b"draw-v1/sub") + LP(seed)
    return H(base + LP(b"entities")).hex(), H(base + LP(b"inspectors")).hex()
