"""C2SP signed notes: key IDs, verifier and signer keys, signing and strict opening.

A signed note (C2SP ``signed-note``, Go ``golang.org/x/mod/sumdb/note``) is a UTF-8 text that
ends in a newline, then a blank line, then one signature line per key::

    <text, ending in \\n>
    \\n
    — <key name> base64(u32be(key ID) ‖ signature)\\n      (— is U+2014, EM DASH)

The key ID is ``SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]`` read as a big-endian uint32.
Algorithm 0x01 is Ed25519 over the note text; 0x04 is the timestamped Ed25519 witness
cosignature of C2SP ``tlog-cosignature`` (docs/ledger.md §11.3), which we verify but never produce.

Keys travel as strings (docs/ledger.md §11.2, Go-compatible):

- verifier key (vkey): ``<name>+<hex8 key ID>+base64(alg ‖ 32-byte public key)``
- signer key (skey):   ``PRIVATE+KEY+<name>+<hex8 key ID>+base64(0x01 ‖ 32-byte seed)``

The ``PRIVATE+KEY`` prefix stops a private key from ever being mistaken for a public one.

Everything here is pure (no I/O). Every failure on untrusted input raises
:class:`~ledger.errors.MalformedError` (does not parse) or
:class:`~ledger.errors.VerificationError` (parses, but a signature check fails); misuse by the
calling code (ambiguous verifier sets, no signers) raises :class:`ValueError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import MalformedError, VerificationError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "Signer",
    "Verifier",
    "b64decode_canonical",
    "is_valid_name",
    "key_id",
    "open_note",
    "parse_note",
    "parse_skey",
    "parse_vkey",
    "sign_note",
]

ALG_ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures (C2SP signed-note)."""

ALG_COSIGNATURE_V1 = 0x04
"""Signature type of timestamped Ed25519 witness cosignatures (C2SP tlog-cosignature)."""

MAX_NOTE_SIZE = 1_000_000
"""Largest note we open, in bytes (Go ``note.Open`` uses the same bound)."""

MAX_SIGNATURES = 100
"""Most signature lines we accept; C2SP requires at least 16, Go rejects more than 100."""

_PUBLIC_KEY_SIZE = 32
_SEED_SIZE = 32
_ED25519_SIG_SIZE = 64
_TIMESTAMP_SIZE = 8
_KEY_ID_SIZE = 4
_MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: "MUST NOT exceed 2^63 - 1"

_SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
_SKEY_PREFIX = "PRIVATE+KEY+"
_COSIG_HEADER = b"cosignature/v1\ntime "

# Signed-note text must not contain ASCII control characters other than newline.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile("[0-9a-f]{8}")

# Signature bytes after the key ID, by algorithm (docs/ledger.md §11.3 opening step 5).
_SIG_SIZE = {
    ALG_ED25519: _ED25519_SIG_SIZE,
    ALG_COSIGNATURE_V1: _TIMESTAMP_SIZE + _ED25519_SIG_SIZE,
}


def is_valid_name(name: str) -> bool:
    """Report whether ``name`` may be a key name.

    C2SP signed-note: names are non-empty and contain no Unicode space and no ``+``. We also
    refuse control characters (they could never appear in a note) and strings that are not
    encodable as UTF-8 (lone surrogates).

    Args:
        name: The candidate key name.

    Returns:
        True if the name is acceptable.
    """
    if not name or "+" in name or _CONTROL.search(name):
        return False
    if any(c.isspace() for c in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """Compute a C2SP key ID: ``SHA-256(name ‖ 0x0A ‖ alg ‖ public_key)[:4]`` as uint32 BE.

    Args:
        name: The key name (must be valid, see :func:`is_valid_name`).
        alg: The one-byte signature type (``ALG_ED25519`` or ``ALG_COSIGNATURE_V1``).
        public_key: The encoded public key.

    Returns:
        The 32-bit key ID.

    Raises:
        MalformedError: If the name is invalid or ``alg`` is not a byte.
    """
    if not is_valid_name(name):
        raise MalformedError("密钥名称无效")
    if not 0 <= alg <= 0xFF:
        raise MalformedError("签名类型应为 1 个字节")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:_KEY_ID_SIZE], "big")


