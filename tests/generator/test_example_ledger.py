"""The example ledger in draws/ is exactly what the committed year script produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.example.keys import (
    ExampleKeyError,
    example_signer,
    is_example_key,
    refuse_example_key,
)
from generator.example.year import build_year
from ledger.note import Signer

ROOT = Path(__file__).resolve().parents[2]


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "LOCK"
    }


@pytest.mark.slow
def test_year_rebuild_is_byte_identical(tmp_path: Path) -> None:
    """Re-running the whole 2024 year through the CLI gives draws/ byte for byte."""
    out = tmp_path / "draws"
    build_year(ROOT / "content", out)
    rebuilt, committed = _files(out), _files(ROOT / "draws")
    assert sorted(rebuilt) == sorted(committed), (
        "file lists differ; regenerate: python -m generator.example.year"
    )
    for name, data in rebuilt.items():
        assert data == committed[name], (
            f"draws/{name} differs; regenerate with: python -m generator.example.year"
        )


def test_example_keys_are_recognised_and_refused_for_real_sites() -> None:
    key = example_signer("example.gov.cn/x/gongkai/root/1").verifier()
    assert is_example_key(key)
    refuse_example_key(key, example_site=True)
    with pytest.raises(ExampleKeyError, match="示例密钥"):
        refuse_example_key(key, example_site=False)
    real = Signer.generate("example.gov.cn/x/gongkai/root/1").verifier()
    assert not is_example_key(real)
    refuse_example_key(real, example_site=False)
