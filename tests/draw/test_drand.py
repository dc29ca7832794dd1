"""Offline drand quicknet verification (DRAWS.md §3, §8.4).

The two real rounds come from tests/draw/golden/drand_quicknet.json (a copy of the project's
shared reference data). Forged signatures for the negative tests are made with a throwaway key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2
from py_ecc.optimized_bls12_381.optimized_curve import G2, field_modulus, multiply

from ledger.draw import drand
from ledger.errors import MalformedError, VerificationError

DATA = json.loads((Path(__file__).parent / "golden" / "drand_quicknet.json").read_text())
ROUNDS = [(r["round"], r["signature"], r["randomness"]) for r in DATA["rounds"]]
G2_DST = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"


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
def test_real_rounds_verify(round_number: int, signature: str, randomness: str) -> None:
    got = drand.verify_beacon(round_number, bytes.fromhex(signature))
    assert got.hex() == randomness == hashlib.sha256(bytes.fromhex(signature)).hexdigest()


@pytest.mark.parametrize(("round_number", "signature", "randomness"), ROUNDS)
def test_neighbouring_rounds_rejected(round_number: int, signature: str, randomness: str) -> None:
    for other in (round_number - 1, round_number + 1):
        with pytest.raises(VerificationError):
            drand.verify_beacon(other, bytes.fromhex(signature))


def test_flipped_bit_rejected() -> None:
    round_number, signature, _ = ROUNDS[0]
    for bit in (0, 7, 200, 383):
        forged = bytearray(bytes.fromhex(signature))
        forged[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(VerificationError):
            drand.verify_beacon(round_number, bytes(forged))


def test_wrong_public_key_rejected() -> None:
    round_number, signature, _ = ROUNDS[1]
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number, bytes.fromhex(signature), OWN_PK)


def test_own_key_roundtrip_and_g2_dst_rejected() -> None:
    # Sanity: our forging helper makes valid signatures under our own key ...
    assert drand.verify_beacon(42, _sign(42), OWN_PK) == hashlib.sha256(_sign(42)).digest()
    # ... but one hashed with the G2 DST (the deprecated fastnet mistake) does not verify.
    with pytest.raises(VerificationError):
        drand.verify_beacon(42, _sign(42, G2_DST), OWN_PK)


def test_g2_sized_signature_rejected() -> None:
    round_number, _, _ = ROUNDS[0]
    with pytest.raises(VerificationError, match="48 字节"):
        drand.verify_beacon(round_number, OWN_PK)  # a valid 96-byte G2 point
    with pytest.raises(VerificationError):
        drand.verify_beacon(round_number, b"")


def test_infinity_and_non_subgroup_points_rejected() -> None:
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


def test_bad_public_keys_rejected() -> None:
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


def test_beacon_record() -> None:
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


def test_a_verified_beacon_is_remembered_for_exactly_its_inputs() -> None:
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
