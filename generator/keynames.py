"""Names of a site's signing keys, derived from its ledger origin (``docs/ledger.md``).

A key's name is what signatures and the site show, so it must identify one key: department keys
are numbered ``<base>/dept/<dept>/<n>`` and :mod:`generator.keyfiles` picks the first ``n`` that
no key in the ledger (and no key file) uses.
"""

from __future__ import annotations


def key_names(origin: str) -> dict[str, str]:
    """Names of the log key and the three root keys for ``origin`` (``host/…/ledger``)."""
    base = origin.rsplit("/", 1)[0]
    return {
        "log": origin,
        "root1": f"{base}/root/1",
        "root2": f"{base}/root/2",
        "root3": f"{base}/root/3",
    }


def root_key_name(origin: str, n: int) -> str:
    """Name of the ``n``-th root key of the log ``origin``."""
    return f"{origin.rsplit('/', 1)[0]}/root/{n}"


def dept_key_name(origin: str, dept: str, n: int = 1) -> str:
    """Name of department ``dept``'s ``n``-th key."""
    return f"{origin.rsplit('/', 1)[0]}/dept/{dept}/{n}"
