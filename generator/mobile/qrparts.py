"""A phone's enrolment file or small result bundle carried by QR codes (docs/mobile.md §5.2).

The phone app shows the file as a short numbered sequence of QR codes (at most
:data:`MAX_PARTS`); whoever scans them passes each code's text to ``gongkai inspector enroll
--qr-text`` or ``gongkai results import --qr-text``. A code's text is one **part**::

    "GKQR1:" ‖ i ‖ "/" ‖ n ‖ ":" ‖ digest ‖ ":" ‖ chunk_i

``digest`` is the upper-case hex of the first 8 bytes of the file's SHA-256, and the chunks,
joined in order, are the unpadded RFC 4648 base32 of a raw DEFLATE stream (RFC 1951) of the
file. Every character is in the QR alphanumeric set, so a code is dense (5.5 bits a character)
and its text is safe to type, paste or put on a command line unquoted. The signatures are in the
file: a part only carries bytes, and :func:`decode` gives back exactly the file or refuses.

:func:`decode` is what the department's commands run on scanned text; :func:`encode` is the
phone's algorithm (``app.js`` makes the same parts, with the browser's own DEFLATE), used by the
tests and the documentation's worked example.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from generator.content.text import describe_char
from generator.errors import BundleError
from generator.mobile.formats import Source

__all__ = [
    "CHUNK",
    "MAX_FILE_BYTES",
    "MAX_PARTS",
    "MAX_PART_CHARS",
    "PREFIX",
    "decode",
    "encode",
]

PREFIX: Final = "GKQR1:"
#: At most this many data characters a code: a part is then at most 1,427 characters, which a
#: QR code of version 25 (117 × 117 modules) at error correction level M holds (1,451).
CHUNK: Final = 1400
#: A file travels in at most 9 codes (one digit each for i and n): 12,600 data characters.
MAX_PARTS: Final = 9
#: A file carried by codes is at most this long once inflated (a bound on what a reader inflates).
MAX_FILE_BYTES: Final = 65536
_DIGEST_CHARS: Final = 16
#: The header ``GKQR1:i/n:<digest>:`` has a fixed length.
_HEADER_CHARS: Final = len(PREFIX) + 3 + 1 + _DIGEST_CHARS + 1
MAX_PART_CHARS: Final = _HEADER_CHARS + CHUNK
_PART: Final = re.compile(r"GKQR1:([1-9])/([1-9]):([0-9A-F]{16}):([A-Z2-7]+)")
_ALPHANUMERIC: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS].upper()


def encode(data: bytes, *, level: int = 9) -> list[str]:
    """The parts (code texts) of the file ``data``, in order (docs/mobile.md §5.2).

    Raises:
        ValueError: ``data`` is empty or longer than :data:`MAX_FILE_BYTES`, or needs more than
            :data:`MAX_PARTS` codes.
    """
    if not data or len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"文件长 {len(data)} 字节，二维码只能传送 1 至 {MAX_FILE_BYTES} 字节的文件"
        )
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    text = base64.b32encode(packer.compress(data) + packer.flush()).decode("ascii").rstrip("=")
    n = math.ceil(len(text) / CHUNK)
    if n > MAX_PARTS:
        raise ValueError(f"文件需要 {n} 张二维码，超过 {MAX_PARTS} 张")
    size = math.ceil(len(text) / n)
    head = f"{PREFIX}{{}}/{n}:{_digest(data)}:"
    return [head.format(i + 1) + text[i * size : (i + 1) * size] for i in range(n)]


@dataclass
class _Group:
    """The parts of one file seen so far: ``n``, and each part's chunk and option position."""

    n: int
    first: int
    chunks: dict[int, tuple[str, int]]


