"""Creating key files for staff: names follow the site's ledger origin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.content.loader import load_content
from generator.errors import OptionError
from generator.keynames import dept_key_name
from generator.ledgerops import TRUST_NAME, open_store, read_trust, replay_store
from ledger.errors import StoreError
from ledger.keys import write_private_key, write_public_key
from ledger.note import Signer


@dataclass(frozen=True)
class CreatedKey:
    """Paths and public key of a newly created key."""

    private_path: Path
    public_path: Path
    vkey: str


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def new_key_files(
    content_dir: Path, out: Path, *, dept: str | None, name: str | None
) -> CreatedKey:
    """Generate a key and write ``<out>/<name>.key`` (0600) and ``<out>/<name>.pub``.

    Exactly one of ``dept`` and ``name`` must be given. A department key is named
    ``<origin base>/dept/<dept>/<n>`` with the first ``n`` that no key of the site's ledger
    (``content_dir/../draws``, when it exists) and no key file in ``out`` uses: a key name
    identifies one key in the ledger.

    Raises:
        ContentError: if the content cannot be loaded (for ``dept``).
        OptionError: if both or neither of ``dept`` and ``name`` are given, or the department
            is unknown (a usage error, exit code 2).
        StoreError: if the file exists or ``out`` is inside a git work tree.
        LedgerError: if the site's ledger does not verify.
    """
    if (dept is None) == (name is None):
        raise OptionError("请只指定 --dept 或 --name 其中之一")
    if dept is not None:
        content, _ = load_content(content_dir)
        if dept not in {d.id for d in content.departments}:
            known = "、".join(d.id for d in content.departments)
            raise OptionError(f"--dept：未知部门“{dept}”（departments.yaml 中的部门：{known}）")
        used = ledger_key_names(content_dir.parent / "draws")
        origin = content.site.ledger_origin
        n = 1
        while (
            dept_key_name(origin, dept, n) in used
            or (out / f"{_file_stem(dept_key_name(origin, dept, n))}.key").exists()
        ):
            n += 1
        name = dept_key_name(origin, dept, n)
    assert name is not None
    return write_key_pair(out, Signer.generate(name))


def ledger_key_names(draws: Path) -> set[str]:
    """Names of every key in the ledger at ``draws`` (roots, log keys, department keys, revoked
    ones included); empty when there is no ledger yet.

    Raises:
        LedgerError: if the ledger does not verify.
    """
    if not (draws / TRUST_NAME).is_file():
        return set()
    trust = read_trust(draws)
    store = open_store(draws, trust)
    store.read_state()
    registry = replay_store(store, trust).registry
    keys = [*trust.roots, *trust.log_keys, *registry.roots.values(), *registry.log_keys]
    return {v.name for v in keys} | {r.verifier.name for r in registry.keys.values()}


def write_key_pair(out: Path, signer: Signer) -> CreatedKey:
    """Write ``<out>/<name>.key`` (0600, created exclusively) and ``<out>/<name>.pub``.

    Raises:
        StoreError: if ``out`` is inside a git work tree (checked before anything is created) or
            a file already exists.
    """
    for parent in (out.resolve(), *out.resolve().parents):
        if (parent / ".git").exists():
            raise StoreError(f"{out}：位于 git 仓库 {parent} 内；私钥必须保存在任何仓库之外")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = _file_stem(signer.name)
    private_path, public_path = out / f"{stem}.key", out / f"{stem}.pub"
    write_private_key(private_path, signer)
    write_public_key(public_path, signer.verifier())
    return CreatedKey(private_path, public_path, signer.verifier().vkey)
