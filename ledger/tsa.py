"""Obtaining RFC 3161 time-stamp tokens for checkpoints (the writer's side; docs/ledger.md §15).

After an append has archived ``checkpoints/<size>``, :func:`stamp_checkpoint` sends SHA-256 of
the checkpoint file's exact bytes to each configured time-stamping authority (an
:class:`Authority`: an HTTP URL, RFC 3161 §3.4, or a local one), verifies the reply offline
exactly as the auditor will (:func:`ledger.timestamp.verify_token`, against the pinned chain
``tsa/<name>.pem``) and stores it, write-once, as ``checkpoints/<size>.<name>.tsr``.
:func:`add_tsa` installs a TSA's chain and names it in ``trust.txt``.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Protocol

from ledger.durable import LedgerLock, create_immutable, mkdirs_durable, write_atomic
from ledger.errors import LedgerError, MalformedError, StoreError, VerificationError, os_reason
from ledger.layout import ARCHIVE_DIR, TRUST_NAME
from ledger.registry import TrustAnchor
from ledger.timestamp import (
    TSA_DIR,
    Timestamp,
    check_tsa_name,
    load_chain,
    token_name,
    verify_token,
)
from ledger.trust import format_trust, parse_trust

__all__ = [
    "Authority",
    "HttpAuthority",
    "TsaUnavailableError",
    "add_tsa",
    "build_query",
    "stamp_checkpoint",
]

MAX_REPLY: Final = 1 << 20
"""A TSA reply larger than 1 MiB is refused."""


class TsaUnavailableError(StoreError):
    """A TSA could not be reached or answered with an error (the checkpoint stays unstamped)."""


class Authority(Protocol):
    """A time-stamping authority: ``respond`` turns a DER ``TimeStampReq`` into a DER
    ``TimeStampResp`` (RFC 3161 §2.4); ``nonce`` says whether requests carry a random nonce."""

    @property
    def name(self) -> str:
        """The TSA's name (``tsa <name>`` in ``trust.txt``)."""
        ...

    @property
    def nonce(self) -> bool:
        """Whether requests carry a random nonce (the example's do not: reproducible bytes)."""
        ...

    def respond(self, query: bytes, note: bytes) -> bytes:
        """The TSA's reply to ``query`` (made for the checkpoint ``note``)."""
        ...


