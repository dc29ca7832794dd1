"""Publication as static files (docs/ledger.md §13.7): determinism, immutability, clients."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import ledger_factory as lf
import pytest

from ledger.checkpoint import open_checkpoint
from ledger.errors import FatalStoreError
from ledger.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from ledger.pubarchive import write_archive
from ledger.publish import (
    ARCHIVE_NAME,
    ARCHIVE_ROOT,
    PYZ_NAME,
    SUMS_NAME,
    build_zipapp,
    publish_ledger,
    publish_verified,
)
from ledger.store import LedgerStore
from ledger.tiles import (
    TILE_WIDTH,
    TileRef,
    consistency_proof_from_tiles,
    decode_bundle,
    inclusion_proof_from_tiles,
    range_hash_from_tiles,
)
from ledger.verified import verify_ledger
from ledger.verify import verify_directory

ARCHIVED = [4, 100, 256, 300, 513, 600]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> lf.Ledger:
    return lf.build_ledger(tmp_path_factory.mktemp("publish") / "ledger", 600)


@pytest.fixture(scope="module")
def site(built: lf.Ledger, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "ledger"
    report = publish_ledger(built.directory, out, trust=built.trust, types=lf.TYPES)
    assert report.size == 600
    assert report.archived_sizes == ARCHIVED
    assert (report.tiles, report.bundles, report.receipts, report.blobs) == (9, 7, 600, 11)
    return out


def reader(folder: Path) -> Callable[[TileRef], bytes]:
    def read(ref: TileRef) -> bytes:
        return (folder / ref.path).read_bytes()

    return read


def test_layout(site: Path) -> None:
    files = lf.tree_files(site)
    assert {p for p in files if p.startswith("checkpoints/")} == {
        f"checkpoints/{s}" for s in ARCHIVED
    }
    assert files["checkpoint"] == files["checkpoints/600"]
    assert {p for p in files if p.startswith("tile/") and not p.startswith("tile/entries")} == {
        "tile/0/000.p/4",
        "tile/0/000.p/100",
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/0/001",
        "tile/0/002.p/1",
        "tile/0/002.p/88",
        "tile/1/000.p/1",
        "tile/1/000.p/2",
    }
    assert {p for p in files if p.startswith("tile/entries/")} == {
        "tile/entries/000.p/4",
        "tile/entries/000.p/100",
        "tile/entries/000",
        "tile/entries/001.p/44",
        "tile/entries/001",
        "tile/entries/002.p/1",
        "tile/entries/002.p/88",
    }
    assert sum(p.startswith("proofs/") for p in files) == 600
    assert sum(p.startswith("blobs/sha256/") for p in files) == 11
    assert files["trust.txt"].startswith(b"gongkai-trust/v1\n")
    assert files[PYZ_NAME].startswith(b"#!/usr/bin/env python3\n")


def test_publish_is_deterministic(built: lf.Ledger, site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    publish_ledger(built.directory, again, trust=built.trust, types=lf.TYPES)
    assert lf.tree_files(again) == lf.tree_files(site)
    # Re-publishing into the same folder, against the previous one, changes nothing.
    report = publish_ledger(
        built.directory, again, trust=built.trust, previous=site, types=lf.TYPES
    )
    assert lf.tree_files(again) == lf.tree_files(site)
    # All but the 6 mutable files (checkpoint, entries.jsonl, trust.txt, the zipapp, the file
    # list and the archive).
    assert report.unchanged_immutable == report.files - 6
    assert build_zipapp() == build_zipapp()


def test_archive_and_file_list_cover_the_folder(site: Path, tmp_path: Path) -> None:
    """ledger.tar.gz unpacks into ledger/ with every published file (itself excepted), each as
    published; SHA256SUMS lists them all; the archive is deterministic (fixed owner, time, mode;
    gzip header without name or time)."""
    files = lf.tree_files(site)
    archive = files[ARCHIVE_NAME]
    assert archive[:8] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00"  # gzip: no name (flags 0), mtime 0
    with tarfile.open(site / ARCHIVE_NAME) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        assert names[0] == ARCHIVE_ROOT
        got = {
            m.name.removeprefix(ARCHIVE_ROOT + "/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in members
            if m.isfile()
        }
    assert got == {k: v for k, v in files.items() if k != ARCHIVE_NAME}
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 946684800)
    }
    assert {m.mode for m in members if m.isfile()} == {0o644}
    assert {m.mode for m in members if m.isdir()} == {0o755}
    sums = dict(reversed(line.split("  ", 1)) for line in files[SUMS_NAME].decode().splitlines())
    assert set(sums) == set(files) - {ARCHIVE_NAME, SUMS_NAME}
    assert all(hashlib.sha256(files[p]).hexdigest() == h for p, h in sums.items())


def _published_then_grown(tmp_path: Path) -> tuple[lf.Ledger, Path]:
    """A ledger of 300 entries published into ``v1``, then grown to 700 (archives 520, 700)."""
    lines, blobs = lf.build_lines(700)
    ledger = lf.build_ledger(tmp_path / "l", lines=lines[:300], blobs=blobs, marks=[4, 100, 300])
    first = tmp_path / "v1"
    publish_ledger(ledger.directory, first, trust=ledger.trust, types=lf.TYPES)
    store = LedgerStore(ledger.directory, lf.ORIGIN, [lf.LOG.verifier()])
    store.append(lines[300:520], [lf.LOG])
    store.append(lines[520:], [lf.LOG])
    return ledger, first


def _tarfile_archive(folder: Path, target: Path) -> None:
    """The archive of ``folder`` as :mod:`tarfile` writes it (the reference for the bytes)."""
    names = sorted(p for p in lf.tree_files(folder) if p != ARCHIVE_NAME)
    dirs = {"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)}
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for rel in ["", *sorted([*dirs, *names])]:
            info = tarfile.TarInfo(f"{ARCHIVE_ROOT}/{rel}".rstrip("/"))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 946684800, 0, 0, "", ""
            if rel == "" or rel in dirs:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                data = (folder / rel).read_bytes()
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))


def test_archive_is_the_one_tarfile_writes(site: Path, tmp_path: Path) -> None:
    """ledger.tar.gz (headers made by ledger.pubarchive, compressed in large pieces) has the
    bytes tarfile + GzipFile give, long and non-ASCII member names included."""
    folder = tmp_path / "folder"
    shutil.copytree(site, folder)
    (folder / "blobs" / ("x" * 120)).write_bytes(b"long name")
    (folder / "blobs" / "说明.txt").write_bytes("中文".encode())
    names = sorted(p for p in lf.tree_files(folder) if p != ARCHIVE_NAME)
    write_archive(tmp_path / "ours.tar.gz", names, lambda rel: folder / rel, {})
    _tarfile_archive(folder, tmp_path / "reference.tar.gz")
    ours = (tmp_path / "ours.tar.gz").read_bytes()
    assert ours == (tmp_path / "reference.tar.gz").read_bytes()


def test_growing_log_keeps_every_immutable_file(tmp_path: Path) -> None:
    ledger, first = _published_then_grown(tmp_path)
    second = tmp_path / "v2"
    publish_ledger(ledger.directory, second, trust=ledger.trust, previous=first, types=lf.TYPES)
    old, new = lf.tree_files(first), lf.tree_files(second)
    for rel, data in old.items():
        if rel.startswith(("tile/", "proofs/", "checkpoints/", "blobs/")):
            assert new[rel] == data, rel  # partial tiles of old sizes kept too
    assert new["entries.jsonl"].startswith(old["entries.jsonl"])
    verify_directory(second, trust=ledger.trust, types=lf.TYPES)


def _overlaid(previous: Path, stage: Path, target: Path) -> None:
    """``previous`` with the files of ``stage`` moved over it, in ``target`` (as the site does)."""
    shutil.copytree(previous, target)
    for path in stage.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(stage)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def test_overlay_over_a_prefix_writes_only_what_is_new(tmp_path: Path) -> None:
    """An overlay over the publication of a prefix writes only what the new checkpoints add,
    and the result is byte for byte a full publication of the grown ledger."""
    ledger, first = _published_then_grown(tmp_path)
    verified = verify_ledger(ledger.directory, ledger.trust, types=lf.TYPES)
    stage = tmp_path / "stage"
    report = publish_verified(verified, stage, previous=first, overlay=True)
    full = tmp_path / "full"
    publish_verified(verified, full)
    assert report.paths == sorted(lf.tree_files(full))
    written = set(report.written)
    assert written == set(lf.tree_files(stage))
    assert not any(p.startswith("proofs/") and int(p[7:].split(".")[0]) < 300 for p in written)
    assert {f"proofs/{i}.tlog-proof" for i in range(300, 700)} <= written
    assert {"checkpoints/520", "checkpoints/700", "entries.jsonl", "checkpoint"} <= written
    assert "checkpoints/300" not in written
    assert "tile/0/000.p/100" not in written
    assert report.receipts == 400
    merged = tmp_path / "merged"
    _overlaid(first, stage, merged)
    assert lf.tree_files(merged) == lf.tree_files(full)
    # The same ledger over its own publication: nothing to write.
    again = publish_verified(verified, tmp_path / "stage2", previous=full, overlay=True)
    assert again.written == []
    assert again.paths == report.paths


def test_overlay_over_another_log_compares_every_file(
    built: lf.Ledger, site: Path, tmp_path: Path
) -> None:
    """A previous folder whose checkpoint is not one this audit verified is no prefix: every
    file is produced and compared, and a changed immutable file still stops publication."""
    previous = tmp_path / "previous"
    shutil.copytree(site, previous)
    (previous / "checkpoint").write_bytes(b"not a checkpoint of this log\n")
    verified = verify_ledger(built.directory, built.trust, types=lf.TYPES)
    report = publish_verified(verified, tmp_path / "stage", previous=previous, overlay=True)
    assert report.written == ["checkpoint"]  # everything else equals the previous copy
    tile = previous / "tile" / "0" / "001.p" / "44"
    tile.write_bytes(bytes(32) + tile.read_bytes()[32:])
    with pytest.raises(FatalStoreError, match=r"不可变文件发生变化：tile/0/001\.p/44"):
        publish_verified(verified, tmp_path / "stage3", previous=previous, overlay=True)


def test_changed_immutable_file_aborts(built: lf.Ledger, site: Path, tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(site, previous)
    tile = previous / "tile" / "0" / "001.p" / "44"
    tile.write_bytes(bytes(32) + tile.read_bytes()[32:])
    with pytest.raises(FatalStoreError, match=r"不可变文件发生变化：tile/0/001\.p/44"):
        publish_ledger(
            built.directory, tmp_path / "out", trust=built.trust, previous=previous, types=lf.TYPES
        )


def test_changed_receipt_aborts(built: lf.Ledger, site: Path, tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(site, previous)
    (previous / "proofs" / "7.tlog-proof").write_bytes(b"forged")
    with pytest.raises(FatalStoreError, match=r"不可变文件发生变化：proofs/7\.tlog-proof"):
        publish_ledger(
            built.directory, tmp_path / "out", trust=built.trust, previous=previous, types=lf.TYPES
        )


def test_removed_immutable_file_aborts(built: lf.Ledger, site: Path, tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(site, previous)
    (previous / "checkpoints" / "700").write_bytes((site / "checkpoint").read_bytes())
    with pytest.raises(FatalStoreError, match=r"不可变文件被删除：checkpoints/700"):
        publish_ledger(
            built.directory, tmp_path / "out", trust=built.trust, previous=previous, types=lf.TYPES
        )


def test_rewritten_history_aborts(built: lf.Ledger, site: Path, tmp_path: Path) -> None:
    """An operator who re-signs a rewritten log cannot republish over the old site."""
    lines = list(built.lines)
    lines[5] = lf.statement_line(5, dept="a", key=lf.DEPT_KEYS["a"])
    other = lf.build_ledger(tmp_path / "other", lines=lines, blobs=built.blobs)
    with pytest.raises(FatalStoreError, match="不可变文件发生变化"):
        publish_ledger(
            other.directory, tmp_path / "out", trust=other.trust, previous=site, types=lf.TYPES
        )


def test_client_verifies_an_entry_from_tiles_bundle_and_checkpoint(site: Path) -> None:
    cp, _ = open_checkpoint((site / "checkpoint").read_bytes(), lf.ORIGIN, [lf.LOG.verifier()])
    read = reader(site)
    for index in (0, 1, 255, 256, 300, 511, 512, 599):
        n, k = divmod(index, TILE_WIDTH)
        width = min(TILE_WIDTH, cp.size - n * TILE_WIDTH)
        bundle = TileRef(-1, n, width)
        entry = decode_bundle((site / bundle.path).read_bytes(), width)[k]
        proof = inclusion_proof_from_tiles(index, cp.size, read)
        verify_inclusion(index, cp.size, leaf_hash(entry), proof, cp.root)
    # A client that holds an older archived checkpoint uses the partial tiles of that size.
    old, _ = open_checkpoint(
        (site / "checkpoints" / "300").read_bytes(), lf.ORIGIN, [lf.LOG.verifier()]
    )
    entry = decode_bundle((site / "tile/entries/001.p/44").read_bytes(), 44)[43]
    proof = inclusion_proof_from_tiles(299, 300, read)
    verify_inclusion(299, 300, leaf_hash(entry), proof, old.root)


def test_consistency_proofs_from_tiles_equal_merkle_tree(built: lf.Ledger, site: Path) -> None:
    tree = MerkleTree([leaf_hash(x) for x in built.lines])
    read = reader(site)
    for n in ARCHIVED:
        assert range_hash_from_tiles(n, 0, n, read) == tree.root_at(n)
        for m in sorted({1, 2, 3, 4, 5, 100, 255, 256, 257, 299, 300, 513, 599, 600}):
            if m > n:
                continue
            proof = consistency_proof_from_tiles(m, n, read)
            assert proof == tree.consistency_proof(m, n), (m, n)
            verify_consistency(m, n, proof, tree.root_at(m), tree.root_at(n))


def _python3() -> str:
    found = shutil.which("python3")
    if found is not None:
        check = subprocess.run(
            [found, "-c", "import cryptography"], capture_output=True, check=False
        )
        if check.returncode == 0:
            return found
    return sys.executable


def _run_pyz(pyz: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # cwd elsewhere and -I-like hygiene: the zipapp must carry its own `ledger` package.
    return subprocess.run(
        [_python3(), str(pyz), *args],
        capture_output=True,
        text=True,
        cwd=pyz.parent.parent,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        check=False,
        timeout=120,
    )


def test_zipapp_runs_standalone(tmp_path: Path) -> None:
    """`python3 out/gongkai-verify.pyz out/` exits 0 (key-management entries only: no test types)."""
    lines = [*lf.base_lines(), lf.key_revoke_line(lf.DEPT_KEYS["c"], "revoke-c")]
    ledger = lf.build_ledger(tmp_path / "l", lines=lines, blobs={}, marks=[1, 4, 5])
    out = tmp_path / "out"
    publish_ledger(ledger.directory, out, trust=ledger.trust, types=lf.TYPES)
    with zipfile.ZipFile(out / PYZ_NAME) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert "__main__.py" in names
    assert "ledger/verify.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    done = _run_pyz(out / PYZ_NAME, str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("验证通过：")
    # A tampered copy fails with the verification exit code.
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    receipt = bad / "proofs" / "2.tlog-proof"
    receipt.write_bytes(receipt.read_bytes().replace(b"index 2\n", b"index 3\n"))
    done = _run_pyz(out / PYZ_NAME, str(bad))
    assert done.returncode == 4, done.stderr
    assert "验证失败" in done.stderr
    assert "proofs/2.tlog-proof" in done.stderr


def test_zipapp_on_full_site(site: Path, tmp_path: Path) -> None:
    done = _run_pyz(site / PYZ_NAME, str(site), "--allow-type", lf.TEST_TYPE, "--json")
    assert done.returncode == 0, done.stderr
    assert '"receipts": 600' in done.stdout
    bad = tmp_path / "bad"
    shutil.copytree(site, bad)
    lines = (bad / "entries.jsonl").read_bytes().split(b"\n")
    lines[42] = lf.reencode(lines[42], text="篡改")
    (bad / "entries.jsonl").write_bytes(b"\n".join(lines))
    done = _run_pyz(site / PYZ_NAME, str(bad), "--allow-type", lf.TEST_TYPE)
    assert done.returncode == 4
    assert "第 42 条条目" in done.stderr


def test_doc_worked_example_is_current(tmp_path: Path) -> None:
    """docs/ledger.md shows exactly what the code produces."""
    doc = (Path(__file__).resolve().parents[2] / "docs/ledger.md").read_text(encoding="utf-8")
    ex = lf.build_example(tmp_path / "draws")
    out = tmp_path / "site"
    publish_ledger(tmp_path / "draws", out, trust=ex["trust"], types=lf.TYPES)
    tree = MerkleTree([leaf_hash(x) for x in ex["lines"]])
    expected = [
        *(x.decode() for x in ex["lines"]),
        *(leaf_hash(x).hex() for x in ex["lines"]),
        tree.root.hex(),
        (out / "checkpoint").read_text(encoding="utf-8"),
        (out / "trust.txt").read_text(encoding="utf-8"),
        (out / "proofs" / "2.tlog-proof").read_text(encoding="utf-8"),
        *(ex[k].verifier().vkey for k in ("log", "root", "dept")),
    ]
    for value in expected:
        assert value in doc, value
    assert sorted(lf.tree_files(out)) == [
        SUMS_NAME,
        f"blobs/sha256/{hashlib.sha256(ex['blob']).hexdigest()}",
        "checkpoint",
        "checkpoints/3",
        "entries.jsonl",
        PYZ_NAME,
        ARCHIVE_NAME,
        "proofs/0.tlog-proof",
        "proofs/1.tlog-proof",
        "proofs/2.tlog-proof",
        "tile/0/000.p/3",
        "tile/entries/000.p/3",
        "trust.txt",
    ]
    assert len((out / "tile/entries/000.p/3").read_bytes()) == 1532
