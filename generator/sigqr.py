"""A signature file as a QR code (``docs/signing.md`` §12).

A signature file (``docs/signing.md`` §3) is one short line of ASCII canonical JSON, so it fits
one QR code: an office without a shared drive or USB stick shows it on a screen or on paper and
the operator scans it. The **payload** is the signature file's bytes without its final
``\\n``; the code is a QR code (ISO/IEC 18004) of that text in byte mode, error correction level
M, the smallest version that holds it. Made with ``segno`` (pure Python, no dependencies).
"""

from __future__ import annotations

import io
from pathlib import Path

import segno

__all__ = ["payload", "terminal_text", "write_svg"]

#: Size of one module in the SVG (user units) and the quiet zone around it (modules).
SVG_SCALE, QUIET_ZONE = 4, 4


def payload(signature_file: bytes) -> str:
    """The QR payload of a signature file: its text without the final newline.

    Precondition: ``signature_file`` is a signature file (``Signature.dumps``), ASCII.
    """
    return signature_file.decode("ascii").removesuffix("\n")


def _code(signature_file: bytes) -> segno.QRCode:
    return segno.make_qr(payload(signature_file), error="m", boost_error=False)


def write_svg(signature_file: bytes, path: Path) -> None:
    """Write the QR code of ``signature_file`` as an SVG image at ``path``.

    Raises:
        OSError: if ``path`` cannot be written.
    """
    out = io.BytesIO()
    _code(signature_file).save(out, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE)
    path.write_bytes(out.getvalue())


def terminal_text(signature_file: bytes) -> str:
    """The QR code of ``signature_file`` drawn with Unicode block characters (two rows a line),
    to be shown in a terminal with a dark-on-light or light-on-dark font alike."""
    out = io.StringIO()
    _code(signature_file).terminal(out=out, compact=True, border=QUIET_ZONE)
    return out.getvalue()
