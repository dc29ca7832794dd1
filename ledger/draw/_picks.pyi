"""Type stub of the optional C accelerator ``ledger/draw/_picks.c``."""

def run_indices(
    prefix: bytes, framed: list[bytes], tails: list[bytes], n0: int, /
) -> list[int]: ...
