"""The example ledger in draws/ is exactly what the committed year script produces, in one
process and office by office (generator/example/offices.py, docs/signing.md §1): and no office
ever holds another department's key or secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.example.keys import (
    ExampleKeyError,
    example_signer,
    is_example_key,
    refuse_example_key,
)
from generator.example.offices import build_year_by_offices
from generator.example.year import build_year
from generator.workflow import site as site_module
from ledger.keys import read_private_key
from ledger.note import Signer
from tests.workflow.ceremony import private_keys

ROOT = Path(__file__).resolve().parents[2]
ORIGIN_BASE = "example.gov.cn/chongxin/gongkai"


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "LOCK"
    }


@pytest.mark.slow
@pytest.mark.exhaustive  # (make test-exhaustive; CI runs it) the one-process twin of the next test
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


@pytest.mark.slow
# The whole example year office by office (~130 s): in `make test-exhaustive`, which CI runs, to
# keep the default run under 15 minutes; the default run proves the same office routing on
# small sites (tests/workflow/test_department_requests.py, test_batch_requests.py, test_signing.py).
@pytest.mark.exhaustive
def test_the_offices_produce_draws_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, work = tmp_path / "draws", tmp_path / "work"
    derived: list[str] = []  # the department keys the site's process (the lead's) derived

    def spy(name: str) -> Signer:
        if "/dept/" in name:
            derived.append(name)
        return example_signer(name)

    monkeypatch.setattr(site_module, "example_signer", spy)
    build_year_by_offices(ROOT / "content", out, work)
    rebuilt, committed = _files(out), _files(ROOT / "draws")
    assert sorted(rebuilt) == sorted(committed), "regenerate: python -m generator.example.offices"
    for name, data in rebuilt.items():
        assert data == committed[name], f"draws/{name} differs; regenerate with make example"
    offices = work / "offices"
    depts = sorted(p.name.removeprefix("office-") for p in offices.glob("office-*"))
    assert len(depts) >= 3, depts
    drawing = 0  # offices of departments that took part in a draw
    for dept in depts:
        office = offices / f"office-{dept}"
        keys = [p for p in office.rglob("*") if p.is_file() and p.name == "key"]
        assert keys == [office / "key"], keys  # its own key, nothing else
        assert f"/dept/{dept}/" in read_private_key(office / "key").name
        secrets = sorted(p.name for p in office.rglob("*.secret"))
        assert set(secrets) <= {f"{dept}.secret"}, secrets  # its own secrets, nothing else
        drawing += bool(secrets)
    assert drawing >= 3, depts
    lead = offices / "lead"
    assert not [p for p in lead.rglob("*") if p.name == "key" or p.suffix == ".secret"]
    assert private_keys(lead) == []  # under any file name
    for dept in depts:
        assert private_keys(offices / f"office-{dept}") == [f"{ORIGIN_BASE}/dept/{dept}/1"]
    # Every statement of one department other than the operator (scjg) went through that
    # department's office as a request (docs/signing.md §11), every result it imported as a
    # batch request (§13): the lead's process signed as the operator only.
    assert derived, "the operator's own entries are signed by the site"
    assert set(derived) == {f"{ORIGIN_BASE}/dept/scjg/1"}, sorted(set(derived))
    routed = {json.loads(r.read_bytes())["body"]["id"] for r in (lead / "requests").glob("*.json")}
    batches = sorted((lead / "batches").glob("*.json"))
    assert batches
    for batch in batches:
        value = json.loads(batch.read_bytes())
        assert value["format"] == "gongkai-sign-batch/v1"
        assert value["signers"] != ["scjg"], batch
        routed |= {body["id"] for body in value["entries"]}
    elsewhere = {"draw.announce", "draw.reveal", "task.confirm"}
    others = [
        entry["body"]["id"]
        for entry in map(json.loads, (out / "entries.jsonl").read_bytes().splitlines())
        if entry["body"].get("dept", "scjg") != "scjg" and entry["body"]["type"] not in elsewhere
    ]
    assert others
    assert set(others) <= routed, sorted(set(others) - routed)
    assert any(i.startswith("result.publish/") for i in others)
    # Every announcement was appended from signature files the offices sent.
    sigs = sorted(p.name for p in (lead / "signatures").rglob("*.sig"))
    assert any(".announce." in s for s in sigs), sigs
    assert any(".confirm." in s for s in sigs), sigs
    reveals = list((lead / "reveals").rglob("*.json"))
    assert reveals
    for request in reveals:
        assert json.loads(request.read_bytes())["body"]["type"] == "draw.reveal"


def test_example_keys_are_recognised_and_refused_for_real_sites() -> None:
    key = example_signer("example.gov.cn/x/gongkai/root/1").verifier()
    assert is_example_key(key)
    refuse_example_key(key, example_site=True)
    with pytest.raises(ExampleKeyError, match="示例密钥"):
        refuse_example_key(key, example_site=False)
    real = Signer.generate("example.gov.cn/x/gongkai/root/1").verifier()
    assert not is_example_key(real)
    refuse_example_key(real, example_site=False)
