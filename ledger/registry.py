"""Replay of the keys that live in the log (docs/ledger.md §13.3), by log index.

Entry 0 is ``log.init``: it names the log keys, the root authority keys and their threshold t,
and must match the out-of-band trust anchor. Later entries change the key set:

=================  ==========================================  =====================================
type               signed by                                   effect
=================  ==========================================  =====================================
``key.add``        t roots **and** the new key (possession)    a department key with its scopes
``key.revoke``     t roots, or the key itself                  the key is invalid after this index
``root.update``    t current roots **and** every new root      new root set and threshold
``logkey.rotate``  t roots                                     new log (checkpoint) key set
=================  ==========================================  =====================================

Every other entry type is a department statement: it needs a valid signature of a department key
whose ``dept`` is the body's ``dept`` (and, for some types, of several departments: the
payload's ``signers()``) and whose scopes include the type. Every body is first parsed into its
typed payload (:class:`~ledger.payloads.EntryTypes`, a value given to the registry). Validity depends on the log index,
never on the wall clock: a key added at index a and revoked at index r signs entries a < i < r.
A revocation with ``compromised_from_index`` c *flags* that key's entries at indexes ≥ c; nothing
is ever removed.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.entries import Entry
from ledger.errors import MalformedError, VerificationError
from ledger.inspectors import InspectorKeys
from ledger.note import ALG_ED25519, Verifier, parse_vkey
from ledger.payloads import (
    ENTRY_TYPES,
    EntryTypes,
    KeyAdd,
    KeyRevoke,
    LogInit,
    LogkeyRotate,
    RootUpdate,
    Statement,
)

ROOT_TYPES = frozenset({"log.init", "key.add", "key.revoke", "root.update", "logkey.rotate"})


@dataclass
class KeyRecord:
    """A department key and its validity window in log indexes."""

    verifier: Verifier
    dept: str
    scopes: frozenset[str]
    added_at: int
    revoked_at: int | None = None
    compromised_from: int | None = None

    def valid_at(self, index: int) -> bool:
        """Whether the key may sign the entry at ``index``."""
        return self.added_at < index and (self.revoked_at is None or index < self.revoked_at)


@dataclass(frozen=True)
class TrustAnchor:
    """What an auditor pins out of band (``trust.txt``)."""

    origin: str
    log_keys: tuple[Verifier, ...]
    roots: tuple[Verifier, ...]
    threshold: int
    entry0_hash: bytes
    #: RFC 3161 time-stamping authorities: ``(name, SHA-256 of tsa/<name>.pem)`` (§15.2).
    tsas: tuple[tuple[str, bytes], ...] = ()


@dataclass
class Registry:
    """The key state after replaying entries ``0 .. size-1``."""

    origin: str
    trust: TrustAnchor | None = None
    size: int = 0
    roots: dict[str, Verifier] = field(default_factory=dict)
    threshold: int = 0
    log_keys: tuple[Verifier, ...] = ()
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    flagged: dict[int, str] = field(default_factory=dict)
    #: For each department key, the indexes of the entries it signed (compact, for compromise flags).
    signed_by_key: dict[str, array[int]] = field(default_factory=dict)
    #: The entry types accepted, with their body schemas (a value: never a global registry).
    types: EntryTypes = ENTRY_TYPES
    #: Inspector keys (``inspector.enrol`` / ``inspector.revoke``, docs/mobile.md §2–§4).
    inspectors: InspectorKeys = field(default_factory=InspectorKeys)

    def apply(self, entry: Entry) -> Any:
        """Check ``entry`` at index ``self.size`` against the current state, then apply it.

        Returns:
            The entry's typed payload (:mod:`ledger.payloads`), its body checked against the
            type's schema.

        Raises:
            VerificationError: naming the index and the rule or the body field that failed; the
                state is unchanged.
            MalformedError: if a key in a key-management body does not parse.
        """
        index = self.size
        if entry.index not in (-1, index):
            raise VerificationError(f"第 {index} 条条目的序号不符（{entry.index}）")
        where = f"第 {index} 条条目（{entry.type} {entry.id}）"
        if entry.id in self.ids:
            raise VerificationError(f"{where}：id 重复")
        if index == 0 and entry.type != "log.init":
            raise VerificationError(f"{where}：第 0 条必须是 log.init")
        if index > 0 and entry.type == "log.init":
            raise VerificationError(f"{where}：log.init 只能是第 0 条")
        body = self.types.parse(entry, where)
        entry.__dict__["payload"] = body  # readers use entry.payload (see ledger.entries)
        msg = entry.signing_message(self.origin)
        handler = _HANDLERS.get(entry.type)
        if handler is not None:
            handler(self, entry, body, msg, where)
        elif isinstance(body, Statement):
            self._check_dept_entry(entry, body, msg, where)
            self.inspectors.apply(self.origin, self.size, body, self._names, where)
        else:
            raise VerificationError(f"{where}：{entry.type} 不是部门条目类型")
        self.ids.add(entry.id)
        self.size += 1
        return body

    # -- signature helpers -------------------------------------------------------------------

    def _valid_sigs(
        self, entry: Entry, msg: bytes, candidates: Mapping[str, Verifier], where: str
    ) -> set[str]:
        """Key refs of ``candidates`` that signed; a listed but invalid signature is an error."""
        good: set[str] = set()
        for sig in entry.sigs:
            verifier = candidates.get(sig.key)
            if verifier is None:
                continue
            if not verifier.verify(msg, sig.sig):
                raise VerificationError(f"{where}：密钥 {sig.key} 的签名无效")
            good.add(sig.key)
        return good

    def _registered(self) -> list[Verifier]:
        """Every key registered so far: roots, log keys, department and inspector keys, revoked
        ones included."""
        keys = [*self.roots.values(), *self.log_keys, *(r.verifier for r in self.keys.values())]
        return keys + [r.verifier for r in self.inspectors.keys.values()]

    def _names(self) -> set[str]:
        """Names of every key registered so far: a new department key's name must not be among
        them."""
        return {v.name for v in self._registered()}

    def _require_roots(self, entry: Entry, msg: bytes, where: str) -> set[str]:
        good = self._valid_sigs(entry, msg, self.roots, where)
        if len(good) < self.threshold:
            raise VerificationError(
                f"{where}：根密钥签名 {len(good)} 个，少于门限 {self.threshold}"
            )
        return good

    def _require_all_known(self, entry: Entry, known: set[str], where: str) -> None:
        unknown = [s.key for s in entry.sigs if s.key not in known]
        if unknown:
            raise VerificationError(f"{where}：签名密钥未登记或无权签署：{', '.join(unknown)}")

    def _check_dept_entry(self, entry: Entry, body: Statement, msg: bytes, where: str) -> None:
        needed = body.signers()
        index = self.size
        usable: dict[str, Verifier] = {}
        for sig in entry.sigs:  # only the keys this entry names, not every registered key
            rec = self.keys.get(sig.key)
            if (
                rec is not None
                and rec.valid_at(index)
                and entry.type in rec.scopes
                and rec.dept in needed
            ):
                usable[sig.key] = rec.verifier
        good = self._valid_sigs(entry, msg, usable, where)
        self._require_all_known(entry, good, where)
        keys = self.keys
        signed_depts = {keys[ref].dept for ref in good}
        if not needed <= signed_depts:
            missing = sorted(needed - signed_depts)
            raise VerificationError(f"{where}：缺少部门 {'、'.join(missing)} 的有效签名")
        for ref in good:
            signed = self.signed_by_key.get(ref)
            if signed is None:
                signed = self.signed_by_key[ref] = array("q")
            signed.append(index)
            rec = keys[ref]
            if rec.compromised_from is not None and index >= rec.compromised_from:
                self.flagged[index] = ref

    # -- key-management entries ----------------------------------------------------------------

    def _log_init(self, entry: Entry, body: LogInit, msg: bytes, where: str) -> None:
        if body.origin != self.origin:
            raise VerificationError(f"{where}：origin {body.origin!r} 与 {self.origin!r} 不符")
        roots = _vkeys(body.roots, where)
        log_keys = _vkeys(body.log_keys, where)
        threshold = _threshold(body.threshold, len(roots), where)
        if self.trust is not None:
            if {v.vkey for v in roots} != {
                v.vkey for v in self.trust.roots
            } or threshold != self.trust.threshold:
                raise VerificationError(f"{where}：根密钥或门限与信任锚 trust.txt 不符")
            if entry.leaf_hash != self.trust.entry0_hash:
                raise VerificationError(f"{where}：叶哈希与信任锚 trust.txt 中的 entry0 不符")
        root_map = {v.key_ref: v for v in roots}
        good = self._valid_sigs(entry, msg, root_map, where)
        if good != set(root_map):
            raise VerificationError(f"{where}：log.init 须由全部初始根密钥签署")
        self._require_all_known(entry, good, where)
        self.roots, self.threshold, self.log_keys = root_map, threshold, tuple(log_keys)

    def _key_add(self, entry: Entry, body: KeyAdd, msg: bytes, where: str) -> None:
        spec = body.key
        (new,) = _vkeys((spec.vkey,), where)
        scopes = spec.scopes
        bad = sorted(set(scopes) & ROOT_TYPES)
        if bad:
            raise VerificationError(f"{where}：部门密钥不能签署 {', '.join(bad)}")
        if new.key_ref in self.keys or new.key_ref in self.roots or new in self.log_keys:
            raise VerificationError(f"{where}：密钥 {new.key_ref} 已登记（同一密钥不得重复使用）")
        if new.name in self._names():
            raise VerificationError(
                f"{where}：密钥名称 {new.name} 已被另一个密钥使用（密钥名称在账本中必须唯一）"
            )
        if new.public_key in {v.public_key for v in self._registered()}:
            raise VerificationError(
                f"{where}：密钥 {new.key_ref} 的公钥已以另一个名称登记过（一把私钥只能属于一个"
                "部门、一种用途，否则一个部门的密钥就能替另一个部门签署）"
            )
        good = self._require_roots(entry, msg, where)
        if not self._valid_sigs(entry, msg, {new.key_ref: new}, where):
            raise VerificationError(f"{where}：缺少新密钥自身的签名（持有证明）")
        self._require_all_known(entry, good | {new.key_ref}, where)
        self.keys[new.key_ref] = KeyRecord(new, spec.dept, frozenset(scopes), added_at=self.size)

    def _key_revoke(self, entry: Entry, body: KeyRevoke, msg: bytes, where: str) -> None:
        rec = self.keys.get(body.key)
        if rec is None or rec.revoked_at is not None:
            raise VerificationError(f"{where}：要撤销的密钥 {body.key!r} 未登记或已撤销")
        c = body.compromised_from_index
        if c is not None and (body.reason != "compromised" or not rec.added_at < c <= self.size):
            raise VerificationError(f"{where}：compromised_from_index 无效")
        roots = self._valid_sigs(entry, msg, self.roots, where)
        own = self._valid_sigs(entry, msg, {rec.verifier.key_ref: rec.verifier}, where)
        if len(roots) < self.threshold and not own:
            raise VerificationError(f"{where}：撤销须由门限数量的根密钥或该密钥本身签署")
        self._require_all_known(entry, roots | own, where)
        rec.revoked_at = self.size
        if c is not None:
            rec.compromised_from = c
            for i in self.signed_by_key.get(rec.verifier.key_ref, array("q")):
                if i >= c:
                    self.flagged[i] = rec.verifier.key_ref

    def _root_update(self, entry: Entry, body: RootUpdate, msg: bytes, where: str) -> None:
        roots = _vkeys(body.roots, where)
        threshold = _threshold(body.threshold, len(roots), where)
        old = self._require_roots(entry, msg, where)
        new_map = {v.key_ref: v for v in roots}
        fresh = {ref: v for ref, v in new_map.items() if ref not in self.roots}
        if self._valid_sigs(entry, msg, fresh, where) != set(fresh):
            raise VerificationError(f"{where}：每个新增根密钥都须签署（持有证明）")
        self._require_all_known(entry, old | set(fresh), where)
        self.roots, self.threshold = new_map, threshold

    def _logkey_rotate(self, entry: Entry, body: LogkeyRotate, msg: bytes, where: str) -> None:
        log_keys = _vkeys(body.log_keys, where)
        good = self._require_roots(entry, msg, where)
        self._require_all_known(entry, good, where)
        self.log_keys = tuple(log_keys)


_HANDLERS: dict[str, Callable[[Registry, Entry, Any, bytes, str], None]] = {
    "log.init": Registry._log_init,
    "key.add": Registry._key_add,
    "key.revoke": Registry._key_revoke,
    "root.update": Registry._root_update,
    "logkey.rotate": Registry._logkey_rotate,
}


def _vkeys(raw: Sequence[str], where: str) -> list[Verifier]:
    try:
        keys = [parse_vkey(v) for v in raw]
    except MalformedError as exc:
        raise MalformedError(f"{where}：验证密钥无效：{exc}") from exc
    if any(k.alg != ALG_ED25519 for k in keys):
        raise MalformedError(f"{where}：只接受 Ed25519 密钥")
    if len({k.key_ref for k in keys}) != len(keys):
        raise MalformedError(f"{where}：验证密钥重复")
    return keys


def _threshold(raw: int, n: int, where: str) -> int:
    if not 1 <= raw <= n:
        raise MalformedError(f"{where}：threshold 应为 1 到 {n} 之间的整数")
    return raw


def replay(
    entries: Sequence[Entry],
    origin: str,
    trust: TrustAnchor | None = None,
    types: EntryTypes = ENTRY_TYPES,
) -> Registry:
    """Replay ``entries`` from index 0 (accepting the entry ``types``) and return the registry.

    Raises:
        VerificationError / MalformedError: at the first entry that breaks a rule.
    """
    registry = Registry(origin=origin, trust=trust, types=types)
    for entry in entries:
        registry.apply(entry)
    return registry
