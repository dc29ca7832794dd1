"""Draw proof pages: ``tasks/<task_id>/draw/index.html`` and ``proof.json`` for every drawn task.

The page shows, readable without JavaScript, everything a citizen needs to re-run a DRAW-V1 draw
(``docs/draw-v1.md``): the announcement (pools, rules, departments, drand round, commitments),
the reveals, the beacon, the seed derivation step by step, the tickets of the drawn entities, the
result (drawn list by stratum, replacements, teams) and the signatures and inclusion receipts of
every ledger entry involved. Its “在浏览器中验证” button runs ``static/verify/draw-v1.js``, which
fetches ``proof.json`` (the data below), the snapshot and result blobs and the receipts from the
published ledger folder (``ledger/``, written by :func:`ledger.publish.publish_ledger`) and
re-checks them with WebCrypto. What the page and the browser check is described in
``docs/draw-proof-page.md``.

Everything here is read from the ledger directory (``draws/``) after a full registry and task
replay (:func:`generator.ledgerops.replay_store`), so a proof page is only produced for a ledger
that a verifier accepts. Nothing is recomputed with the draw code at build time except cheap
hashes for display (seed preimage, sub-seeds); the browser and ``gongkai verify`` do the
re-execution.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator.ledgerops import LedgerState, open_store, read_trust, replay_store
from ledger import canonical
from ledger.draw import drand
from ledger.draw.primitives import u64be
from ledger.draw.seed import announce_hash, check_reveal, seed_preimage, subseeds
from ledger.draw.snapshot import CONFLICTS, ENTITIES, INSPECTORS
from ledger.entries import Entry
from ledger.errors import VerificationError
from ledger.payloads import BlobRef, DrawAnnounce, DrawReplace, Pools
from ledger.registry import KeyRecord
from ledger.tasks import TaskRecord

__all__ = [
    "PROOF_SCHEMA",
    "SiteInfo",
    "draw_proof_data",
    "draw_proof_page",
    "draw_proofs_of",
    "load_draw_proofs",
    "proof_json_bytes",
    "write_draw_proofs",
]

PROOF_SCHEMA = "gongkai-draw-proof/v1"

#: Blob and receipt URLs in proof.json are relative to the published ledger folder.
BLOB_URL = "blobs/sha256/{}"
RECEIPT_URL = "proofs/{}.tlog-proof"

_CST = dt.timezone(dt.timedelta(hours=8))
_STATUS = {"valid": "有效", "missing": "未揭示", "invalid": "与承诺不符"}


@dataclass(frozen=True)
class SiteInfo:
    """The site fields ``base.html`` reads, when no :class:`SiteConfig` is at hand."""

    name: str
    region_name: str = ""
    region_code: str = ""
    base_url: str = ""
    example: bool = False


def _entry_ref(role: str, entry: Entry) -> dict[str, Any]:
    return {
        "role": role,
        "index": entry.index,
        "id": entry.id,
        "ts": entry.ts,
        "dept": getattr(entry.payload, "dept", None),  # key-management entries have none
        "line": entry.line.decode("utf-8"),
        "leaf_hash": entry.leaf_hash.hex(),
        "receipt": RECEIPT_URL.format(entry.index),
        "signed_by": list(entry.signed_by()),
    }


def _time_text(unix: int) -> dict[str, Any]:
    t = dt.datetime.fromtimestamp(unix, dt.UTC)
    return {
        "unix": unix,
        "utc": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cst": t.astimezone(_CST).strftime("%Y-%m-%d %H:%M:%S"),
    }


def _key_data(state: LedgerState, rec: KeyRecord, root_update_at: int | None) -> dict[str, Any]:
    add = state.entries[rec.added_at]
    return {
        "key_ref": rec.verifier.key_ref,
        "vkey": rec.verifier.vkey,
        "dept": rec.dept,
        "scopes": sorted(rec.scopes),
        "added_at": rec.added_at,
        "revoked_at": rec.revoked_at,
        "key_add": {
            **{k: v for k, v in _entry_ref("key.add", add).items() if k != "role"},
            # The browser checks the root signatures against trust.txt only while the root
            # set is still the one of log.init (no root.update before this key.add).
            "roots_from_trust": root_update_at is None or root_update_at > rec.added_at,
        },
    }


def _derivation(
    record: TaskRecord, announce: Entry, beacon: Entry, result: Mapping[str, Any]
) -> dict[str, Any]:
    """The seed derivation of docs/draw-v1.md §4–§6, with every intermediate value."""
    body: DrawAnnounce = announce.payload
    task_id = body.task_id
    commitments = {c.dept: c.commitment for c in body.randomness.commitments}
    secrets: dict[str, bytes | None] = {}
    rows = []
    for dept in sorted(commitments):
        reveal = record.reveals.get(dept)
        secret_hex = None if reveal is None else str(reveal.payload.secret)
        status = "missing"
        secrets[dept] = None
        if secret_hex is not None:
            try:
                secrets[dept] = check_reveal(task_id, dept, secret_hex, commitments[dept])
                status = "valid"
            except VerificationError:
                status = "invalid"
        rows.append(
            {
                "dept": dept,
                "commitment": commitments[dept],
                "secret": secret_hex,
                "status": status,
                "reveal_index": None if reveal is None else reveal.index,
            }
        )
    round_ = beacon.payload.round
    signature = bytes.fromhex(beacon.payload.signature)
    randomness = hashlib.sha256(signature).digest()
    a_hash = announce_hash(announce.body)  # over the signed JSON object (docs/ledger.md §14.1)
    chain = bytes.fromhex(body.randomness.drand.chain_hash)
    extra = result.get("extra_key")
    preimage = seed_preimage(a_hash, chain, round_, randomness, secrets, extra)
    seed = hashlib.sha256(preimage).digest()
    s_entities, s_inspectors = subseeds(seed)
    return {
        "announce_sha256": a_hash.hex(),
        "chain_hash": chain.hex(),
        "round": round_,
        "round_time": _time_text(drand.round_time(round_)),
        "round_message": hashlib.sha256(u64be(round_)).hexdigest(),
        "signature": signature.hex(),
        "randomness": randomness.hex(),
        "commitments": rows,
        "extra_key": extra,
        "seed_preimage": preimage.hex(),
        "seed": seed.hex(),
        "subseeds": {"entities": s_entities, "inspectors": s_inspectors},
    }


def _names(snapshot: bytes, wanted: set[str]) -> dict[str, str]:
    """Names of the ``wanted`` entity ids in an entities snapshot (docs/draw-v1.md §3).

    A canonical line starts with its ``id`` when no key sorts before it; such a line whose plain
    id (no escape) is not wanted is skipped unparsed (a county's snapshot has 10^5 lines, a draw
    names 10^4). Every other line is parsed, so the wanted names are exactly those of a full
    parse.
    """
    out: dict[str, str] = {}
    head = b'{"id":"'
    for line in snapshot.splitlines():
        if line.startswith(head):
            end = line.find(b'"', len(head))
            plain = line[len(head) : end]
            if end > 0 and b"\\" not in plain:
                try:
                    if plain.decode("utf-8") not in wanted:
                        continue
                except UnicodeDecodeError:
                    pass
        record = json.loads(line)
        out[str(record["id"])] = str(record.get("name", ""))
    return out


def _named(result: Mapping[str, Any], replacements: Sequence[Entry]) -> set[str]:
    """The entity ids a proof page names: drawn, assigned, replaced and replacing."""
    ids = set(result["entity_order"])
    ids.update(a["entity"] for a in result["assignments"])
    for e in replacements:
        rep: DrawReplace = e.payload
        ids.add(rep.removed)
        if rep.replacement is not None:
            ids.add(rep.replacement.id)
    return ids


def _page(
    record: TaskRecord,
    announce: Entry,
    result: Mapping[str, Any],
    replacements: Sequence[Entry],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """Display data (not needed by the browser check, which reads the blobs itself)."""
    body = announce.body
    wanted: set[str] = set(result["entity_order"])
    wanted.update(a["entity"] for a in result["assignments"])
    replaced = []
    for e in replacements:
        rep: DrawReplace = e.payload
        new = rep.replacement
        replaced.append(
            {
                "index": e.index,
                "removed": rep.removed,
                "removed_name": names.get(rep.removed, ""),
                "stratum": rep.stratum,
                "reason": rep.reason,
                "replacement": None if new is None else {"id": new.id, "ticket": new.ticket},
                "replacement_name": "" if new is None else names.get(new.id, ""),
            }
        )
    for r in replaced:
        wanted.add(str(r["removed"]))
    return {
        "title": body.get("title", ""),
        "announce": {
            "index": announce.index,
            "ts": announce.ts,
            "dept": body.get("dept"),
            "announced_at": body.get("announced_at"),
            "reveal_deadline": body.get("reveal_deadline"),
            "pools": body["pools"],
            "rules": announce.payload.rules,  # typed: ledger/draw/rules.py
            "freshness": body.get("freshness"),
            "extra_key": body["randomness"].get("extra_key"),
        },
        "result": dict(result),
        "replacements": replaced,
        "entity_names": {i: names.get(i, "") for i in sorted(wanted)},
        "lead": record.lead,
    }


def _task_proof(
    state: LedgerState,
    record: TaskRecord,
    origin: str,
    read_blob: Any,
    root_update_at: int | None,
) -> dict[str, Any]:
    announce, beacon, result_entry = record.announce, record.beacon, record.result
    assert announce is not None and beacon is not None and result_entry is not None
    reveals = sorted(record.reveals.values(), key=lambda e: e.index)
    entries = [
        _entry_ref("announce", announce),
        *(_entry_ref("reveal", e) for e in reveals),
        _entry_ref("beacon", beacon),
        _entry_ref("result", result_entry),
        *(_entry_ref("replace", e) for e in record.replacements),
    ]
    key_refs = sorted({ref for e in entries for ref in e["signed_by"]})
    keys = [_key_data(state, state.registry.keys[ref], root_update_at) for ref in key_refs]
    pools: Pools = announce.payload.pools
    refs = {ENTITIES: pools.entities, INSPECTORS: pools.inspectors, CONFLICTS: pools.conflicts}
    blobs: dict[str, dict[str, Any]] = {
        kind: {"sha256": p.sha256, "count": p.count, "url": BLOB_URL.format(p.sha256)}
        for kind, p in refs.items()
    }
    ref: BlobRef = result_entry.payload.result
    blobs["result"] = {"sha256": ref.sha256, "size": ref.size, "url": BLOB_URL.format(ref.sha256)}
    result = canonical.loads(read_blob(ref.sha256))
    names = _names(read_blob(pools.entities.sha256), _named(result, record.replacements))
    return {
        "schema": PROOF_SCHEMA,
        "task_id": record.task_id,
        "origin": origin,
        "entries": entries,
        "keys": keys,
        "blobs": blobs,
        "derivation": _derivation(record, announce, beacon, result),
        "page": _page(record, announce, result, record.replacements, names),
    }


def load_draw_proofs(draws_dir: Path) -> dict[str, dict[str, Any]]:
    """Proof data of every task whose draw has a ``draw.result``, by task id (one replay).

    Raises:
        LedgerError: if the ledger does not verify (the registry or task replay fails).
    """
    trust = read_trust(draws_dir)
    store = open_store(draws_dir, trust)
    return draw_proofs_of(replay_store(store, trust), trust.origin, store.get_blob)


def draw_proofs_of(
    state: LedgerState, origin: str, read_blob: Callable[[str], bytes]
) -> dict[str, dict[str, Any]]:
    """:func:`load_draw_proofs` of a ledger already replayed (``gongkai build`` passes the state
    its audit ended in: no second replay). ``read_blob`` reads a blob checked against its hash.
    """
    root_update_at = next(
        (e.index for e in state.entries if e.type == "root.update"),
        None,
    )
    out: dict[str, dict[str, Any]] = {}
    for task_id, record in sorted(state.tasks.tasks.items()):
        if record.result is None or record.announce is None or record.beacon is None:
            continue
        out[task_id] = _task_proof(state, record, origin, read_blob, root_update_at)
    return out


def draw_proof_data(draws_dir: Path, task_id: str) -> dict[str, Any]:
    """Everything the proof page and the browser verifier need for one drawn task.

    Keys: ``schema``, ``task_id``, ``origin``, ``entries`` (role, index, the raw canonical line,
    leaf hash, receipt URL, key refs), ``keys`` (department vkeys valid for them, with their
    ``key.add`` entries), ``blobs`` (hash, count/size and URL of the snapshots and the result,
    relative to ``ledger/``), ``derivation`` (seed derivation values) and ``page`` (display
    data). ``proof.json`` is this without ``page``.

    Raises:
        KeyError: if the task has no recorded draw result.
        LedgerError: if the ledger does not verify.
    """
    return load_draw_proofs(draws_dir)[task_id]


def proof_json_bytes(data: Mapping[str, Any]) -> bytes:
    """The bytes of ``tasks/<task_id>/draw/proof.json`` (deterministic)."""
    public = {k: v for k, v in data.items() if k != "page"}
    return (json.dumps(public, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def _url_for(page_path: str) -> Any:
    root = "../" * page_path.count("/")

    def url(target: str) -> str:
        return root + target or "./"

    return url


def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def draw_proof_page(
    data: Mapping[str, Any], dept_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The template context of ``draw_proof.html`` for one task (besides ``site``/``url``)."""
    return {
        "proof": data,
        "page": data["page"],
        "dv": data["derivation"],
        "dept_names": dict(dept_names or {}),
        "status_text": _STATUS,
        "task_path": f"tasks/{data['task_id']}/",
    }


