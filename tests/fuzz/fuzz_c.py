"""Fuzz the draw's C accelerators under AddressSanitizer + UndefinedBehaviorSanitizer.

``ledger/draw/_entities.c`` parses entity snapshot files that auditors download from a
publisher they need not trust (docs/draw-v1.md §14); ``ledger/draw/_picks.c`` hashes the picks
of entity ids read from those files. ``make fuzz`` builds sanitized copies of both into
``build/fuzz/`` and runs this script with the sanitizer runtimes preloaded and
``PYTHONMALLOC=malloc`` (so that every Python buffer is an ASan-guarded allocation). Any memory
error or undefined behaviour aborts the process (non-zero exit).

For a bounded time the script feeds random snapshot files (built from random records: non-ASCII
names, strata and tags, escapes, extra keys, real and impossible dates) and mutations of them
(byte flips, inserted JSON tokens and invalid UTF-8, deleted, repeated or swapped lines,
truncations, splices) to ``columns``, ``candidates`` and ``select``, on whole files and on
random line spans, and compares every acceptance with the reference parser
(:func:`ledger.draw.reference.parse_snapshot`): what the accelerator accepts, the reference
must accept, with the same ids, strata, dates, eligible counts and tickets. ``run_indices`` is
compared with its Python definition on random arguments.

Usage: ``python tests/fuzz/fuzz_c.py BUILD_DIR SECONDS [SEED]``. A mismatch is written to
``BUILD_DIR/mismatch-<n>.bin`` and fails the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.machinery
import importlib.util
import random
import re
import sys
import sysconfig
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ledger.draw import matching, reference  # noqa: E402
from ledger.draw.snapshot import build_snapshot, check_c_values  # noqa: E402
from ledger.draw.tickets import TicketMaker  # noqa: E402
from ledger.errors import MalformedError  # noqa: E402

STRATA = ["A", "B", "高风险", "é", "C"]
DATE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TOKENS = [
    b'"', b"\\", b"\\u0041", b"\\n", b"\n", b"\r", b" ", b",", b":", b"{", b"}", b"[", b"]",
    b"null", b"true", b"0", b"-", b"1.5", b'"tags":[]', b'"x":1,', b"\xc0\xaf", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\xe4\xb8", b"\xff", b"\x00", b"\x7f", b"\xc2\x85", b"2024-02-30",
    b"0000-01-01", b"9999-12-31", b'"id":"', b'"stratum":"A"',
]  # fmt: skip


def load(build_dir: Path, name: str) -> ModuleType:
    """Import the sanitized build of ``ledger.draw.<name>`` from ``build_dir``."""
    path = build_dir / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    loader = importlib.machinery.ExtensionFileLoader(f"ledger.draw.{name}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def random_file(rng: random.Random) -> bytes:
    """A valid entity snapshot of random records (most lines of the accelerator's shape)."""
    records = {}
    shaped = rng.random() < 0.7  # ASCII ids, names without escapes: what the C reader takes
    for _ in range(rng.randrange(0, 30)):
        prefixes = ["91", "MA", "id", "x"] if shaped else ["91", "企", "é"]
        entity_id = rng.choice(prefixes) + str(rng.randrange(10**6))
        names = ["某某公司", "", "\u2028", "😀", "n"] if shaped else ['a"b', "\\", "tab\t"]
        record: dict[str, Any] = {
            "id": entity_id,
            "name": rng.choice(names),
            "stratum": rng.choice(STRATA),
            "last_inspected": rng.choice([None, "2024-02-29", "2023-12-31", "0001-01-01"]),
            "tags": sorted(rng.sample(["食品", "x", "综合", "é"], rng.randrange(0, 3))),
        }
        if rng.random() < 0.5:  # a real date of any month
            day = dt.date(rng.choice([4, 1900, 2000, 2023, 2024]), 1, 1)
            record["last_inspected"] = (day + dt.timedelta(days=rng.randrange(366))).isoformat()
        if not shaped and rng.random() < 0.2:
            record["extra"] = rng.choice([1, "v", None, [1, 2]])
        records[entity_id] = record
    return build_snapshot("entities", records.values())


def random_date(rng: random.Random) -> bytes:
    """A ``YYYY-MM-DD`` string, real or not (month 0–13, day 0–32, leap and common years)."""
    year = rng.choice([1, 4, 100, 400, 1900, 2000, 2023, 2024, 2100, 9999])
    return b"%04d-%02d-%02d" % (year, rng.randrange(14), rng.randrange(33))


def mutate(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    """One to four random edits of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        at = rng.randrange(len(out) + 1)
        op = rng.randrange(9)
        if op == 8:  # another date in place of one
            dates = list(DATE.finditer(out))
            if dates:
                found = rng.choice(dates)
                out[found.start() : found.end()] = random_date(rng)
            continue
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at:at] = rng.choice(TOKENS)
        elif op == 2:
            del out[at : at + rng.randrange(1, 8)]
        elif op in (3, 4):
            lines = bytes(out).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 3:
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            out = bytearray(b"\n".join(lines))
        elif op == 5:
            del out[at:]
        elif op == 6:
            other = rng.choice(corpus)
            out[at:] = other[rng.randrange(len(other) + 1) :]
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4)))
    return bytes(out)


def reference_records(data: bytes) -> list[dict[str, Any]] | None:
    try:
        return reference.parse_snapshot("entities", data)
    except MalformedError:
        return None


def check_columns(c: Any, data: bytes, start: int, stop: int) -> bool:
    """``columns`` on ``data[start:stop]``; returns whether it accepted (and the checks held)."""
    got = c.columns(data, start, stop)
    if got is None:
        return False
    ids, strata, lasts, tags = got
    try:
        check_c_values(strata, tags)
    except MalformedError:
        return False
    records = reference_records(data[start:stop])
    assert records is not None, "C accepted a span the reference rejects"
    assert ids == [r["id"] for r in records]
    assert strata == [r["stratum"] for r in records]
    assert lasts == [r["last_inspected"] or "" for r in records]
    return True


def check_candidates(c: Any, data: bytes, start: int, stop: int, rng: random.Random) -> None:
    """``candidates`` then ``select`` on ``data[start:stop]`` against the reference draw."""
    names = rng.sample(STRATA, rng.randrange(1, len(STRATA) + 1))
    as_of = dt.date(2025, 3, 1)
    days = rng.choice([None, 0, 365, 10**6])
    cutoff = None if days is None else reference_cutoff(as_of, days)
    maker = TicketMaker(
        rng.choice(["a" * 64, hashlib.sha256(bytes([rng.randrange(9)])).hexdigest()])
    )
    found = c.candidates(
        data, start, stop, tuple(n.encode() for n in names), cutoff, maker.prefix_hex
    )
    if found is None:
        return
    first_id, last_id, counts, packed, tags = found
    try:
        check_c_values((), tags)
    except MalformedError:
        return
    records = reference_records(data[start:stop])
    assert records is not None, "C candidates accepted a span the reference rejects"
    assert {r["stratum"] for r in records} <= set(names)
    assert (first_id, last_id) == (records[0]["id"], records[-1]["id"])
    eligible: dict[str, list[str]] = {n: [] for n in names}
    for r in records:
        last = r["last_inspected"]
        if days is None or last is None or (as_of - dt.date.fromisoformat(last)).days >= days:
            eligible[r["stratum"]].append(r["id"])
    assert counts == tuple(len(eligible[n]) for n in names)
    bounds = tuple(rng.choice([0, 1, 31_415, 99_999, 100_000]) for _ in names)
    selected = c.select(data, packed, bounds, maker.prefix_hex)
    for name, bound, keys in zip(names, bounds, selected, strict=True):
        expected = sorted(
            k for k in maker.sort_keys(eligible[name]) if bound >= 100_000 or int(k[:5]) < bound
        )
        assert sorted(keys) == expected


def reference_cutoff(as_of: dt.date, days: int) -> bytes:
    """The accelerator's recency argument: recent ⇔ last_inspected > cutoff."""
    try:
        return (as_of - dt.timedelta(days=days)).isoformat().encode()
    except OverflowError:
        return b"0000-00-00"


def check_picks(p: Any, rng: random.Random) -> None:
    prefix = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80)))
    framed = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12))) for _ in range(5)]
    framed = framed[: rng.randrange(0, 6)]
    tails = [bytes([rng.randrange(256)]) * rng.randrange(0, 6) for _ in range(rng.randrange(1, 4))]
    n0 = len(framed) * len(tails) + rng.randrange(0, 2**31)
    expected = matching._run_indices_py(prefix, framed, tails, n0)
    assert p.run_indices(prefix, framed, tails, n0) == expected