def _parse(text: str, where: str) -> tuple[int, int, str, str]:
    """``(i, n, digest, chunk)`` of one scanned text (ASCII letters of either case).

    Raises:
        BundleError: the text is not a part.
    """
    stripped = text.strip()
    bad = next((c for c in stripped if c not in _ALPHANUMERIC and not "a" <= c <= "z"), None)
    if bad is not None:
        raise BundleError(
            f"{where}：含有二维码文字中不应有的字符 {describe_char(bad)}"
            "（应只有字母、数字、冒号和斜线）"
        )
    if len(stripped) > MAX_PART_CHARS:
        raise BundleError(f"{where}：二维码文字过长（{len(stripped)} 字符，上限 {MAX_PART_CHARS}）")
    upper = stripped.upper()  # ASCII only by now: a scanner typing with Caps Lock on
    if not upper.startswith(PREFIX):
        raise BundleError(f"{where}：不是移动检查应用显示的二维码文字（应以 {PREFIX} 开头）")
    found = _PART.fullmatch(upper)
    if found is None:
        raise BundleError(
            f"{where}：二维码文字格式不对（应为 {PREFIX}张号/张数:校验值:数据），"
            "扫码不完整或被改动过"
        )
    i, n = int(found.group(1)), int(found.group(2))
    if i > n:
        raise BundleError(f"{where}：张号 {i}/{n} 无效（张号大于张数）")
    return i, n, found.group(3), found.group(4)


def _inflate(text: str, where: str) -> bytes:
    """The file whose DEFLATE stream ``text`` is the base32 of (docs/mobile.md §5.2).

    Raises:
        BundleError: ``text`` is not canonical unpadded base32 of one complete raw DEFLATE
            stream, or the file is empty or longer than :data:`MAX_FILE_BYTES`.
    """
    damaged = f"{where}：二维码数据无效（扫码不完整、缺少或多出一张、或被改动过）"
    try:
        packed = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        raise BundleError(damaged) from None
    if base64.b32encode(packed).decode("ascii").rstrip("=") != text:
        raise BundleError(damaged)
    inflater = zlib.decompressobj(-15)
    try:
        data = inflater.decompress(packed, MAX_FILE_BYTES + 1)
    except zlib.error:
        raise BundleError(damaged) from None
    if len(data) > MAX_FILE_BYTES:
        raise BundleError(f"{where}：二维码中的文件解压后超过 {MAX_FILE_BYTES} 字节")
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail or not data:
        raise BundleError(damaged)
    return data


def decode(texts: Sequence[str], option: str = "--qr-text") -> list[Source]:
    """The files carried by the scanned ``texts`` (the values of ``option``, in the order given),
    in the order of each file's first part, each named ``--qr-text 第 1、2 个（二维码 …）``. The parts of a file may come in any order and
    several files may be mixed; a part given twice with the same text counts once.

    Raises:
        BundleError: naming the text (``--qr-text 第 k 个``): a text is not a part, two parts of
            one file disagree on their count or differ under one number, a file lacks a part,
            or the joined parts are not a file whose SHA-256 matches their digest.
    """
    groups: dict[str, _Group] = {}
    for k, text in enumerate(texts, start=1):
        where = f"{option} 第 {k} 个"
        i, n, digest, chunk = _parse(text, where)
        group = groups.setdefault(digest, _Group(n, k, {}))
        if n != group.n:
            raise BundleError(
                f"{where}：与 {option} 第 {group.first} 个同属二维码 {digest}，"
                f"张数却不同（{n} 与 {group.n}）"
            )
        seen = group.chunks.get(i)
        if seen is not None and seen[0] != chunk:
            raise BundleError(
                f"{where}：与 {option} 第 {seen[1]} 个都是二维码 {digest} 的第 {i} 张，内容却不同"
            )
        group.chunks.setdefault(i, (chunk, k))
    files = []
    for digest, group in groups.items():
        positions = "、".join(str(group.chunks[i][1]) for i in sorted(group.chunks))
        where = f"{option} 第 {positions} 个（二维码 {digest}）"
        missing = [str(i) for i in range(1, group.n + 1) if i not in group.chunks]
        if missing:
            raise BundleError(
                f"{where}：共 {group.n} 张，缺第 {'、'.join(missing)} 张；请扫描全部二维码"
            )
        data = _inflate("".join(group.chunks[i][0] for i in range(1, group.n + 1)), where)
        if _digest(data) != digest:
            raise BundleError(
                f"{where}：内容与二维码中的校验值不符（扫码不完整、张号被改动或内容被改动过）"
            )
        files.append(Source(where, data))
    return files