def b64decode_canonical(text: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4), accepting only its one canonical spelling.

    Padding is required, no character outside the alphabet is allowed and the unused low bits
    of the last character must be zero: ``b64encode(result) == text``. This keeps every
    signed or hashed value to a single encoding (docs/ledger.md §11.3 opening step 3).

    Args:
        text: The base64 text.

    Returns:
        The decoded bytes.

    Raises:
        MalformedError: If ``text`` is not canonical base64.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters in a str
        raise MalformedError("无效的 base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedError("base64 编码不规范")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Verifier:
    """A public key that checks note signatures, identified by (name, key ID).

    Attributes:
        name: The key name (for a log key, its origin).
        key_id: The 32-bit key ID; must equal :func:`key_id` of the other fields.
        alg: ``ALG_ED25519`` or ``ALG_COSIGNATURE_V1``.
        public_key: The 32-byte Ed25519 public key.

    Raises:
        MalformedError: On construction, if any field is invalid or the key ID does not match.
    """

    name: str
    key_id: int
    alg: int
    public_key: bytes

    def __post_init__(self) -> None:
        if self.alg not in _SIG_SIZE:
            raise MalformedError(f"不支持的签名类型 0x{self.alg:02x}")
        if len(self.public_key) != _PUBLIC_KEY_SIZE:
            raise MalformedError("公钥应为 32 字节")
        if self.key_id != key_id(self.name, self.alg, self.public_key):
            raise MalformedError(f"密钥 ID 与密钥 {self.name!r} 不符")

    @property
    def key_ref(self) -> str:
        """The key reference ``name+hex8``, as used in entry signatures (docs/ledger.md §13.2)."""
        return f"{self.name}+{self.key_id:08x}"

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hex8+base64(alg ‖ public_key)``."""
        return f"{self.key_ref}+{_b64(bytes([self.alg]) + self.public_key)}"

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Check one signature over a note text.

        Args:
            msg: The exact note text bytes (ending in a newline).
            sig: The signature bytes *after* the 4-byte key ID: 64 bytes for Ed25519, or
                ``u64be(timestamp) ‖ Ed25519 signature`` (72 bytes) for cosignature/v1.

        Returns:
            True if the signature is valid; False for any length, timestamp or crypto failure.
        """
        if len(sig) != _SIG_SIZE[self.alg]:
            return False
        if self.alg == ALG_COSIGNATURE_V1:
            # tlog-cosignature: the signed message is "cosignature/v1\ntime <ts>\n" ‖ body.
            timestamp = int.from_bytes(sig[:_TIMESTAMP_SIZE], "big")
            if timestamp > _MAX_TIMESTAMP:
                return False
            msg = _COSIG_HEADER + str(timestamp).encode("ascii") + b"\n" + msg
            sig = sig[_TIMESTAMP_SIZE:]
        try:
            _public_key(self.public_key).verify(sig, msg)
        except (InvalidSignature, ValueError):
            return False
        return True


@lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    """The parsed key (cached: an auditor checks many signatures by few keys).

    Raises:
        ValueError: if ``raw`` is not a valid Ed25519 public key.
    """
    return Ed25519PublicKey.from_public_bytes(raw)


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key string ``name+hex8+base64(alg ‖ public_key)``.

    The base64 part may itself contain ``+``, so only the first two ``+`` split the fields
    (docs/ledger.md §11.1–§11.2). The key ID must be lowercase hex and must match the key.

    Args:
        vkey: The verifier key string.

    Returns:
        The verifier.

    Raises:
        MalformedError: If the string is not a valid, self-consistent vkey.
    """
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise MalformedError("验证密钥格式错误")
    name, kid, encoded = parts
    raw = b64decode_canonical(encoded)
    if len(raw) != 1 + _PUBLIC_KEY_SIZE:
        raise MalformedError("验证密钥格式错误")
    # Verifier.__post_init__ checks the name, the algorithm and the key ID.
    return Verifier(name=name, key_id=int(kid, 16), alg=raw[0], public_key=raw[1:])


class Signer:
    """An Ed25519 (type 0x01) note signing key.

    The seed never appears in ``repr`` or ``str``; only :attr:`skey` reveals it.
    """

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        """Wrap an Ed25519 private key under a key name.

        Args:
            name: The key name.
            private_key: The Ed25519 private key.

        Raises:
            MalformedError: If the name is invalid.
        """
        if not is_valid_name(name):
            raise MalformedError("密钥名称无效")
        self._name = name
        self._key = private_key
        self._public_key = private_key.public_key().public_bytes_raw()
        self._key_id = key_id(name, ALG_ED25519, self._public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        """Create a new signer from a fresh random seed.

        Args:
            name: The key name.

        Returns:
            The new signer.

        Raises:
            MalformedError: If the name is invalid.
        """
        return cls.from_seed(name, secrets.token_bytes(_SEED_SIZE))

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """Create a signer from a 32-byte RFC 8032 seed (the "secret key" of the RFC).

        Args:
            name: The key name.
            seed: The 32-byte seed.

        Returns:
            The signer.

        Raises:
            MalformedError: If the name is invalid or the seed is not 32 bytes.
        """
        if len(seed) != _SEED_SIZE:
            raise MalformedError("Ed25519 种子应为 32 字节")
        return cls(name, Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> int:
        """The 32-bit key ID (type 0x01)."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._public_key

    @property
    def skey(self) -> str:
        """The Go-compatible private key string. Secret: never log or print it."""
        seed = self._key.private_bytes_raw()
        encoded = _b64(bytes([ALG_ED25519]) + seed)
        return f"{_SKEY_PREFIX}{self._name}+{self._key_id:08x}+{encoded}"

    def sign(self, msg: bytes) -> bytes:
        """Sign a message with Ed25519 (RFC 8032, deterministic).

        Args:
            msg: The message, for notes the exact text bytes.

        Returns:
            The 64-byte signature (without the key ID).
        """
        return self._key.sign(msg)

    def verifier(self) -> Verifier:
        """Return the matching type-0x01 verifier."""
        return Verifier(self._name, self._key_id, ALG_ED25519, self._public_key)

    def __repr__(self) -> str:
        return f"Signer(name={self._name!r}, key_id=0x{self._key_id:08x})"


def parse_skey(skey: str) -> Signer:
    """Parse a private key string ``PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)``.

    Error messages never echo the input, which is secret.

    Args:
        skey: The private key string.

    Returns:
        The signer.

    Raises:
        MalformedError: If the string is not a valid, self-consistent Ed25519 skey.
    """
    if not skey.startswith(_SKEY_PREFIX):
        raise MalformedError("私钥格式错误")
    parts = skey[len(_SKEY_PREFIX) :].split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]) or not is_valid_name(parts[0]):
        raise MalformedError("私钥格式错误")
    name, kid, encoded = parts
    try:
        raw = b64decode_canonical(encoded)
    except MalformedError:
        raise MalformedError("私钥格式错误") from None
    if len(raw) != 1 + _SEED_SIZE or raw[0] != ALG_ED25519:
        raise MalformedError("私钥格式错误")
    signer = Signer.from_seed(name, raw[1:])
    if signer.key_id != int(kid, 16):
        raise MalformedError(f"私钥的密钥 ID 与密钥 {name!r} 不符")
    return signer


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line of a note (verified or not).

    Attributes:
        name: The key name on the line.
        key_id: The 32-bit key ID (the first four decoded bytes).
        signature: The decoded bytes after the key ID.
    """

    name: str
    key_id: int
    signature: bytes

    @property
    def key_ref(self) -> str:
        """The ``name+hex8`` reference of the signing key."""
        return f"{self.name}+{self.key_id:08x}"

    @property
    def line(self) -> str:
        """The signature line, ``— name base64(key ID ‖ signature)\\n``."""
        raw = self.key_id.to_bytes(_KEY_ID_SIZE, "big") + self.signature
        return f"{_SIG_PREFIX}{self.name} {_b64(raw)}\n"


@dataclass(frozen=True)
class Note:
    """A note whose signatures were checked by :func:`open_note`.

    Attributes:
        text: The note text (ending in a newline).
        signatures: Every signature line, in order, including unknown keys' lines.
        verified_by: The verifiers whose signatures verified, in signature-line order.
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    verified_by: tuple[Verifier, ...]

    def cosignature_time(self, verifier: Verifier) -> int | None:
        """Return the timestamp of a verified cosignature/v1 by ``verifier``, if any.

        Args:
            verifier: A type-0x04 verifier.

        Returns:
            The POSIX timestamp the cosigner signed, or None if it did not verify a cosignature.
        """
        if verifier.alg != ALG_COSIGNATURE_V1 or verifier not in self.verified_by:
            return None
        for sig in self.signatures:
            if (sig.name, sig.key_id) == (verifier.name, verifier.key_id):
                return int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        return None  # pragma: no cover - verified_by only holds keys that signed


