"""Files of one line of canonical JSON (docs/ledger.md §10.1) that staff pass around: signing
requests and signature files (docs/signing.md §2), inspectors' enrolment files and result
bundles (docs/mobile.md §2.3, §5).

Each is one canonical JSON object with exactly its documented keys, then one ``\\n``: a reader
accepts only that spelling, so a file has one byte form and the bytes signed are the bytes read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.errors import WorkflowError
from ledger import canonical
from ledger.errors import MalformedError

__all__ = ["read_object_line"]


def read_object_line(
    data: bytes,
    where: str,
    what: str,
    keys: frozenset[str] | Mapping[str, frozenset[str]],
    error: type[WorkflowError],
    *,
    hint: str = "",
) -> dict[str, Any]:
    """The object of the one-line canonical JSON file ``data``, with exactly ``keys``.

    Args:
        data: the file's bytes.
        where: the file, as the messages name it.
        what: what the file is (``签名文件``, ``检查结果包`` …), as the messages name it.
        keys: the object's keys; or, for a file with several versions, the keys of each value
            of its ``format`` field (another ``format`` is refused).
        error: the error class of the caller's exit code (:mod:`generator.errors`).
        hint: added to the message about the line and its newline (e.g. that the file may have
            been altered or cut short).

    Raises:
        ``error``: naming ``where`` and what is wrong (the line, the JSON, the fields).
    """
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise error(f"{where}：{what}应为一行规范 JSON，以换行结尾{hint}")
    try:
        value = canonical.loads(data[:-1])
    except MalformedError as exc:
        raise error(f"{where}：{what}不是规范 JSON（{exc}）") from None
    if not isinstance(value, dict):
        raise error(f"{where}：{what}应为 JSON 对象")
    if not isinstance(keys, frozenset):
        fmt = value.get("format")
        if not isinstance(fmt, str) or fmt not in keys:
            raise error(f"{where}：format 应为 {' 或 '.join(sorted(keys))}")
        keys = keys[fmt]
    if set(value) != keys:
        raise error(f"{where}：{what}应恰好包含字段 {'、'.join(sorted(keys))}")
    return value
