"""Example keys: derived from fixed, public, clearly marked seeds. NOT SECRET.

The embedded example county must be reproducible byte for byte, so its ledger is signed with keys
that anyone can re-derive: ``seed = SHA-256(EXAMPLE_SEED_LABEL ‖ key name)``. Such keys prove
nothing, so gongkai refuses them anywhere but a site whose ``gongkai.yaml`` says ``example: true``
(see :func:`refuse_example_key`).
"""

from __future__ import annotations

import hashlib

from ledger.note import Signer, Verifier

EXAMPLE_SEED_LABEL = b"gongkai EXAMPLE KEY - PUBLIC, NOT SECRET - never use for a real site\n"


class ExampleKeyError(Exception):
    """An example key was about to be used for a real (non-example) site."""


def example_signer(name: str) -> Signer:
    """The example signer named ``name`` (deterministic, public)."""
    return Signer.from_seed(
        name, hashlib.sha256(EXAMPLE_SEED_LABEL + name.encode("utf-8")).digest()
    )


def is_example_key(verifier: Verifier) -> bool:
    """Whether ``verifier`` is the public example key of its name."""
    return example_signer(verifier.name).verifier() == verifier


def refuse_example_key(verifier: Verifier, *, example_site: bool) -> None:
    """Raise unless the key is a real key or the site is an example site.

    Raises:
        ExampleKeyError: if ``verifier`` is an example key and the site is not an example.
    """
    if is_example_key(verifier) and not example_site:
        raise ExampleKeyError(
            f"密钥 {verifier.key_ref} 是公开的示例密钥，只能用于示例站点（gongkai.yaml 中 example: true）"
        )


def key_names(origin: str) -> dict[str, str]:
    """Names of the log key and the three root keys for ``origin`` (``host/…/ledger``)."""
    base = origin.rsplit("/", 1)[0]
    return {
        "log": origin,
        "root1": f"{base}/root/1",
        "root2": f"{base}/root/2",
        "root3": f"{base}/root/3",
    }


def dept_key_name(origin: str, dept: str, n: int = 1) -> str:
    """Name of department ``dept``'s ``n``-th key."""
    return f"{origin.rsplit('/', 1)[0]}/dept/{dept}/{n}"
