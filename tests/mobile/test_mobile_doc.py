"""docs/mobile.md §7 shows exactly the bytes the code makes (keys, statements, files, bodies)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worked_example import values

from generator.mobile import qrparts

DOC = (Path(__file__).resolve().parents[2] / "docs" / "mobile.md").read_text(encoding="utf-8")


def _section(number: int) -> str:
    start = DOC.index(f"\n## {number}. ")
    return DOC[start : DOC.index("\n## ", start + 1)]


def _subsection(number: str) -> str:
    start = DOC.index(f"\n### {number} ")
    return DOC[start : DOC.index("\n## ", start + 1)]


def test_the_worked_example_is_what_the_code_makes() -> None:
    blocks = re.findall(r"```\n(.*?)\n```", _section(7), re.DOTALL)
    v = values()
    expected = [v["vkey"], v["enrol_message"], v["enrolment"].rstrip("\n"), v["enrol_body"],
                v["inspection_message"], v["bundle"].rstrip("\n"), v["publish_body"],
                v["cosigned_bundle"].rstrip("\n"), v["cosigned_body"]]  # fmt: skip
    assert blocks[:-1] == expected
    assert v["seed"] in _section(7)
    assert v["partner_seed"] in _section(7)
    # The QR text (§5.2): DEFLATE is not canonical, so the text is checked by what it carries.
    (shown,) = blocks[-1:]
    (got,) = qrparts.decode([shown])
    assert got.data == v["enrolment"].encode()
    assert shown.startswith(f"{qrparts.PREFIX}1/1:")
    assert f"one part of {len(shown)} characters" in _section(7)


def test_the_qr_section_states_the_codes_limits() -> None:
    import segno

    text = _subsection("5.2")
    for figure in (qrparts.CHUNK, qrparts.MAX_PARTS, qrparts.MAX_FILE_BYTES):
        assert f"{figure:,}" in text or str(figure) in text
    assert f"{qrparts.MAX_PART_CHARS:,} characters" in text
    widest = segno.make_qr("A" * qrparts.MAX_PART_CHARS, error="m", mode="alphanumeric")
    assert f"version {widest.version} (" in text
    (enrolment,) = values()["enrolment_qr"]
    version = segno.make_qr(enrolment, error="m", boost_error=False, mode="alphanumeric").version
    assert f"one code of version {version}" in text


def test_the_example_attachment_is_the_hash_of_test() -> None:
    import hashlib

    assert hashlib.sha256(b"test").hexdigest() in values()["bundle"]
