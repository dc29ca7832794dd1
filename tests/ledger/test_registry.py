"""Entry envelopes and the key registry replay (docs/ledger.md §13.1–§13.3)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import canonical
from ledger.entries import (
    MAX_ENTRY_SIZE,
    Entry,
    add_signatures,
    make_entry,
    parse_entry,
    signing_message,
)
from ledger.errors import LedgerError, MalformedError, VerificationError
from ledger.merkle import leaf_hash
from ledger.note import Signer
from ledger.payloads import ENTRY_TYPES, Statement
from ledger.registry import Registry, TrustAnchor, replay
from ledger.schema import ListOf, Text, payload, spec

ORIGIN = "test.example/gongkai/ledger"
TS = "2024-01-02T03:04:05Z"


@payload
@dataclass(frozen=True)
class Joint(Statement):
    """``test.joint``: a statement every department of ``depts`` must sign."""

    TYPE: ClassVar[str] = "test.joint"
    depts: tuple[str, ...] = spec(ListOf(Text()))

    def signers(self) -> frozenset[str]:
        return frozenset((self.dept, *self.depts))


TYPES = ENTRY_TYPES.extended((Joint,)).allowing(("test.statement",))


def signer(label: str) -> Signer:
    return Signer.from_seed(f"test.example/gongkai/{label}", label.encode().ljust(32, b"\0")[:32])


ROOT1, ROOT2, ROOT3 = signer("root/1"), signer("root/2"), signer("root/3")
LOG = signer("log")
DEPT_A, DEPT_A2, DEPT_B = signer("dept/a/1"), signer("dept/a/2"), signer("dept/b/1")


def init_body(
    roots: Sequence[Signer] = (ROOT1, ROOT2, ROOT3), threshold: int = 2
) -> dict[str, Any]:
    return {
        "type": "log.init",
        "id": "init",
        "ts": TS,
        "origin": ORIGIN,
        "log_keys": [LOG.verifier().vkey],
        "roots": [r.verifier().vkey for r in roots],
        "threshold": threshold,
        "formats": {"entry": "gongkai-ledger/v1", "draw": "draw-v1"},
    }


def key_add(
    new: Signer, dept: str, ident: str, scopes: Sequence[str] = ("test.statement", "test.joint")
) -> bytes:
    body = {
        "type": "key.add",
        "id": ident,
        "ts": TS,
        "key": {"vkey": new.verifier().vkey, "role": "dept", "dept": dept, "scopes": list(scopes)},
    }
    return make_entry(ORIGIN, body, [ROOT1, ROOT2, new])


def statement(ident: str, dept: str, signers: Sequence[Signer], **extra: Any) -> bytes:
    return make_entry(
        ORIGIN, {"type": "test.statement", "id": ident, "ts": TS, "dept": dept, **extra}, signers
    )


def base_log() -> list[bytes]:
    return [
        make_entry(ORIGIN, init_body(), [ROOT1, ROOT2, ROOT3]),
        key_add(DEPT_A, "a", "add-a"),
        key_add(DEPT_B, "b", "add-b"),
    ]


def run(lines: Sequence[bytes], trust: TrustAnchor | None = None) -> Registry:
    return replay([parse_entry(line, i) for i, line in enumerate(lines)], ORIGIN, trust, TYPES)


def test_valid_log_replays() -> None:
    lines = [*base_log(), statement("s1", "a", [DEPT_A])]
    reg = run(lines)
    assert reg.size == 4
    assert set(reg.keys) == {DEPT_A.verifier().key_ref, DEPT_B.verifier().key_ref}


def test_entry_line_is_canonical_and_signature_covers_context() -> None:
    line = statement("s1", "a", [DEPT_A])
    entry = parse_entry(line)
    assert canonical.dumps(canonical.loads(line)) == line
    msg = signing_message(ORIGIN, entry.body)
    assert msg.startswith(b"gongkai-ledger/v1 entry\n" + ORIGIN.encode() + b"\n")
    assert DEPT_A.verifier().verify(msg, entry.sigs[0].sig)


def _edit_body(line: bytes, **changes: Any) -> bytes:
    value = json.loads(line)
    value["body"].update(changes)
    return canonical.dumps(value)


def test_body_edited_after_signing_is_rejected() -> None:
    lines = [*base_log(), _edit_body(statement("s1", "a", [DEPT_A]), note="edited")]
    with pytest.raises(VerificationError, match="签名无效"):
        run(lines)


def test_signature_moved_to_another_entry_is_rejected() -> None:
    good = json.loads(statement("s1", "a", [DEPT_A]))
    other = json.loads(statement("s2", "a", [DEPT_A]))
    other["sigs"] = good["sigs"]
    with pytest.raises(VerificationError, match="签名无效"):
        run([*base_log(), canonical.dumps(other)])


def test_signature_from_another_origin_is_rejected() -> None:
    foreign = make_entry(
        "other.example/log", {"type": "test.statement", "id": "s1", "ts": TS, "dept": "a"}, [DEPT_A]
    )
    with pytest.raises(VerificationError, match="签名无效"):
        run([*base_log(), foreign])


def test_key_used_before_key_add_is_rejected() -> None:
    lines = base_log()
    lines.insert(1, statement("early", "a", [DEPT_A]))
    with pytest.raises(VerificationError, match=r"未登记或无权签署|缺少部门"):
        run(lines)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_revocation_boundaries(offset: int) -> None:
    """A key revoked at index r signs r-1, but not r (the revocation itself) or r+1."""
    lines = base_log()
    lines.append(statement("before", "a", [DEPT_A]))
    revoke = make_entry(
        ORIGIN,
        {
            "type": "key.revoke",
            "id": "rev",
            "ts": TS,
            "key": DEPT_A.verifier().key_ref,
            "reason": "rotated",
        },
        [ROOT1, ROOT2],
    )
    lines.append(revoke)
    lines.append(statement("after", "a", [DEPT_A]))
    if offset == -1:
        run(lines[:-1])  # the entry at r-1 is fine
    else:
        with pytest.raises(VerificationError):
            run(lines)


def test_key_add_needs_threshold_of_roots() -> None:
    body = {
        "type": "key.add",
        "id": "add-x",
        "ts": TS,
        "key": {
            "vkey": DEPT_A.verifier().vkey,
            "role": "dept",
            "dept": "a",
            "scopes": ["test.statement"],
        },
    }
    line = make_entry(ORIGIN, body, [ROOT1, DEPT_A])
    with pytest.raises(VerificationError, match="门限"):
        run([base_log()[0], line])


def test_key_add_needs_proof_of_possession() -> None:
    body = {
        "type": "key.add",
        "id": "add-x",
        "ts": TS,
        "key": {
            "vkey": DEPT_A.verifier().vkey,
            "role": "dept",
            "dept": "a",
            "scopes": ["test.statement"],
        },
    }
    line = make_entry(ORIGIN, body, [ROOT1, ROOT2])
    with pytest.raises(VerificationError, match="持有证明"):
        run([base_log()[0], line])


def test_scope_violation_is_rejected() -> None:
    lines = [
        base_log()[0],
        key_add(DEPT_A, "a", "add-a", scopes=("test.joint",)),
        statement("s", "a", [DEPT_A]),
    ]
    with pytest.raises(VerificationError):
        run(lines)


def test_department_key_cannot_sign_for_another_department() -> None:
    with pytest.raises(VerificationError):
        run([*base_log(), statement("s", "b", [DEPT_A])])


def test_joint_statement_needs_every_department() -> None:
    body = {"type": "test.joint", "id": "j", "ts": TS, "dept": "a", "depts": ["a", "b"]}
    only_a = make_entry(ORIGIN, body, [DEPT_A])
    with pytest.raises(VerificationError, match="缺少部门 b"):
        run([*base_log(), only_a])
    both = add_signatures(ORIGIN, only_a, [DEPT_B])
    assert run([*base_log(), both]).size == 4


def test_entry_zero_must_be_log_init() -> None:
    with pytest.raises(VerificationError, match=r"第 0 条必须是 log\.init"):
        run([key_add(DEPT_A, "a", "add-a")])


def test_second_log_init_is_rejected() -> None:
    again = make_entry(ORIGIN, {**init_body(), "id": "init2"}, [ROOT1, ROOT2, ROOT3])
    with pytest.raises(VerificationError, match="只能是第 0 条"):
        run([*base_log(), again])


def test_log_init_needs_every_initial_root() -> None:
    with pytest.raises(VerificationError, match="全部初始根密钥"):
        run([make_entry(ORIGIN, init_body(), [ROOT1, ROOT2])])


def test_duplicate_id_is_rejected() -> None:
    with pytest.raises(VerificationError, match="id 重复"):
        run([*base_log(), statement("s", "a", [DEPT_A]), statement("s", "a", [DEPT_A])])


def test_oversized_entry_is_rejected() -> None:
    with pytest.raises(MalformedError, match="过大"):
        statement("big", "a", [DEPT_A], text="中" * MAX_ENTRY_SIZE)
    with pytest.raises(MalformedError, match="过大"):
        parse_entry(b"x" * (MAX_ENTRY_SIZE + 1))


def test_trust_anchor_mismatch_is_rejected() -> None:
    lines = base_log()
    trust = TrustAnchor(
        ORIGIN,
        (LOG.verifier(),),
        (ROOT1.verifier(), ROOT2.verifier(), ROOT3.verifier()),
        2,
        leaf_hash(lines[0]),
    )
    run(lines, trust)
    wrong_hash = TrustAnchor(ORIGIN, trust.log_keys, trust.roots, 2, leaf_hash(b"other"))
    with pytest.raises(VerificationError, match="entry0"):
        run(lines, wrong_hash)
    wrong_roots = TrustAnchor(ORIGIN, trust.log_keys, (ROOT1.verifier(),), 1, leaf_hash(lines[0]))
    with pytest.raises(VerificationError, match="信任锚"):
        run(lines, wrong_roots)


def test_root_rotation_with_threshold() -> None:
    new_root = signer("root/4")
    body = {
        "type": "root.update",
        "id": "ru",
        "ts": TS,
        "roots": [ROOT2.verifier().vkey, new_root.verifier().vkey],
        "threshold": 2,
    }
    lines = [*base_log(), make_entry(ORIGIN, body, [ROOT1, ROOT2, new_root])]
    reg = run(lines)
    assert set(reg.roots) == {ROOT2.verifier().key_ref, new_root.verifier().key_ref}
    # ROOT1 is gone: a key.add signed by ROOT1+ROOT2 no longer meets the threshold of 2 new roots.
    later = make_entry(
        ORIGIN,
        {
            "type": "key.add",
            "id": "add-a2",
            "ts": TS,
            "key": {
                "vkey": DEPT_A2.verifier().vkey,
                "role": "dept",
                "dept": "a",
                "scopes": ["test.statement"],
            },
        },
        [ROOT1, ROOT2, DEPT_A2],
    )
    with pytest.raises(VerificationError):
        run([*lines, later])
    # The new root set works.
    ok = make_entry(
        ORIGIN,
        {
            "type": "key.add",
            "id": "add-a2",
            "ts": TS,
            "key": {
                "vkey": DEPT_A2.verifier().vkey,
                "role": "dept",
                "dept": "a",
                "scopes": ["test.statement"],
            },
        },
        [ROOT2, new_root, DEPT_A2],
    )
    assert run([*lines, ok]).size == 5


def test_root_update_needs_new_root_possession() -> None:
    new_root = signer("root/4")
    body = {
        "type": "root.update",
        "id": "ru",
        "ts": TS,
        "roots": [ROOT2.verifier().vkey, new_root.verifier().vkey],
        "threshold": 1,
    }
    with pytest.raises(VerificationError, match="持有证明"):
        run([*base_log(), make_entry(ORIGIN, body, [ROOT1, ROOT2])])


def test_logkey_rotation() -> None:
    new_log = signer("log2")
    body = {
        "type": "logkey.rotate",
        "id": "lr",
        "ts": TS,
        "log_keys": [LOG.verifier().vkey, new_log.verifier().vkey],
    }
    reg = run([*base_log(), make_entry(ORIGIN, body, [ROOT1, ROOT3])])
    assert new_log.verifier() in reg.log_keys


def test_compromised_key_flags_later_entries() -> None:
    lines = [
        *base_log(),
        statement("s3", "a", [DEPT_A]),
        statement("s4", "a", [DEPT_A]),
        statement("s5", "b", [DEPT_B]),
    ]
    revoke = make_entry(
        ORIGIN,
        {
            "type": "key.revoke",
            "id": "rev",
            "ts": TS,
            "key": DEPT_A.verifier().key_ref,
            "reason": "compromised",
            "compromised_from_index": 4,
        },
        [ROOT1, ROOT2],
    )
    reg = run([*lines, revoke])
    assert reg.flagged == {4: DEPT_A.verifier().key_ref}


def test_self_revocation_is_allowed() -> None:
    revoke = make_entry(
        ORIGIN,
        {
            "type": "key.revoke",
            "id": "rev",
            "ts": TS,
            "key": DEPT_A.verifier().key_ref,
            "reason": "rotated",
        },
        [DEPT_A],
    )
    assert run([*base_log(), revoke]).keys[DEPT_A.verifier().key_ref].revoked_at == 3


def test_unknown_entry_type_is_rejected() -> None:
    line = make_entry(ORIGIN, {"type": "mystery.kind", "id": "m", "ts": TS, "dept": "a"}, [DEPT_A])
    with pytest.raises(VerificationError, match="未知的条目类型"):
        run([*base_log(), line])


def _with_sig(body: bytes) -> bytes:
    """``body`` (the envelope up to its body) with one well-formed signature and ``v``."""
    return body + b',"sigs":[{"key":"k","sig":"' + base64.b64encode(bytes(64)) + b'"}],"v":1}'


MALFORMED = {
    "not json": b"not json",
    "missing v": b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b"},"sigs":[]}',
    "v2": b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b"},"sigs":[{"key":"k","sig":"'
    + base64.b64encode(bytes(64))
    + b'"}],"v":2}',
    "empty sigs": b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b"},"sigs":[],"v":1}',
    "bad ts": b'{"body":{"id":"x","ts":"2024-01-02 03:04:05","type":"a.b"},"sigs":[{"key":"k","sig":"'
    + base64.b64encode(bytes(64))
    + b'"}],"v":1}',
    "short sig": b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b"},"sigs":[{"key":"k","sig":"AAAA"}],"v":1}',
    "unsorted sigs": b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b"},"sigs":[{"key":"z","sig":"'
    + base64.b64encode(bytes(64))
    + b'"},{"key":"a","sig":"'
    + base64.b64encode(bytes(64))
    + b'"}],"v":1}',
    "spaces": b'{"body": {}, "sigs": [], "v": 1}',
    # The §13.1 grammars end in "$", which must not let a trailing newline through.
    "id ends in LF": _with_sig(b'{"body":{"id":"x\\n","ts":"2024-01-02T03:04:05Z","type":"a.b"}'),
    "ts ends in LF": _with_sig(b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z\\n","type":"a.b"}'),
    "type ends in LF": _with_sig(b'{"body":{"id":"x","ts":"2024-01-02T03:04:05Z","type":"a.b\\n"}'),
}


@pytest.mark.parametrize("line", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_entries(line: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_entry(line)


def test_entry_properties() -> None:
    entry: Entry = parse_entry(statement("s1", "a", [DEPT_A]), 7)
    assert (entry.type, entry.id, entry.ts, entry.index) == ("test.statement", "s1", TS, 7)
    assert entry.leaf_hash == leaf_hash(entry.line)


def test_only_ledger_errors_escape_registry() -> None:
    """Mangled bodies of key-management entries fail with ledger errors only."""
    mangles: list[dict[str, Any]] = [
        {"roots": "x"},
        {"roots": []},
        {"threshold": 0},
        {"threshold": True},
        {"log_keys": [1]},
        {"formats": {}},
    ]
    for change in mangles:
        body = {**init_body(), **change}
        line = make_entry(ORIGIN, body, [ROOT1, ROOT2, ROOT3])
        with pytest.raises(LedgerError):
            run([line])


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=8)
)
_json = st.recursive(
    _json_leaf,
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.sampled_from(["sigs", "body", "v", "a", "键"]), kids, max_size=3)
    ),
    max_leaves=10,
)


@given(
    extra=st.dictionaries(st.sampled_from(["sigs", "body", "v", "x", "名称"]), _json, max_size=4)
)
@settings(max_examples=200, deadline=None)
def test_body_bytes_slice_equals_canonical_body(extra: dict[str, Any]) -> None:
    """The signed bytes sliced from the line are exactly canonical(body), even with nested "sigs"."""
    body = {"type": "test.statement", "id": "s", "ts": TS, "dept": "a", **extra}
    entry = parse_entry(make_entry(ORIGIN, body, [DEPT_A, DEPT_B]))
    assert entry.body_bytes == canonical.dumps(entry.body)
    assert entry.signing_message(ORIGIN) == signing_message(ORIGIN, entry.body)


@pytest.mark.parametrize("taken", ["dept/a/1", "root/1", "log"])
def test_key_name_already_used_is_rejected(taken: str) -> None:
    """A key name identifies one key: a different key under a used name is refused (#12/14)."""
    impostor = Signer.from_seed(f"test.example/gongkai/{taken}", b"another key".ljust(32, b"\0"))
    with pytest.raises(VerificationError, match=r"密钥名称.*已被另一个密钥使用"):
        run([*base_log(), key_add(impostor, "a", "add-impostor")])


@pytest.mark.parametrize(
    ("holder", "dept"), [("dept/a/1", "b"), ("dept/a/1", "a"), ("root/1", "b")]
)
def test_a_public_key_registered_under_another_name_is_rejected(holder: str, dept: str) -> None:
    """One private key belongs to one department and one role: the same Ed25519 key under a new
    name (another department's, a second key of the same department, or a root's) is refused,
    so one key cannot sign for two departments (#14)."""
    seed = holder.encode().ljust(32, b"\0")[:32]
    assert Signer.from_seed(f"test.example/gongkai/{holder}", seed).verifier() in {
        DEPT_A.verifier(),
        ROOT1.verifier(),
    }
    twin = Signer.from_seed(f"test.example/gongkai/dept/{dept}/9", seed)
    with pytest.raises(VerificationError, match=r"公钥已以另一个名称登记过"):
        run([*base_log(), key_add(twin, dept, "add-twin")])
