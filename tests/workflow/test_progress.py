"""Progress on long commands (issue #17): ``gongkai build --progress`` and ``gongkai import
--progress`` report their phases in Chinese on stderr only; stdout and every output file are
the same as without it. On a terminal the line is rewritten in place; elsewhere, without
``--progress``, nothing is reported.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fresh_site import MINI, Site, new_site

from generator.cli import main
from generator.progress import Progress


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return new_site(tmp_path_factory.mktemp("progress"))


def test_build_progress_goes_to_stderr_and_changes_no_output(site: Site, tmp_path: Path) -> None:
    runner = CliRunner()
    plain = runner.invoke(
        main, ["build", "--site", str(site.root), "--output", str(tmp_path / "a")]
    )
    shown = runner.invoke(
        main, ["build", "--site", str(site.root), "--output", str(tmp_path / "b"), "--progress"]
    )
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert "… " not in plain.stderr
    assert "… 验证账本（重新运行每一次抽取）：完成（用时" in shown.stderr
    assert "… 校验内容并生成网站：完成（用时" in shown.stderr
    assert shown.stdout.replace(str(tmp_path / "b"), "X") == plain.stdout.replace(
        str(tmp_path / "a"), "X"
    )
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_import_progress_goes_to_stderr_only(site: Site, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(site.content, content)
    source = MINI / "entities.csv"
    runner = CliRunner()
    plain = runner.invoke(main, ["import", "entities", str(source), "--content", str(content)])
    written = (content / "entities.csv").read_bytes()
    shown = runner.invoke(
        main, ["import", "entities", str(source), "--content", str(content), "--progress"]
    )
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert "… " not in plain.stderr
    assert "… 读取 entities.csv：完成（用时" in shown.stderr
    assert "… 检查导入后的全部内容（同 gongkai check）：完成" in shown.stderr
    assert shown.stdout == plain.stdout
    assert (content / "entities.csv").read_bytes() == written


def test_a_failed_phase_says_so(tmp_path: Path) -> None:
    stream = io.StringIO()
    progress = Progress(forced=True, stream=stream)
    with pytest.raises(RuntimeError), progress.phase("生成"):
        raise RuntimeError
    assert stream.getvalue().startswith("… 生成\n… 生成：中止（用时 ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_is_rewritten_without_the_option() -> None:
    stream = _Terminal()
    with Progress(stream=stream).phase("生成"):
        pass
    text = stream.getvalue()
    assert text.startswith("\r\x1b[K… 生成（已用 0 秒）")
    assert text.endswith("\r\x1b[K… 生成：完成（用时 0.0 秒）\n")


def test_not_a_terminal_and_not_asked_reports_nothing() -> None:
    stream = io.StringIO()
    with Progress(stream=stream).phase("生成"):
        pass
    assert stream.getvalue() == ""
