"""Offline drand quicknet verification (docs/draw-v1.md §6).

The two real rounds come from tests/draw/golden/drand_quicknet.json (a copy of the project's
shared reference data). Forged signatures for the negative tests are made with a throwaway key.

The signature checks run through both BLS backends — compiled ``py_arkworks_bls12381`` (the one
used) and pure-Python ``py_ecc`` (the fallback) — and the two must agree on every case; py_ecc
also builds the test points, independently of arkworks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import (
    compress_G1,
    compress_G2,
    decompress_G1,
    modular_squareroot_in_FQ2,
)
from py_ecc.bls.typing import G1Compressed
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381.optimized_curve import (
    G2,
    add,
    b2,
    curve_order,
    field_modulus,
    is_inf,
    multiply,
)

from ledger.draw import drand
from ledger.errors import MalformedError, VerificationError

DATA = json.loads((Path(__file__).parent / "golden" / "drand_quicknet.json").read_text())
ROUNDS = [(r["round"], r["signature"], r["randomness"]) for r in DATA["rounds"]]
G2_DST = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"
BACKENDS = ["arkworks", "py_ecc"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with one BLS backend forced, and nothing remembered from other tests."""
    monkeypatch.setattr(drand, "_BACKEND", request.param)
    drand.forget_verified()
    yield request.param
    drand.forget_verified()


def _g1_bytes(point: Any) -> bytes:
    return int(compress_G1(point)).to_bytes(48, "big")


def _g2_bytes(point: Any) -> bytes:
    z1, z2 = compress_G2(point)
    return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")


SK = 0x1234567890ABCDEF1234567890ABCDEF
OWN_PK = _g2_bytes(multiply(G2, SK))


def _sign(round_number: int, dst: bytes = drand.QUICKNET_DST) -> bytes:
    msg = hashlib.sha256(round_number.to_bytes(8, "big")).digest()
    return _g1_bytes(multiply(hash_to_G1(msg, dst, hashlib.sha256), SK))


@pytest.mark.parametrize(("round_number", "signature", "randomness"), ROUNDS)
def test_real_rounds_verify(
    backend: str, round_number: int, signature: str, randomness: str
) -> None:
    got = drand.verify_beacon(round_number, bytes.fromhex(signature))
    assert got.hex() == randomness == hashlib.sha256(bytes.fromhex(signature)).hexdigest()


@pytest.mark.parametrize(("round_number", "signature", "randomness"), ROUNDS)
def test_neighbouring_rounds_rejected(
    backend: str, round_number: int, signature: str, randomness: str
) -> None:
    for other in (round_number - 1, round_number + 1):
        with pytest.raises(VerificationError):
            drand.verify_beacon(other, bytes.fromhex(signature))


def test_flipped_bit_rejected(backend: str) -> None:
    round_number, signature, _ = ROUNDS[0]
    for bit in (0, 7, 200, 383):
        forged = bytearray(bytes.fromhex(signature))
        forged[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(VerificationError):
            drand.verify_beacon(round_number, bytes(forged))


def test_wrong_public_key_rejected(backend: str) -> None:
    round_number, signature, _ = ROUNDS[1]
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number, bytes.fromhex(signature), OWN_PK)


def test_own_key_roundtrip_and_g2_dst_rejected(backend: str) -> None:
    # Sanity: our forging helper makes valid signatures under our own key ...
    assert drand.verify_beacon(42, _sign(42), OWN_PK) == hashlib.sha256(_sign(42)).digest()
    # ... but one hashed with the G2 DST (the deprecated fastnet mistake) does not verify.
    with pytest.raises(VerificationError):
        drand.verify_beacon(42, _sign(42, G2_DST), OWN_PK)


def test_g2_sized_signature_rejected(backend: str) -> None:
    round_number, _, _ = ROUNDS[0]
    with pytest.raises(VerificationError, match="48 字节"):
        drand.verify_beacon(round_number, OWN_PK)  # a valid 96-byte G2 point
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number, b"")


