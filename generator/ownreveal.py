"""A department reveals its draw secret on its own machine (``docs/signing.md`` §4.1).

The department prepares the ``draw.reveal`` request itself, from its own secret and against its
own verified copy of the published ledger, and signs it with its own key; only the request and
the signature file travel to the operator, who appends them with ``gongkai request append``.
Neither the department's key nor its secret is ever in the operator's process, and the operator
never needs to hand the log key to a department.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import entryids
from generator.drawsecret import read_secret, secret_path
from generator.ledgerops import open_store
from generator.signing import SignedRequest, prepare_on, sign_request
from ledger.payloads import DrawReveal
from ledger.schema import encode
from ledger.trust import parse_trust


@dataclass(frozen=True)
class OwnReveal:
    """The files a department sends the operator."""

    request: Path
    signed: SignedRequest


def reveal_on_own_machine(
    task_id: str,
    dept: str,
    *,
    key: Path,
    secrets_dir: Path,
    ledger_dir: Path,
    trust_path: Path | None,
    out_dir: Path,
    at: str,
) -> OwnReveal:
    """Write ``<out_dir>/<task>.reveal.<dept>.json`` (the request) and its signature file.

    Preconditions: ``ledger_dir`` is the department's copy of the published ledger (a ledger
    directory or a published folder) with the task announced.

    Raises:
        WorkflowError: if the secret is missing or the ledger's rules refuse the reveal (e.g.
            its commitment does not match, or the deadline has passed; exit code 11).
        SigningError: if the key is not the department's valid key (exit code 14).
        LedgerError: if the copy does not verify.
    """
    trust = parse_trust((trust_path or ledger_dir / "trust.txt").read_bytes())
    store = open_store(ledger_dir, trust)
    secret = read_secret(secret_path(secrets_dir, task_id, dept), dept)
    body = DrawReveal(
        id=entryids.draw_reveal(task_id, dept), ts=at, dept=dept, task_id=task_id,
        secret=secret.hex(),
    )  # fmt: skip
    request = prepare_on(store, trust, encode(body), ())
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{task_id}.reveal.{dept}.json"
    path.write_bytes(request.dumps())
    try:
        signed = sign_request(path, key, ledger_dir, out_dir, at, trust_path=trust_path)
    except BaseException:
        path.unlink()  # nothing half-written: no request without its signature
        raise
    return OwnReveal(path, signed)
