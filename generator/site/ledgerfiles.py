"""The ledger in a site build: one audit, whose result the pages read and ``ledger/`` publishes.

A build with a ledger (``draws/trust.txt``) audits it once (:func:`ledger.verified.verify_ledger`,
under the ledger's lock; ``gongkai build`` has already done so and passes the result in
:class:`~generator.site.data.LedgerRecord`). From that one result come the ledger page (checkpoint
and trust anchor), the draw proof pages (the audit's task state, blobs checked by hash) and the
published folder ``ledger/`` (:func:`ledger.publish.publish_verified`: the verified bytes). An
incremental build publishes ``ledger/`` as an overlay over the site's previous copy: only files
the new checkpoints add or change are staged (docs/site.md §4, §5).

The ledger code is imported only when there is a ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.site.data import LedgerInfo, LedgerRecord, read_checkpoint
from generator.site.writer import SiteWriter

if TYPE_CHECKING:
    from ledger.verified import VerifiedLedger

__all__ = ["draw_proofs", "ledger_info", "publish_into", "verified_ledger"]

#: The published ledger folder inside the site.
LEDGER_DIR = "ledger"


def verified_ledger(draws_dir: Path | None, record: LedgerRecord | None) -> VerifiedLedger | None:
    """The audited ledger of this build: the one ``record`` carries, else an audit of
    ``draws_dir`` against its ``trust.txt`` (None when there is no ``trust.txt``).

    Raises:
        LedgerError: the ledger does not verify (nothing is built).
    """
    if record is not None and record.verified is not None:
        return record.verified
    if draws_dir is None or not (draws_dir / "trust.txt").is_file():
        return None
    from generator.ledgerops import read_trust
    from ledger.verified import verify_ledger

    return verify_ledger(draws_dir, read_trust(draws_dir))


def ledger_info(verified: VerifiedLedger) -> LedgerInfo:
    """The ledger page's data: the verified checkpoint note and the anchor as published."""
    from ledger.trust import format_trust

    text = verified.kept.note.decode("utf-8")
    trust = format_trust(verified.trust).decode("utf-8")
    return LedgerInfo(checkpoint=read_checkpoint(text), checkpoint_text=text, trust_text=trust)


def draw_proofs(verified: VerifiedLedger) -> dict[str, dict[str, Any]]:
    """Proof data of every drawn task, from the audit's own replayed state (no second replay)."""
    from generator.ledgerops import verified_state
    from generator.site.drawproof import draw_proofs_of

    state = verified_state(verified)
    return draw_proofs_of(state, verified.trust.origin, verified.read_blob)


def publish_into(
    verified: VerifiedLedger | None, writer: SiteWriter, existing: Path | None, incremental: bool
) -> list[str]:
    """Publish ``verified`` into ``ledger/`` of the staging directory and claim its paths.

    A full build writes every file (checked against the ``existing`` site's immutable files); an
    incremental one stages only what differs from ``existing/ledger`` (an overlay).

    Returns:
        Every path of the published folder (claimed; the written ones staged).

    Raises:
        FatalStoreError: an immutable file of the existing site would change or vanish.
        StoreError / VerificationError: as :func:`ledger.publish.publish_verified`.
    """
    if verified is None:
        return []
    from ledger.publish import publish_verified

    old = existing / LEDGER_DIR if existing is not None else None
    old = old if old is not None and old.is_dir() else None
    overlay = incremental and old is not None
    report = publish_verified(verified, writer.staging / LEDGER_DIR, previous=old, overlay=overlay)
    paths = [f"{LEDGER_DIR}/{rel}" for rel in report.paths]
    writer.claim_many(paths)
    writer.mark_staged(f"{LEDGER_DIR}/{rel}" for rel in report.written)
    return paths
