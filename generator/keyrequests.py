"""Key-management entries through signing requests (``docs/signing.md`` §9).

``key.add``, ``key.revoke``, ``root.update``, ``logkey.rotate`` and the ``log.init`` of a key
ceremony are signed by root holders (and, for some, by the key the entry is about), each on
their own machine with only their own key, through the same request / ``gongkai sign`` /
``gongkai request append`` files as department entries (:mod:`generator.signing`). This module
says, from the body and the ledger's key registry, which keys may sign such an entry, under
which label a signature file names them, and whether a set of signatures is complete. The
registry (:mod:`ledger.registry`) checks the appended entry again; nothing here replaces it.

Labels (the ``dept`` field of a signature file, ``docs/signing.md`` §3): ``root`` for a root
key (a current root, or a root the body names in ``root.update`` / ``log.init``); the key's
department for a department key (the new key of ``key.add``, the key a ``key.revoke`` revokes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator import entryids
from generator.errors import SigningError
from generator.ledgerops import DEPT_SCOPES
from ledger.errors import MalformedError
from ledger.note import Verifier, parse_vkey
from ledger.registry import Registry

#: The entry types a root holder signs (``docs/ledger.md`` §13.3).
KEY_TYPES = frozenset({"log.init", "key.add", "key.revoke", "root.update", "logkey.rotate"})
#: The label of a root key's signature file.
ROOT = "root"


def _vkey(text: str, where: str) -> Verifier:
    try:
        return parse_vkey(text)
    except MalformedError as exc:
        raise SigningError(f"{where}：验证密钥无效：{exc}") from None


def named_keys(body: Mapping[str, Any], where: str) -> dict[str, Verifier]:
    """The keys ``body`` itself names that must sign it, by key reference: the new key of
    ``key.add``, every root of ``root.update`` and ``log.init`` (possession); none for
    ``key.revoke`` and ``logkey.rotate``.

    Precondition: ``body`` parsed as its type's payload.

    Raises:
        SigningError: if a named key does not parse.
    """
    type_ = body["type"]
    if type_ == "key.add":
        raw = [body["key"]["vkey"]]
    elif type_ in ("root.update", "log.init"):
        raw = list(body["roots"])
    else:
        raw = []
    keys = [_vkey(v, where) for v in raw]
    return {v.key_ref: v for v in keys}


def signer_refs(body: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The request's ``signers`` for a key-management body: the references of
    :func:`named_keys`, sorted by their UTF-8 bytes."""
    return tuple(sorted(named_keys(body, where), key=lambda s: s.encode()))


@dataclass(frozen=True)
class Eligible:
    """A key that may sign a key-management entry, and the label its signature file carries."""

    verifier: Verifier
    label: str
    root: bool


def eligible(body: Mapping[str, Any], registry: Registry | None, ref: str) -> Eligible | None:
    """Whether the key ``ref`` may sign ``body`` as the next entry after ``registry``'s state
    (``None`` for a ``log.init``, which has no ledger before it).

    Precondition: ``body`` parsed as a key-management payload.
    """
    type_ = body["type"]
    if registry is not None and type_ != "log.init" and ref in registry.roots:
        return Eligible(registry.roots[ref], ROOT, True)
    named = named_keys(body, "签署申请")
    if ref in named:
        label = body["key"]["dept"] if type_ == "key.add" else ROOT
        return Eligible(named[ref], label, type_ == "log.init")
    if type_ == "key.revoke" and registry is not None and ref == body["key"]:
        record = registry.keys.get(ref)
        if record is not None and record.revoked_at is None:
            return Eligible(record.verifier, record.dept, False)
    return None


def missing(
    body: Mapping[str, Any], registry: Registry | None, signed: set[str], roots: set[str]
) -> list[str]:
    """What is still missing for ``body`` given the key references that ``signed`` it (and,
    among them, the root keys ``roots``): empty when the entry can be appended.

    The rules are those of ``docs/ledger.md`` §13.3: ``log.init`` every root it names;
    ``key.add`` t current roots and the new key; ``key.revoke`` t current roots or the revoked
    key itself; ``root.update`` t current roots and every root of the new set; ``logkey.rotate``
    t current roots.
    """
    type_ = body["type"]
    needed = set(named_keys(body, "签署申请"))
    if type_ == "log.init":
        return [f"根密钥 {ref}" for ref in sorted(needed - signed)]
    assert registry is not None
    problems = [f"密钥 {ref}（持有证明）" for ref in sorted(needed - signed)]
    current = len(roots & set(registry.roots))
    if type_ == "key.revoke" and body["key"] in signed:
        return problems
    if current < registry.threshold:
        problems.append(
            f"根密钥签名（已有 {current} 个，门限 {registry.threshold}；"
            f"现任根密钥：{'、'.join(sorted(registry.roots))}）"
        )
    return problems


