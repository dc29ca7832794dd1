"""A site meant for publication has an absolute https base URL (issue #12, item 18): ``init``
asks for it and writes it; ``check`` refuses a published site without one (docs/content.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content.loader import base_url_problem, load_content
from tests.workflow.ceremony import Media

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
INIT = ["--name", "测试县公示", "--region-code", "620823", "--region-name", "甘肃省平凉市崇信县",
        "--origin", "scjg.test.example/gongkai/ledger"]  # fmt: skip


def _init(tmp_path: Path, *extra: str) -> tuple[int, str]:
    """``gongkai init`` with one root key and the log key, each on its own medium."""
    origin = INIT[INIT.index("--origin") + 1]
    media = Media(tmp_path / "media", origin)
    for args in (("--root", "1"), ("--log",)):
        out = media.root_key(1).parent if args[0] == "--root" else media.log_key.parent
        made = CliRunner().invoke(
            main, ["keys", "new", *args, "--origin", origin, "--out", str(out)]
        )
        assert made.exit_code == 0, made.output
    result = CliRunner().invoke(
        main,
        ["init", str(tmp_path / "site"), *INIT, "--root-pub", str(media.root_pub(1)),
         "--threshold", "1", "--log-pub", str(media.log_key.with_suffix(".pub")),
         "--out", str(tmp_path / "log.init.json"), *extra],
    )  # fmt: skip
    return result.exit_code, result.output


def test_init_writes_the_base_url_and_the_site_checks(tmp_path: Path) -> None:
    code, output = _init(tmp_path, "--base-url", "https://scjg.test.example/gongkai/")
    assert code == 0, output
    content = tmp_path / "site" / "content"
    site, problems = load_content(content)
    assert site.site.base_url == "https://scjg.test.example/gongkai/"
    assert problems.warnings == []
    check = CliRunner().invoke(main, ["check", "--content", str(content)])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize("url", ["/", "http://scjg.test.example/gongkai/", "https://x.test"])
def test_init_refuses_a_base_url_that_is_not_absolute_https(tmp_path: Path, url: str) -> None:
    code, output = _init(tmp_path, "--base-url", url)
    assert code == 11, output
    assert "--base-url" in output
    assert "绝对网址" in output
    assert not (tmp_path / "site").exists()


def test_init_needs_a_base_url(tmp_path: Path) -> None:
    code, output = _init(tmp_path)
    assert code == 2
    assert "--base-url" in output


def _mini(tmp_path: Path, *, example: bool) -> Path:
    """The mini content with ``base_url: /`` (and ``example: false`` unless ``example``)."""
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    yaml = content / "gongkai.yaml"
    text = yaml.read_text(encoding="utf-8").replace("https://example.gov.cn/gongkai/", "/")
    if not example:
        text = text.replace("example: true", "example: false")
    yaml.write_text(text, encoding="utf-8")
    return content


def test_check_refuses_a_published_site_with_a_relative_base_url(tmp_path: Path) -> None:
    content = _mini(tmp_path, example=False)
    result = CliRunner().invoke(main, ["check", "--content", str(content)])
    assert result.exit_code == 10, result.output
    assert "gongkai.yaml:5: base_url" in result.output
    assert "绝对网址" in result.output


def test_an_example_site_may_preview_with_a_relative_base_url(tmp_path: Path) -> None:
    _, problems = load_content(_mini(tmp_path, example=True))
    [warning] = problems.warnings
    assert warning.location.field == "base_url"
    assert "不是绝对网址" in warning.message


@pytest.mark.parametrize(
    ("url", "example", "ok"),
    [
        ("https://scjg.example.gov.cn/gongkai/", False, True),
        ("https://scjg.example.gov.cn/", False, True),
        ("https://scjg.example.gov.cn", False, False),  # no trailing slash
        ("https://user@scjg.example.gov.cn/", False, False),
        ("https://scjg.example.gov.cn/?a=1/", False, False),
        ("http://scjg.example.gov.cn/", False, False),
        ("/", False, False),
        ("/", True, True),
        ("//scjg.example.gov.cn/", True, False),
        ("http://127.0.0.1:8000/", True, True),
        ("ftp://x.test/", True, False),
    ],
)
def test_base_url_rules(url: str, example: bool, ok: bool) -> None:
    assert (base_url_problem(url, example=example) is None) is ok