def write_draw_proofs(
    out_dir: Path,
    draws_dir: Path,
    site: Any,
    *,
    templates: Path | None = None,
    dept_names: Mapping[str, str] | None = None,
    proofs: Mapping[str, Mapping[str, Any]] | None = None,
    copy_snapshots: bool = True,
) -> list[str]:
    """Write ``tasks/<task_id>/draw/index.html`` and ``proof.json`` for every drawn task.

    Args:
        out_dir: the site folder (the published ledger is expected at ``out_dir/ledger/``).
        draws_dir: the ledger directory (``draws/``).
        site: the site config (``SiteConfig``) or just the site name.
        templates: the template directory (default: the repository's ``site_templates``).
        dept_names: department id → name, for display.
        proofs: pre-loaded :func:`load_draw_proofs` output.
        copy_snapshots: copy the snapshot blobs into ``out_dir/ledger/blobs/sha256/`` when they
            are missing there. :func:`ledger.publish.publish_ledger` only publishes blobs that
            an entry references with ``{"sha256", "size"}``, and the announcement's ``pools``
            carry ``{"sha256", "count"}``; without the snapshots neither the browser nor
            ``gongkai verify`` of the published folder can re-run a draw.

    Returns:
        The written paths, relative to ``out_dir`` (for the site writer's claims).
    """
    if templates is None:
        from generator.site.templates_dir import default_templates

        templates = default_templates()
    if isinstance(site, str):
        site = SiteInfo(site)
    env = _environment(templates)
    template = env.get_template("draw_proof.html")
    written: list[str] = []
    if proofs is None:
        proofs = load_draw_proofs(draws_dir)
    for task_id, data in proofs.items():
        base = f"tasks/{task_id}/draw/"
        page_path = base + "index.html"
        html = template.render(
            site=site,
            url=_url_for(page_path),
            page_path=page_path,
            page_url=base,  # (base.html links as the site's Renderer does)
            root="../" * page_path.count("/"),
            **draw_proof_page(data, dept_names),
        )
        target = out_dir / base
        target.mkdir(parents=True, exist_ok=True)
        (target / "index.html").write_text(html, encoding="utf-8")
        (target / "proof.json").write_bytes(proof_json_bytes(data))
        written += [page_path, base + "proof.json"]
    if copy_snapshots:
        written += _copy_snapshots(out_dir, draws_dir, proofs)
    return written


def _copy_snapshots(
    out_dir: Path, draws_dir: Path, proofs: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Copy missing snapshot blobs into the published ledger folder (see write_draw_proofs)."""
    copied: list[str] = []
    for data in proofs.values():
        for kind in (ENTITIES, INSPECTORS, CONFLICTS):
            digest = str(data["blobs"][kind]["sha256"])
            rel = "ledger/" + BLOB_URL.format(digest)
            target = out_dir / rel
            if target.exists() or rel in copied:
                continue
            blob = (draws_dir / BLOB_URL.format(digest)).read_bytes()
            if hashlib.sha256(blob).hexdigest() != digest:
                raise VerificationError(f"{rel}：快照文件的哈希与文件名不符")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
            copied.append(rel)
    return copied
