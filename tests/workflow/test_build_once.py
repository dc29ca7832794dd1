"""``gongkai build`` audits the ledger once and publishes what that audit verified (issue #20).

One audit (``verify_directory``) under the ledger's lock, no second replay: the site's results,
the draw proof pages and the published ``ledger/`` all come from it. Files of ``draws/`` that
change after the audit are not read again: the published ledger is the verified one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fresh_site import Site, new_site

import generator.publishing
import generator.site.drawproof
import ledger.verified
from generator.cli import main
from ledger.verify import verify_directory


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return new_site(tmp_path_factory.mktemp("once"))


def _no_replay(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the ledger was replayed a second time")


def test_one_audit_whose_bytes_are_published(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "site"
    shutil.copytree(site.root, root)
    draws = root / "draws"
    verified_lines = (draws / "entries.jsonl").read_bytes()
    audits: list[Path] = []

    def audit_then_tamper(path: Path, **kwargs: Any) -> Any:
        report = verify_directory(path, **kwargs)
        audits.append(Path(path))
        # Changed after the audit: a build that read the file again would publish this.
        (draws / "entries.jsonl").write_bytes(verified_lines.replace(b'"ts":"', b'"ts":"X', 1))
        return report

    monkeypatch.setattr(ledger.verified, "verify_directory", audit_then_tamper)
    monkeypatch.setattr(generator.publishing, "replay_store", _no_replay)
    monkeypatch.setattr(generator.site.drawproof, "replay_store", _no_replay)
    out = tmp_path / "_site"
    result = CliRunner().invoke(main, ["build", "--site", str(root), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert audits == [draws]
    assert (out / "ledger" / "entries.jsonl").read_bytes() == verified_lines
    assert (out / "ledger" / "checkpoint").read_bytes() == (draws / "checkpoint").read_bytes()
    monkeypatch.undo()
    verify_directory(out / "ledger", trust=generator.publishing.read_trust(draws))
    # The next build audits again and refuses the changed ledger.
    again = CliRunner().invoke(main, ["build", "--site", str(root), "--output", str(out)])
    assert again.exit_code != 0
    assert "账本验证失败" in again.output
