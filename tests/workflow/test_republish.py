"""Republishing after new results gives, byte for byte, the site a full build gives (issue #20).

A county made by the staff's commands (``tests/bench/scale_county``, a few hundred businesses),
built once; then one new result is imported and the site rebuilt into the same folder, then that
result is corrected (``result.correct``) and the site rebuilt again. Each rebuild audits the ledger
once and publishes ``ledger/`` as an overlay over the previous copy: the receipts, tiles and
blobs of the earlier checkpoints are kept as they are (their files are not rewritten), only what
the new checkpoints add is written. After each rebuild, a cold full build of the same ledger into
a new folder must give exactly the same files.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

from tests.bench import scale_county

N = 300


def _differing(a: Path, b: Path) -> list[str]:
    """Relative paths whose bytes differ, or that exist on one side only."""
    left = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    right = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    _, mismatch, errors = filecmp.cmpfiles(a, b, sorted(left & right), shallow=False)
    return sorted((left ^ right) | set(mismatch) | set(errors))


def _ledger_files(site: Path) -> dict[str, int]:
    """Published ledger file → inode number (a rewritten file gets a new inode)."""
    return {
        p.relative_to(site).as_posix(): p.stat().st_ino
        for p in (site / "ledger").rglob("*")
        if p.is_file()
    }


def _index_files(site: Path) -> dict[str, int]:
    """The businesses' search index files (docs/site.md §6.2) → inode number."""
    index = site / "search" / "biz"
    return {p.relative_to(index).as_posix(): p.stat().st_ino for p in index.rglob("*.json")}


def test_republish_equals_a_full_build(tmp_path: Path) -> None:
    (tmp_path / "county").mkdir()
    county = scale_county.build(tmp_path / "county", N)
    content = county.site / "content"
    site = tmp_path / "_site"
    county.run("build", "--content", str(content), "--output", str(site))
    before = _ledger_files(site)
    index_before = _index_files(site)
    form = scale_county.one_more_result(county.root)
    key = county.key("scjg")
    steps = [("new result", None), ("result.correct", 1)]
    for day, (what, correction) in enumerate(steps, start=21):
        if correction is not None:
            scale_county.correct_last(form, correction)
        county.run("results", "import", scale_county.TASK, str(form), "--dept", "scjg",
                   "--site", str(county.site), "--key", key, "--at", f"2023-11-{day}")  # fmt: skip
        county.run("build", "--content", str(content), "--output", str(site))
        fresh = tmp_path / f"_fresh_{day}"
        county.run("build", "--content", str(content), "--output", str(fresh))
        assert _differing(site, fresh) == [], what
        after = _ledger_files(site)
        # One entry more: its receipt (and a new archived checkpoint, tiles, bundles) is new...
        assert len(after) > len(before), what
        # ...and every receipt of the earlier checkpoints is the file published before.
        old_receipts = [p for p in before if p.startswith("ledger/proofs/")]
        assert old_receipts, what
        assert all(after[p] == before[p] for p in old_receipts), what
        before = after
        # Of the search index only the business's document file and the result filters may be
        # written again; never the posting shards (they depend on the entity records only).
        index_after = _index_files(site)
        assert sorted(index_after) == sorted(index_before), what
        rewritten = {p for p in index_after if index_after[p] != index_before[p]}
        docs = {p for p in rewritten if p.startswith("d/")}
        # (A new result changes the business's 检查结果 and 年度; a correction may not.)
        assert len(docs) == 1 if correction is None else len(docs) <= 1, (what, rewritten)
        assert rewritten - docs <= {"f/2.json", "f/3.json", "meta.json"}, (what, rewritten)
        index_before = index_after
