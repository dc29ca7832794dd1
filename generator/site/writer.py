"""The only code that writes the built site.

The writer refuses a second write to one path (two pages mapping to one URL is a bug, never a
silent last-write-wins), builds into a fresh temporary directory next to the target, and swaps it
in only when the whole build succeeded, so a failed build leaves the previous site untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath


class SiteWriteError(Exception):
    """A page path is invalid or was written twice."""


class SiteWriter:
    """Collects output files under a temporary directory; :meth:`commit` swaps it into place."""

    def __init__(self, target: Path) -> None:
        self.target = target.resolve()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.build-", dir=self.target.parent)
        )
        self.written: set[str] = set()

    def write(self, rel_path: str, data: bytes | str) -> None:
        """Write one file at ``rel_path`` (POSIX, relative, no ``..``).

        Raises:
            SiteWriteError: if the path is not a clean relative path or was already written.
        """
        pure = PurePosixPath(rel_path)
        if (
            pure.is_absolute()
            or ".." in pure.parts
            or not pure.parts
            or rel_path != pure.as_posix()
        ):
            raise SiteWriteError(f"非法的输出路径：{rel_path!r}")
        if rel_path in self.written:
            raise SiteWriteError(f"输出文件“{rel_path}”被重复写入（两个页面对应同一网址）")
        self.written.add(rel_path)
        path = self.staging / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def commit(self) -> None:
        """Replace the target directory with the staged build."""
        old: Path | None = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        if old is not None:
            shutil.rmtree(old)

    def abort(self) -> None:
        """Remove the staged build; the previous site stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
