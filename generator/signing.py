"""Signing requests: an entry several departments sign, each on its own machine (``docs/signing.md``).

The lead prepares the entry once as an unsigned **request** file (the body, the exact bytes to
sign, a Chinese summary, the log and the ledger size/root it was prepared against, an expiry and
the blobs the body names). Each department runs ``gongkai sign`` on its own machine with only its
own key and its own copy of the published ledger: it checks the request against that copy (and,
for an announcement, its own commitment against its own secret) and writes a small **signature**
file. The lead collects the signature files and appends the entry (``gongkai request append``).
The entry's signatures are the ordinary ones of ``docs/ledger.md`` §13.1–13.2, so the verifier
does not know or care that they were made on different machines.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import keyrequests
from generator.drawsecret import read_secret, secret_path
from generator.errors import SigningError, WorkflowError
from generator.jsonline import read_object_line
from generator.ledgerops import (
    add_trust_log_keys,
    replay_store,
)
from generator.signing_checks import (
    apply_next,
    b64_field,
    check_not_expired,
    check_prefix,
    copy_state,
    is_hex64,
    read_head,
    read_signature_head,
    refuse_example_signer,
    usable,
)
from generator.signing_summary import summarise
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.checkpoint import Checkpoint
from ledger.draw.seed import commitment
from ledger.entries import assemble_entry, signing_message
from ledger.examplekeys import is_example_key, refuse_example_key
from ledger.keys import read_private_key
from ledger.note import Signer, parse_vkey
from ledger.payloads import ENTRY_TYPES
from ledger.registry import Registry, TrustAnchor
from ledger.schema import BodyError
from ledger.store import LedgerStore
from ledger.tasks import parse_ts

REQUEST_FORMAT = "gongkai-sign-request/v1"
SIGNATURE_FORMAT = "gongkai-signature/v1"
#: How long a request may be signed and appended when ``--expires`` is not given.
DEFAULT_VALIDITY = dt.timedelta(days=3)
_HEX = frozenset("0123456789abcdef")
_REQUEST_KEYS = frozenset(
    {"blobs", "body", "expires", "format", "ledger", "message", "origin", "signers", "summary"}
)
_SIGNATURE_KEYS = frozenset({"dept", "format", "key", "request", "sig"})
#: The ``ledger`` of a ``log.init`` request: the empty tree (RFC 9162 §2.1.1, MTH of no leaves).
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def referenced_blobs(body: Any) -> set[str]:
    """The ``sha256`` of every object in ``body`` that has one (blob and snapshot references,
    ``docs/ledger.md`` §13.1): the blobs a request must carry."""
    found: set[str] = set()
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if is_hex64(item.get("sha256")):
                found.add(item["sha256"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def required_signers(body: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The request's ``signers``: for a department entry the departments that must sign it
    (``docs/ledger.md`` §14.2), for a key-management entry the keys it names that must sign it
    (:func:`generator.keyrequests.signer_refs`); in byte order.

    Raises:
        SigningError: if the type cannot go through a request or the body does not parse.
    """
    type_ = body.get("type", "")
    cls = ENTRY_TYPES.payloads.get(type_)
    if cls is None or not (hasattr(cls, "signers") or type_ in keyrequests.KEY_TYPES):
        raise SigningError(f"{where}：条目类型 {body.get('type')!r} 不能经签署申请签署")
    try:
        payload = ENTRY_TYPES.parse_body(dict(body))
    except BodyError as exc:
        raise SigningError(f"{where}：条目字段 {exc.where} {exc.reason}") from None
    if type_ in keyrequests.KEY_TYPES:
        return keyrequests.signer_refs(body, where)
    return tuple(sorted(payload.signers(), key=lambda s: s.encode()))