def key_add_body(registry: Registry, key: Verifier, dept: str, ts: str) -> dict[str, Any]:
    """The body of ``key.add`` for department ``dept``'s new key, with every department scope.

    Raises:
        SigningError: if the key, or its name, is already in the ledger (``docs/ledger.md``
            §13.3: a name identifies one key).
    """
    known = [*registry.roots.values(), *registry.log_keys]
    known += [r.verifier for r in registry.keys.values()]
    if key in known:
        raise SigningError(f"密钥 {key.key_ref} 已在账本中登记，同一密钥不得重复使用")
    if key.name in {v.name for v in known}:
        raise SigningError(
            f"密钥名称 {key.name} 已被账本中另一个密钥使用，请用 gongkai keys new 新建"
        )
    return {
        "type": "key.add",
        "id": entryids.key_add(dept, key.key_id),
        "ts": ts,
        "key": {"vkey": key.vkey, "role": "dept", "dept": dept, "scopes": list(DEPT_SCOPES)},
    }


def revoke_body(
    registry: Registry, ref: str, reason: str, compromised_from: int | None, ts: str
) -> dict[str, Any]:
    """The body of ``key.revoke`` for the department key ``ref``.

    Raises:
        SigningError: if ``ref`` is not a registered, unrevoked department key, or
            ``compromised_from`` is given without ``reason`` = ``compromised`` or outside
            ``added_at < c ≤ size``.
    """
    record = registry.keys.get(ref)
    if record is None:
        known = "、".join(sorted(r for r, k in registry.keys.items() if k.revoked_at is None))
        raise SigningError(
            f"密钥 {ref} 不是账本中登记的部门密钥（有效的部门密钥：{known or '无'}）"
        )
    if record.revoked_at is not None:
        raise SigningError(f"密钥 {ref} 已在第 {record.revoked_at} 条条目撤销")
    body: dict[str, Any] = {
        "type": "key.revoke",
        "id": entryids.key_revoke(record.dept, record.verifier.key_id),
        "ts": ts,
        "key": ref,
        "reason": reason,
    }
    if compromised_from is not None:
        problem = compromised_from_problem(reason, compromised_from, record.added_at, registry.size)
        if problem is not None:
            raise SigningError(problem)
        body["compromised_from_index"] = compromised_from
    return body


def compromised_from_problem(reason: str, start: int, added_at: int, size: int) -> str | None:
    """Why ``--compromised-from start`` is refused for a key added at ``added_at`` in a ledger of
    ``size`` entries (a department key, docs/signing.md §9.2, or an inspector key,
    docs/mobile.md §6.2), or None: it needs ``reason`` = ``compromised`` and
    ``added_at < start ≤ size``."""
    if reason != "compromised":
        return "--compromised-from 只能与 --reason compromised 一起使用"
    if not added_at < start <= size:
        return (
            f"--compromised-from：应在 {added_at + 1} 到 {size} 之间"
            f"（该密钥在第 {added_at} 条登记，账本现有 {size} 条）"
        )
    return None


def root_update_body(roots: list[Verifier], threshold: int, ts: str) -> dict[str, Any]:
    """The body of ``root.update`` to ``roots`` with ``threshold``.

    Raises:
        SigningError: if a key repeats or the threshold is not 1..len(roots).
    """
    _distinct(roots, "--root-pub")
    if not 1 <= threshold <= len(roots):
        raise SigningError(f"--threshold：门限应在 1 到 {len(roots)} 之间")
    return {
        "type": "root.update",
        "id": entryids.root_update(ts),
        "ts": ts,
        "roots": [v.vkey for v in roots],
        "threshold": threshold,
    }


def logkey_rotate_body(log_keys: list[Verifier], ts: str) -> dict[str, Any]:
    """The body of ``logkey.rotate`` to ``log_keys``.

    Raises:
        SigningError: if a key repeats.
    """
    _distinct(log_keys, "--log-pub")
    return {
        "type": "logkey.rotate",
        "id": entryids.logkey_rotate(ts),
        "ts": ts,
        "log_keys": [v.vkey for v in log_keys],
    }


def _distinct(keys: list[Verifier], option: str) -> None:
    if len({v.key_ref for v in keys}) != len(keys):
        raise SigningError(f"{option}：同一把密钥出现了两次")


__all__ = [
    "KEY_TYPES",
    "ROOT",
    "Eligible",
    "compromised_from_problem",
    "eligible",
    "key_add_body",
    "logkey_rotate_body",
    "missing",
    "named_keys",
    "revoke_body",
    "root_update_body",
    "signer_refs",
]
