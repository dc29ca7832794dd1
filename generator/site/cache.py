"""A cache of the validated content, so that a republish does not re-validate 100k records.

Loading and validating ``content/`` costs ~10 s per 100,000 entities, more than an incremental
rebuild may take. The cache stores the :class:`Content` that :func:`load_content` returned,
keyed by a hash of every file under ``content/``, the content loader's code and the Python
version; any change of any of them reloads (and re-validates) from scratch.

A second file, ``keys.bin``, memoizes the keys of pages that depend on the content only (entity
records, entity lists, pools, the lookup index), named by the content key and the build's shared
key, so a republish with new results does not re-hash 100,000 records.

The cache lives next to the output (``.<output>.cache/content.bin``), never inside the
published site. Entities are stored as tuples of plain values (``marshal``) and rebuilt without
running ``__init__`` (they were validated when the cache was written); the rest of the content
is small and pickled. Only gongkai itself writes the file; keep the build directory private.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import marshal
import os
import pickle
import sys
import tempfile
from pathlib import Path

from generator.content.loader import load_content
from generator.content.model import Content, CreditRisk, EntityType, MarketEntity, RegStatus

_MAGIC = b"gongkai-content-cache/1\n"
_ENTITY_TYPES = {m.value: m for m in EntityType}
_STATUSES = {m.value: m for m in RegStatus}
_RISKS = {m.value: m for m in CreditRisk}


def cache_dir_for(output: Path) -> Path:
    """The cache directory of a site directory: a hidden sibling."""
    out = output.resolve()
    return out.parent / f".{out.name}.cache"


def content_key(content_dir: Path) -> bytes:
    """Hash of every content file, the loader code and the Python version."""
    h = hashlib.blake2b(digest_size=32)
    h.update(sys.version.encode())
    loader = Path(__file__).resolve().parents[1] / "content"
    for base, paths in ((loader, sorted(loader.glob("*.py"))), (content_dir, _files(content_dir))):
        for p in paths:
            h.update(p.relative_to(base).as_posix().encode() + b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.digest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def load_content_cached(content_dir: Path, cache_dir: Path) -> tuple[Content, str]:
    """:func:`load_content` through the cache (raises ``ContentError`` as it does).

    Returns the content and its key (hex), which names everything derived from the content.
    """
    key = content_key(content_dir)
    path = cache_dir / "content.bin"
    try:
        blob = path.read_bytes()
    except OSError:
        blob = b""
    if blob.startswith(_MAGIC + key):
        try:
            return _decode(blob[len(_MAGIC) + len(key) :]), key.hex()
        except (ValueError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError):
            pass  # a damaged cache: load from scratch
    content, _ = load_content(content_dir)
    _store(path, _MAGIC + key + _encode(content))
    return content, key.hex()


def load_memo(cache_dir: Path, memo_id: str) -> dict[str, str] | None:
    """The memo of content-only page keys written for ``memo_id``, if any."""
    try:
        blob = (cache_dir / "keys.bin").read_bytes()
    except OSError:
        return None
    head = memo_id.encode() + b"\n"
    if not blob.startswith(head):
        return None
    try:
        memo = marshal.loads(blob[len(head) :])  # noqa: S302  # our own cache file
    except (ValueError, EOFError, TypeError):
        return None
    return memo if isinstance(memo, dict) else None


def store_memo(cache_dir: Path, memo_id: str, memo: dict[str, str]) -> None:
    """Save the memo of content-only page keys for ``memo_id``."""
    _store(cache_dir / "keys.bin", memo_id.encode() + b"\n" + marshal.dumps(memo))


def _encode(content: Content) -> bytes:
    rows = [
        (
            e.id,
            e.name,
            e.entity_type.value,
            e.division,
            e.industries,
            e.status.value,
            e.risk.value,
            e.last_inspected.isoformat() if e.last_inspected else None,
            e.address,
            e.legacy_code,
        )
        for e in content.entities
    ]
    rest = pickle.dumps(dataclasses.replace(content, entities=()), protocol=5)
    ents = marshal.dumps(rows)
    return len(rest).to_bytes(8, "big") + rest + ents


def _decode(data: bytes) -> Content:
    n = int.from_bytes(data[:8], "big")
    rest: Content = pickle.loads(data[8 : 8 + n])  # noqa: S301  # our own cache file
    rows = marshal.loads(data[8 + n :])  # noqa: S302  # our own cache file
    new = object.__new__
    entities = []
    for r in rows:
        e = new(MarketEntity)
        e.__dict__.update(
            id=r[0],
            name=r[1],
            entity_type=_ENTITY_TYPES[r[2]],
            division=r[3],
            industries=r[4],
            status=_STATUSES[r[5]],
            risk=_RISKS[r[6]],
            last_inspected=dt.date.fromisoformat(r[7]) if r[7] else None,
            address=r[8],
            legacy_code=r[9],
        )
        entities.append(e)
    return dataclasses.replace(rest, entities=tuple(entities))


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".content-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
