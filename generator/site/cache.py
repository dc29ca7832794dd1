"""A cache of the validated content, so that a republish does not re-validate 100k records.

Loading and validating ``content/`` costs ~10 s per 100,000 entities, more than an incremental
rebuild may take. The cache stores the :class:`Content` that ``load_content`` returned,
keyed by a hash of every file under ``content/``, the content loader's code and the Python
version; any change of any of them reloads (and re-validates) from scratch.

Beside it (each file starts with the key it was written for; another key is a miss):

* ``keys.bin`` memoizes the keys of pages that depend on the content only (entity records,
  entity lists, pools, the lookup index), named by the content key and the build's shared key,
  so a republish with new results does not re-hash 100,000 records;
* ``derived.bin``: what the site derives from the content alone (pools, shards, code order;
  :func:`generator.site.data.derive`), named by the content key and the site code;
* ``deadlines.bin``: publication deadlines by completion day (:func:`calendar_key`);
* ``lines.bin``: the open-data texts of result rows by row key, named by the shared key;
* ``libraries.bin``: the SHA-256 of each library document of the content (两库, compared with
  the ledger's latest ``library.publish`` by every build: ~1 s at 100,000 businesses), named by
  the content key and the code that writes the documents (:func:`library_digests`).

The cache lives next to the output (``.<output>.cache/``), never inside the published site.
Entities are stored column by column (plain values, ``marshal``) and rebuilt without running
``__init__`` (they were validated when the cache was written); the rest of the content is small
and pickled. Only gongkai itself writes these files; keep the build directory private.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import importlib.util
import marshal
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from generator.content.errors import Problems
from generator.content.model import Content, CreditRisk, EntityType, MarketEntity, RegStatus

_MAGIC = b"gongkai-content-cache/2\n"


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
            content = _decode(blob[len(_MAGIC) + len(key) :])
        except (ValueError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError):
            pass  # a damaged cache: load from scratch
        else:
            from generator.content.loader import install_local_holidays

            install_local_holidays(content_dir, Problems())  # checked when it was cached
            return content, key.hex()
    from generator.content.loader import load_content  # imported only when the cache misses

    content, _ = load_content(content_dir)
    _store(path, _MAGIC + key + _encode(content))
    return content, key.hex()


def load_memo(cache_dir: Path, memo_id: str) -> dict[str, Any] | None:
    """The memo of content-only page keys written for ``memo_id``, if any."""
    memo = _load_marshal(cache_dir / "keys.bin", memo_id)
    return memo if isinstance(memo, dict) else None


def store_memo(cache_dir: Path, memo_id: str, memo: dict[str, Any]) -> None:
    """Save the memo of content-only page keys for ``memo_id``."""
    _store(cache_dir / "keys.bin", memo_id.encode() + b"\n" + marshal.dumps(memo))


def load_derived(cache_dir: Path, derived_id: str) -> dict[str, Any] | None:
    """The values derived from the content (:func:`generator.site.data.derive`) stored for
    ``derived_id``, if any."""
    derived = _load_marshal(cache_dir / "derived.bin", derived_id)
    return derived if isinstance(derived, dict) else None


def store_derived(cache_dir: Path, derived_id: str, derived: dict[str, Any]) -> None:
    """Save the values derived from the content for ``derived_id``."""
    _store(cache_dir / "derived.bin", derived_id.encode() + b"\n" + marshal.dumps(derived))


def load_lines(cache_dir: Path, lines_id: str) -> dict[str, tuple[str, str]] | None:
    """The open-data texts of result rows (by row key) stored for ``lines_id``, if any."""
    lines = _load_marshal(cache_dir / "lines.bin", lines_id)
    return lines if isinstance(lines, dict) else None


def store_lines(cache_dir: Path, lines_id: str, lines: dict[str, tuple[str, str]]) -> None:
    """Save the open-data texts of result rows for ``lines_id``."""
    _store(cache_dir / "lines.bin", lines_id.encode() + b"\n" + marshal.dumps(lines))


def calendar_key() -> str:
    """Hash of the working-day code and the holiday data it reads (``chinese-calendar``)."""
    import chinese_calendar

    from generator.content.workdays import local_years

    h = hashlib.blake2b(digest_size=16)
    h.update(sys.version.encode())
    workdays = Path(__file__).resolve().parents[1] / "content" / "workdays.py"
    calendar = sorted(Path(chinese_calendar.__file__).resolve().parent.glob("*.py"))
    for p in [workdays, *calendar]:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    for local in local_years():  # content/holidays/*.yaml in use
        days = (sorted(local.days_off), sorted(local.workdays))
        h.update(repr((local.year, days)).encode())
    return h.hexdigest()


def load_deadlines(cache_dir: Path, key: str) -> dict[int, tuple[int | None, str]] | None:
    """Publication deadlines by completion day (ordinals) stored for the calendar ``key``."""
    found = _load_marshal(cache_dir / "deadlines.bin", key)
    return found if isinstance(found, dict) else None


def store_deadlines(
    cache_dir: Path, key: str, deadlines: dict[int, tuple[int | None, str]]
) -> None:
    """Save the publication deadlines computed with the calendar ``key``."""
    _store(cache_dir / "deadlines.bin", key.encode() + b"\n" + marshal.dumps(deadlines))


#: The modules that write a library document from the content (their code names the digests).
_LIBRARY_CODE = ("generator.workflow.library_ledger", "ledger.draw.library", "ledger.canonical")


def library_digests(
    content: Content, kinds: Iterable[str], cache_dir: Path | None, key: str | None
) -> dict[str, str]:
    """SHA-256 of the library document of each of ``kinds`` in ``content``
    (``generator.workflow.library_ledger.library_sha256``), from ``libraries.bin`` when it was
    written for the content key ``key`` and the code of :data:`_LIBRARY_CODE`; computed, and
    stored there, otherwise (no cache without ``cache_dir`` and ``key``).

    Raises:
        OSError: the cache directory cannot be written.
    """
    wanted = sorted(kinds)
    if not wanted:
        return {}
    name = None
    if cache_dir is not None and key:
        code = hashlib.blake2b(key.encode(), digest_size=16)
        for module in _LIBRARY_CODE:
            spec = importlib.util.find_spec(module)
            assert spec is not None and spec.origin is not None  # our own modules
            code.update(Path(spec.origin).read_bytes())
        name = code.hexdigest()
        cached = _load_marshal(cache_dir / "libraries.bin", name)
        if isinstance(cached, dict) and all(isinstance(cached.get(k), str) for k in wanted):
            return {k: cached[k] for k in wanted}
    from generator.workflow.library_ledger import library_sha256

    digests = {k: library_sha256(content, k) for k in wanted}
    if cache_dir is not None and name is not None:
        _store(cache_dir / "libraries.bin", name.encode() + b"\n" + marshal.dumps(digests))
    return digests


def _load_marshal(path: Path, key: str) -> object:
    """The value marshalled in ``path`` after the line ``key`` (None if absent or other key)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = key.encode() + b"\n"
    if not blob.startswith(head):
        return None
    try:
        return marshal.loads(blob[len(head) :])  # noqa: S302  # our own cache file
    except (ValueError, EOFError, TypeError):
        return None