def test_infinity_and_non_subgroup_points_rejected(backend: str) -> None:
    infinity = bytes([0xC0]) + bytes(47)
    with pytest.raises(VerificationError):
        drand.verify_beacon(1, infinity)
    # A point on the curve y^2 = x^3 + 4 but outside the prime-order subgroup.
    x = 1
    while True:
        rhs = (x**3 + 4) % field_modulus
        if pow(rhs, (field_modulus - 1) // 2, field_modulus) == 1:
            break
        x += 1
    encoded = (x | (1 << 383)).to_bytes(48, "big")
    with pytest.raises(VerificationError, match="子群"):
        drand.verify_beacon(1, encoded)
    with pytest.raises(VerificationError):
        drand.verify_beacon(1, bytes(48))  # no compression flag
    with pytest.raises(VerificationError):
        drand.verify_beacon(1, b"\xff" * 48)  # x ≥ p


def test_bad_public_keys_rejected(backend: str) -> None:
    round_number, signature, _ = ROUNDS[0]
    for pk in (b"", OWN_PK[:48], bytes([0xC0]) + bytes(95)):
        with pytest.raises(VerificationError):
            drand.verify_beacon(round_number, bytes.fromhex(signature), pk)


def test_round_time() -> None:
    for r in DATA["rounds"]:
        expected = dt.datetime.fromisoformat(r["round_time_utc"].replace("Z", "+00:00"))
        assert drand.round_time(r["round"]) == int(expected.timestamp())
    assert drand.round_time(1) == DATA["chain_info"]["genesis_time"]
    assert drand.round_at(drand.round_time(5358915)) == 5358915
    assert drand.round_at(drand.round_time(5358915) + 2) == 5358915
    with pytest.raises(MalformedError):
        drand.round_time(0)
    with pytest.raises(VerificationError):
        drand.verify_beacon(0, b"x" * 48)


def test_chain_hash_recomputed_from_info() -> None:
    info = DATA["chain_info"]
    got = drand.chain_hash(
        info["period"],
        info["genesis_time"],
        bytes.fromhex(info["public_key"]),
        bytes.fromhex(info["groupHash"]),
        info["metadata"]["beaconID"],
    )
    assert got.hex() == info["hash"] == drand.QUICKNET_CHAIN_HASH.hex()
    assert info["schemeID"] == drand.QUICKNET_SCHEME
    assert DATA["dst"].encode() == drand.QUICKNET_DST
    assert bytes.fromhex(info["public_key"]) == drand.QUICKNET_PUBLIC_KEY


def test_beacon_record(backend: str) -> None:
    round_number, signature, randomness = ROUNDS[1]
    chain = drand.QUICKNET_CHAIN_HASH.hex()
    record = {"chain_hash": chain, "round": round_number, "signature": signature}
    assert drand.verify_beacon_record(record, chain).hex() == randomness
    with pytest.raises(VerificationError):
        drand.verify_beacon_record(record, "00" * 32)
    with pytest.raises(VerificationError):
        drand.verify_beacon_record({**record, "chain_hash": "00" * 32}, "00" * 32)
    with pytest.raises(MalformedError):
        drand.verify_beacon_record({**record, "signature": signature.upper()}, chain)
    with pytest.raises(MalformedError):
        drand.verify_beacon_record({"round": round_number}, chain)
    with pytest.raises(MalformedError):
        drand.verify_beacon_record({**record, "round": "5358915"}, chain)


def test_a_verified_beacon_is_remembered_for_exactly_its_inputs(backend: str) -> None:
    round_number, signature, randomness = ROUNDS[0]
    sig = bytes.fromhex(signature)
    drand.verify_beacon(round_number, sig)
    assert drand.is_verified(round_number, sig)
    assert drand.verify_beacon(round_number, sig).hex() == randomness
    # Not for another round, another key or another signature.
    assert not drand.is_verified(round_number + 1, sig)
    assert not drand.is_verified(round_number, sig, OWN_PK)
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number + 1, sig)
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number, sig, OWN_PK)
    forged = bytes([sig[0] ^ 1]) + sig[1:]
    assert not drand.is_verified(round_number, forged)
    drand.forget_verified()
    assert not drand.is_verified(round_number, sig)


# --- Both backends: the points of the negative cases, built with py_ecc ----------------------


