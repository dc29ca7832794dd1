"""docs/mobile.md §7 shows exactly the bytes the code makes (keys, statements, files, bodies)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worked_example import values

DOC = (Path(__file__).resolve().parents[2] / "docs" / "mobile.md").read_text(encoding="utf-8")


def _section(number: int) -> str:
    start = DOC.index(f"\n## {number}. ")
    return DOC[start : DOC.index("\n## ", start + 1)]


def test_the_worked_example_is_what_the_code_makes() -> None:
    blocks = re.findall(r"```\n(.*?)\n```", _section(7), re.DOTALL)
    v = values()
    expected = [v["vkey"], v["enrol_message"], v["enrolment"].rstrip("\n"), v["enrol_body"],
                v["inspection_message"], v["bundle"].rstrip("\n"), v["publish_body"],
                v["cosigned_bundle"].rstrip("\n"), v["cosigned_body"]]  # fmt: skip
    assert blocks == expected
    assert v["seed"] in _section(7)
    assert v["partner_seed"] in _section(7)


def test_the_example_attachment_is_the_hash_of_test() -> None:
    import hashlib

    assert hashlib.sha256(b"test").hexdigest() in values()["bundle"]
