"""Tests for ledger.keys: private key files (0600, exclusive, never in a repo) and vkey files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import MalformedError, StoreError
from ledger.keys import read_private_key, read_public_key, write_private_key, write_public_key
from ledger.note import Signer

SEED = bytes(range(32))
SIGNER = Signer.from_seed("keys.example/gongkai/test", SEED)
SECRET_B64 = SIGNER.skey.rsplit("+", 1)[1]


@pytest.fixture
def keydir(tmp_path: Path) -> Path:
    # tmp_path must not itself be inside a git work tree, or every write would be refused.
    assert not any((p / ".git").exists() for p in tmp_path.resolve().parents)
    return tmp_path


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_write_creates_0600_with_skey_line(keydir: Path, open_umask: None) -> None:
    path = keydir / "log.key"
    write_private_key(path, SIGNER)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == (SIGNER.skey + "\n").encode()
    assert read_private_key(path).skey == SIGNER.skey
    assert read_private_key(str(path)).verifier() == SIGNER.verifier()


def test_write_refuses_existing_file(keydir: Path) -> None:
    path = keydir / "log.key"
    write_private_key(path, SIGNER)
    other = Signer.from_seed("keys.example/other", b"\x09" * 32)
    with pytest.raises(StoreError, match="文件已存在"):
        write_private_key(path, other)
    assert read_private_key(path).skey == SIGNER.skey


def test_write_refuses_through_dangling_symlink(keydir: Path) -> None:
    # O_EXCL fails on any existing name, symlinks included, so a planted link is not followed.
    (keydir / "link.key").symlink_to(keydir / "target.key")
    with pytest.raises(StoreError):
        write_private_key(keydir / "link.key", SIGNER)
    assert not (keydir / "target.key").exists()


@pytest.mark.parametrize("git_is_file", [False, True])
def test_write_refuses_inside_git_work_tree(keydir: Path, git_is_file: bool) -> None:
    repo = keydir / "repo"
    (repo / "sub").mkdir(parents=True)
    if git_is_file:
        (repo / ".git").write_text("gitdir: elsewhere\n")  # worktree / submodule layout
    else:
        (repo / ".git").mkdir()
    path = repo / "sub" / "log.key"
    with pytest.raises(StoreError, match="git 工作区"):
        write_private_key(path, SIGNER)
    assert not path.exists()
    write_private_key(path, SIGNER, allow_in_repo=True)
    assert read_private_key(path).skey == SIGNER.skey


def test_write_into_missing_directory_is_a_store_error(keydir: Path) -> None:
    with pytest.raises(StoreError):
        write_private_key(keydir / "missing" / "log.key", SIGNER)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o620, 0o602, 0o610, 0o601, 0o666])
def test_read_refuses_group_or_other_access(keydir: Path, mode: int) -> None:
    path = keydir / "log.key"
    write_private_key(path, SIGNER)
    path.chmod(mode)
    with pytest.raises(StoreError) as info:
        read_private_key(path)
    message = str(info.value)
    assert str(path) in message
    assert f"chmod 600 {path}" in message
    assert SECRET_B64 not in message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_read_accepts_owner_only_modes(keydir: Path, mode: int) -> None:
    path = keydir / "log.key"
    write_private_key(path, SIGNER)
    path.chmod(mode)
    assert read_private_key(path).key_id == SIGNER.key_id


@pytest.mark.parametrize(
    "content",
    [
        b"",
        SIGNER.skey.encode(),  # no final newline
        (SIGNER.skey + "\n\n").encode(),
        (SIGNER.skey + "\r\n").encode(),
        (" " + SIGNER.skey + "\n").encode(),
        (SIGNER.skey[:-1] + "\n").encode(),
        (SIGNER.verifier().vkey + "\n").encode(),
        b"\xff\xfe\n",
        b"x" * 100_000 + b"\n",
    ],
    ids=lambda c: repr(c[:24]),
)
def test_read_rejects_bad_content_without_echoing_it(keydir: Path, content: bytes) -> None:
    path = keydir / "bad.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(MalformedError) as info:
        read_private_key(path)
    assert str(path) in str(info.value)
    assert SECRET_B64[:10] not in str(info.value)


def test_read_missing_file_or_directory(keydir: Path) -> None:
    with pytest.raises(StoreError):
        read_private_key(keydir / "missing.key")
    with pytest.raises(StoreError):
        read_private_key(keydir)


def test_signer_repr_hides_seed() -> None:
    for text in (repr(SIGNER), str(SIGNER), f"{SIGNER!r}", str([SIGNER])):
        assert SECRET_B64 not in text
        assert SEED.hex() not in text
        assert "keys.example/gongkai/test" in text


def test_public_key_round_trip(keydir: Path) -> None:
    path = keydir / "log.vkey"
    write_public_key(path, SIGNER.verifier())
    assert path.read_text() == SIGNER.verifier().vkey + "\n"
    assert read_public_key(path) == SIGNER.verifier()
    with pytest.raises(StoreError):
        write_public_key(path, SIGNER.verifier())
    path.chmod(0o644)
    assert read_public_key(path) == SIGNER.verifier()


def test_public_key_file_rejects_garbage(keydir: Path) -> None:
    path = keydir / "bad.vkey"
    path.write_text(SIGNER.skey + "\n")
    with pytest.raises(MalformedError):
        read_public_key(path)
