"""The file list and the archive of a published ledger folder (docs/ledger.md §13.7).

``SHA256SUMS`` lists every published file as ``<sha256 hex>  <path>`` (``sha256sum -c``);
``ledger.tar.gz`` holds all of them under ``ledger/``. Both are deterministic: sorted members,
fixed mtime, uid, gid and modes, a gzip header without name or time (byte-identical for one
zlib version), so a republish that appends to an earlier publication gives the same bytes as a
full publication of the same ledger.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from ledger.errors import StoreError, os_reason

__all__ = [
    "ARCHIVE_NAME",
    "ARCHIVE_ROOT",
    "SUMS_NAME",
    "format_sums",
    "parse_sums",
    "write_archive",
]

ARCHIVE_NAME: Final = "ledger.tar.gz"
"""The whole published folder as one archive (every file but itself, under ``ledger/``)."""
ARCHIVE_ROOT: Final = "ledger"
"""The directory the archive unpacks into."""
SUMS_NAME: Final = "SHA256SUMS"
"""The list of published files with their SHA-256 (``sha256sum -c`` format)."""

_ARCHIVE_MTIME: Final = 946684800  # 2000-01-01T00:00:00Z: no build time leaks in


def format_sums(hashes: Mapping[str, str]) -> bytes:
    """``SHA256SUMS`` for ``hashes`` (path → lowercase hex SHA-256), sorted by path."""
    return "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes)).encode("ascii")


def parse_sums(data: bytes) -> dict[str, str] | None:
    """The path → hash map of a ``SHA256SUMS`` written by :func:`format_sums`; None if ``data``
    is not such a file (then nothing in it is used)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    out: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name or name in out:
            return None
        out[name] = digest
    return out


def write_archive(
    target: Path,
    names: Sequence[str],
    locate: Callable[[str], Path],
    in_memory: Mapping[str, bytes],
) -> None:
    """Write ``ledger.tar.gz``: ``names`` (sorted, relative paths) under ``ledger/``, each read
    from ``locate(name)`` unless its bytes are given in ``in_memory``.

    The bytes are those of :mod:`tarfile` (``PAX_FORMAT``, members added with ``addfile``)
    through :class:`gzip.GzipFile` at level 6; headers are made here, and the stream is
    compressed in large pieces, because ``tarfile`` spends most of a republish's archive time
    on 10^4 small members (tests/ledger/test_publish.py compares the two).

    Raises:
        StoreError: if a file cannot be read or the archive cannot be written.
    """
    parts = [m.split("/") for m in names]
    dirs = {"/".join(p[:i]) for p in parts for i in range(1, len(p))}
    try:
        with (
            open(target, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        ):
            out = _Blocks(gz)
            out.add(_header(ARCHIVE_ROOT, 0, directory=True))
            for rel in sorted([*dirs, *names]):
                name = f"{ARCHIVE_ROOT}/{rel}"
                if rel in dirs:
                    out.add(_header(name, 0, directory=True))
                    continue
                data = in_memory.get(rel)
                if data is None:
                    with _opened(locate(rel)) as f:
                        data = f.read()
                out.add(_header(name, len(data)))
                out.add(data)
                out.add(tarfile.NUL * (-len(data) % tarfile.BLOCKSIZE))
            out.close()
    except OSError as exc:
        raise StoreError(f"无法写入 {target}：{os_reason(exc)}") from exc


class _Blocks:
    """The tar stream into ``gz``, in pieces of about 1 MiB, ended as ``TarFile.close`` ends it
    (two zero blocks, then zeros up to a whole record)."""

    def __init__(self, gz: gzip.GzipFile) -> None:
        self.gz = gz
        self.buf = bytearray()
        self.offset = 0

    def add(self, data: bytes) -> None:
        self.buf += data
        self.offset += len(data)
        if len(self.buf) >= 1 << 20:
            self.gz.write(self.buf)
            self.buf.clear()

    def close(self) -> None:
        self.add(tarfile.NUL * (tarfile.BLOCKSIZE * 2))
        self.add(tarfile.NUL * (-self.offset % tarfile.RECORDSIZE))
        self.gz.write(self.buf)
        self.buf.clear()


_ZERO8: Final = b"0000000\0"  # uid and gid 0


def _header(name: str, size: int, *, directory: bool = False) -> bytes:
    """The header ``tarfile`` writes for ``_tar_info(name, size, directory=directory)`` in
    ``PAX_FORMAT`` (a plain ustar block when the name is ASCII and fits; else tarfile's own)."""
    path = name + "/" if directory else name
    try:
        raw = path.encode("ascii")
    except UnicodeEncodeError:
        raw = b""
    if not raw or len(raw) > 100 or size >= 8**11:
        info = _tar_info(name, size, directory=directory)
        return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    block = b"".join(
        (
            raw.ljust(100, tarfile.NUL),
            b"0000755\0" if directory else b"0000644\0",
            _ZERO8,
            _ZERO8,
            b"%011o\0" % size,
            b"%011o\0" % _ARCHIVE_MTIME,
            b"        ",
            tarfile.DIRTYPE if directory else tarfile.REGTYPE,
            tarfile.NUL * 100,
            tarfile.POSIX_MAGIC,
            tarfile.NUL * (32 + 32 + 8 + 8 + 155),
        )
    ).ljust(tarfile.BLOCKSIZE, tarfile.NUL)
    chksum = 256 + sum(block[:148]) + sum(block[156:])
    return block[:148] + b"%06o\0" % chksum + block[155:]


def _tar_info(name: str, size: int, *, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = _ARCHIVE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def _opened(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise StoreError(f"无法读取 {path}：{os_reason(exc)}") from exc