_TYPE_LIST = list(EntityType)
_STATUS_LIST = list(RegStatus)
_RISK_LIST = list(CreditRisk)


def _encode(content: Content) -> bytes:
    ents = content.entities
    types = {m: i for i, m in enumerate(_TYPE_LIST)}
    statuses = {m: i for i, m in enumerate(_STATUS_LIST)}
    risks = {m: i for i, m in enumerate(_RISK_LIST)}
    table: dict[tuple[str, ...], int] = {}  # distinct industry tuples (few)
    columns = (
        [e.id for e in ents],
        [e.name for e in ents],
        bytes(types[e.entity_type] for e in ents),
        [e.division for e in ents],
        [table.setdefault(e.industries, len(table)) for e in ents],
        bytes(statuses[e.status] for e in ents),
        bytes(risks[e.risk] for e in ents),
        [e.last_inspected.isoformat() if e.last_inspected else None for e in ents],
        [e.address for e in ents],
        bytes(int(e.legacy_code) for e in ents),
        list(table),
    )
    rest = pickle.dumps(dataclasses.replace(content, entities=()), protocol=5)
    return len(rest).to_bytes(8, "big") + rest + marshal.dumps(columns)


def _decode(data: bytes) -> Content:
    n = int.from_bytes(data[:8], "big")
    rest: Content = pickle.loads(data[8 : 8 + n])  # noqa: S301  # our own cache file
    with paused_gc():  # 100,000 objects without cycles: the collector would only slow it down
        columns = marshal.loads(data[8 + n :])  # noqa: S302  # our own cache file
        ids, names, types, divisions, industries, statuses, risks, last, addresses = columns[:9]
        legacy, table = columns[9:]
        day = dt.date.fromisoformat
        new = object.__new__
        set_attr = object.__setattr__
        entities = []
        for code, name, t, division, ind, st, risk, li, address, lc in zip(
            ids,
            names,
            [_TYPE_LIST[i] for i in types],
            divisions,
            [table[i] for i in industries],
            [_STATUS_LIST[i] for i in statuses],
            [_RISK_LIST[i] for i in risks],
            [day(x) if x else None for x in last],
            addresses,
            legacy,
            strict=True,
        ):
            e = new(MarketEntity)
            set_attr(
                e,
                "__dict__",
                {
                    "id": code,
                    "name": name,
                    "entity_type": t,
                    "division": division,
                    "industries": ind,
                    "status": st,
                    "risk": risk,
                    "last_inspected": li,
                    "address": address,
                    "legacy_code": lc == 1,
                },
            )
            entities.append(e)
    return dataclasses.replace(rest, entities=tuple(entities))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run a build phase without cyclic garbage collection passes over its data.

    The collector is paused; on exit, what the phase allocated is moved to the permanent
    generation (:func:`gc.freeze`), and the collector is restored. The site data (10^5
    records, pages, keys) lives until the build ends and holds no garbage cycles: collections
    walking it again and again would cost a republish ~0.2 s. The build calls
    :func:`gc.unfreeze` when it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


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
