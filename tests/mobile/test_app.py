"""``gongkai task app`` (docs/mobile.md §8): one self-contained page per team, the same bytes
for the same ledger and content, data that cannot break out of its script block."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit

from generator.mobile.app import app_data, render_app
from generator.workflow.site import SiteRepo
from ledger.vocabulary import FOLLOWUP_MEASURES, RESULT_CATEGORIES


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.confirmed_site(tmp_path_factory.mktemp("mobile-app"))


def _embedded(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="app-data">(.*?)</script>', page, re.S)
    assert found is not None
    value: dict[str, object] = json.loads(found.group(1))
    return value


def test_the_app_holds_the_teams_assignments_and_makes_no_request(
    site: Path, tmp_path: Path
) -> None:
    out = kit.gk(site, "task", "app", kit.TASK, "--out", str(tmp_path / "a"))
    assert out.exit_code == 0, out.output
    page = (tmp_path / "a" / kit.TASK / f"{kit.DEPT}.html").read_text(encoding="utf-8")
    again = kit.gk(site, "task", "app", kit.TASK, "--out", str(tmp_path / "b"))
    assert again.exit_code == 0
    first, second = (sorted((tmp_path / d / kit.TASK).iterdir()) for d in "ab")
    assert [p.name for p in first] == [p.name for p in second]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert {f"{kit.DEPT}.html", f"{kit.DEPT}.sw.js", f"{kit.DEPT}.webmanifest"} <= {
        p.name for p in first
    }
    data = _embedded(page)
    assert data == app_data(SiteRepo.open(site), kit.TASK, kit.DEPT)
    record = SiteRepo.open(site).state().tasks.tasks[kit.TASK]
    assignments = data["assignments"]
    assert isinstance(assignments, list)
    assert {a["entity"] for a in assignments} == set(record.drawn)
    for a in assignments:
        assert set(a["team"]) == record.teams[a["entity"]][kit.DEPT]
    assert [c["word"] for c in data["categories"]] == list(RESULT_CATEGORIES)  # type: ignore[index, union-attr]
    assert data["measures"] == list(FOLLOWUP_MEASURES)
    assert data["origin"] == SiteRepo.open(site).trust.origin
    # No external resource: nothing to fetch when the network is cut (the manifest and the
    # service worker are added by the script, over HTTPS only: tests/e2e/test_mobile_offline.py).
    assert not re.search(r"""\s(src|href)\s*=\s*["']|@import|url\(|fetch\(|XMLHttpRequest""", page)
    assert "default-src 'none'" in page


def test_the_worker_caches_exactly_the_generated_page(site: Path, tmp_path: Path) -> None:
    out = kit.gk(site, "task", "app", kit.TASK, "--dept", kit.DEPT, "--out", str(tmp_path))
    assert out.exit_code == 0, out.output
    folder = tmp_path / kit.TASK
    page = (folder / f"{kit.DEPT}.html").read_bytes()
    worker = (folder / f"{kit.DEPT}.sw.js").read_text(encoding="utf-8")
    found = re.search(r"^const APP = (\{.*\});$", worker, re.M)
    assert found is not None
    app = json.loads(found.group(1))
    assert app["sha256"] == hashlib.sha256(page).hexdigest()
    manifest = json.loads((folder / f"{kit.DEPT}.webmanifest").read_bytes())
    assert manifest["start_url"] == f"{kit.DEPT}.html"
    assert set(app["files"]) == {f"{kit.DEPT}.webmanifest", *(i["src"] for i in manifest["icons"])}
    for icon in manifest["icons"]:
        data = (folder / icon["src"]).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        side = int(icon["sizes"].split("x")[0])
        assert struct.unpack(">II", data[16:24]) == (side, side)


def test_hostile_names_stay_inside_the_data(site: Path) -> None:
    data = app_data(SiteRepo.open(site), kit.TASK, kit.DEPT)
    evil = "</script><script>alert(1)</script>&amp;<!--"
    data["assignments"][0]["name"] = evil  # type: ignore[index]
    data["task_name"] = evil
    page = render_app(data)
    assert "<script>alert(1)" not in page
    assert _embedded(page)["assignments"][0]["name"] == evil  # type: ignore[index]
    assert (
        "<title>移动检查 · &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&lt;!--"
        in page
    )


def test_a_department_outside_the_task_is_refused(site: Path, tmp_path: Path) -> None:
    out = kit.gk(site, "task", "app", kit.TASK, "--dept", "wsjk", "--out", str(tmp_path))
    assert out.exit_code == 11
    assert "不是任务" in out.output
    assert not (tmp_path / kit.TASK).exists()


def test_the_qr_encoder_is_the_vendored_package_with_its_notice(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/mobile.md §8: qrcode-generator 2.0.4 inlined unmodified, its MIT notice beside it."""
    from importlib import resources

    from generator.mobile import app

    folder = resources.files("generator.mobile")
    vendored = folder.joinpath("qrcode-generator.js").read_text(encoding="utf-8")
    notice = folder.joinpath("qrcode-generator.LICENSE").read_text(encoding="utf-8")
    data = app_data(SiteRepo.open(site), kit.TASK, kit.DEPT)
    page = render_app(data)
    assert f"<script>\n{vendored}</script>" in page
    assert hashlib.sha256(vendored.encode()).hexdigest() == app.QRCODE_GENERATOR_SHA256
    assert app.QRCODE_GENERATOR_SHA256 in notice
    assert "qrcode-generator 2.0.4" in notice
    assert "Copyright (c) 2009 Kazuhiko Arase" in notice
    assert "Permission is hereby granted, free of charge" in notice
    monkeypatch.setattr(app, "QRCODE_GENERATOR_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="已被改动"):
        render_app(data)
