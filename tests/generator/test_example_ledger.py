"""The example ledger in draws/ is exactly what the committed script produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.example.keys import (
    ExampleKeyError,
    example_signer,
    is_example_key,
    refuse_example_key,
)
from generator.example.ledger import build_example_ledger
from ledger.note import Signer

ROOT = Path(__file__).resolve().parents[2]
FILES = ("entries.jsonl", "checkpoint", "trust.txt")


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "draws"
    build_example_ledger(ROOT / "content", out)
    for name in FILES:
        assert (out / name).read_bytes() == (ROOT / "draws" / name).read_bytes(), (
            f"draws/{name} differs; regenerate with: python -m generator.example.ledger --force"
        )
    committed = sorted(p.name for p in (ROOT / "draws" / "checkpoints").iterdir())
    rebuilt = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert committed == rebuilt
    for name in rebuilt:
        assert (out / "checkpoints" / name).read_bytes() == (
            ROOT / "draws" / "checkpoints" / name
        ).read_bytes()


def test_example_keys_are_recognised_and_refused_for_real_sites() -> None:
    key = example_signer("example.gov.cn/x/gongkai/root/1").verifier()
    assert is_example_key(key)
    refuse_example_key(key, example_site=True)
    with pytest.raises(ExampleKeyError, match="示例密钥"):
        refuse_example_key(key, example_site=False)
    real = Signer.generate("example.gov.cn/x/gongkai/root/1").verifier()
    assert not is_example_key(real)
    refuse_example_key(real, example_site=False)
