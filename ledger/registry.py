"""Replay of the keys that live in the log (LEDGER.md §2.5), by log index.

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
whose ``dept`` is the body's ``dept`` (and, for some types, of several departments: see
:data:`EXTRA_SIGNERS`) and whose scopes include the type. Validity depends on the log index,
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
from ledger.note import ALG_ED25519, Verifier, parse_vkey

ROOT_TYPES = frozenset({"log.init", "key.add", "key.revoke", "root.update", "logkey.rotate"})
ENTRY_FORMAT = "gongkai-ledger/v1"

#: Entry types whose body names several departments that must all sign (type → depts of body).
EXTRA_SIGNERS: dict[str, Callable[[Mapping[str, Any]], set[str]]] = {}

#: Department entry types known to this verifier version. Statements of unknown types are
#: rejected: a new type needs a new verifier, never a silent pass.
DEPT_TYPES: set[str] = set()


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

    def apply(self, entry: Entry) -> None:
        """Check ``entry`` at index ``self.size`` against the current state, then apply it.

        Raises:
            VerificationError: naming the index and the rule that failed; the state is unchanged.
            MalformedError: if a key-management body is malformed.
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
        msg = entry.signing_message(self.origin)
        handler = _HANDLERS.get(entry.type)
        if handler is not None:
            handler(self, entry, msg, where)
        else:
            self._check_dept_entry(entry, msg, where)
        self.ids.add(entry.id)
        self.size += 1

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

    def _names(self) -> set[str]:
        """Names of every key registered so far (roots, log keys, department keys, revoked
        department keys included): a new department key's name must not be among them."""
        keys = [*self.roots.values(), *self.log_keys, *(r.verifier for r in self.keys.values())]
        return {v.name for v in keys}

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

    def _check_dept_entry(self, entry: Entry, msg: bytes, where: str) -> None:
        if entry.type not in DEPT_TYPES:
            raise VerificationError(f"{where}：未知的条目类型 {entry.type}")
        dept = entry.body.get("dept")
        if not isinstance(dept, str):
            raise VerificationError(f"{where}：缺少实施部门 dept")
        needed = {dept}
        extra = EXTRA_SIGNERS.get(entry.type)
        if extra is not None:
            needed |= extra(entry.body)
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
        signed_depts = {self.keys[ref].dept for ref in good}
        missing = sorted(needed - signed_depts)
        if missing:
            raise VerificationError(f"{where}：缺少部门 {'、'.join(missing)} 的有效签名")
        for ref in good:
            self.signed_by_key.setdefault(ref, array("q")).append(index)
            rec = self.keys[ref]
            if rec.compromised_from is not None and index >= rec.compromised_from:
                self.flagged[index] = ref

    # -- key-management entries ----------------------------------------------------------------

    def _log_init(self, entry: Entry, msg: bytes, where: str) -> None:
        body = entry.body
        _expect_keys(
            body, {"type", "id", "ts", "origin", "log_keys", "roots", "threshold", "formats"}, where
        )
        if body["origin"] != self.origin:
            raise VerificationError(f"{where}：origin {body['origin']!r} 与 {self.origin!r} 不符")
        if body["formats"] != {"entry": ENTRY_FORMAT, "draw": "draw-v1"}:
            raise VerificationError(f"{where}：不支持的格式 {body['formats']!r}")
        roots = _vkeys(body["roots"], where)
        log_keys = _vkeys(body["log_keys"], where)
        threshold = _threshold(body["threshold"], len(roots), where)
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

    def _key_add(self, entry: Entry, msg: bytes, where: str) -> None:
        body = entry.body
        _expect_keys(body, {"type", "id", "ts", "key"}, where)
        spec = body["key"]
        if not isinstance(spec, dict):
            raise MalformedError(f"{where}：key 应为对象")
        _expect_keys(spec, {"vkey", "role", "dept", "scopes"}, where)
        (new,) = _vkeys([spec["vkey"]], where)
        if spec["role"] != "dept" or not isinstance(spec["dept"], str) or not spec["dept"]:
            raise MalformedError(f"{where}：key.role 应为 dept 且 key.dept 非空")
        scopes = spec["scopes"]
        if (
            not isinstance(scopes, list)
            or not scopes
            or not all(isinstance(s, str) for s in scopes)
        ):
            raise MalformedError(f"{where}：key.scopes 应为非空字符串列表")
        bad = sorted(set(scopes) & ROOT_TYPES)
        if bad:
            raise VerificationError(f"{where}：部门密钥不能签署 {', '.join(bad)}")
        if new.key_ref in self.keys or new.key_ref in self.roots or new in self.log_keys:
            raise VerificationError(f"{where}：密钥 {new.key_ref} 已登记（同一密钥不得重复使用）")
        if new.name in self._names():
            raise VerificationError(
                f"{where}：密钥名称 {new.name} 已被另一个密钥使用（密钥名称在账本中必须唯一）"
            )
        good = self._require_roots(entry, msg, where)
        if not self._valid_sigs(entry, msg, {new.key_ref: new}, where):
            raise VerificationError(f"{where}：缺少新密钥自身的签名（持有证明）")
        self._require_all_known(entry, good | {new.key_ref}, where)
        self.keys[new.key_ref] = KeyRecord(new, spec["dept"], frozenset(scopes), added_at=self.size)

    def _key_revoke(self, entry: Entry, msg: bytes, where: str) -> None:
        body = entry.body
        allowed = {"type", "id", "ts", "key", "reason", "compromised_from_index"}
        if not {"type", "id", "ts", "key", "reason"} <= set(body) <= allowed:
            raise MalformedError(f"{where}：key.revoke 字段不符")
        rec = self.keys.get(body["key"]) if isinstance(body["key"], str) else None
        if rec is None or rec.revoked_at is not None:
            raise VerificationError(f"{where}：要撤销的密钥 {body['key']!r} 未登记或已撤销")
        if body["reason"] not in ("rotated", "compromised"):
            raise MalformedError(f"{where}：reason 应为 rotated 或 compromised")
        c = body.get("compromised_from_index")
        if c is not None and (
            body["reason"] != "compromised"
            or not isinstance(c, int)
            or not rec.added_at < c <= self.size
        ):
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

    def _root_update(self, entry: Entry, msg: bytes, where: str) -> None:
        body = entry.body
        _expect_keys(body, {"type", "id", "ts", "roots", "threshold"}, where)
        roots = _vkeys(body["roots"], where)
        threshold = _threshold(body["threshold"], len(roots), where)
        old = self._require_roots(entry, msg, where)
        new_map = {v.key_ref: v for v in roots}
        fresh = {ref: v for ref, v in new_map.items() if ref not in self.roots}
        if self._valid_sigs(entry, msg, fresh, where) != set(fresh):
            raise VerificationError(f"{where}：每个新增根密钥都须签署（持有证明）")
        self._require_all_known(entry, old | set(fresh), where)
        self.roots, self.threshold = new_map, threshold

    def _logkey_rotate(self, entry: Entry, msg: bytes, where: str) -> None:
        body = entry.body
        _expect_keys(body, {"type", "id", "ts", "log_keys"}, where)
        log_keys = _vkeys(body["log_keys"], where)
        good = self._require_roots(entry, msg, where)
        self._require_all_known(entry, good, where)
        self.log_keys = tuple(log_keys)


