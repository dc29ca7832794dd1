"""Key files: private signer keys (mode 0600, never in a repository) and public vkeys.

A private key file holds exactly one Go-compatible skey string and a newline (docs/ledger.md §11.6):
``PRIVATE+KEY+<name>+<hex8>+base64(0x01 ‖ seed)\\n``. Go's ``note.NewSigner`` reads the same
string, which allows cross-checks with independent tools.

Rules, in the spirit of OpenSSH's private key handling:

- a private key is created exclusively (``O_CREAT|O_EXCL``) with mode 0600 and fsync'd, so an
  existing key is never overwritten and never briefly readable by others;
- it is not written inside a git work tree (a key committed by mistake is public forever)
  unless the caller forces it;
- it is not read when group or others have any access to it;
- no error message ever contains the key material.

A public key file holds one vkey string and a newline.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ledger.errors import MalformedError, StoreError, os_reason
from ledger.note import Signer, Verifier, parse_skey, parse_vkey

__all__ = [
    "read_private_key",
    "read_public_key",
    "write_private_key",
    "write_public_key",
]

_MAX_KEY_FILE = 64 * 1024  # far above any valid key; bounds what we read from a wrong path


def _in_git_work_tree(path: Path) -> Path | None:
    """Return the first ancestor directory of ``path`` that contains ``.git``, if any."""
    for parent in path.resolve().parents:
        # ``.git`` is a directory in a normal clone and a file in worktrees and submodules.
        if (parent / ".git").exists():
            return parent
    return None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``data`` and ``mode``; fsync the file and its directory.

    Raises:
        StoreError: If the file exists or any step fails (a partial file is removed).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:
        raise StoreError(f"{path}：文件已存在，拒绝覆盖密钥文件") from None
    except OSError as e:
        raise StoreError(f"{path}：无法创建密钥文件：{os_reason(e)}") from None
    try:
        try:
            os.fchmod(fd, mode)  # the umask may only remove bits, but be explicit
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(path.parent)
    except OSError as e:
        path.unlink(missing_ok=True)
        raise StoreError(f"{path}：无法写入密钥文件：{os_reason(e)}") from None


def write_private_key(
    path: str | os.PathLike[str], signer: Signer, *, allow_in_repo: bool = False
) -> None:
    """Write a new private key file (mode 0600, created exclusively, fsync'd).

    Args:
        path: Where to create the file; it must not exist.
        signer: The key to store.
        allow_in_repo: Allow writing inside a git work tree (for tests and throwaway keys).

    Raises:
        StoreError: If the file exists, the location is inside a git work tree and
            ``allow_in_repo`` is False, or the write fails.
    """
    target = Path(path)
    repo = None if allow_in_repo else _in_git_work_tree(target)
    if repo is not None:
        raise StoreError(
            f"{target}：拒绝把私钥写入 git 工作区 {repo}；签名密钥应保存在任何仓库之外"
        )
    _create_exclusive(target, (signer.skey + "\n").encode("utf-8"), 0o600)


def _read_bounded(fd: int, limit: int) -> bytes:
    """Read until end of file or until ``limit`` bytes have been read."""
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, limit - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _read_key_text(path: Path, *, private: bool) -> str:
    """Read a small key file as UTF-8 and strip its single final newline."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise StoreError(f"{path}：无法打开密钥文件：{os_reason(e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StoreError(f"{path}：不是普通文件")
        if private and st.st_mode & 0o077:
            raise StoreError(
                f"{path}：私钥可被同组用户或其他用户访问"
                f"（权限 {stat.S_IMODE(st.st_mode):04o}）；请运行：chmod 600 {path}"
            )
        data = _read_bounded(fd, _MAX_KEY_FILE + 1)
    except OSError as e:
        raise StoreError(f"{path}：无法读取密钥文件：{os_reason(e)}") from None
    finally:
        os.close(fd)
    if len(data) > _MAX_KEY_FILE or not data.endswith(b"\n"):
        raise MalformedError(f"{path}：不是密钥文件（应为以换行符结尾的一行）")
    try:
        return data[:-1].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError(f"{path}：密钥文件不是 UTF-8 文本") from None


def read_private_key(path: str | os.PathLike[str]) -> Signer:
    """Read a private key file written by :func:`write_private_key`.

    Args:
        path: The key file.

    Returns:
        The signer.

    Raises:
        StoreError: If the file cannot be read or group/others have access to it.
        MalformedError: If the content is not exactly one valid skey line.
    """
    target = Path(path)
    text = _read_key_text(target, private=True)
    try:
        return parse_skey(text)
    except MalformedError as e:
        # parse_skey never echoes the key; add the file name for the operator.
        raise MalformedError(f"{target}：{e}") from None


def write_public_key(path: str | os.PathLike[str], verifier: Verifier) -> None:
    """Write a new public key file holding the vkey and a newline (mode 0644, exclusive).

    Args:
        path: Where to create the file; it must not exist.
        verifier: The public key.

    Raises:
        StoreError: If the file exists or the write fails.
    """
    _create_exclusive(Path(path), (verifier.vkey + "\n").encode("utf-8"), 0o644)


def read_public_key(path: str | os.PathLike[str]) -> Verifier:
    """Read a public key file (one vkey line).

    Args:
        path: The key file.

    Returns:
        The verifier.

    Raises:
        StoreError: If the file cannot be read.
        MalformedError: If the content is not exactly one valid vkey line.
    """
    target = Path(path)
    text = _read_key_text(target, private=False)
    try:
        return parse_vkey(text)
    except MalformedError as e:
        raise MalformedError(f"{target}：{e}") from None
