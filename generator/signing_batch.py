"""Batch signing requests: many entries of one department, signed in its office at once
(``docs/signing.md`` §13).

``gongkai results import … --request OUT`` appends one ``result.publish`` or ``result.correct``
per business, so a single request (one entry, §2) cannot carry it. A **batch request** holds
every entry the import would append, in order, with the exact bytes of each to sign and one
Chinese summary of them all. The department signs the batch once with ``gongkai sign``, after
the checks of a single request (§5) with every entry applied in order to its own copy of the
ledger, and sends back one **batch signature file** with one Ed25519 signature per entry;
``gongkai request append`` checks every signature and appends every entry in one transaction
(``docs/ledger.md`` §12.4: all or nothing; an interrupted append is finished or undone by the
store's recovery, §12.6). Each entry carries its own signature by the department's key, exactly
the one ``--key`` would have made, so the ledger does not show which way it was signed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import SigningError, WorkflowError
from generator.jsonline import read_object_line
from generator.ledgerops import LedgerState, replay_store
from generator.signing import DEFAULT_VALIDITY, SignedRequest, referenced_blobs, required_signers
from generator.signing_checks import (
    apply_next,
    b64_field,
    check_not_expired,
    check_prefix,
    copy_state,
    read_head,
    read_signature_head,
    refuse_example_signer,
    usable,
)
from generator.signing_summary import summarise_batch
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.checkpoint import Checkpoint
from ledger.entries import Entry, assemble_entry, signing_message
from ledger.errors import MalformedError
from ledger.keys import read_private_key
from ledger.note import Signer
from ledger.registry import Registry, TrustAnchor
from ledger.store import LedgerStore
from ledger.tasks import parse_ts

__all__ = [
    "BATCH_FORMAT",
    "BATCH_SIGNATURE_FORMAT",
    "BATCH_TYPES",
    "MAX_ENTRIES",
    "BatchRequest",
    "BatchSignature",
    "append_batch",
    "collect_batch",
    "is_batch",
    "prepare_batch",
    "sign_batch",
]

BATCH_FORMAT = "gongkai-sign-batch/v1"
BATCH_SIGNATURE_FORMAT = "gongkai-batch-signature/v1"
#: The entry types a batch may hold (one department's results of one task).
BATCH_TYPES = ("result.correct", "result.publish")
#: The most entries one batch may hold.
MAX_ENTRIES = 10_000
_BATCH_KEYS = frozenset(
    {"entries", "expires", "format", "ledger", "messages", "origin", "signers", "summary"}
)
_SIGNATURE_KEYS = frozenset({"dept", "format", "key", "request", "sigs"})


@dataclass(frozen=True)
class BatchRequest:
    """Entries of one department waiting for its signatures (``docs/signing.md`` §13.1)."""

    origin: str
    size: int
    root: str
    expires: str
    entries: tuple[Mapping[str, Any], ...]
    signers: tuple[str, ...]
    summary: str

    @property
    def messages(self) -> tuple[bytes, ...]:
        """The exact bytes the department signs for each entry (``docs/ledger.md`` §13.2)."""
        return tuple(signing_message(self.origin, body) for body in self.entries)

    def dumps(self) -> bytes:
        """The batch request file: canonical JSON and one ``\\n``."""
        value = {
            "entries": [dict(body) for body in self.entries],
            "expires": self.expires,
            "format": BATCH_FORMAT,
            "ledger": {"root": self.root, "size": self.size},
            "messages": [base64.b64encode(m).decode("ascii") for m in self.messages],
            "origin": self.origin,
            "signers": list(self.signers),
            "summary": self.summary,
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> BatchRequest:
        """Parse and check a batch request file: every field; the entries (:func:`_signers`);
        the messages, the signers and the summary recomputed from the entries.

        Raises:
            SigningError: naming ``where`` and the field that is wrong.
        """
        v = read_object_line(data, where, "批量签署申请", _BATCH_KEYS, SigningError)
        origin, size, root, expires = read_head(v, BATCH_FORMAT, where)
        if size < 1:
            raise SigningError(f"{where}：字段 ledger.size 应至少为 1")
        entries = v["entries"]
        signers = _signers(entries, where)  # first: the summary reads valid entries only
        batch = cls(
            origin=origin,
            size=size,
            root=root,
            expires=expires,
            entries=tuple(entries),
            signers=signers,
            summary=summarise_batch(entries),
        )
        messages = v["messages"]
        if not isinstance(messages, list) or len(messages) != len(batch.entries):
            raise SigningError(f"{where}：字段 messages 应为列表，每条条目一项")
        for i, (text, message) in enumerate(zip(messages, batch.messages, strict=True)):
            if b64_field(text, where, f"messages[{i}]") != message:
                raise SigningError(
                    f"{where}：字段 messages[{i}] 与 entries[{i}] 推出的待签字节不符，申请可能被改动"
                )
        for ok, field, what in (
            (v["signers"] == list(batch.signers), "signers", "须签署的部门"),
            (v["summary"] == batch.summary, "summary", "摘要"),
        ):
            if not ok:
                raise SigningError(
                    f"{where}：字段 {field} 与 entries 推出的{what}不符，申请可能被改动"
                )
        return batch


def _signers(entries: Any, where: str) -> tuple[str, ...]:
    """The one department that signs every entry (``docs/signing.md`` §13.1): the entries are
    1 to :data:`MAX_ENTRIES` valid bodies of :data:`BATCH_TYPES`, each signed by its ``dept``
    alone (``docs/ledger.md`` §14.2), all of one department, one task and one ``ts``, with
    distinct ``id``s, referencing no files.

    Raises:
        SigningError: naming the entry and what is wrong.
    """
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise SigningError(f"{where}：字段 entries 应为 1 至 {MAX_ENTRIES} 条条目的列表")
    ids: set[Any] = set()
    for i, body in enumerate(entries):
        at = f"{where}：entries[{i}]"
        if not isinstance(body, dict) or body.get("type") not in BATCH_TYPES:
            raise SigningError(f"{at}：批量签署申请只能包含 {'、'.join(BATCH_TYPES)} 条目")
        signers = required_signers(body, at)
        first = entries[0]
        for key in ("dept", "task_id", "ts"):
            if body[key] != first[key]:
                raise SigningError(f"{at}：字段 {key} 与 entries[0] 不同（一个批量申请只含"
                                   "一个部门、一个任务、同一时间的条目）")  # fmt: skip
        if signers != (body["dept"],) or body["id"] in ids or referenced_blobs(body):
            raise SigningError(f"{at}：条目编号重复，或条目须由其他部门签署、引用了文件")
        ids.add(body["id"])
    return (entries[0]["dept"],)


def is_batch(path: Path) -> bool:
    """Whether ``path`` looks like a batch request (a JSON object whose ``format`` is
    :data:`BATCH_FORMAT`); anything else is read as a single request, whose reader names what
    is wrong with it.

    Raises:
        OSError: if the file cannot be read.
    """
    data = path.read_bytes()
    try:
        value = canonical.loads(data.rstrip(b"\n"))
    except MalformedError:
        return False
    return isinstance(value, dict) and value.get("format") == BATCH_FORMAT


def _apply_all(state: LedgerState, entries: Sequence[Mapping[str, Any]]) -> None:
    """Apply ``entries`` in order to the task rules of ``state``, signatures aside, each as the
    entry after the one before it.

    Raises:
        WorkflowError: naming the entry the rules refuse (exit code 11).
    """
    last: Entry | None = None
    size = state.registry.size
    for i, body in enumerate(entries):
        try:
            last = apply_next(state, body, {}, last, size + i)
        except WorkflowError as exc:
            raise WorkflowError(f"第 {i + 1} 条（条目编号 {body['id']}）：{exc}") from None


def prepare_batch(
    store: LedgerStore,
    trust: TrustAnchor,
    entries: Sequence[Mapping[str, Any]],
    expires: str | None = None,
) -> BatchRequest:
    """A batch request for ``entries`` (appended in this order) against the ledger ``store`` as
    it is now (its latest checkpoint). ``expires`` defaults to the entries' ``ts`` +
    :data:`generator.signing.DEFAULT_VALIDITY`.

    Raises:
        SigningError: if the entries cannot form a batch (:func:`_signers`) or ``expires`` is
            not after their ``ts``.
        WorkflowError: if the ledger's rules would refuse an entry (exit code 11).
    """
    checkpoint = store.read_state().checkpoint
    assert checkpoint is not None  # an initialised ledger has log.init and its checkpoint
    bodies = [dict(body) for body in entries]
    signers = _signers(bodies, "批量签署申请")
    _apply_all(replay_store(store, trust), bodies)
    ts = bodies[0]["ts"]
    if expires is None:
        expires = (parse_ts(ts) + DEFAULT_VALIDITY).strftime("%Y-%m-%dT%H:%M:%SZ")
    if expires <= ts:
        raise SigningError(f"--expires：有效期 {expires} 应晚于条目时间 {ts}")
    return BatchRequest(
        origin=trust.origin,
        size=checkpoint.size,
        root=checkpoint.root.hex(),
        expires=expires,
        entries=tuple(bodies),
        signers=signers,
        summary=summarise_batch(bodies),
    )


@dataclass(frozen=True)
class BatchSignature:
    """A department's signatures of every entry of a batch (``docs/signing.md`` §13.2)."""

    request: str
    dept: str
    key: str
    sigs: tuple[bytes, ...]

    def dumps(self) -> bytes:
        """The batch signature file: canonical JSON and one ``\\n``."""
        value = {
            "dept": self.dept,
            "format": BATCH_SIGNATURE_FORMAT,
            "key": self.key,
            "request": self.request,
            "sigs": [base64.b64encode(s).decode("ascii") for s in self.sigs],
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> BatchSignature:
        """Parse a batch signature file strictly.

        Raises:
            SigningError: naming ``where`` and the field that is wrong.
        """
        v = read_object_line(data, where, "批量签名文件", _SIGNATURE_KEYS, SigningError)
        read_signature_head(v, BATCH_SIGNATURE_FORMAT, where)
        if not isinstance(v["sigs"], list) or not v["sigs"]:
            raise SigningError(f"{where}：字段 sigs 应为非空列表")
        sigs = tuple(b64_field(s, where, f"sigs[{i}]") for i, s in enumerate(v["sigs"]))
        if any(len(s) != 64 for s in sigs):
            raise SigningError(f"{where}：字段 sigs 的每一项应为 64 字节的 Ed25519 签名")
        return cls(v["request"], v["dept"], v["key"], sigs)


def sign_batch(
    request_path: Path,
    key_path: Path,
    ledger_dir: Path | None,
    out_dir: Path,
    now: str,
    *,
    trust_path: Path | None = None,
    show: Callable[[str], None] | None = None,
) -> SignedRequest:
    """Sign every entry of a batch request on the department's own machine
    (``docs/signing.md`` §13.4).

    Checks, before anything is written: the batch (:meth:`BatchRequest.loads`); not expired at
    ``now``; the department's copy (``ledger_dir``, with ``trust_path`` or its own
    ``trust.txt``) verifies, is the same log and has exactly the batch's size and root; every
    entry, applied in order, is accepted by the copy's rules; the key is not a public example
    key on a real ledger, and is a key of the batch's department valid at that size with every
    entry's type in its scopes. ``show`` receives the summary as soon as the batch has parsed.
    Writes ``out_dir/<request name without .json>.<dept>.sigs``.

    Raises:
        SigningError: for any mismatch (exit code 14); ExampleKeyError for a public example key
            on a real ledger (exit code 9); LedgerError if the copy does not verify;
            StoreError if the key file cannot be read.
    """
    where = str(request_path)
    data = request_path.read_bytes()
    batch = BatchRequest.loads(data, where)
    if show is not None:
        show(batch.summary)  # before the checks: a refused department sees what was asked
    check_not_expired(batch, now, where)
    if ledger_dir is None:
        raise SigningError("签署须用 --ledger 指定本部门保存的已公布账本副本")
    state = copy_state(batch, ledger_dir, trust_path, where)
    try:  # every entry is valid on this department's own view, after the ones before it
        _apply_all(state, batch.entries)
    except WorkflowError as exc:
        raise SigningError(f"{where}：按本部门的账本副本，{exc}") from None
    signer = read_private_key(key_path)
    refuse_example_signer(signer, state.registry)
    dept = _own_dept(batch, state.registry, signer, key_path, where)
    signature = BatchSignature(
        hashlib.sha256(data).hexdigest(), dept, signer.verifier().key_ref,
        tuple(signer.sign(m) for m in batch.messages),
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{request_path.name.removesuffix('.json')}.{dept}.sigs"
    path.write_bytes(signature.dumps())
    return SignedRequest(dept, path, batch.summary)


def _own_dept(
    batch: BatchRequest, registry: Registry, signer: Signer, key_path: Path, where: str
) -> str:
    """The department of ``signer``, which must be the batch's and may sign every entry.

    Raises:
        SigningError: if it is another department's key, or not a valid key for every type.
    """
    ref = signer.verifier().key_ref
    record = registry.keys.get(ref)
    for type_ in sorted({body["type"] for body in batch.entries}):
        if not usable(record, None, type_, registry.size):
            raise SigningError(
                f"{key_path}：密钥 {ref} 不是账本中登记的、可签署 {type_} 的有效部门密钥"
            )
    assert record is not None
    if record.dept not in batch.signers:
        raise SigningError(
            f"{where}：本部门 {record.dept} 不是这些条目须签署的部门（{'、'.join(batch.signers)}）"
        )
    return record.dept


def _signature_files(directory: Path) -> Iterator[tuple[Path, BatchSignature]]:
    for path in sorted(directory.glob("*.sigs")):
        yield path, BatchSignature.loads(path.read_bytes(), str(path))


def collect_batch(
    repo: SiteRepo, request_path: Path, sig_dir: Path, now: str
) -> tuple[BatchRequest, list[bytes]]:
    """The entry lines of a batch request, each with its department's signature, from the
    batch signature files (``*.sigs``) of ``sig_dir`` (``docs/signing.md`` §13.5).

    Files for other requests are ignored. The batch must not be expired at ``now``, must name
    this log, and the ledger it was prepared against must be a prefix of this one.

    Raises:
        SigningError: naming the department whose signatures are missing, or the file and the
            entry whose signature is invalid.
    """
    where = str(request_path)
    data = request_path.read_bytes()
    batch = BatchRequest.loads(data, where)
    check_not_expired(batch, now, where)
    if batch.origin != repo.trust.origin:
        raise SigningError(
            f"{where}：申请属于日志 {batch.origin}，不是本站点的日志 {repo.trust.origin}"
        )
    check_prefix(repo.store, batch, where)
    registry = repo.state().registry
    digest = hashlib.sha256(data).hexdigest()
    found: BatchSignature | None = None
    for path, signature in _signature_files(sig_dir):
        if signature.request == digest:
            _check_signature(batch, registry, signature, path)
            found = found or signature
    if found is None:
        raise SigningError(
            f"{sig_dir}：缺少部门 {'、'.join(batch.signers)} 对批量签署申请 {request_path.name} "
            "的签名（请该部门用 gongkai sign 签署后把 .sigs 签名文件放入此目录）"
        )
    return batch, [
        assemble_entry(body, {found.key: sig})
        for body, sig in zip(batch.entries, found.sigs, strict=True)
    ]


def _check_signature(
    batch: BatchRequest, registry: Registry, signature: BatchSignature, path: Path
) -> None:
    """Raises SigningError unless ``signature`` is the batch department's, by a key valid now
    for every entry's type, with one valid signature per entry."""
    record = registry.keys.get(signature.key)
    types = {body["type"] for body in batch.entries}
    if signature.dept not in batch.signers or not all(
        usable(record, signature.dept, t, registry.size) for t in types
    ):
        raise SigningError(
            f"{path}：密钥 {signature.key} 不是部门 {signature.dept} 可签署这些条目的有效密钥"
        )
    assert record is not None
    if len(signature.sigs) != len(batch.entries):
        raise SigningError(
            f"{path}：签名 {len(signature.sigs)} 个，批量申请有 {len(batch.entries)} 条条目"
        )
    for number, (body, message, sig) in enumerate(
        zip(batch.entries, batch.messages, signature.sigs, strict=True), start=1
    ):
        if not record.verifier.verify(message, sig):
            raise SigningError(
                f"{path}：部门 {signature.dept} 对第 {number} 条（条目编号 {body['id']}）的签名"
                "无效，未追加任何条目"
            )


def append_batch(
    repo: SiteRepo, request_path: Path, sig_dir: Path, log_key: Path | None, now: str
) -> Checkpoint:
    """Collect the signatures (:func:`collect_batch`) and append every entry in one
    transaction: all of them or, if the ledger refuses one, none.

    Raises:
        SigningError: as :func:`collect_batch`; WorkflowError if the ledger refuses an entry.
    """
    _, lines = collect_batch(repo, request_path, sig_dir, now)
    return repo.append(lines, repo.log_signer(log_key))
