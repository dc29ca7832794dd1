"""Helper process for test_crash.py: append batches to a ledger until it is killed.

Usage: ``python crash_appender.py DIRECTORY ORIGIN SEED_HEX RNG_SEED``

Prints ``ready`` once the store is open, then appends batches of 1–4 entries
``{"body":{"i":<index>,"pad":"xx…"},"v":1}`` forever, where ``i`` is the entry's own log
index (checked by the validator), each batch sometimes with a blob (written in the same
transaction). ``os.write`` is limited to 64 bytes per call (with a pause), so a
kill often tears a batch. The parent SIGKILLs it at a random moment and checks the invariants.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from ledger import canonical
from ledger.errors import VerificationError
from ledger.note import Signer
from ledger.store import LedgerStore


def check_indices(first: int, lines: Sequence[bytes]) -> None:
    """Validator: entry ``first + j`` must carry ``"i": first + j``."""
    for j, line in enumerate(lines):
        if canonical.loads(line)["body"]["i"] != first + j:
            raise VerificationError(f"entry {first + j} carries the wrong index")


def short_writes(max_bytes: int, pause: float) -> None:
    """Make every ``os.write`` write at most ``max_bytes`` (as a kernel may, and as
    ``append_durable`` must handle) and then pause, so that a SIGKILL often lands between two
    writes of one batch and leaves a real torn tail (otherwise fsync dominates the time)."""
    real = os.write

    def write(fd: int, data: Any) -> int:
        written = real(fd, memoryview(data)[:max_bytes])
        time.sleep(pause)
        return written

    os.write = write


def main(argv: Sequence[str]) -> int:
    directory, origin, seed_hex, rng_seed = argv
    short_writes(64, 0.001)
    signer = Signer.from_seed(origin, bytes.fromhex(seed_hex))
    store = LedgerStore(Path(directory), origin, [signer.verifier()])
    rng = random.Random(int(rng_seed))
    print("ready", flush=True)
    while True:
        first = store.recover().state.size
        batch = [
            canonical.dumps({"body": {"i": first + j, "pad": "x" * rng.randrange(2000)}, "v": 1})
            for j in range(rng.randint(1, 4))
        ]
        blobs = [rng.randbytes(rng.randrange(1, 5000))] if rng.random() < 0.2 else []
        store.append(batch, [signer], check_indices, blobs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
