"""Operating-system errors in ledger messages are explained in Chinese (ledger.errors.os_reason).

A file that is a folder (EISDIR) is the portable way to make a read fail, even as root.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.auditread import EntryLines, read_required
from ledger.errors import StoreError

LEDGER = Path(__file__).resolve().parents[2] / "ledger"


def test_a_required_file_that_is_a_folder_is_explained_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"是目录而不是文件 \[EISDIR\]"):
        read_required(tmp_path, "签名检查点")


def test_an_entries_file_that_is_a_folder_is_explained_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"是目录而不是文件 \[EISDIR\]"):
        list(EntryLines(tmp_path))


def test_no_ledger_message_quotes_the_english_strerror() -> None:
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(LEDGER.rglob("*.py"))
        if path.name != "errors.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!os)\.strerror\b", line)  # os.strerror: fault injection
    ]
    assert offenders == []
