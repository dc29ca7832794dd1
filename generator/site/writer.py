"""The only code that writes the built site.

Guarantees:

* **No second write to one path.** Every output path is *claimed* once (:meth:`SiteWriter.claim`);
  a second claim raises :class:`SiteWriteError` (two pages mapping to one URL is a bug, never a
  silent last-write-wins). Paths must be clean, relative POSIX paths.
* **A failed build leaves the old site.** Files are written into a staging directory next to the
  target. Nothing touches the target until the caller calls a ``commit_*`` method after the whole
  build (rendering and link check) succeeded; :meth:`SiteWriter.abort` just removes the staging.
* **Full builds swap atomically.** :meth:`commit_full` renames the old site away and the staging
  directory into place (two ``rename`` calls on one file system); the old copy is deleted in the
  background (:func:`remove_later`).
* **Incremental builds replace only what changed.** :meth:`commit_incremental` moves each staged
  file over its old copy with ``os.replace`` (atomic per file). A journal
  (:data:`JOURNAL`) is written first and removed last; if a commit is interrupted, the next build
  sees the journal and does a full build.

Worker processes write claimed files with :func:`write_file` into :attr:`SiteWriter.staging`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

#: Marks an incremental commit in progress (inside the target directory).
JOURNAL = ".gongkai-commit.json"


class SiteWriteError(Exception):
    """A page path is invalid or was written twice."""


_SIMPLE = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\-]*(?:/[A-Za-z0-9_\-][A-Za-z0-9._\-]*)*")
_SIMPLE_CHARS = re.compile(r"[A-Za-z0-9._\-/\n]*")
#: What ends a segment, starts one with a dot, or leaves one empty, in newline-joined paths.
_NOT_SIMPLE = ("//", "/\n", "\n/", "/.", "\n.", "\n\n")


def _all_simple(joined: str) -> bool:
    """Whether every line of ``joined`` (paths joined with newlines) matches :data:`_SIMPLE`:
    segments of ``[A-Za-z0-9._-]`` that are not empty and do not start with a dot (so none is
    ``..``). Checked on the whole text at once (100,000 paths: a regex per path is slower)."""
    return (
        joined != ""
        and _SIMPLE_CHARS.fullmatch(joined) is not None
        and not joined.startswith(("/", ".", "\n"))
        and not joined.endswith(("/", "\n"))
        and not any(bad in joined for bad in _NOT_SIMPLE)
    )


def check_path(rel_path: str) -> None:
    """Raise :class:`SiteWriteError` unless ``rel_path`` is a clean relative POSIX path."""
    if _SIMPLE.fullmatch(rel_path) and "/../" not in f"/{rel_path}/":
        return  # the common case, without building a PurePosixPath
    pure = PurePosixPath(rel_path)
    if (
        not rel_path
        or pure.is_absolute()
        or ".." in pure.parts
        or "\\" in rel_path
        or rel_path != pure.as_posix()
    ):
        raise SiteWriteError(f"非法的输出路径：{rel_path!r}")


def write_file(root: Path, rel_path: str, data: bytes | str) -> None:
    """Write ``data`` to ``root/rel_path``, creating parent directories (no checks)."""
    path = root / rel_path
    try:
        fh = open(path, "wb")  # noqa: SIM115  # the fast path: the directory usually exists
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "wb")  # noqa: SIM115
    with fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def remove_later(path: Path) -> None:
    """Delete a directory that is no longer served, without waiting for it.

    Deleting a 100,000-page site takes longer than building it on slow disks, so on POSIX a
    detached ``rm -rf`` does it (the directory is a hidden sibling that nothing reads); elsewhere
    it is removed in place.
    """
    rm = shutil.which("rm")
    if os.name == "posix" and rm:
        subprocess.Popen(  # noqa: S603  # fixed program, our own path
            [rm, "-rf", "--", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    else:  # pragma: no cover - non-POSIX
        shutil.rmtree(path, ignore_errors=True)


class SiteWriter:
    """Collects output files under a staging directory; a ``commit_*`` puts them in place."""

    def __init__(self, target: Path) -> None:
        self.target = target.resolve()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.build-", dir=self.target.parent)
        )
        # mkdtemp creates 0700; the published site must be readable by the web server.
        self.staging.chmod(0o755)
        #: Every claimed output path (the site's full file list after the build).
        self.claimed: set[str] = set()
        #: Paths written into the staging directory by this build.
        self.staged: set[str] = set()

    def claim(self, rel_path: str) -> None:
        """Reserve ``rel_path`` for one file of this build.

        Raises:
            SiteWriteError: if the path is not a clean relative path or was already claimed.
        """
        if rel_path in self.claimed:
            raise SiteWriteError(f"输出文件“{rel_path}”被重复写入（两个页面对应同一网址）")
        check_path(rel_path)
        self.claimed.add(rel_path)

    def claim_many(self, rel_paths: Sequence[str]) -> None:
        """:meth:`claim` every path of ``rel_paths`` (checked in bulk: 100,000 business pages).

        Raises:
            SiteWriteError: as :meth:`claim`, naming the first offending path.
        """
        fresh = set(rel_paths)
        if (
            len(fresh) == len(rel_paths)
            and fresh.isdisjoint(self.claimed)
            and (not rel_paths or _all_simple("\n".join(rel_paths)))
        ):
            self.claimed |= fresh
            return
        for rel in rel_paths:  # the bulk check is stricter than check_path: one by one
            self.claim(rel)

    def write(self, rel_path: str, data: bytes | str) -> None:
        """Claim ``rel_path`` and write it into the staging directory."""
        self.claim(rel_path)
        self.staged.add(rel_path)
        write_file(self.staging, rel_path, data)

    def mark_staged(self, paths: Iterable[str]) -> None:
        """Record paths (already claimed) that worker processes wrote into the staging dir."""
        self.staged.update(paths)

    def commit_full(self) -> None:
        """Replace the target directory with the staged build (atomic rename)."""
        old: Path | None = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.replace(self.target, old / "site")
        os.replace(self.staging, self.target)
        if old is not None:
            remove_later(old)

    def commit_incremental(self, removed: Iterable[str] = ()) -> None:
        """Move every staged file over its old copy in the target, then delete ``removed``.

        The journal lists the operation; it is removed only when the commit completed.
        """
        staged = sorted(self.staged)
        gone = sorted(removed)
        journal = self.target / JOURNAL
        journal.write_text(
            json.dumps({"replace": staged, "remove": gone}, ensure_ascii=False), encoding="utf-8"
        )
        for rel in staged:
            dest = self.target / rel
            try:
                os.replace(self.staging / rel, dest)
            except FileNotFoundError:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / rel, dest)
        for rel in gone:
            (self.target / rel).unlink(missing_ok=True)
        journal.unlink()
        shutil.rmtree(self.staging, ignore_errors=True)

    def abort(self) -> None:
        """Remove the staged build; the previous site stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