def spans(data: bytes, rng: random.Random) -> list[tuple[int, int]]:
    """The whole file and one random span between line starts."""
    if not data:
        return []
    starts = [0, *(i + 1 for i, b in enumerate(data) if b == 0x0A and i + 1 < len(data))]
    a = rng.choice(starts)
    later = [s for s in starts if s > a] + [len(data)]
    return [(0, len(data)), (a, rng.choice(later))]


def main(build_dir: Path, seconds: float, seed: int) -> int:
    entities_c, picks_c = load(build_dir, "_entities"), load(build_dir, "_picks")
    rng = random.Random(seed)
    corpus = [random_file(rng) for _ in range(50)]
    deadline = time.monotonic() + seconds
    runs = accepted = 0
    while time.monotonic() < deadline:
        base = rng.choice(corpus)
        data = base if rng.random() < 0.1 else mutate(base, corpus, rng)
        try:
            for start, stop in spans(data, rng):
                accepted += check_columns(entities_c, data, start, stop)
                check_candidates(entities_c, data, start, stop, rng)
            check_picks(picks_c, rng)
        except AssertionError:
            path = build_dir / f"mismatch-{runs}.bin"
            path.write_bytes(data)
            print(f"fuzz: mismatch on input {runs} (seed {seed}), saved to {path}", flush=True)
            raise
        runs += 1
        if rng.random() < 0.02:
            corpus.append(data if len(data) < 1 << 14 else random_file(rng))
    print(f"fuzz: seed {seed}, {runs} inputs in {seconds:.0f} s, {accepted} spans accepted by C")
    print(f"{runs} passed, 0 failed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    sys.exit(
        main(
            Path(sys.argv[1]),
            float(sys.argv[2]),
            int(sys.argv[3]) if len(sys.argv) == 4 else int(time.time()),
        )
    )