def _check_text(text: str) -> bytes:
    """Validate a note text and return its UTF-8 bytes (raises MalformedError)."""
    if not text.endswith("\n"):
        raise MalformedError("note 正文应以换行符结尾")
    if _CONTROL.search(text):
        raise MalformedError("note 正文含有控制字符")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedError("note 正文无法编码为 UTF-8") from None


def sign_note(text: str, signers: Sequence[Signer]) -> bytes:
    """Sign a note text with every signer, in the given order (docs/ledger.md §11.3, signing).

    Args:
        text: The note text; must end in a newline and contain no control characters except
            newline.
        signers: One to :data:`MAX_SIGNATURES` signers with distinct (name, key ID).

    Returns:
        The signed note bytes, which :func:`parse_note` accepts.

    Raises:
        MalformedError: If the text is not a valid note text or the note would be too large.
        ValueError: If there are no signers, too many, or two share (name, key ID).
    """
    body = _check_text(text)
    if not 0 < len(signers) <= MAX_SIGNATURES:
        raise ValueError(f"需要 1 到 {MAX_SIGNATURES} 个签名者")
    if len({(s.name, s.key_id) for s in signers}) != len(signers):
        raise ValueError("有两个签名者的名称和密钥 ID 相同")
    lines = [NoteSignature(s.name, s.key_id, s.sign(body)).line for s in signers]
    msg = body + b"\n" + "".join(lines).encode("utf-8")
    if len(msg) > MAX_NOTE_SIZE:
        raise MalformedError("签名后的 note 将超过大小上限")
    return msg


