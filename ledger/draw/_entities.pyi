"""Type stub of the optional C accelerator ``ledger/draw/_entities.c``."""

def columns(
    data: bytes, start: int, stop: int, /
) -> tuple[list[str], list[str], list[str], set[bytes]] | None: ...
def candidates(
    data: bytes,
    start: int,
    stop: int,
    strata: tuple[bytes, ...],
    cutoff: bytes | None,
    prefix: bytes,
    /,
) -> tuple[str, str, tuple[int, ...], bytes, set[bytes]] | None: ...
def select(
    data: bytes, packed: bytes, bounds: tuple[int, ...], prefix: bytes, /
) -> list[list[str]]: ...