_HANDLERS: dict[str, Callable[[Registry, Entry, bytes, str], None]] = {
    "log.init": Registry._log_init,
    "key.add": Registry._key_add,
    "key.revoke": Registry._key_revoke,
    "root.update": Registry._root_update,
    "logkey.rotate": Registry._logkey_rotate,
}


def _expect_keys(body: Mapping[str, Any], keys: set[str], where: str) -> None:
    if set(body) != keys:
        extra = sorted(set(body) - keys)
        missing = sorted(keys - set(body))
        raise MalformedError(f"{where}：字段不符（多余 {extra}，缺少 {missing}）")


def _vkeys(raw: Any, where: str) -> list[Verifier]:
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise MalformedError(f"{where}：应为非空的验证密钥列表")
    try:
        keys = [parse_vkey(v) for v in raw]
    except MalformedError as exc:
        raise MalformedError(f"{where}：验证密钥无效：{exc}") from exc
    if any(k.alg != ALG_ED25519 for k in keys):
        raise MalformedError(f"{where}：只接受 Ed25519 密钥")
    if len({k.key_ref for k in keys}) != len(keys):
        raise MalformedError(f"{where}：验证密钥重复")
    return keys


def _threshold(raw: Any, n: int, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= n:
        raise MalformedError(f"{where}：threshold 应为 1 到 {n} 之间的整数")
    return raw


def register_dept_type(
    type_: str, extra_signers: Callable[[Mapping[str, Any]], set[str]] | None = None
) -> None:
    """Declare a department entry type (used by the draw and workflow modules)."""
    DEPT_TYPES.add(type_)
    if extra_signers is not None:
        EXTRA_SIGNERS[type_] = extra_signers


def replay(entries: Sequence[Entry], origin: str, trust: TrustAnchor | None = None) -> Registry:
    """Replay ``entries`` from index 0 and return the resulting registry.

    Raises:
        VerificationError / MalformedError: at the first entry that breaks a rule.
    """
    registry = Registry(origin=origin, trust=trust)
    for entry in entries:
        registry.apply(entry)
    return registry
