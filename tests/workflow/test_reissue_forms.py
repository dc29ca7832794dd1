"""补发: ``gongkai task reissue`` writes a lost result form again, byte for byte (issue #17).

A fresh site is driven to 名单确认下发; the forms are hashed, deleted and re-issued from the
ledger. A form that cannot be reproduced (a name changed in the library since the
confirmation) is refused with a Chinese message, and nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from fresh_site import TASK, Site, confirm_joint, new_site


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    s = new_site(tmp_path_factory.mktemp("reissue"))
    return s, confirm_joint(s)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_lost_forms_are_reissued_byte_identical(confirmed: tuple[Site, Path]) -> None:
    s, forms = confirmed
    original = _hashes(forms / TASK)
    assert set(original) == {"scjg.xlsx", "scjg.csv", "wsjk.xlsx", "wsjk.csv"}
    again = s.root.parent / "again"
    out = s.run("task", "reissue", TASK, "--out", str(again), "--site", str(s.root)).output
    assert "已补发" in out
    assert _hashes(again / TASK) == original
    assert [p.name for p in again.iterdir()] == [TASK]  # no temporary folder left behind
    one = s.root.parent / "one"
    s.run("task", "reissue", TASK, "--dept", "wsjk", "--out", str(one), "--site", str(s.root))
    assert _hashes(one / TASK) == {k: v for k, v in original.items() if k.startswith("wsjk")}


def test_a_form_that_cannot_be_reproduced_is_refused(confirmed: tuple[Site, Path]) -> None:
    s, _ = confirmed
    library = s.content / "entities.csv"
    saved = library.read_bytes()
    rows = list(csv.reader(saved.decode("utf-8-sig").splitlines()))
    name = rows[0].index("名称")
    for row in rows[1:]:
        row[name] += "（更名）"
    library.write_text("\ufeff" + "\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    try:
        out_dir = s.root.parent / "changed"
        refused = s.run("task", "reissue", TASK, "--out", str(out_dir), "--site", str(s.root),
                        ok=False)  # fmt: skip
    finally:
        library.write_bytes(saved)
    assert refused.exit_code == 11, refused.output
    assert "哈希不同" in refused.output
    assert "Traceback" not in refused.output
    assert not (out_dir / TASK).exists()
    assert [p.name for p in out_dir.iterdir()] == []


def test_reissue_before_confirmation_is_refused(tmp_path: Path) -> None:
    s = new_site(tmp_path)
    refused = s.run("task", "reissue", TASK, "--site", str(s.root), "--out", str(tmp_path / "f"),
                    ok=False)  # fmt: skip
    assert refused.exit_code == 11
    assert "不能执行此操作" in refused.output
