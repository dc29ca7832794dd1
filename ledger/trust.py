"""``trust.txt``: the anchors an auditor pins, obtained out of band.

Format (UTF-8, ``\\n`` line ends, every line ``<keyword> <value>``, in this order)::

    gongkai-trust/v1
    origin <log origin>
    log <log verifier key>            (one or more lines)
    root <root authority verifier key> (one or more lines)
    threshold <t>
    entry0 <lowercase hex SHA-256 leaf hash of entry 0>

The parser is strict: no blank lines, no comments, no unknown keywords, a final newline.
"""

from __future__ import annotations

import re

from ledger.errors import MalformedError
from ledger.note import Verifier, parse_vkey
from ledger.registry import TrustAnchor

HEADER = "gongkai-trust/v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DECIMAL = re.compile(r"^[1-9][0-9]{0,3}$")


def format_trust(anchor: TrustAnchor) -> bytes:
    """Serialize ``anchor`` as ``trust.txt`` bytes."""
    lines = [HEADER, f"origin {anchor.origin}"]
    lines += [f"log {v.vkey}" for v in anchor.log_keys]
    lines += [f"root {v.vkey}" for v in anchor.roots]
    lines += [f"threshold {anchor.threshold}", f"entry0 {anchor.entry0_hash.hex()}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_trust(data: bytes) -> TrustAnchor:
    """Parse ``trust.txt`` strictly.

    Raises:
        MalformedError: naming the line that is wrong.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("trust.txt 不是 UTF-8 文本") from None
    if not text.endswith("\n") or len(text) > 1 << 20:
        raise MalformedError("trust.txt 应以换行结尾且不超过 1 MiB")
    lines = text[:-1].split("\n")
    if lines[0] != HEADER:
        raise MalformedError(f"trust.txt 第 1 行应为 {HEADER}")
    fields: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        keyword, sep, value = line.partition(" ")
        if not sep or not value or value != value.strip():
            raise MalformedError(f"trust.txt 第 {number} 行格式错误")
        fields.append((keyword, value))
    order = [k for k, _ in fields]
    expected = (
        ["origin"]
        + ["log"] * order.count("log")
        + ["root"] * order.count("root")
        + ["threshold", "entry0"]
    )
    if order != expected or "log" not in order or "root" not in order:
        raise MalformedError("trust.txt 的行应依次为 origin、log…、root…、threshold、entry0")
    values = dict(fields)
    logs = _keys([v for k, v in fields if k == "log"])
    roots = _keys([v for k, v in fields if k == "root"])
    if not _DECIMAL.match(values["threshold"]) or not 1 <= int(values["threshold"]) <= len(roots):
        raise MalformedError("trust.txt 的 threshold 无效")
    if not _HEX64.match(values["entry0"]):
        raise MalformedError("trust.txt 的 entry0 应为 64 位小写十六进制")
    return TrustAnchor(
        values["origin"], logs, roots, int(values["threshold"]), bytes.fromhex(values["entry0"])
    )


def _keys(values: list[str]) -> tuple[Verifier, ...]:
    keys = tuple(parse_vkey(v) for v in values)
    if len({k.key_ref for k in keys}) != len(keys):
        raise MalformedError("trust.txt 中的密钥重复")
    return keys
