"""``trust.txt``: the anchors an auditor pins, obtained out of band.

Format (UTF-8, ``\\n`` line ends, every line ``<keyword> <value>``, in this order)::

    gongkai-trust/v1
    origin <log origin>
    log <log verifier key>            (one or more lines)
    root <root authority verifier key> (one or more lines)
    threshold <t>
    entry0 <lowercase hex SHA-256 leaf hash of entry 0>
    tsa <name> <lowercase hex SHA-256 of tsa/<name>.pem>   (zero or more lines; docs/ledger.md §15.2)

The parser is strict: no blank lines, no comments, no unknown keywords, a final newline.
"""

from __future__ import annotations

import re

from ledger.errors import MalformedError
from ledger.note import Verifier, parse_vkey
from ledger.registry import TrustAnchor
from ledger.timestamp import check_tsa_name

HEADER = "gongkai-trust/v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DECIMAL = re.compile(r"^[1-9][0-9]{0,3}$")


def format_trust(anchor: TrustAnchor) -> bytes:
    """Serialize ``anchor`` as ``trust.txt`` bytes."""
    lines = [HEADER, f"origin {anchor.origin}"]
    lines += [f"log {v.vkey}" for v in anchor.log_keys]
    lines += [f"root {v.vkey}" for v in anchor.roots]
    lines += [f"threshold {anchor.threshold}", f"entry0 {anchor.entry0_hash.hex()}"]
    lines += [f"tsa {name} {digest.hex()}" for name, digest in anchor.tsas]
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
        + ["tsa"] * order.count("tsa")
    )
    if order != expected or "log" not in order or "root" not in order:
        raise MalformedError(
            "trust.txt 的行应依次为 origin、log…、root…、threshold、entry0、tsa…（可无）"
        )
    values = dict(fields)
    logs = _keys([v for k, v in fields if k == "log"])
    roots = _keys([v for k, v in fields if k == "root"])
    if not _DECIMAL.match(values["threshold"]) or not 1 <= int(values["threshold"]) <= len(roots):
        raise MalformedError("trust.txt 的 threshold 无效")
    if not _HEX64.match(values["entry0"]):
        raise MalformedError("trust.txt 的 entry0 应为 64 位小写十六进制")
    return TrustAnchor(
        values["origin"],
        logs,
        roots,
        int(values["threshold"]),
        bytes.fromhex(values["entry0"]),
        _tsas([v for k, v in fields if k == "tsa"]),
    )


def _tsas(values: list[str]) -> tuple[tuple[str, bytes], ...]:
    """``tsa <name> <hex>`` values: valid names, 64 lowercase hex digits, no name twice."""
    out: list[tuple[str, bytes]] = []
    for value in values:
        name, sep, digest = value.partition(" ")
        try:
            check_tsa_name(name)
        except MalformedError as exc:
            raise MalformedError(f"trust.txt 的 tsa 行：{exc}") from None
        if not sep or not _HEX64.match(digest):
            raise MalformedError(
                f"trust.txt 的 tsa {name} 应后接证书链文件的 64 位小写十六进制 SHA-256"
            )
        if name in dict(out):
            raise MalformedError(f"trust.txt 中的时间戳机构 {name} 重复")
        out.append((name, bytes.fromhex(digest)))
    return tuple(out)


def _keys(values: list[str]) -> tuple[Verifier, ...]:
    keys = tuple(parse_vkey(v) for v in values)
    if len({k.key_ref for k in keys}) != len(keys):
        raise MalformedError("trust.txt 中的密钥重复")
    return keys
