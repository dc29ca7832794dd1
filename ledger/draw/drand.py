"""Offline verification of drand quicknet beacons (docs/draw-v1.md §6).

quicknet uses the scheme ``bls-unchained-g1-rfc9380``: BLS signatures on G1 (48-byte compressed
points), the group public key on G2 (96 bytes), the message of round ``R`` is
``sha256(u64be(R))`` (unchained: it does not depend on the previous signature), hashed to G1 with
RFC 9380 ``hash_to_curve`` and the DST ``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``. A
signature ``σ`` is valid iff ``e(σ, g2) == e(H(m), pk)``; the round's randomness is
``sha256(σ)``. Threshold BLS signatures are unique, so a verified signature fixes the randomness.

BLS verifier: ``py_arkworks_bls12381`` 0.5 (Python bindings to the Rust arkworks BLS12-381
crates, github.com/ethereum/py-arkworks-bls12381, used by the Ethereum consensus specs to make
test vectors; typed, a compiled wheel per CPython version). One check takes a few milliseconds
against ~0.7 s with pure-Python ``py_ecc``, so re-verifying every beacon of a ledger costs
nothing. It has no ready-made G1-signature ciphersuite, so this module composes its parts:
``G1Point.hash_to_curve(msg, dst)`` (RFC 9380 SSWU, XMD:SHA-256; byte-equal to ``py_ecc``'s
``hash_to_G1``), ``from_compressed_bytes`` (ZCash serialisation; it checks the curve *and* the
prime-order subgroup, but accepts the point at infinity with any bytes after the infinity flag,
so infinity is rejected here and the encoding must round-trip byte for byte) and
``GT.pairing_check``: ``e(σ, g2) · e(−H(m), pk) == 1`` as one multi-pairing.

``py_ecc`` (Ethereum Foundation, pure Python, 8.x) stays: as the fallback when the compiled
wheel cannot be imported (a platform without a wheel), and as the independent oracle the tests
run every accept/reject case through. With neither importable the check fails closed.

Both libraries are imported lazily, on the first verification, so that the rest of
:mod:`ledger.draw` loads without them (``py_ecc`` and ``eth-utils``/``eth-typing`` take ~0.5 s).

The pinned chain parameters below are checked against the pinned chain hash at import time
(chain hash = ``sha256(u32be(period) ‖ u64be(genesis) ‖ public_key ‖ group_hash ‖
utf8(beacon_id))``), so pinning the chain hash pins all of them.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ledger.draw.primitives import u32be, u64be
from ledger.errors import MalformedError, UnverifiableError, VerificationError

if TYPE_CHECKING:
    from py_arkworks_bls12381 import G2Point

__all__ = [
    "QUICKNET_CHAIN_HASH",
    "QUICKNET_DST",
    "QUICKNET_GENESIS",
    "QUICKNET_GROUP_HASH",
    "QUICKNET_PERIOD",
    "QUICKNET_PUBLIC_KEY",
    "QUICKNET_SCHEME",
    "chain_hash",
    "forget_verified",
    "is_verified",
    "parse_beacon_record",
    "round_at",
    "round_message",
    "round_time",
    "verify_beacon",
    "verify_beacon_record",
]

QUICKNET_PUBLIC_KEY = bytes.fromhex(
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
    "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
    "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
)
QUICKNET_PERIOD = 3
QUICKNET_GENESIS = 1692803367
QUICKNET_GROUP_HASH = bytes.fromhex(
    "f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e"
)
QUICKNET_BEACON_ID = "quicknet"
QUICKNET_SCHEME = "bls-unchained-g1-rfc9380"
QUICKNET_CHAIN_HASH = bytes.fromhex(
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
)
QUICKNET_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

# py_ecc annotates the hash argument with the hashlib object type; the constructor is what it
# calls.
_SHA256: Any = hashlib.sha256
_G1_SIZE = 48
_G2_SIZE = 96


def chain_hash(
    period: int, genesis_time: int, public_key: bytes, group_hash: bytes, beacon_id: str
) -> bytes:
    """Recompute a drand chain hash from its chain info (docs/draw-v1.md §6).

    Args:
        period: seconds between rounds.
        genesis_time: UNIX time of round 1.
        public_key: the group public key bytes.
        group_hash: the genesis group hash (32 bytes).
        beacon_id: the beacon id (``"quicknet"``).

    Returns:
        ``sha256(u32be(period) ‖ u64be(genesis_time) ‖ public_key ‖ group_hash ‖ beacon_id)``.
    """
    return hashlib.sha256(
        u32be(period) + u64be(genesis_time) + public_key + group_hash + beacon_id.encode("utf-8")
    ).digest()


if (
    chain_hash(
        QUICKNET_PERIOD,
        QUICKNET_GENESIS,
        QUICKNET_PUBLIC_KEY,
        QUICKNET_GROUP_HASH,
        QUICKNET_BEACON_ID,
    )
    != QUICKNET_CHAIN_HASH
):  # pragma: no cover - guards the constants above
    raise RuntimeError("内置的 quicknet 参数与内置的链哈希不符")


def round_time(round_number: int) -> int:
    """Return the UNIX time at which quicknet emits ``round_number``.

    Args:
        round_number: a round ``R ≥ 1``.

    Returns:
        ``genesis + (R − 1) · period``.

    Raises:
        MalformedError: if ``R < 1``.
    """
    if type(round_number) is not int or round_number < 1:
        raise MalformedError("drand 轮次应为 ≥ 1 的整数")
    return QUICKNET_GENESIS + (round_number - 1) * QUICKNET_PERIOD


def round_at(unix_time: int) -> int:
    """Return the latest quicknet round emitted at or before ``unix_time``.

    Args:
        unix_time: UNIX seconds (≥ genesis).

    Returns:
        ``(t − genesis) // period + 1``.

    Raises:
        MalformedError: before genesis.
    """
    if unix_time < QUICKNET_GENESIS:
        raise MalformedError("时间早于 quicknet 链的创世时间")
    return (unix_time - QUICKNET_GENESIS) // QUICKNET_PERIOD + 1


def round_message(round_number: int) -> bytes:
    """Return the signed message of an unchained round: ``sha256(u64be(R))``.

    Args:
        round_number: the round.

    Returns:
        The 32-byte message.
    """
    return hashlib.sha256(u64be(round_number)).digest()


def _import_py_ecc() -> None:
    """Import py_ecc without its global side effect.

    ``py_ecc/__init__.py`` raises ``sys.setrecursionlimit`` to 100,000 for the whole process;
    with that limit a deeply nested input can overflow the C stack in recursive C parsers
    (json, yaml) and crash the process instead of raising. The limit is put back.
    """
    if sys.modules.get("py_ecc") is not None:
        return
    limit = sys.getrecursionlimit()
    try:
        import py_ecc  # noqa: F401
    except ImportError as exc:
        # Fail closed: an unverified beacon is never accepted.
        raise UnverifiableError(
            "缺少 py-ecc，无法离线验证 drand 的 BLS 签名；请先安装：pip install 'py-ecc>=8,<9'"
        ) from exc
    finally:
        sys.setrecursionlimit(limit)


def _arkworks_available() -> bool:
    """Tell whether the compiled ``py_arkworks_bls12381`` can be imported."""
    try:
        import py_arkworks_bls12381  # noqa: F401
    except ImportError:
        return False
    return True


def check_is_fast() -> bool:
    """Tell whether :func:`verify_beacon` will use the compiled verifier (a few milliseconds)
    rather than pure-Python ``py_ecc`` (about half a second), so that callers can decide
    whether running it concurrently is worth a process.
    """
    return _BACKEND != "py_ecc" and _arkworks_available()


#: Which verifier :func:`verify_beacon` uses: ``"auto"`` (``py_arkworks_bls12381`` when it can be
#: imported, else ``py_ecc``), ``"arkworks"`` or ``"py_ecc"``. Only tests change it.
_BACKEND = "auto"


def _select_backend() -> Callable[[int, bytes, bytes], None]:
    """Return the pairing check to run, following :data:`_BACKEND` (fails closed).

    Raises:
        UnverifiableError: if the chosen library (with ``"auto"``: both) cannot be imported.
    """
    if _BACKEND == "py_ecc":
        _import_py_ecc()
        return _verify_py_ecc
    if _arkworks_available():
        return _verify_arkworks
    if _BACKEND == "arkworks":
        raise UnverifiableError(
            "缺少 py-arkworks-bls12381，无法离线验证 drand 的 BLS 签名；"
            "请先安装：pip install 'py-arkworks-bls12381>=0.5,<0.6'"
        )
    try:
        _import_py_ecc()
    except VerificationError as exc:
        # Fail closed: an unverified beacon is never accepted.
        raise UnverifiableError(
            "缺少 py-arkworks-bls12381 和 py-ecc，无法离线验证 drand 的 BLS 签名；请先安装："
            "pip install 'py-arkworks-bls12381>=0.5,<0.6'（或纯 Python 的 'py-ecc>=8,<9'）"
        ) from exc
    return _verify_py_ecc


def _arkworks_point(point_type: Any, data: bytes, group: str, what: str) -> Any:
    """Decode a compressed point with arkworks, checked: on the curve, in the prime-order
    subgroup, not the point at infinity, and in its one canonical encoding (the randomness is
    sha256 of the signature bytes, so no other encoding may pass).

    Args:
        point_type: ``G1Point`` or ``G2Point``.
        data: the compressed bytes (size already checked).
        group: ``"G1"`` or ``"G2"``, for messages.
        what: ``"签名"`` or ``"公钥"``, for messages.

    Raises:
        VerificationError: naming what is wrong.
    """
    try:
        point = point_type.from_compressed_bytes(data)  # curve and subgroup checks
    except ValueError as exc:
        try:
            point_type.from_compressed_bytes_unchecked(data)
        except ValueError:
            raise VerificationError(f"drand {what}不是 {group} 点：{exc}") from exc
        raise VerificationError(f"drand {what}不在 {group} 的素数阶子群中") from exc
    # arkworks decodes any bytes after the infinity flag as the point at infinity.
    if point == point_type.identity():
        raise VerificationError(f"drand {what}不能是无穷远点")
    if point.to_compressed_bytes() != data:  # pragma: no cover - only infinity is lax
        raise VerificationError(f"drand {what}不是规范的压缩 {group} 编码")
    return point


@lru_cache(maxsize=8)
def _arkworks_public_key(public_key: bytes) -> G2Point:
    """Decode and check a G2 public key with arkworks (cached)."""
    from py_arkworks_bls12381 import G2Point

    if len(public_key) != _G2_SIZE:
        raise VerificationError("drand 公钥应为 96 字节的压缩 G2 点")
    point: G2Point = _arkworks_point(G2Point, public_key, "G2", "公钥")
    return point


def _verify_arkworks(round_number: int, signature: bytes, public_key: bytes) -> None:
    """Check ``e(σ, g2) == e(H(m), pk)`` with ``py_arkworks_bls12381``.

    Raises:
        VerificationError: on an invalid, non-subgroup, infinity or non-canonical point, or a
            failed pairing check.
    """
    from py_arkworks_bls12381 import GT, G1Point, G2Point

    pk_point = _arkworks_public_key(public_key)
    sig_point = _arkworks_point(G1Point, signature, "G1", "签名")
    message_point = G1Point.hash_to_curve(round_message(round_number), QUICKNET_DST)
    # e(σ, g2) · e(−H(m), pk) == 1, as one multi-pairing.
    if not GT.pairing_check([sig_point, -message_point], [G2Point(), pk_point]):
        raise VerificationError(f"drand 第 {round_number} 轮的签名验证失败")


@lru_cache(maxsize=8)
def _public_key_point(public_key: bytes) -> Any:
    """Decompress and subgroup-check a G2 public key with py_ecc (cached)."""
    _import_py_ecc()
    from py_ecc.bls.point_compression import decompress_G2
    from py_ecc.bls.typing import G2Compressed
    from py_ecc.optimized_bls12_381.optimized_curve import curve_order, is_inf, multiply

    if len(public_key) != _G2_SIZE:
        raise VerificationError("drand 公钥应为 96 字节的压缩 G2 点")
    try:
        point = decompress_G2(
            G2Compressed(
                (int.from_bytes(public_key[:48], "big"), int.from_bytes(public_key[48:], "big"))
            )
        )
    except ValueError as exc:
        raise VerificationError(f"drand 公钥不是 G2 点：{exc}") from exc
    if is_inf(point):
        raise VerificationError("drand 公钥不能是无穷远点")
    if not is_inf(multiply(point, curve_order)):
        raise VerificationError("drand 公钥不在 G2 的素数阶子群中")
    return point


def _verify_py_ecc(round_number: int, signature: bytes, public_key: bytes) -> None:
    """Check ``e(σ, g2) == e(H(m), pk)`` with pure-Python ``py_ecc`` (fallback, test oracle).

    Raises:
        VerificationError: on an invalid, non-subgroup or infinity point, or a failed pairing
            check.
    """
    _import_py_ecc()
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1
    from py_ecc.bls.typing import G1Compressed
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381.optimized_curve import G2, curve_order, is_inf, multiply, neg
    from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

    pk_point = _public_key_point(public_key)
    try:
        # Strict ZCash decoding: flags, x < p, nothing after the infinity flag.
        sig_point = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
    except ValueError as exc:
        raise VerificationError(f"drand 签名不是 G1 点：{exc}") from exc
    if is_inf(sig_point):
        raise VerificationError("drand 签名不能是无穷远点")
    if not is_inf(multiply(sig_point, curve_order)):
        raise VerificationError("drand 签名不在 G1 的素数阶子群中")
    message_point = hash_to_G1(round_message(round_number), QUICKNET_DST, _SHA256)
    # e(σ, g2) · e(H(m), −pk) == 1, with one shared final exponentiation.
    product = pairing(G2, sig_point, final_exponentiate=False) * pairing(
        neg(pk_point), message_point, final_exponentiate=False
    )
    if final_exponentiate(product) != FQ12.one():
        raise VerificationError(f"drand 第 {round_number} 轮的签名验证失败")


def verify_beacon(
    round_number: int, signature: bytes, public_key: bytes = QUICKNET_PUBLIC_KEY
) -> bytes:
    """Verify a quicknet beacon offline and return its randomness.

    Uses ``py_arkworks_bls12381`` when it can be imported, else ``py_ecc``.

    Args:
        round_number: the round ``R``.
        signature: the 48-byte compressed G1 signature.
        public_key: the 96-byte compressed G2 group key (default: pinned quicknet key).

    Returns:
        ``sha256(signature)`` — the round's 32-byte randomness.

    Raises:
        VerificationError: on a wrong size (a 96-byte G2-scheme signature in particular), an
            invalid or non-subgroup or infinity point, a failed pairing check, or when neither
            BLS library can be imported.
    """
    if type(round_number) is not int or not 1 <= round_number < 1 << 64:
        raise VerificationError("drand 轮次应为 1..2^64-1 范围内的整数")
    if not isinstance(signature, bytes) or len(signature) != _G1_SIZE:
        raise VerificationError("drand 签名应为 48 字节的压缩 G1 点（bls-unchained-g1-rfc9380）")
    if is_verified(round_number, signature, public_key):
        return hashlib.sha256(signature).digest()
    public_key = bytes(public_key)
    _select_backend()(round_number, signature, public_key)
    if len(_VERIFIED) < _VERIFIED_MAX:
        _VERIFIED.add((round_number, signature, public_key))
    return hashlib.sha256(signature).digest()


#: Beacons already verified in this process: an auditor checks each ``draw.beacon`` entry and
#: then re-runs its draw, which needs the same beacon — one pairing check serves both.
_VERIFIED: set[tuple[int, bytes, bytes]] = set()
_VERIFIED_MAX = 4096


def is_verified(
    round_number: int, signature: bytes, public_key: bytes = QUICKNET_PUBLIC_KEY
) -> bool:
    """Tell whether :func:`verify_beacon` has already accepted this beacon in this process.

    Args:
        round_number: the round.
        signature: the signature bytes.
        public_key: the group key (default: pinned quicknet key).

    Returns:
        ``True`` only after a successful :func:`verify_beacon` of exactly these inputs.
    """
    return (round_number, signature, bytes(public_key)) in _VERIFIED


def forget_verified() -> None:
    """Forget every beacon :func:`verify_beacon` has accepted in this process.

    The next check of each beacon runs the pairing again (benchmarks use this to time cold
    draws).
    """
    _VERIFIED.clear()


def verify_beacon_record(beacon: Mapping[str, Any], expected_chain_hash: str) -> bytes:
    """Verify a ``draw.beacon`` body ``{chain_hash, round, signature}`` (docs/draw-v1.md §6).

    Only quicknet is supported: the chain hash must be the pinned quicknet chain hash and equal
    the one the announcement named.

    Args:
        beacon: the beacon body (extra ledger fields are ignored).
        expected_chain_hash: ``randomness.drand.chain_hash`` from the announcement.

    Returns:
        The 32-byte randomness.

    Raises:
        MalformedError: if a field is missing or has the wrong type.
        VerificationError: on a chain mismatch or an invalid signature.
    """
    round_number, signature = parse_beacon_record(beacon, expected_chain_hash)
    return verify_beacon(round_number, signature)


def parse_beacon_record(beacon: Mapping[str, Any], expected_chain_hash: str) -> tuple[int, bytes]:
    """Check the fields of a ``draw.beacon`` body, without the signature check.

    :func:`verify_beacon_record` is this followed by :func:`verify_beacon`; the draw runs the
    pairing check (slow only on the pure-Python fallback) at the same time as the entity draw,
    which needs only the unverified randomness ``sha256(signature)`` — and reports a failed check
    first.

    Args:
        beacon: the beacon body.
        expected_chain_hash: ``randomness.drand.chain_hash`` from the announcement.

    Returns:
        ``(round, signature bytes)``.

    Raises:
        MalformedError: if a field is missing or has the wrong type.
        VerificationError: on a chain mismatch or a chain other than quicknet.
    """
    try:
        chain = beacon["chain_hash"]
        round_number = beacon["round"]
        signature_hex = beacon["signature"]
    except (KeyError, TypeError) as exc:
        raise MalformedError("drand 信标缺少 chain_hash、round 或 signature") from exc
    if not isinstance(chain, str) or not isinstance(signature_hex, str):
        raise MalformedError("drand 信标的 chain_hash 和 signature 应为十六进制字符串")
    if type(round_number) is not int:
        raise MalformedError("drand 信标的 round 应为整数")
    if chain != expected_chain_hash:
        raise VerificationError("drand 信标的链哈希与公告中的不符")
    if chain != QUICKNET_CHAIN_HASH.hex():
        raise VerificationError("draw-v1 只支持 drand quicknet 链")
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError as exc:
        raise MalformedError("drand 信标的签名不是十六进制") from exc
    if signature.hex() != signature_hex:
        raise MalformedError("drand 信标的签名应为小写十六进制")
    return round_number, signature
