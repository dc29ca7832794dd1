"""RFC 3161 time-stamp tokens on checkpoints: names, anchors and offline verification.

A token is the DER ``TimeStampResp`` a time-stamping authority (TSA) returned for the exact bytes
of one archived checkpoint, stored beside it as ``checkpoints/<size>.<tsa>.tsr``
(docs/ledger.md §15). Its message imprint is SHA-256 of ``checkpoints/<size>``; its signature
chains to the certificates of ``tsa/<tsa>.pem``, whose SHA-256 ``trust.txt`` pins
(``tsa <name> <hex>``). A verified token proves that the checkpoint, and so every entry it
covers, existed no later than ``genTime`` + ``accuracy``.

The CMS signature, the certificate chain (valid at ``genTime``, critical ``id-kp-timeStamping``)
and the imprint are checked by the maintained ``rfc3161-client`` library (sigstore/trailofbits)
with ``cryptography``; nothing here parses ASN.1 by hand. Without the library an audit of a
ledger that carries tokens stops with :class:`~ledger.errors.UnverifiableError` (exit code 12).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ledger.errors import (
    MalformedError,
    StoreError,
    UnverifiableError,
    VerificationError,
    os_reason,
)

__all__ = [
    "TOKEN_SUFFIX",
    "TSA_DIR",
    "TSA_NAME",
    "TimeBounds",
    "Timestamp",
    "check_tokens",
    "check_tsa_name",
    "directory_bounds",
    "load_chain",
    "parse_token_name",
    "read_tokens",
    "token_name",
    "utc_text",
    "verify_token",
]

TSA_DIR: Final = "tsa"
"""Folder of the TSA certificate chains, ``tsa/<name>.pem`` (beside ``checkpoints/``)."""
TOKEN_SUFFIX: Final = ".tsr"  # noqa: S105  # a file suffix, not a secret
"""Suffix of a token file name: ``<size>.<tsa>.tsr``."""
SHA256_OID: Final = "2.16.840.1.101.3.4.2.1"
"""The only message-imprint hash accepted (id-sha256)."""
MAX_TOKEN: Final = 1 << 20
"""A token file is at most 1 MiB."""

TSA_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_TOKEN_NAME = re.compile(r"^(0|[1-9][0-9]{0,18})\.([a-z0-9][a-z0-9-]*)\.tsr$")


def check_tsa_name(name: str) -> str:
    """``name`` if it is a valid TSA name (1–32 of ``a-z0-9-``, no leading or trailing ``-``).

    Raises:
        MalformedError: otherwise.
    """
    if not TSA_NAME.fullmatch(name):
        raise MalformedError(
            f"时间戳机构名称 {name!r} 无效：只能由 1–32 个小写字母、数字和“-”组成，且不以“-”开头或结尾"
        )
    return name


def token_name(size: int, tsa: str) -> str:
    """The file name of ``tsa``'s token on ``checkpoints/<size>``: ``<size>.<tsa>.tsr``."""
    return f"{size}.{check_tsa_name(tsa)}{TOKEN_SUFFIX}"


def parse_token_name(name: str) -> tuple[int, str] | None:
    """``(size, tsa)`` of a token file name, or None if ``name`` is not one."""
    match = _TOKEN_NAME.fullmatch(name)
    if match is None or not TSA_NAME.fullmatch(match.group(2)):
        return None
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Timestamp:
    """A verified token: checkpoint ``size`` existed no later than ``latest`` (UTC).

    ``time`` is the token's ``genTime``; ``latest`` = ``time`` + ``accuracy`` (the bound used
    by the time rules); ``serial`` is the TSA's serial number of the token.
    """

    size: int
    tsa: str
    time: dt.datetime
    latest: dt.datetime
    serial: int

    def as_dict(self) -> dict[str, Any]:
        """JSON form: ``{size, tsa, time, latest, serial}`` (times ``YYYY-MM-DDTHH:MM:SSZ``)."""
        return {
            "size": self.size,
            "tsa": self.tsa,
            "time": utc_text(self.time),
            "latest": utc_text(_ceil_second(self.latest)),
            "serial": self.serial,
        }


def _ceil_second(when: dt.datetime) -> dt.datetime:
    """``when`` rounded up to a whole second (an upper bound stays an upper bound)."""
    if when.microsecond:
        return when.replace(microsecond=0) + dt.timedelta(seconds=1)
    return when