def _non_subgroup_g1_x() -> int:
    """Return the smallest x of a point on y^2 = x^3 + 4 (G1 has cofactor ≠ 1: none in G1)."""
    x = 1
    while pow((x**3 + 4) % field_modulus, (field_modulus - 1) // 2, field_modulus) != 1:
        x += 1
    return x


def _not_on_curve_g1_x() -> int:
    """Return the smallest x for which x^3 + 4 is not a square: no curve point has it."""
    x = 1
    while pow((x**3 + 4) % field_modulus, (field_modulus - 1) // 2, field_modulus) == 1:
        x += 1
    return x


def _non_subgroup_g2() -> bytes:
    """Return a compressed point on the G2 twist that lies outside the prime-order subgroup."""
    x = 1
    while True:
        fx = FQ2([x, 0])
        y = modular_squareroot_in_FQ2(fx**3 + b2)
        if y is not None:
            point = (fx, y, FQ2.one())
            if not is_inf(multiply(point, curve_order)):
                return _g2_bytes(point)
        x += 1


NON_SUBGROUP_G1 = (_non_subgroup_g1_x() | (1 << 383)).to_bytes(48, "big")
NOT_ON_CURVE_G1 = (_not_on_curve_g1_x() | (1 << 383)).to_bytes(48, "big")
NON_SUBGROUP_G2 = _non_subgroup_g2()
G1_INFINITY = bytes([0xC0]) + bytes(47)
G2_INFINITY = bytes([0xC0]) + bytes(95)


def _real_signature_plus_torsion() -> bytes:
    """Return a real signature plus a point of small order (outside the subgroup, on the curve)."""
    _, signature, _ = ROUNDS[0]
    torsion = multiply(
        decompress_G1(G1Compressed(int.from_bytes(NON_SUBGROUP_G1, "big"))), curve_order
    )
    assert not is_inf(torsion)
    sig_point = decompress_G1(G1Compressed(int.from_bytes(bytes.fromhex(signature), "big")))
    return _g1_bytes(add(sig_point, torsion))


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


R0, SIG0_HEX, _ = ROUNDS[0]
R1, SIG1_HEX, _ = ROUNDS[1]
SIG0, SIG1 = bytes.fromhex(SIG0_HEX), bytes.fromhex(SIG1_HEX)
PK = drand.QUICKNET_PUBLIC_KEY

#: (case, round, signature, public key, accepted?) — every case runs through both backends.
CASES: list[tuple[str, int, bytes, bytes, bool]] = [
    ("real round 0", R0, SIG0, PK, True),
    ("real round 1", R1, SIG1, PK, True),
    ("own key", 42, _sign(42), OWN_PK, True),
    ("round 0 − 1", R0 - 1, SIG0, PK, False),
    ("round 0 + 1", R0 + 1, SIG0, PK, False),
    ("round 1 − 1", R1 - 1, SIG1, PK, False),
    ("round 1 + 1", R1 + 1, SIG1, PK, False),
    ("signatures swapped", R0, SIG1, PK, False),
    ("wrong key", R1, SIG1, OWN_PK, False),
    ("own signature, quicknet key", 42, _sign(42), PK, False),
    ("G2 DST", 42, _sign(42, G2_DST), OWN_PK, False),
    *[
        (f"bit {bit} flipped", R0, _flip(SIG0, bit), PK, False)
        for bit in (0, 1, 2, 3, 7, 8, 100, 200, 300, 383)
    ],
    ("G2-sized signature", R0, OWN_PK, PK, False),
    ("47-byte signature", R0, SIG0[:47], PK, False),
    ("empty signature", R0, b"", PK, False),
    ("infinity signature", R0, G1_INFINITY, PK, False),
    ("infinity with trailing bits", R0, G1_INFINITY[:-1] + b"\x01", PK, False),
    ("infinity with sign bit", R0, bytes([0xE0]) + bytes(47), PK, False),
    ("all ones", R0, b"\xff" * 48, PK, False),
    ("x ≥ p", R0, bytes([0x9F]) + b"\xff" * 47, PK, False),
    ("no compression flag", R0, bytes(48), PK, False),
    ("not on curve", R0, NOT_ON_CURVE_G1, PK, False),
    ("not in subgroup", R0, NON_SUBGROUP_G1, PK, False),
    ("real signature + torsion", R0, _real_signature_plus_torsion(), PK, False),
    ("infinity signature and key", R0, G1_INFINITY, G2_INFINITY, False),
    ("infinity key", R0, SIG0, G2_INFINITY, False),
    ("infinity key with trailing bits", R0, SIG0, G2_INFINITY[:-1] + b"\x01", False),
    ("key not in subgroup", R0, SIG0, NON_SUBGROUP_G2, False),
    ("48-byte key", R0, SIG0, PK[:48], False),
    ("key with a flipped bit", R0, SIG0, _flip(PK, 300), False),
]


def _accepts(monkeypatch: pytest.MonkeyPatch, backend: str, case: tuple[Any, ...]) -> bool:
    _, round_number, signature, public_key, _ = case
    monkeypatch.setattr(drand, "_BACKEND", backend)
    drand.forget_verified()
    try:
        randomness = drand.verify_beacon(round_number, signature, public_key)
    except VerificationError:
        assert not drand.is_verified(round_number, signature, public_key)
        return False
    finally:
        drand.forget_verified()
    assert randomness == hashlib.sha256(signature).digest()
    return True


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_backends_agree(monkeypatch: pytest.MonkeyPatch, case: tuple[Any, ...]) -> None:
    outcomes = {backend: _accepts(monkeypatch, backend, case) for backend in BACKENDS}
    assert outcomes == dict.fromkeys(BACKENDS, case[-1])


@pytest.mark.parametrize(
    ("signature", "public_key", "message"),
    [
        pytest.param(NON_SUBGROUP_G1, PK, "G1 的素数阶子群", id="sig not in subgroup"),
        pytest.param(_real_signature_plus_torsion(), PK, "G1 的素数阶子群", id="sig + torsion"),
        pytest.param(NOT_ON_CURVE_G1, PK, "不是 G1 点", id="sig not on curve"),
        pytest.param(G1_INFINITY, PK, "签名不能是无穷远点", id="sig infinity"),
        pytest.param(G1_INFINITY[:-1] + b"\x01", PK, "签名", id="sig infinity, trailing bits"),
        pytest.param(SIG0, NON_SUBGROUP_G2, "G2 的素数阶子群", id="key not in subgroup"),
        pytest.param(SIG0, G2_INFINITY, "公钥不能是无穷远点", id="key infinity"),
        pytest.param(G1_INFINITY, G2_INFINITY, "无穷远点", id="both infinity"),
        pytest.param(SIG0, PK[:48], "96 字节", id="48-byte key"),
        pytest.param(SIG0, b"", "96 字节", id="empty key"),
        pytest.param(SIG1, PK, f"第 {R0} 轮的签名验证失败", id="other round's signature"),
    ],
)
def test_rejection_messages(
    backend: str, signature: bytes, public_key: bytes, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        drand.verify_beacon(R0, signature, public_key)


def test_arkworks_is_the_primary_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    assert drand._BACKEND == "auto"
    assert drand._select_backend() is drand._verify_arkworks
    calls: list[str] = []

    def spy(name: str) -> Any:
        def check(round_number: int, signature: bytes, public_key: bytes) -> None:
            calls.append(name)

        return check

    monkeypatch.setattr(drand, "_verify_arkworks", spy("arkworks"))
    monkeypatch.setattr(drand, "_verify_py_ecc", spy("py_ecc"))
    drand.forget_verified()
    drand.verify_beacon(R0, SIG0)
    drand.forget_verified()
    assert calls == ["arkworks"]


def test_arkworks_hash_to_curve_matches_py_ecc() -> None:
    from py_arkworks_bls12381 import G1Point

    for round_number in (1, R0, R1, (1 << 64) - 1):
        message = drand.round_message(round_number)
        ours = G1Point.hash_to_curve(message, drand.QUICKNET_DST).to_compressed_bytes()
        assert ours == _g1_bytes(hash_to_G1(message, drand.QUICKNET_DST, hashlib.sha256))


def test_py_ecc_fallback_without_arkworks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "py_arkworks_bls12381", None)  # import now fails
    assert drand._select_backend() is drand._verify_py_ecc
    drand.forget_verified()
    assert drand.verify_beacon(R1, SIG1) == hashlib.sha256(SIG1).digest()
    drand.forget_verified()
    monkeypatch.setattr(drand, "_BACKEND", "arkworks")
    with pytest.raises(VerificationError, match="py-arkworks-bls12381"):
        drand._select_backend()


def test_fails_closed_without_either_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "py_arkworks_bls12381", None)
    monkeypatch.setitem(sys.modules, "py_ecc", None)
    drand.forget_verified()
    with pytest.raises(VerificationError, match=r"py-arkworks-bls12381.*py-ecc") as info:
        drand.verify_beacon(R0, SIG0)
    assert isinstance(info.value.__cause__, VerificationError)
    assert not drand.is_verified(R0, SIG0)


def test_py_ecc_import_keeps_the_recursion_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n == "py_ecc" or n.startswith("py_ecc.")]:
        monkeypatch.delitem(sys.modules, name)
    saved = sys.getrecursionlimit()  # this module's own py_ecc import already raised it
    sys.setrecursionlimit(1000)
    try:
        drand._import_py_ecc()  # a fresh import: py_ecc/__init__.py raises the limit to 100,000
        assert sys.modules.get("py_ecc") is not None
        assert sys.getrecursionlimit() == 1000
    finally:
        sys.setrecursionlimit(saved)
