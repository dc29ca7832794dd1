"""pyproject.toml lists every package a wheel must carry (fast; the wheel itself:
test_wheel.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return dict(tomllib.load(f)["tool"]["setuptools"])


def test_every_package_and_template_directory_is_listed() -> None:
    config = _config()
    package_dir = dict(config["package-dir"])  # type: ignore[call-overload]
    templates = package_dir.pop("gongkai_site_templates")
    assert templates == "site_templates"
    assert not package_dir  # no other mapping: the listed names are the tree's names
    want = {
        p.parent.relative_to(ROOT).as_posix().replace("/", ".")
        for top in ("generator", "ledger")
        for p in (ROOT / top).rglob("__init__.py")
    }
    # Every directory of site_templates/ is a package of gongkai_site_templates (its files are
    # package data), or the wheel leaves it out.
    want |= {
        "gongkai_site_templates"
        + "".join("." + part for part in d.relative_to(ROOT / templates).parts)
        for d in [ROOT / templates, *(ROOT / templates).rglob("*")]
        if d.is_dir() and d.name != "__pycache__"
    }
    assert sorted(config["packages"]) == sorted(want)  # type: ignore[call-overload]


def test_every_template_file_is_package_data() -> None:
    import fnmatch

    data: dict[str, list[str]] = dict(_config()["package-data"])  # type: ignore[call-overload]
    root = ROOT / "site_templates"
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        package = ".".join(("gongkai_site_templates", *rel.parent.parts))
        patterns = data.get(package, [])
        assert any(fnmatch.fnmatch(rel.name, pat) for pat in patterns), (
            f"site_templates/{rel.as_posix()} 不在 pyproject.toml 的 package-data（{package}）中"
        )
