"""A department's own commit-reveal secret for a draw (``docs/signing.md`` §4).

Each participating department creates its 32-byte secret on its own machine with
``gongkai draw commit``; only the commitment ``c_d`` (``docs/draw-v1.md`` §4) leaves that
machine, in a commitment file the lead puts into the announcement's signing request. The secret
stays in ``<secrets>/<task>/<dept>.secret`` (0600, outside any git work tree) until the same
department reveals it with ``gongkai draw reveal``.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path

from generator.errors import WorkflowError
from ledger import canonical
from ledger.draw.seed import commitment
from ledger.errors import MalformedError

#: The ``format`` of a commitment file.
COMMITMENT_FORMAT = "gongkai-draw-commitment/v1"
_HEX = frozenset("0123456789abcdef")


def secret_path(secrets_dir: Path, task_id: str, dept: str) -> Path:
    """Where department ``dept`` keeps its secret for ``task_id``."""
    return secrets_dir / task_id / f"{dept}.secret"


def read_secret(path: Path, dept: str) -> bytes:
    """The 32-byte secret stored at ``path``.

    Raises:
        WorkflowError: if the file is missing or does not hold 64 hex digits.
    """
    try:
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
    except (OSError, ValueError):
        raise WorkflowError(f"找不到部门 {dept} 的抽取秘密 {path}") from None
    if len(secret) != 32:
        raise WorkflowError(f"{path}：抽取秘密应为 64 位十六进制数字")
    return secret


def create_secret(path: Path) -> bytes:
    """Create a new random secret at ``path`` (0600, created exclusively, fsync'd).

    Raises:
        WorkflowError: if ``path`` exists or lies inside a git work tree.
    """
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            raise WorkflowError(f"{path}：抽取秘密不能保存在 git 仓库 {parent} 内")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = pysecrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WorkflowError(f"{path}：抽取秘密已存在，不能重新生成") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return secret


@dataclass(frozen=True)
class CommitmentFile:
    """What a department sends the lead: its commitment for one task, never the secret."""

    task_id: str
    dept: str
    commitment: str

    def dumps(self) -> bytes:
        """The file's bytes: canonical JSON and ``\\n`` (``docs/signing.md`` §4)."""
        value = {
            "commitment": self.commitment,
            "dept": self.dept,
            "format": COMMITMENT_FORMAT,
            "task_id": self.task_id,
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> CommitmentFile:
        """Parse a commitment file strictly.

        Raises:
            WorkflowError: naming ``where`` and the field that is wrong.
        """
        try:
            value = canonical.loads(data.removesuffix(b"\n"))
        except MalformedError as exc:
            raise WorkflowError(f"{where}：不是规范 JSON 的承诺文件（{exc}）") from None
        keys = {"commitment", "dept", "format", "task_id"}
        if not isinstance(value, dict) or set(value) != keys:
            raise WorkflowError(f"{where}：承诺文件应恰好包含字段 {'、'.join(sorted(keys))}")
        if value["format"] != COMMITMENT_FORMAT:
            raise WorkflowError(f"{where}：字段 format 应为 {COMMITMENT_FORMAT}")
        for key in ("dept", "task_id"):
            if not isinstance(value[key], str) or not value[key]:
                raise WorkflowError(f"{where}：字段 {key} 应为非空字符串")
        c = value["commitment"]
        if not isinstance(c, str) or len(c) != 64 or not set(c) <= _HEX:
            raise WorkflowError(f"{where}：字段 commitment 应为 64 位小写十六进制数字")
        return cls(value["task_id"], value["dept"], c)


def commit(secrets_dir: Path, task_id: str, dept: str) -> CommitmentFile:
    """Create ``dept``'s secret for ``task_id`` (or reuse the one a refused announcement left)
    and return its commitment.

    Raises:
        WorkflowError: if the secret cannot be created.
    """
    path = secret_path(secrets_dir, task_id, dept)
    secret = read_secret(path, dept) if path.exists() else create_secret(path)
    return CommitmentFile(task_id, dept, commitment(task_id, dept, secret))


def read_commitments(directory: Path, task_id: str) -> dict[str, str]:
    """Every commitment file ``*.commitment`` in ``directory`` for ``task_id``, by department.

    Raises:
        WorkflowError: if a file is malformed, names another task, or two name one department.
    """
    out: dict[str, str] = {}
    for path in sorted(directory.glob("*.commitment")):
        item = CommitmentFile.loads(path.read_bytes(), str(path))
        if item.task_id != task_id:
            raise WorkflowError(f"{path}：承诺文件属于任务“{item.task_id}”，不是“{task_id}”")
        if item.dept in out:
            raise WorkflowError(f"{path}：部门 {item.dept} 的承诺文件重复")
        out[item.dept] = item.commitment
    return out