def utc_text(when: dt.datetime) -> str:
    """``when`` as ``YYYY-MM-DDTHH:MM:SSZ`` (fractions truncated, as ``ts`` is written)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_chain(pem: bytes, where: str) -> list[Any]:
    """The X.509 certificates of a PEM file (at least one).

    Raises:
        MalformedError: naming ``where`` if it holds no parseable certificate.
    """
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise MalformedError(f"{where}：不是 PEM 格式的证书链：{exc}") from exc
    return list(certs)


def _library() -> Any:
    try:
        import rfc3161_client
    except ImportError:
        raise UnverifiableError(
            "验证 RFC 3161 时间戳需要 rfc3161-client 库（pip install rfc3161-client），"
            "未安装时无法验证检查点上的时间戳令牌"
        ) from None
    return rfc3161_client


def verify_token(token: bytes, note: bytes, chain: list[Any], where: str) -> tuple[Any, Any]:
    """Verify one token over the exact bytes ``note``; return ``(genTime, latest)`` in UTC.

    Preconditions: ``chain`` are the certificates of the TSA's pinned ``tsa/<name>.pem``.

    Raises:
        MalformedError: the token is not a DER ``TimeStampResp`` (or is over 1 MiB).
        VerificationError: status not granted, imprint not SHA-256 of ``note``, a bad signature,
            a chain that does not lead to ``chain``, or a certificate not valid at ``genTime``.
        UnverifiableError: ``rfc3161-client`` is not installed.
    """
    lib = _library()
    if len(token) > MAX_TOKEN:
        raise MalformedError(f"{where}：时间戳令牌超过 1 MiB")
    try:
        resp = lib.decode_timestamp_response(token)
    except (ValueError, TypeError) as exc:
        raise MalformedError(f"{where}：不是 DER 编码的 RFC 3161 TimeStampResp：{exc}") from exc
    if resp.as_bytes() != token:
        raise MalformedError(f"{where}：令牌后有多余字节或不是规范的 DER 编码")
    if resp.status not in (0, 1):  # granted, grantedWithMods (RFC 3161 §2.4.2)
        said = "；".join(resp.status_string) or "无说明"
        raise VerificationError(f"{where}：时间戳机构拒绝签发（状态 {resp.status}：{said}）")
    try:
        info = resp.tst_info
    except ValueError as exc:
        raise MalformedError(f"{where}：应答中没有时间戳令牌：{exc}") from exc
    if info.message_imprint.hash_algorithm.dotted_string != SHA256_OID:
        raise VerificationError(f"{where}：消息摘要算法应为 SHA-256")
    digest = hashlib.sha256(note).digest()
    if info.message_imprint.message != digest:
        raise VerificationError(
            f"{where}：令牌的消息摘要不是该检查点文件的 SHA-256（{digest.hex()}）"
        )
    builder = lib.VerifierBuilder()
    for cert in chain:
        builder = builder.add_root_certificate(cert)
    try:
        builder.build().verify(resp, digest)
    except lib.VerificationError as exc:
        raise VerificationError(f"{where}：时间戳令牌验证失败：{exc}") from exc
    time = info.gen_time.astimezone(dt.UTC)
    return time, time + _accuracy(info)


def _accuracy(info: Any) -> dt.timedelta:
    """The token's ``accuracy`` (zero when absent)."""
    try:
        acc = info.accuracy
    except (ValueError, AttributeError):
        return dt.timedelta(0)
    if acc is None:
        return dt.timedelta(0)
    return dt.timedelta(
        seconds=acc.seconds or 0, milliseconds=acc.millis or 0, microseconds=acc.micros or 0
    )


