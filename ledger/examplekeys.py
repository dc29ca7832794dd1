"""Recognising the public example keys: derived from fixed, published seeds. NOT SECRET.

The embedded example county must be reproducible byte for byte, so its ledger is signed with keys
that anyone can re-derive: ``seed = SHA-256(EXAMPLE_SEED_LABEL ‖ key name)`` (Ed25519 from that
seed). Such keys prove nothing, so gongkai refuses them anywhere but a site whose
``gongkai.yaml`` says ``example: true``, and the auditor warns when a ledger uses them
(``docs/ledger.md`` §11.8).

The example county's RFC 3161 authority is public in the same way: its private key and
certificates are in ``generator/example/tsa/`` (docs/ledger.md §15.6), so its tokens prove no
time. :func:`example_tsas` recognises it in a trust anchor by its certificates (or the digest of
its published chain); :func:`refuse_example_tsa` refuses it for a site that is not an example
(docs/ledger.md §15.6.1).

Production code uses this module only to *recognise* example keys; the example generators
(:mod:`generator.example`) are the only code that signs with them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ledger.errors import ExampleKeyError
from ledger.note import Signer, Verifier, parse_vkey

__all__ = [
    "EXAMPLE_SEED_LABEL",
    "EXAMPLE_TSA_CERTS",
    "EXAMPLE_TSA_CHAIN_SHA256",
    "example_key_refs",
    "example_signer",
    "example_tsa_message",
    "example_tsas",
    "is_example_key",
    "is_example_tsa_chain",
    "refuse_example_key",
    "refuse_example_ledger",
    "refuse_example_tsa",
]

EXAMPLE_SEED_LABEL = b"gongkai EXAMPLE KEY - PUBLIC, NOT SECRET - never use for a real site\n"


def example_signer(name: str) -> Signer:
    """The example signer named ``name`` (deterministic, public)."""
    return Signer.from_seed(
        name, hashlib.sha256(EXAMPLE_SEED_LABEL + name.encode("utf-8")).digest()
    )


def is_example_key(verifier: Verifier) -> bool:
    """Whether ``verifier`` is the public example key of its name."""
    return example_signer(verifier.name).verifier() == verifier


def example_key_refs(vkeys: Iterable[str | Verifier]) -> list[str]:
    """The key references (``name+hex8``) of the example keys among ``vkeys``, in order.

    Precondition: every string is a well-formed verifier key (as in a verified ledger).
    """
    out: list[str] = []
    for key in vkeys:
        verifier = parse_vkey(key) if isinstance(key, str) else key
        if is_example_key(verifier) and verifier.key_ref not in out:
            out.append(verifier.key_ref)
    return out


def refuse_example_key(verifier: Verifier, *, example_site: bool) -> None:
    """Raise unless the key is a real key or the site is an example site.

    Raises:
        ExampleKeyError: if ``verifier`` is an example key and the site is not an example.
    """
    if is_example_key(verifier) and not example_site:
        raise ExampleKeyError(
            f"密钥 {verifier.key_ref} 是公开的示例密钥（任何人都能推导出私钥），只能用于示例站点"
            "（gongkai.yaml 中 example: true）；真实站点请用 gongkai keys new 生成密钥"
        )


def refuse_example_ledger(vkeys: Iterable[str | Verifier], *, example_site: bool) -> None:
    """Refuse to treat a ledger signed with example keys as a real site's.

    Args:
        vkeys: The ledger's keys (trust anchor roots and log keys, registered department keys).
        example_site: ``example`` of the site's ``gongkai.yaml``.

    Raises:
        ExampleKeyError: if the site is not an example and any key is an example key.
    """
    if example_site:
        return
    found = example_key_refs(vkeys)
    if found:
        shown = "、".join(found[:3]) + (f" 等 {len(found)} 个" if len(found) > 3 else "")
        raise ExampleKeyError(
            f"账本使用公开的示例密钥（{shown}），任何人都能以其名义签名，它证明不了任何事；"
            "gongkai.yaml 却写着 example: false。真实站点请用 gongkai init 新建账本，"
            "示例数据请设 example: true"
        )


#: SHA-256 of the DER of the example authority's certificates (``generator/example/tsa/``):
#: the root ``CN=gongkai EXAMPLE TSA root - not a real authority`` and the signer
#: ``CN=gongkai EXAMPLE TSA - not a real authority``. Their private keys are public.
EXAMPLE_TSA_CERTS = frozenset(
    {
        "3a700f92bb7494ac7f799552b2c2abc084f62c982b965c79eaf8a3f8d173c381",
        "82b32694cee4f0081de9007c46a1d9058e715ba043293637a1f710d0e385af37",
    }
)
#: SHA-256 of the example chain file as published (``draws/tsa/example-tsa.pem``): the digest a
#: ``tsa`` line of ``trust.txt`` names for it (docs/ledger.md §15.2).
EXAMPLE_TSA_CHAIN_SHA256 = "69209b3ef771a56f9bc5fe3ef7a81b960f55c2ebd3276687b9391a4a6128fa40"

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def is_example_tsa_chain(chain_pem: bytes) -> bool:
    """Whether the PEM chain is the example chain or holds an example authority certificate
    (however the PEM is wrapped or combined with other certificates)."""
    if hashlib.sha256(chain_pem).hexdigest() == EXAMPLE_TSA_CHAIN_SHA256:
        return True
    for block in _PEM_CERT.findall(chain_pem):
        try:
            der = base64.b64decode(b"".join(block.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        if hashlib.sha256(der).hexdigest() in EXAMPLE_TSA_CERTS:
            return True
    return False


def example_tsas(directory: Path, tsas: Iterable[tuple[str, bytes]]) -> list[str]:
    """The names among a trust anchor's ``tsa`` lines that are the example authority: the line's
    digest is the example chain's, or ``tsa/<name>.pem`` in the ledger ``directory`` holds an
    example certificate (an unreadable or missing file is judged by the digest alone)."""
    found: list[str] = []
    for name, digest in tsas:
        if digest.hex() == EXAMPLE_TSA_CHAIN_SHA256:
            found.append(name)
            continue
        try:
            chain = (directory / "tsa" / f"{name}.pem").read_bytes()
        except OSError:
            continue
        if is_example_tsa_chain(chain):
            found.append(name)
    return found


def example_tsa_message(names: Iterable[str]) -> str:
    """Why the example authority proves no time (the refusal's and the warning's text)."""
    return (
        f"时间戳机构 {'、'.join(names)} 的证书是公开的示例证书（generator/example/tsa/，私钥公开，"
        "任何人都能签出任意时间的时间戳），它的时间戳证明不了任何时间"
    )


def refuse_example_tsa(names: Iterable[str], *, example_site: bool) -> None:
    """Refuse the example authority (``names``: :func:`example_tsas` or a chain to be installed
    that :func:`is_example_tsa_chain`) on a site that is not an example.

    Raises:
        ExampleKeyError: if ``names`` is not empty and ``example_site`` is false.
    """
    names = list(names)
    if names and not example_site:
        raise ExampleKeyError(
            f"{example_tsa_message(names)}；gongkai.yaml 写着 example: false，真实站点只能登记"
            "真实时间戳服务的证书链（gongkai tsa add 名称 --chain 证书链.pem）"
        )