@dataclass(frozen=True)
class Request:
    """An unsigned entry waiting for its departments' signatures (``docs/signing.md`` §2)."""

    origin: str
    size: int
    root: str
    expires: str
    body: Mapping[str, Any]
    signers: tuple[str, ...]
    summary: str
    blobs: tuple[bytes, ...]

    @property
    def message(self) -> bytes:
        """The exact bytes every department signs (``docs/ledger.md`` §13.2)."""
        return signing_message(self.origin, self.body)

    def dumps(self) -> bytes:
        """The request file: canonical JSON and one ``\\n``."""
        value = {
            "blobs": [base64.b64encode(b).decode("ascii") for b in self.blobs],
            "body": dict(self.body),
            "expires": self.expires,
            "format": REQUEST_FORMAT,
            "ledger": {"root": self.root, "size": self.size},
            "message": base64.b64encode(self.message).decode("ascii"),
            "origin": self.origin,
            "signers": list(self.signers),
            "summary": self.summary,
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> Request:
        """Parse and check a request file: every field, the message and the summary recomputed
        from the body, the signers from the entry's rule, the blobs from the body's references.

        Raises:
            SigningError: naming ``where`` and the field that is wrong.
        """
        v = read_object_line(data, where, "签署申请", _REQUEST_KEYS, SigningError)
        origin, size, root, expires = read_head(v, REQUEST_FORMAT, where)
        body = v["body"]
        if not isinstance(body, dict):
            raise SigningError(f"{where}：字段 body 应为对象")
        initial = body.get("type") == "log.init"
        if initial != (size == 0) or (initial and root != EMPTY_ROOT):
            raise SigningError(
                f"{where}：字段 ledger 应为空账本（size 0，root {EMPTY_ROOT}）当且仅当条目是 log.init"
            )
        if not isinstance(v["blobs"], list):
            raise SigningError(f"{where}：字段 blobs 应为列表")
        blobs = tuple(b64_field(b, where, f"blobs[{i}]") for i, b in enumerate(v["blobs"]))
        request = cls(
            origin=origin,
            size=size,
            root=root,
            expires=expires,
            body=body,
            signers=required_signers(body, where),
            summary=summarise(body),
            blobs=blobs,
        )
        checks = (
            (b64_field(v["message"], where, "message") == request.message, "message", "待签字节"),
            (v["signers"] == list(request.signers), "signers", "须签署的部门"),
            (v["summary"] == request.summary, "summary", "摘要"),
        )
        for ok, field, what in checks:
            if not ok:
                raise SigningError(
                    f"{where}：字段 {field} 与 body 推出的{what}不符，申请可能被改动"
                )
        hashes = [hashlib.sha256(b).hexdigest() for b in blobs]
        if hashes != sorted(set(hashes)) or set(hashes) != referenced_blobs(body):
            raise SigningError(
                f"{where}：字段 blobs 应恰好是 body 引用的文件，按 SHA-256 排序、不重复"
            )
        return request


def prepare(
    repo: SiteRepo, body: Mapping[str, Any], blobs: Sequence[bytes], expires: str | None = None
) -> Request:
    """A request for ``body`` against the site's ledger as it is now (:func:`prepare_on`)."""
    return prepare_on(repo.store, repo.trust, body, blobs, expires)


def prepare_on(
    store: LedgerStore,
    trust: TrustAnchor,
    body: Mapping[str, Any],
    blobs: Sequence[bytes],
    expires: str | None = None,
) -> Request:
    """A request for ``body`` against the ledger ``store`` as it is now (its latest checkpoint):
    the site's, or a department's verified copy of it.

    ``expires`` defaults to the entry's ``ts`` + :data:`DEFAULT_VALIDITY`; an announcement's
    request never outlives its reveal deadline (after the drand round an announcement could be
    chosen by its randomness).

    Raises:
        SigningError: if the body cannot go through a request or ``expires`` is not after ``ts``.
        WorkflowError: if the ledger's rules would refuse the entry (exit code 11).
    """
    checkpoint = store.read_state().checkpoint
    assert checkpoint is not None  # an initialised ledger has log.init and its checkpoint
    unique = {hashlib.sha256(b).hexdigest(): bytes(b) for b in blobs}
    _dry_run(store, trust, body, unique)
    return Request(
        origin=trust.origin,
        size=checkpoint.size,
        root=checkpoint.root.hex(),
        expires=_expiry(body, expires),
        body=dict(body),
        signers=required_signers(body, "签署申请"),
        summary=summarise(body),
        blobs=tuple(unique[h] for h in sorted(unique)),
    )


def _expiry(body: Mapping[str, Any], expires: str | None) -> str:
    """``expires``, or the default (§2); it must be after the entry's ``ts``.

    Raises:
        SigningError: if it is not.
    """
    if expires is None:
        end = parse_ts(body["ts"]) + DEFAULT_VALIDITY
        expires = end.strftime("%Y-%m-%dT%H:%M:%SZ")
        if "reveal_deadline" in body:
            expires = min(expires, body["reveal_deadline"])
    if expires <= body["ts"]:
        raise SigningError(f"--expires：有效期 {expires} 应晚于条目时间 {body['ts']}")
    return expires


def prepare_initial(body: Mapping[str, Any], expires: str | None = None) -> Request:
    """A request for the ``log.init`` of a key ceremony: no ledger exists yet, so it is made
    against the empty tree (size 0, :data:`EMPTY_ROOT`) and every root it names signs it.

    Raises:
        SigningError: if the body is not a valid ``log.init`` or ``expires`` is not after ``ts``.
    """
    return Request(
        origin=body["origin"],
        size=0,
        root=EMPTY_ROOT,
        expires=_expiry(body, expires),
        body=dict(body),
        signers=required_signers(body, "签署申请"),
        summary=summarise(body),
        blobs=(),
    )


def _dry_run(
    store: LedgerStore, trust: TrustAnchor, body: Mapping[str, Any], blobs: Mapping[str, bytes]
) -> None:
    """Apply ``body`` to the task rules as the next entry, signatures aside, so a request the
    ledger would refuse is refused before any department is asked to sign it. The rules read
    the request's ``blobs`` (by SHA-256) as if they were stored, as an append does.

    Raises:
        WorkflowError: with the rule's reason (exit code 11).
    """
    apply_next(replay_store(store, trust), body, blobs)


@dataclass(frozen=True)
class Signature:
    """One department's signature of one request (``docs/signing.md`` §3)."""

    request: str
    dept: str
    key: str
    sig: bytes

    def dumps(self) -> bytes:
        """The signature file: canonical JSON and one ``\\n``."""
        value = {
            "dept": self.dept,
            "format": SIGNATURE_FORMAT,
            "key": self.key,
            "request": self.request,
            "sig": base64.b64encode(self.sig).decode("ascii"),
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> Signature:
        """Parse a signature file strictly.

        Raises:
            SigningError: naming ``where`` and the field that is wrong.
        """
        v = read_object_line(data, where, "签名文件", _SIGNATURE_KEYS, SigningError)
        read_signature_head(v, SIGNATURE_FORMAT, where)
        sig = b64_field(v["sig"], where, "sig")
        if len(sig) != 64:
            raise SigningError(f"{where}：字段 sig 应为 64 字节的 Ed25519 签名")
        return cls(v["request"], v["dept"], v["key"], sig)


@dataclass(frozen=True)
class SignedRequest:
    """What ``gongkai sign`` did: the department that signed, and its signature file."""

    dept: str
    path: Path
    summary: str


def sign_request(
    request_path: Path,
    key_path: Path,
    ledger_dir: Path | None,
    out_dir: Path,
    now: str,
    *,
    trust_path: Path | None = None,
    secrets_dir: Path | None = None,
    show: Callable[[str], None] | None = None,
) -> SignedRequest:
    """Sign a request on a department's own machine (``docs/signing.md`` §5).

    Checks, before anything is written: the request (:meth:`Request.loads`); not expired at
    ``now``; the department's copy of the ledger (``ledger_dir``, a ledger directory or a
    published folder, opened with ``trust_path`` or its own ``trust.txt``) verifies, is the same
    log and has exactly the request's size and root; the key is a valid key of a department the
    entry needs, with the entry's type in its scopes; for ``draw.announce``, the department's
    commitment equals the one its own secret in ``secrets_dir`` gives; the entry is valid as the
    next entry of that copy (the workflow rules). A key-management entry
    (``docs/signing.md`` §9) is signed instead by a key :func:`generator.keyrequests.eligible`
    allows; a ``log.init`` has no ledger yet (``ledger_dir`` is then not read). A public
    example key signs only for an example ledger (:func:`_refuse_example_key`). ``show``
    receives the summary as soon as the request has parsed.

    Raises:
        SigningError: for any mismatch (exit code 14); ExampleKeyError for a public example key
            on a real ledger (exit code 9); LedgerError if the copy does not verify;
            StoreError if the key file cannot be read.
    """
    where = str(request_path)
    data = request_path.read_bytes()
    request = Request.loads(data, where)
    if show is not None:
        show(request.summary)  # before the checks: a refused department sees what was asked
    check_not_expired(request, now, where)
    type_ = request.body["type"]
    registry: Registry | None = None
    if type_ != "log.init":
        if ledger_dir is None:
            raise SigningError("签署须用 --ledger 指定本部门保存的已公布账本副本")
        registry = _view(request, ledger_dir, trust_path, where)
    signer = read_private_key(key_path)
    _refuse_example_key(request, registry, signer)
    if type_ in keyrequests.KEY_TYPES:
        label = _key_label(request, registry, signer, key_path)
        name = f"{signer.key_id:08x}"
    else:
        assert registry is not None
        label = name = _dept_label(request, registry, signer, key_path, secrets_dir, where)
    signature = Signature(
        hashlib.sha256(data).hexdigest(), label, signer.verifier().key_ref,
        signer.sign(request.message),
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{request_path.name.removesuffix('.json')}.{name}.sig"
    path.write_bytes(signature.dumps())
    return SignedRequest(label, path, request.summary)


def _refuse_example_key(request: Request, registry: Registry | None, signer: Signer) -> None:
    """Refuse a public example key (``docs/ledger.md`` §11.8) unless the ledger is an example
    ledger: every root and log key of the signer's copy (``registry``; of a ``log.init``, of
    its body) is a public example key too.

    Raises:
        ExampleKeyError: naming the key (exit code 9).
    """
    if not is_example_key(signer.verifier()):
        return
    if registry is not None:
        refuse_example_signer(signer, registry)
        return
    anchors = [parse_vkey(v) for v in (*request.body["roots"], *request.body["log_keys"])]
    refuse_example_key(signer.verifier(), example_site=all(map(is_example_key, anchors)))


def _view(request: Request, ledger_dir: Path, trust_path: Path | None, where: str) -> Registry:
    """The key registry of the signer's own copy of the ledger, after checking that the copy
    verifies, is the request's log and has exactly the request's size and root, and that the
    entry would be accepted as its next entry (``docs/signing.md`` §5 step 6).

    Raises:
        SigningError: for another log or another view, or an entry the copy's rules refuse;
            LedgerError if the copy does not verify.
    """
    state = copy_state(request, ledger_dir, trust_path, where)
    try:  # the entry is valid on this department's own view (e.g. task.confirm's drawn list)
        apply_next(state, request.body, {hashlib.sha256(b).hexdigest(): b for b in request.blobs})
    except WorkflowError as exc:
        raise SigningError(f"{where}：按本部门的账本副本，该条目不能追加：{exc}") from None
    return state.registry


def _dept_label(
    request: Request,
    registry: Registry,
    signer: Signer,
    key_path: Path,
    secrets_dir: Path | None,
    where: str,
) -> str:
    """The department ``signer`` signs a department entry for (its own, one of ``signers``).

    Raises:
        SigningError: if the key is not a valid key of such a department, or (for an
            announcement) the department's commitment is not its own secret's.
    """
    ref = signer.verifier().key_ref
    record = registry.keys.get(ref)
    if not usable(record, None, request.body["type"], registry.size):
        raise SigningError(
            f"{key_path}：密钥 {ref} 不是账本中登记的、可签署 {request.body['type']} 的有效部门密钥"
        )
    assert record is not None
    if record.dept not in request.signers:
        raise SigningError(
            f"{where}：本部门 {record.dept} 不是该条目须签署的部门（{'、'.join(request.signers)}）"
        )
    if request.body["type"] == "draw.announce":
        _check_own_commitment(request, record.dept, secrets_dir, where)
    return record.dept


def _key_label(request: Request, registry: Registry | None, signer: Signer, key_path: Path) -> str:
    """The label under which ``signer`` signs a key-management entry (``root`` or its
    department, :mod:`generator.keyrequests`).

    Raises:
        SigningError: if this key may not sign the entry.
    """
    verifier = signer.verifier()
    found = keyrequests.eligible(request.body, registry, verifier.key_ref)
    if found is None or found.verifier != verifier:
        raise SigningError(
            f"{key_path}：密钥 {verifier.key_ref} 不能签署该条目"
            f"（{request.body['type']} 须由现任根密钥或条目所涉及的密钥本身签署，见 docs/signing.md §9）"
        )
    return found.label


def _check_own_commitment(
    request: Request, dept: str, secrets_dir: Path | None, where: str
) -> None:
    task_id = request.body["task_id"]
    if secrets_dir is None:
        raise SigningError("签署抽取公告须用 --secrets 指定本部门保存抽取秘密的目录")
    secret = read_secret(secret_path(secrets_dir, task_id, dept), dept)
    mine = commitment(task_id, dept, secret)
    theirs = [
        c["commitment"] for c in request.body["randomness"]["commitments"] if c["dept"] == dept
    ]
    if theirs != [mine]:
        raise SigningError(f"{where}：公告中部门 {dept} 的承诺与本部门保存的抽取秘密不符，拒绝签署")


@dataclass(frozen=True)
class Inbox:
    """Where the signatures of a request are read: the ``*.sig`` files of ``directory``, and
    ``texts``, signature files given as the text of their QR codes (``docs/signing.md`` §12)."""

    directory: Path | None
    texts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.directory) if self.directory is not None else "--qr-text"

    def signatures(self) -> Iterator[tuple[str, Signature]]:
        """Every signature, with where it came from (a path, or ``--qr-text 第 n 个``).

        Raises:
            SigningError: for a file or text that is not a signature file.
        """
        if self.directory is not None:
            for path in sorted(self.directory.glob("*.sig")):
                yield str(path), Signature.loads(path.read_bytes(), str(path))
        for number, text in enumerate(self.texts, start=1):
            where = f"--qr-text 第 {number} 个"
            yield where, Signature.loads(text.strip().encode("utf-8") + b"\n", where)


def _inbox(sigs: Path | Inbox) -> Inbox:
    return sigs if isinstance(sigs, Inbox) else Inbox(sigs)


def collect(
    repo: SiteRepo, request_path: Path, sig_dir: Path | Inbox, now: str
) -> tuple[Request, bytes]:
    """The entry line of a request with every required signature from ``sig_dir`` (a
    directory of signature files, or an :class:`Inbox`).

    Signatures of other requests in ``sig_dir`` are ignored. The request must not be
    expired at ``now``, must name this log, and the ledger it was prepared against must be a
    prefix of this one (same root at its size).

    Raises:
        SigningError: naming each department (or key) whose valid signature is missing, or a
            signature file that is for this request but invalid.
    """
    where = str(request_path)
    data = request_path.read_bytes()
    request = Request.loads(data, where)
    check_not_expired(request, now, where)
    if request.origin != repo.trust.origin:
        raise SigningError(
            f"{where}：申请属于日志 {request.origin}，不是本站点的日志 {repo.trust.origin}"
        )
    if request.body["type"] == "log.init":
        raise SigningError(f"{where}：log.init 的申请只能用于新建站点（gongkai init --signatures）")
    check_prefix(repo.store, request, where)
    registry = repo.state().registry
    digest = hashlib.sha256(data).hexdigest()
    if request.body["type"] in keyrequests.KEY_TYPES:
        sigs = _key_signatures(request, digest, registry, request_path, _inbox(sig_dir))
    else:
        sigs = _dept_signatures(request, digest, registry, request_path, _inbox(sig_dir))
    return request, assemble_entry(request.body, sigs)


def is_initial(request_path: Path) -> bool:
    """Whether ``request_path`` is a well-formed request for a ``log.init``.

    Raises:
        SigningError: if it is not a request file at all.
    """
    request = Request.loads(request_path.read_bytes(), str(request_path))
    return bool(request.body["type"] == "log.init")


def collect_initial(request_path: Path, sig_dir: Path, now: str) -> tuple[Request, bytes]:
    """The ``log.init`` line of a key ceremony's request, signed by every root it names.

    Raises:
        SigningError: if the request is not a ``log.init`` one, is expired, or a root's valid
            signature is missing.
    """
    where = str(request_path)
    data = request_path.read_bytes()
    request = Request.loads(data, where)
    check_not_expired(request, now, where)
    if request.body["type"] != "log.init":
        raise SigningError(f"{where}：新建站点需要 log.init 的签署申请")
    digest = hashlib.sha256(data).hexdigest()
    sigs = _key_signatures(request, digest, None, request_path, Inbox(sig_dir))
    return request, assemble_entry(request.body, sigs)


def _dept_signatures(
    request: Request, digest: str, registry: Registry, request_path: Path, sig_dir: Inbox
) -> dict[str, bytes]:
    """One valid signature per department of ``signers``, by key reference."""
    sigs: dict[str, tuple[str, bytes]] = {}
    for path, sig in sig_dir.signatures():
        if sig.request != digest:
            continue
        record = registry.keys.get(sig.key)
        if sig.dept not in request.signers or not usable(
            record, sig.dept, request.body["type"], registry.size
        ):
            raise SigningError(f"{path}：密钥 {sig.key} 不是部门 {sig.dept} 可签署该条目的有效密钥")
        assert record is not None
        if not record.verifier.verify(request.message, sig.sig):
            raise SigningError(f"{path}：部门 {sig.dept} 的签名无效")
        sigs.setdefault(sig.dept, (sig.key, sig.sig))
    missing = [d for d in request.signers if d not in sigs]
    if missing:
        raise SigningError(
            f"{sig_dir}：缺少部门 {'、'.join(missing)} 对签署申请 {request_path.name} 的签名"
            "（请该部门用 gongkai sign 签署后把签名文件放入此目录）"
        )
    return dict(sigs.values())


def _key_signatures(
    request: Request, digest: str, registry: Registry | None, request_path: Path, sig_dir: Inbox
) -> dict[str, bytes]:
    """The valid signatures of a key-management request, complete (``docs/signing.md`` §9)."""
    sigs: dict[str, bytes] = {}
    roots: set[str] = set()
    for path, sig in sig_dir.signatures():
        if sig.request != digest:
            continue
        found = keyrequests.eligible(request.body, registry, sig.key)
        if found is None or found.label != sig.dept:
            raise SigningError(f"{path}：密钥 {sig.key}（{sig.dept}）不能签署该条目")
        if not found.verifier.verify(request.message, sig.sig):
            raise SigningError(f"{path}：密钥 {sig.key} 的签名无效")
        sigs[sig.key] = sig.sig
        if found.root:
            roots.add(sig.key)
    missing = keyrequests.missing(request.body, registry, set(sigs), roots)
    if missing:
        raise SigningError(
            f"{sig_dir}：签署申请 {request_path.name} 还缺少：{'；'.join(missing)}"
            "（请持有人用 gongkai sign 签署后把签名文件放入此目录）"
        )
    return sigs


def append_request(
    repo: SiteRepo,
    request_path: Path,
    sig_dir: Path | Inbox,
    log_key: Path | None,
    now: str,
    new_log_keys: Sequence[Path] = (),
) -> Checkpoint:
    """Collect the signatures (:func:`collect`) and append the entry with its blobs.

    For a ``logkey.rotate``, ``new_log_keys`` (at least one key the body names) sign the new
    checkpoint with the current log key, and ``trust.txt`` then lists the new keys after the old
    ones (``docs/signing.md`` §9.3).

    Raises:
        SigningError: as :func:`collect`, or new log keys missing or not the body's;
            WorkflowError if the ledger refuses the entry.
    """
    request, line = collect(repo, request_path, sig_dir, now)
    also = _new_log_signers(request, new_log_keys)
    checkpoint = repo.append([line], repo.log_signer(log_key), blobs=list(request.blobs), also=also)
    if also:
        add_trust_log_keys(repo.draws, repo.trust, [s.verifier() for s in also])
    return checkpoint


def _new_log_signers(request: Request, paths: Sequence[Path]) -> list[Signer]:
    if request.body["type"] != "logkey.rotate":
        if paths:
            raise SigningError("--new-log-key 只用于追加 logkey.rotate（轮换日志密钥）的申请")
        return []
    if not paths:
        raise SigningError(
            "追加 logkey.rotate 须用 --new-log-key 指定新的日志私钥：之后的检查点由新密钥签署"
        )
    named = set(request.body["log_keys"])
    signers = [read_private_key(p) for p in paths]
    for path, signer in zip(paths, signers, strict=True):
        if signer.verifier().vkey not in named:
            raise SigningError(f"{path}：不是该申请中新的日志密钥")
    return signers


__all__ = [
    "DEFAULT_VALIDITY",
    "REQUEST_FORMAT",
    "SIGNATURE_FORMAT",
    "Inbox",
    "Request",
    "Signature",
    "SignedRequest",
    "append_request",
    "collect",
    "collect_initial",
    "is_initial",
    "prepare",
    "prepare_initial",
    "prepare_on",
    "sign_request",
]