def _parse_signature_line(line: str) -> NoteSignature:
    """Parse ``— <name> <base64>`` (without the newline) strictly."""
    if not line.startswith(_SIG_PREFIX):
        raise MalformedError("note 的签名行格式错误")
    fields = line[len(_SIG_PREFIX) :].split(" ")
    if len(fields) != 2 or not is_valid_name(fields[0]):
        raise MalformedError("note 的签名行格式错误")
    raw = b64decode_canonical(fields[1])
    if len(raw) <= _KEY_ID_SIZE:
        raise MalformedError("note 签名过短")
    return NoteSignature(fields[0], int.from_bytes(raw[:_KEY_ID_SIZE], "big"), raw[_KEY_ID_SIZE:])


def _split_note(msg: bytes) -> tuple[bytes, str]:
    """Apply docs/ledger.md §11.3 opening steps 1-2: return (text bytes, signature block)."""
    if len(msg) > MAX_NOTE_SIZE:
        raise MalformedError("note 过大")
    try:
        decoded = msg.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("note 不是有效的 UTF-8") from None
    if _CONTROL.search(decoded):
        raise MalformedError("note 含有控制字符")
    # The text may contain blank lines; the *last* blank line starts the signatures.
    split = msg.rfind(b"\n\n")
    if split < 0:
        raise MalformedError("note 缺少签名块")
    sigs = msg[split + 2 :]
    if not sigs.endswith(b"\n"):
        raise MalformedError("note 的签名块应以换行符结尾")
    return msg[: split + 1], sigs.decode("utf-8")


def _parse_note(msg: bytes) -> tuple[bytes, tuple[NoteSignature, ...]]:
    text, block = _split_note(msg)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedError(f"note 的签名超过 {MAX_SIGNATURES} 个")
    sigs = tuple(_parse_signature_line(line) for line in lines)
    # C2SP issue #257: two lines for one (name, key ID) could carry conflicting timestamps.
    if len({(s.name, s.key_id) for s in sigs}) != len(sigs):
        raise MalformedError("note 中同一密钥有重复的签名行")
    return text, sigs


def parse_note(msg: bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, without checking signatures.

    The text returned here is untrusted: use :func:`open_note` before acting on it.

    Args:
        msg: The signed note bytes.

    Returns:
        ``(text, signatures)`` with the signature lines in order.

    Raises:
        MalformedError: If ``msg`` violates the strict grammar of docs/ledger.md §11.3 opening steps
        1-4.
    """
    text, sigs = _parse_note(msg)
    return text.decode("utf-8"), list(sigs)


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other != v:
            # Two different keys answer to one (name, key ID): the caller's trust
            # configuration is ambiguous; Go reports this as an error as well.
            raise ValueError(f"密钥 {v.key_ref!r} 对应多个不同的验证密钥")
    return known


def open_note(msg: bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify it against trusted keys (docs/ledger.md §11.3 opening step 5).

    Lines from unknown (name, key ID) pairs are ignored, even if the name or the ID alone
    matches a known key. A line from a known key must verify, or the whole note is rejected.
    At least one known key must have verified.

    Args:
        msg: The signed note bytes.
        verifiers: The trusted keys (Ed25519 and/or cosignature/v1).

    Returns:
        The opened note.

    Raises:
        MalformedError: If the note does not parse.
        VerificationError: If a known key's signature fails, or none verifies.
        ValueError: If two different verifiers share (name, key ID).
    """
    known = _index_verifiers(verifiers)
    text, sigs = _parse_note(msg)
    verified: list[Verifier] = []
    for sig in sigs:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text, sig.signature):
            raise VerificationError(f"已知密钥 {sig.key_ref!r} 的签名无效")
        verified.append(verifier)
    if not verified:
        raise VerificationError("note 没有受信任密钥的有效签名")
    return Note(text.decode("utf-8"), sigs, tuple(verified))