@dataclass
class TimeBounds:
    """The verified tokens of a ledger and the upper bounds on time they prove.

    ``public_by(i)`` is the earliest ``latest`` of any token on a checkpoint of size > ``i``:
    entry ``i`` was in a signed, time-stamped tree no later than that (docs/ledger.md §15.4).
    """

    stamps: list[Timestamp]

    def __post_init__(self) -> None:
        self.stamps.sort(key=lambda s: (s.size, s.tsa))
        best: list[Timestamp] = []
        for stamp in reversed(self.stamps):
            if not best or stamp.latest < best[-1].latest:
                best.append(stamp)
            else:
                best.append(best[-1])
        best.reverse()
        self._suffix = best  # _suffix[k]: earliest bound among stamps[k:]
        self._sizes = [s.size for s in self.stamps]

    @classmethod
    def from_report(cls, stamps: Iterable[Mapping[str, Any]]) -> TimeBounds:
        """The bounds of an audit's verified ``timestamps`` (:meth:`Timestamp.as_dict` form)."""

        def when(text: str) -> dt.datetime:
            return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)

        return cls(
            [
                Timestamp(s["size"], s["tsa"], when(s["time"]), when(s["latest"]), s["serial"])
                for s in stamps
            ]
        )

    def public_by(self, index: int) -> Timestamp | None:
        """The token proving the earliest time by which entry ``index`` was public, or None."""
        k = bisect.bisect_right(self._sizes, index)
        return self._suffix[k] if k < len(self._suffix) else None


def directory_bounds(directory: Path, anchors: Iterable[tuple[str, bytes]]) -> TimeBounds:
    """Verify the tokens of a ledger directory on their own (for the site and ``gongkai
    status``; the full audit does the same in step 3b of §13.5).

    Raises:
        As :func:`check_tokens`.
    """
    from ledger.auditread import read_required

    anchors = tuple(anchors)
    if not anchors:
        return TimeBounds([])
    notes: dict[int, bytes] = {}
    for size, _, _ in read_tokens(directory / "checkpoints"):
        if size not in notes:
            path = directory / "checkpoints" / str(size)
            if path.is_file():
                notes[size] = read_required(path, f"存档检查点 checkpoints/{size}")
    return check_tokens(directory, notes, anchors, read_required)


def read_tokens(archive: Path) -> list[tuple[int, str, str]]:
    """``(size, tsa, file name)`` of every token file in ``archive`` (``checkpoints/``), sorted.

    Raises:
        StoreError: the folder cannot be listed.
    """
    try:
        names = os.listdir(archive)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"无法列出 {archive}：{os_reason(exc)}") from exc
    found = []
    for name in names:
        parsed = parse_token_name(name)
        if parsed is not None:
            found.append((parsed[0], parsed[1], name))
    return sorted(found)


def check_tokens(
    directory: Path,
    notes: Mapping[int, bytes],
    anchors: Iterable[tuple[str, bytes]],
    read: Any,
) -> TimeBounds:
    """Verify every token of ``directory/checkpoints/`` (docs/ledger.md §15.3).

    Args:
        directory: The ledger directory or published folder.
        notes: The archived checkpoint notes by size (their signatures are checked elsewhere).
        anchors: ``(tsa name, SHA-256 of tsa/<name>.pem)`` from the trust anchor.
        read: ``read(path, what) -> bytes``, raising UnverifiableError for a missing file.

    Raises:
        VerificationError: a token of an unknown TSA or of a size that is not archived, a chain
            file whose hash differs from the anchor, or a token that does not verify.
        MalformedError / UnverifiableError: as :func:`verify_token`.
    """
    pinned = dict(anchors)
    chains: dict[str, list[Any]] = {}
    stamps: list[Timestamp] = []
    for size, tsa, name in read_tokens(directory / "checkpoints"):
        rel = f"checkpoints/{name}"
        if tsa not in pinned:
            raise VerificationError(f"{rel}：时间戳机构 {tsa} 未在信任锚 trust.txt 中登记")
        if size not in notes:
            raise VerificationError(f"{rel}：没有对应的存档检查点 checkpoints/{size}")
        if tsa not in chains:
            pem_rel = f"{TSA_DIR}/{tsa}.pem"
            pem = read(directory / TSA_DIR / f"{tsa}.pem", f"时间戳机构证书链 {pem_rel}")
            if hashlib.sha256(pem).digest() != pinned[tsa]:
                raise VerificationError(
                    f"{pem_rel} 的 SHA-256 与信任锚 trust.txt 中登记的不符（证书链被替换）"
                )
            chains[tsa] = load_chain(pem, pem_rel)
        token = read(directory / "checkpoints" / name, f"时间戳令牌 {rel}")
        time, latest = verify_token(token, notes[size], chains[tsa], rel)
        serial = _library().decode_timestamp_response(token).tst_info.serial_number
        stamps.append(Timestamp(size, tsa, time, latest, serial))
    return TimeBounds(stamps)
