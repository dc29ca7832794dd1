"""Inspector keys: enrolled and revoked by their department, signing results on phones.

docs/mobile.md §2–§4. An inspector's phone makes an Ed25519 key; the department records it with
``inspector.enrol`` (signed by the department's key; the body carries the phone key's own
signature over the enrolment statement, its proof of possession) and ends it with
``inspector.revoke``. A ``result.publish`` whose ``inspection`` object is present carries the
signatures the inspectors made on their phones over the inspection statement (§4); the entry
itself is signed by the department as any other. Validity is by log index, as for department
keys (docs/ledger.md §13.3): a key enrolled at index a and revoked at r signs entries a < i < r.
A revocation with ``compromised_from_index`` c *flags* the results the key signed at indexes
≥ c (they stay valid and in the log, as a department key's entries do; docs/mobile.md §3).

:class:`InspectorKeys` is the state the key registry (:mod:`ledger.registry`) keeps and checks
at each of these entries; the message functions are shared with the writers (the CLI and the
example) and, byte for byte, with the phone app's JavaScript.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ledger import canonical
from ledger.errors import MalformedError, VerificationError
from ledger.inspector_payloads import InspectorEnrol, InspectorRevoke
from ledger.note import ALG_ED25519, Verifier, b64decode_canonical, key_id, parse_vkey
from ledger.payloads import ResultPublish
from ledger.schema import encode

__all__ = [
    "ENROL_CONTEXT",
    "INSPECTION_CONTEXT",
    "InspectorKey",
    "InspectorKeys",
    "enrol_message",
    "inspection_message",
    "inspection_statement",
    "key_name",
    "verifier_for",
]

ENROL_CONTEXT: Final = b"gongkai-inspector/v1 enrol\n"
"""Prefix of the enrolment statement the phone key signs (docs/mobile.md §2.2)."""
INSPECTION_CONTEXT: Final = b"gongkai-inspection/v1\n"
"""Prefix of the inspection statement the phone key signs (docs/mobile.md §4.1)."""
INSPECTOR_TYPES: Final = frozenset({"inspector.enrol", "inspector.revoke"})


def key_name(origin: str, dept: str, inspector: str, public_key: bytes) -> str:
    """``<origin>/inspector/<dept>/<inspector>/<hex16(SHA-256(pub))>`` (docs/mobile.md §2.1).

    Raises:
        MalformedError: if the result is not a valid key name (a space or ``+`` in a part).
    """
    name = f"{origin}/inspector/{dept}/{inspector}/{hashlib.sha256(public_key).hexdigest()[:16]}"
    key_id(name, ALG_ED25519, public_key)  # validates the name
    return name


def verifier_for(origin: str, dept: str, inspector: str, public_key: bytes) -> Verifier:
    """The inspector key's verifier, named by :func:`key_name`.

    Raises:
        MalformedError: the name is invalid or the public key is not 32 bytes.
    """
    name = key_name(origin, dept, inspector, public_key)
    return Verifier(name, key_id(name, ALG_ED25519, public_key), ALG_ED25519, public_key)


def enrol_message(origin: str, dept: str, inspector: str, vkey: str) -> bytes:
    """``ENROL_CONTEXT ‖ JCS({"dept","inspector","origin","vkey"})`` (docs/mobile.md §2.2)."""
    statement = {"dept": dept, "inspector": inspector, "origin": origin, "vkey": vkey}
    return ENROL_CONTEXT + canonical.dumps(statement)


def inspection_statement(
    task_id: str, dept: str, result: Mapping[str, Any], attachments: tuple[str, ...]
) -> dict[str, Any]:
    """The object an inspector signs for one result (docs/mobile.md §4.1)."""
    return {
        "attachments": list(attachments),
        "dept": dept,
        "result": dict(result),
        "task_id": task_id,
    }


def inspection_message(origin: str, statement: Mapping[str, Any]) -> bytes:
    """``INSPECTION_CONTEXT ‖ utf8(origin) ‖ "\\n" ‖ JCS(statement)`` (docs/mobile.md §4.1).

    Raises:
        MalformedError: if the statement is not canonical-JSON encodable.
    """
    return INSPECTION_CONTEXT + origin.encode("utf-8") + b"\n" + canonical.dumps(statement)


@dataclass
class InspectorKey:
    """One enrolled inspector key and its validity window in log indexes."""

    verifier: Verifier
    dept: str
    inspector: str
    scopes: frozenset[str]
    added_at: int
    revoked_at: int | None = None
    #: ``inspector.revoke.reason`` once revoked.
    reason: str | None = None
    #: ``inspector.revoke.compromised_from_index``: results it signed from here on are flagged.
    compromised_from: int | None = None

    def valid_at(self, index: int) -> bool:
        """Whether the key may sign (a result in) the entry at ``index``."""
        return self.added_at < index and (self.revoked_at is None or index < self.revoked_at)

    def flags(self, index: int) -> bool:
        """Whether its signature on the result at ``index`` is flagged (declared compromise)."""
        return self.compromised_from is not None and index >= self.compromised_from


@dataclass
class InspectorKeys:
    """Every inspector key of the log, by key reference, as replayed so far.

    ``signed`` lists, per key, the indexes of the results it signed; ``flagged`` maps the index
    of a result to the keys whose signatures on it fall at or after their declared compromise;
    ``results`` and ``signatures`` count the results with an ``inspection`` and its signatures.
    """

    keys: dict[str, InspectorKey] = field(default_factory=dict)
    signed: dict[str, array[int]] = field(default_factory=dict)
    flagged: dict[int, tuple[str, ...]] = field(default_factory=dict)
    results: int = 0
    signatures: int = 0

    def apply(
        self, origin: str, index: int, body: Any, names: Callable[[], set[str]], where: str
    ) -> None:
        """Check and apply a (department-signed, already checked) statement at ``index``.

        ``names`` gives the names of every other key registered so far (an inspector key's name
        must be new). Entries of other types than ``inspector.*`` and ``result.publish`` are
        ignored.

        Raises:
            VerificationError: naming ``where`` and the rule broken.
        """
        if isinstance(body, InspectorEnrol):
            self._enrol(origin, index, body, names, where)
        elif isinstance(body, InspectorRevoke):
            self._revoke(index, body, where)
        elif isinstance(body, ResultPublish) and body.inspection is not None:
            self.check_result(origin, index, body, where)
            self.results += 1
            self.signatures += len(body.inspection.sigs)
            for s in body.inspection.sigs:
                self.signed.setdefault(s.key, array("q")).append(index)

    def _revoke(self, index: int, body: InspectorRevoke, where: str) -> None:
        """End the key at ``index``; with ``compromised_from_index`` c (``added_at < c ≤
        index``), flag the results it signed at indexes ≥ c."""
        rec = self.keys.get(body.key)
        if rec is None or rec.revoked_at is not None:
            raise VerificationError(f"{where}：要撤销的检查人员密钥 {body.key!r} 未登记或已撤销")
        if rec.dept != body.dept:
            raise VerificationError(f"{where}：只有登记该密钥的部门 {rec.dept} 能撤销它")
        c = body.compromised_from_index
        if c is not None and not rec.added_at < c <= index:
            raise VerificationError(
                f"{where}：compromised_from_index 应在 {rec.added_at + 1} 到 {index} 之间"
                f"（该密钥在第 {rec.added_at} 条登记）"
            )
        rec.revoked_at, rec.reason, rec.compromised_from = index, body.reason, c
        for i in self.signed.get(body.key, ()):
            if rec.flags(i):
                self.flagged[i] = (*self.flagged.get(i, ()), body.key)

    def _enrol(
        self,
        origin: str,
        index: int,
        body: InspectorEnrol,
        names: Callable[[], set[str]],
        where: str,
    ) -> None:
        try:
            new = parse_vkey(body.vkey)
        except MalformedError as exc:
            raise VerificationError(f"{where}：检查人员公钥无效：{exc}") from None
        if new.alg != ALG_ED25519:
            raise VerificationError(f"{where}：检查人员密钥只能是 Ed25519")
        expected = key_name(origin, body.dept, body.inspector, new.public_key)
        if new.name != expected:
            raise VerificationError(f"{where}：检查人员密钥名称应为 {expected}")
        if new.key_ref in self.keys or new.name in names():
            raise VerificationError(f"{where}：密钥 {new.key_ref} 已登记（同一密钥不得重复使用）")
        proof = _sig_bytes(body.proof)
        if not new.verify(enrol_message(origin, body.dept, body.inspector, body.vkey), proof):
            raise VerificationError(f"{where}：proof 不是该检查人员密钥对登记声明的有效签名")
        self.keys[new.key_ref] = InspectorKey(
            new, body.dept, body.inspector, frozenset(body.scopes), added_at=index
        )

    def check_result(self, origin: str, index: int, body: ResultPublish, where: str) -> None:
        """Check every inspector signature of ``body.inspection`` (docs/mobile.md §4.2).

        Raises:
            VerificationError: a key is not an inspector key of ``body.dept`` valid at
                ``index`` with the type in its scopes, its inspector is not among the result's
                inspectors, a signature is invalid, or the signatures are not sorted by key.
        """
        assert body.inspection is not None
        sigs = body.inspection.sigs
        refs = [s.key for s in sigs]
        if refs != sorted(set(refs)):
            raise VerificationError(f"{where}：inspection.sigs 应按 key 排序且不重复")
        statement = inspection_statement(
            body.task_id, body.dept, encode(body.result), body.inspection.attachments
        )
        msg = inspection_message(origin, statement)
        for s in sigs:
            rec = self.keys.get(s.key)
            if rec is None or not rec.valid_at(index) or body.type not in rec.scopes:
                raise VerificationError(f"{where}：{s.key} 不是此时有效的检查人员密钥")
            if rec.dept != body.dept:
                raise VerificationError(f"{where}：检查人员密钥 {s.key} 不属于部门 {body.dept}")
            if rec.inspector not in body.result.inspectors:
                raise VerificationError(
                    f"{where}：签名的检查人员 {rec.inspector} 不在该结果的检查人员中"
                )
            if not rec.verifier.verify(msg, _sig_bytes(s.sig)):
                raise VerificationError(f"{where}：检查人员密钥 {s.key} 的签名无效")

    @property
    def revoked(self) -> int:
        """How many inspector keys are revoked."""
        return sum(1 for k in self.keys.values() if k.revoked_at is not None)

    def signers_of(self, body: ResultPublish) -> tuple[InspectorKey, ...]:
        """The inspector keys that signed ``body`` (already verified), in signature order."""
        if body.inspection is None:
            return ()
        return tuple(self.keys[s.key] for s in body.inspection.sigs)


def _sig_bytes(text: str) -> bytes:
    """The bytes of a canonical base64 signature; ``b""`` (never valid) when not canonical."""
    try:
        return b64decode_canonical(text)
    except MalformedError:
        return b""
