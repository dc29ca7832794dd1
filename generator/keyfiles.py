"""Creating key files for staff: names follow the site's ledger origin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.content.loader import load_content
from generator.example.keys import dept_key_name
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
    ``<origin base>/dept/<dept>/<n>`` with the first free ``n`` in ``out``.

    Raises:
        ContentError: if the content cannot be loaded (for ``dept``).
        StoreError: if the choice is ambiguous, the department is unknown, the file exists or
            ``out`` is inside a git work tree.
    """
    if (dept is None) == (name is None):
        raise StoreError("请只指定 --dept 或 --name 其中之一")
    if dept is not None:
        content, _ = load_content(content_dir)
        if dept not in {d.id for d in content.departments}:
            raise StoreError(f"未知部门“{dept}”")
        n = 1
        while (
            out / f"{_file_stem(dept_key_name(content.site.ledger_origin, dept, n))}.key"
        ).exists():
            n += 1
        name = dept_key_name(content.site.ledger_origin, dept, n)
    assert name is not None
    return write_key_pair(out, Signer.generate(name))


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