@dataclass(frozen=True)
class HttpAuthority:
    """A TSA reached over HTTP(S): ``POST url`` with ``Content-Type: application/timestamp-query``
    (RFC 3161 §3.4), answered by ``application/timestamp-reply``."""

    name: str
    url: str
    timeout: float = 30.0
    nonce: bool = True

    def respond(self, query: bytes, note: bytes) -> bytes:
        """POST ``query``; the reply body.

        Raises:
            TsaUnavailableError: a network error, an HTTP error, a wrong content type or a
                reply over 1 MiB.
        """
        if not self.url.startswith(("https://", "http://")):
            raise TsaUnavailableError(
                f"时间戳机构 {self.name} 的网址必须以 http:// 或 https:// 开头"
            )
        request = urllib.request.Request(  # noqa: S310  # scheme checked above
            self.url,
            data=query,
            method="POST",
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                media = response.headers.get_content_type()
                body = response.read(MAX_REPLY + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TsaUnavailableError(
                f"无法访问时间戳机构 {self.name}（{self.url}）：{exc}"
            ) from exc
        if media != "application/timestamp-reply":
            raise TsaUnavailableError(
                f"时间戳机构 {self.name} 返回的内容类型为 {media}，应为 application/timestamp-reply"
            )
        if len(body) > MAX_REPLY:
            raise TsaUnavailableError(f"时间戳机构 {self.name} 的应答超过 1 MiB")
        return bytes(body)


def build_query(note: bytes, *, nonce: bool) -> tuple[bytes, int | None]:
    """A DER ``TimeStampReq`` for SHA-256 of ``note``, asking for the TSA's certificate.

    Returns ``(query, nonce or None)``. Raises UnverifiableError without ``rfc3161-client``.
    """
    from ledger.timestamp import _library

    lib = _library()
    builder = lib.TimestampRequestBuilder().data(note).hash_algorithm(lib.HashAlgorithm.SHA256)
    builder = builder.cert_request(cert_request=True)
    request = builder.nonce(nonce=nonce).build()
    return request.as_bytes(), (request.nonce if nonce else None)


def stamp_checkpoint(directory: Path, size: int, authority: Authority) -> Timestamp:
    """Get, verify and store ``authority``'s token on ``checkpoints/<size>``.

    Preconditions: ``checkpoints/<size>`` exists; ``tsa/<name>.pem`` is installed (:func:`add_tsa`).
    Takes the writer's lock while it writes (never while waiting for the TSA).

    Raises:
        TsaUnavailableError: the TSA did not answer usably (nothing written).
        VerificationError / MalformedError: the reply is not a valid token on this checkpoint
            (nothing written).
        StoreError: the files cannot be read or written.
    """
    name = check_tsa_name(authority.name)
    note = _read(directory / ARCHIVE_DIR / str(size), f"存档检查点 {ARCHIVE_DIR}/{size}")
    pem_rel = f"{TSA_DIR}/{name}.pem"
    chain = load_chain(_read(directory / TSA_DIR / f"{name}.pem", pem_rel), pem_rel)
    query, nonce = build_query(note, nonce=authority.nonce)
    reply = authority.respond(query, note)
    rel = f"{ARCHIVE_DIR}/{token_name(size, name)}"
    time, latest = verify_token(reply, note, chain, f"时间戳机构 {name} 对 {rel} 的应答")
    info = _token_info(reply)
    if nonce is not None and info.nonce != nonce:
        raise VerificationError(f"时间戳机构 {name} 的应答中的随机数（nonce）与请求不符")
    with LedgerLock(directory, exclusive=True, timeout=10.0):
        create_immutable(directory / rel, reply)
    return Timestamp(size, name, time, latest, info.serial_number)


def _token_info(reply: bytes) -> Any:
    from ledger.timestamp import _library

    return _library().decode_timestamp_response(reply).tst_info


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StoreError(f"无法读取{what}（{path}）：{os_reason(exc)}") from exc


def add_tsa(directory: Path, name: str, chain_pem: bytes) -> TrustAnchor:
    """Install a TSA: write ``tsa/<name>.pem`` (write-once) and add ``tsa <name> <sha256>`` to
    ``trust.txt`` (docs/ledger.md §15.2); return the new anchor.

    The new ``trust.txt`` must then be published through the same out-of-band channels as
    before. Installing the same chain again changes nothing.

    Raises:
        MalformedError: a bad name, or ``chain_pem`` holds no certificate.
        StoreError: ``trust.txt`` is missing, or ``name`` is installed with another chain.
    """
    check_tsa_name(name)
    load_chain(chain_pem, f"{TSA_DIR}/{name}.pem")
    trust_path = directory / TRUST_NAME
    trust = parse_trust(_read(trust_path, f"信任锚 {TRUST_NAME}"))
    digest = hashlib.sha256(chain_pem).digest()
    known = dict(trust.tsas)
    if name in known and known[name] != digest:
        raise StoreError(f"时间戳机构 {name} 已登记了另一份证书链；更换证书链请使用新的名称")
    mkdirs_durable(directory / TSA_DIR)
    try:
        create_immutable(directory / TSA_DIR / f"{name}.pem", chain_pem)
    except LedgerError as exc:
        raise StoreError(f"{TSA_DIR}/{name}.pem 已存在且内容不同：{exc}") from exc
    if name not in known:
        trust = replace(trust, tsas=(*trust.tsas, (name, digest)))
        write_atomic(trust_path, format_trust(trust))
    return trust


def stamp_all(
    directory: Path, size: int, authorities: Sequence[Authority]
) -> tuple[list[Timestamp], list[str]]:
    """Stamp ``checkpoints/<size>`` with every authority; ``(tokens, Chinese warnings)``.

    An unreachable TSA, or a reply that does not verify (never stored), is a warning: the
    entries are written, and their public time is bounded by the next stamped checkpoint (§15.4).

    Raises:
        StoreError: a file cannot be read or written (or the local authority cannot run).
    """
    stamps: list[Timestamp] = []
    warnings: list[str] = []
    for authority in authorities:
        try:
            stamps.append(stamp_checkpoint(directory, size, authority))
        except (TsaUnavailableError, VerificationError, MalformedError) as exc:
            warnings.append(
                f"检查点 {size} 未能加盖时间戳：{exc}；条目已写入，"
                "其公开时间以之后加盖时间戳的检查点为准（可稍后运行 gongkai tsa stamp 补盖）"
            )
    return stamps, warnings
