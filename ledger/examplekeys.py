"""Recognising the public example keys: derived from fixed, published seeds. NOT SECRET.

The embedded example county must be reproducible byte for byte, so its ledger is signed with keys
that anyone can re-derive: ``seed = SHA-256(EXAMPLE_SEED_LABEL ‖ key name)`` (Ed25519 from that
seed). Such keys prove nothing, so gongkai refuses them anywhere but a site whose
``gongkai.yaml`` says ``example: true``, and the auditor warns when a ledger uses them
(``docs/ledger.md`` §11.8).

Production code uses this module only to *recognise* example keys; the example generators
(:mod:`generator.example`) are the only code that signs with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ledger.errors import ExampleKeyError
from ledger.note import Signer, Verifier, parse_vkey

__all__ = [
    "EXAMPLE_SEED_LABEL",
    "example_key_refs",
    "example_signer",
    "is_example_key",
    "refuse_example_key",
    "refuse_example_ledger",
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
