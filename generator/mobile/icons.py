"""The app's icons for installing it on a phone (docs/mobile.md §8.1), drawn here as PNG.

A white ring on the app's dark red, square, opaque, with the standard library only (``zlib``):
no image file in the repository, no image library, and the same bytes every time.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache
from typing import Final

__all__ = ["ICON_SIZES", "icon_png"]

ICON_SIZES: Final = (192, 512)
"""The sizes a browser needs to offer installing the app (manifest ``icons``)."""
_RED: Final = b"\x8b\x00\x00"
_WHITE: Final = b"\xff\xff\xff"


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@cache
def icon_png(size: int) -> bytes:
    """A ``size`` × ``size`` RGB PNG: a white ring (radii 0.26–0.36 of the side) on dark red.

    Raises:
        ValueError: if ``size`` is not positive.
    """
    if size <= 0:
        raise ValueError(f"图标尺寸应为正数：{size}")
    centre = (size - 1) / 2
    inner, outer = (0.26 * size) ** 2, (0.36 * size) ** 2
    rows = []
    for y in range(size):
        dy = (y - centre) ** 2
        pixels = (_WHITE if inner <= (x - centre) ** 2 + dy <= outer else _RED for x in range(size))
        rows.append(b"\x00" + b"".join(pixels))  # filter type 0 for every row
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
