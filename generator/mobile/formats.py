"""The two files an inspector's phone exports: the enrolment file and the signed result bundle.

docs/mobile.md §2.3 (``gongkai-inspector-enrolment/v1``) and §5 (``gongkai-result-bundle/v1``).
Both are one line of canonical JSON (docs/ledger.md §10.1) and one ``\\n``; a reader accepts only
that exact spelling, with exactly the documented keys, so a file has one byte form and the
bytes a phone signed are the bytes the department reads. The phone app (``app.js``) writes them;
the functions here read them and, for tests and the example year, write them from a Python key
(:func:`enrolment_from_signer`, :func:`sign_bundle`) byte-identically.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from generator.errors import BundleError
from generator.jsonline import read_object_line
from ledger import canonical
from ledger.errors import MalformedError
from ledger.inspector_payloads import InspectorSig
from ledger.inspectors import (
    enrol_message,
    inspection_message,
    inspection_statement,
    verifier_for,
)
from ledger.note import Signer, b64decode_canonical
from ledger.payloads import Result
from ledger.schema import BodyError, encode, parse

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_V2",
    "ENROLMENT_FORMAT",
    "Bundle",
    "BundleResult",
    "Enrolment",
    "Source",
    "cosign_bundle",
    "enrolment_from_signer",
    "inspector_signer",
    "sign_bundle",
]

ENROLMENT_FORMAT: Final = "gongkai-inspector-enrolment/v1"
BUNDLE_FORMAT: Final = "gongkai-result-bundle/v1"
_ENROLMENT_KEYS: Final = frozenset({"dept", "format", "inspector", "origin", "proof", "vkey"})
BUNDLE_FORMAT_V2: Final = "gongkai-result-bundle/v2"
_BUNDLE_KEYS: Final = {
    BUNDLE_FORMAT: frozenset({"dept", "format", "key", "origin", "results", "task_id"}),
    BUNDLE_FORMAT_V2: frozenset({"dept", "format", "origin", "results", "task_id"}),
}
_RESULT_KEYS: Final = frozenset({"attachments", "result", "sig"})
_RESULT_V2_KEYS: Final = frozenset({"attachments", "result", "sigs"})
#: A bundle is read whole; a phone's day of results is far below this.
MAX_BUNDLE_BYTES: Final = 8 * 1024 * 1024


def _line(
    data: bytes, where: str, what: str, keys: frozenset[str] | Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    """The object of a one-line canonical JSON file with exactly ``keys`` (by ``format``: see
    :func:`~generator.jsonline.read_object_line`).

    Raises:
        BundleError: naming ``where`` when the bytes are not that.
    """
    return read_object_line(data, where, what, keys, BundleError, hint="（文件可能被改动或截断）")


def _text(value: dict[str, Any], key: str, where: str) -> str:
    got = value.get(key)
    if type(got) is not str or not got:
        raise BundleError(f"{where}：字段 {key} 应为非空字符串")
    return got


def _sig(text: str, where: str, field: str) -> bytes:
    try:
        raw = b64decode_canonical(text)
    except MalformedError:
        raw = b""
    if len(raw) != 64:
        raise BundleError(f"{where}：字段 {field} 应为 64 字节签名的标准 base64")
    return raw


def read_file(path: Path, what: str) -> bytes:
    """The bytes of ``path`` (at most :data:`MAX_BUNDLE_BYTES`).

    Raises:
        BundleError: the file cannot be read or is too large.
    """
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"{path}：无法读取{what}（{exc.strerror}）") from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path}：{what}超过 {MAX_BUNDLE_BYTES} 字节")
    return data


@dataclass(frozen=True)
class Source:
    """A file's bytes and the name messages give it: its path, or the scanned texts of the QR
    codes that carried it (:func:`generator.mobile.qrparts.decode`)."""

    where: str
    data: bytes

    @classmethod
    def read(cls, path: Path, what: str) -> Source:
        """The file ``path`` (:func:`read_file`).

        Raises:
            BundleError: the file cannot be read or is too large.
        """
        return cls(str(path), read_file(path, what))


@dataclass(frozen=True)
class Enrolment:
    """An inspector key enrolment file (docs/mobile.md §2.3)."""

    origin: str
    dept: str
    inspector: str
    vkey: str
    proof: str

    def dumps(self) -> bytes:
        """The file's bytes: canonical JSON and one ``\\n``."""
        value = {
            "dept": self.dept,
            "format": ENROLMENT_FORMAT,
            "inspector": self.inspector,
            "origin": self.origin,
            "proof": self.proof,
            "vkey": self.vkey,
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> Enrolment:
        """Parse an enrolment file (shape only; the proof is checked by the registry).

        Raises:
            BundleError: the bytes are not exactly an enrolment file.
        """
        v = _line(data, where, "检查人员密钥登记文件", _ENROLMENT_KEYS)
        if v["format"] != ENROLMENT_FORMAT:
            raise BundleError(f"{where}：format 应为 {ENROLMENT_FORMAT}")
        fields = {k: _text(v, k, where) for k in ("origin", "dept", "inspector", "vkey", "proof")}
        _sig(fields["proof"], where, "proof")
        return cls(**fields)

    def message(self) -> bytes:
        """The statement the proof signs (docs/mobile.md §2.2)."""
        return enrol_message(self.origin, self.dept, self.inspector, self.vkey)


@dataclass(frozen=True)
class BundleResult:
    """One signed result of a bundle: the result, the attachments' SHA-256 and the inspectors'
    signatures over it (sorted by key, distinct; one in a v1 bundle)."""

    result: Result
    attachments: tuple[str, ...]
    sigs: tuple[InspectorSig, ...]

    def same_statement(self, other: BundleResult) -> bool:
        """Whether ``other`` is the same result with the same attachments (what is signed)."""
        return self.result == other.result and self.attachments == other.attachments


@dataclass(frozen=True)
class Bundle:
    """A signed result bundle (docs/mobile.md §5): ``gongkai-result-bundle/v1`` (one phone's key
    for every result) or ``/v2`` (several inspectors' signatures per result, §5.1)."""

    origin: str
    task_id: str
    dept: str
    results: tuple[BundleResult, ...]
    format: str = BUNDLE_FORMAT

    def statement(self, item: BundleResult) -> dict[str, Any]:
        """The inspection statement ``item`` signs (docs/mobile.md §4.1)."""
        return inspection_statement(self.task_id, self.dept, encode(item.result), item.attachments)

    def message(self, item: BundleResult) -> bytes:
        """The exact bytes each signature of ``item`` signs."""
        return inspection_message(self.origin, self.statement(item))

    @property
    def keys(self) -> tuple[str, ...]:
        """The key references of every signature, sorted, distinct."""
        return tuple(sorted({s.key for r in self.results for s in r.sigs}))

    def dumps(self) -> bytes:
        """The file's bytes: canonical JSON and one ``\\n``.

        Raises:
            ValueError: a v1 bundle whose results are not each signed once by one key.
        """
        value: dict[str, Any] = {
            "dept": self.dept, "format": self.format, "origin": self.origin,
            "task_id": self.task_id,
        }  # fmt: skip
        results: list[dict[str, Any]] = [
            {"attachments": list(r.attachments), "result": encode(r.result)} for r in self.results
        ]
        if self.format == BUNDLE_FORMAT:
            if len(self.keys) != 1 or any(len(r.sigs) != 1 for r in self.results):
                raise ValueError("v1 结果包只能有一个签名密钥，每条结果一个签名")
            value["key"] = self.keys[0]
            for out, r in zip(results, self.results, strict=True):
                out["sig"] = r.sigs[0].sig
        else:
            for out, r in zip(results, self.results, strict=True):
                out["sigs"] = [{"key": s.key, "sig": s.sig} for s in r.sigs]
        value["results"] = results
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> Bundle:
        """Parse a bundle (v1 or v2): exact shape, results sorted by entity and unique, every
        result matching the ``result`` schema, its signatures sorted by key and distinct
        (signatures are checked by the importer).

        Raises:
            BundleError: naming ``where`` and the field.
        """
        v = _line(data, where, "检查结果包", _BUNDLE_KEYS)
        head = {k: _text(v, k, where) for k in ("origin", "task_id", "dept")}
        v1_key = _text(v, "key", where) if v["format"] == BUNDLE_FORMAT else None
        raw = v["results"]
        if not isinstance(raw, list) or not raw:
            raise BundleError(f"{where}：results 应为非空数组")
        items = tuple(
            _bundle_result(r, f"{where}：results[{i}]", v1_key) for i, r in enumerate(raw)
        )
        entities = [r.result.entity for r in items]
        if entities != sorted(set(entities), key=lambda e: e.encode("utf-8")):
            raise BundleError(f"{where}：results 应按主体代码排序，每个主体只有一条")
        return cls(results=items, format=v["format"], **head)


def _bundle_result(raw: Any, where: str, v1_key: str | None) -> BundleResult:
    keys = _RESULT_KEYS if v1_key is not None else _RESULT_V2_KEYS
    if not isinstance(raw, dict) or set(raw) != keys:
        raise BundleError(f"{where}：应恰好包含字段 {'、'.join(sorted(keys))}")
    try:
        result = parse(Result, raw["result"])
    except BodyError as exc:
        raise BundleError(f"{where}.result：字段 {exc.where} {exc.reason}") from None
    attachments = raw["attachments"]
    if (
        not isinstance(attachments, list)
        or len(set(attachments)) != len(attachments)
        or not all(type(a) is str and _is_hex64(a) for a in attachments)
    ):
        raise BundleError(f"{where}：attachments 应为不重复的 SHA-256（64 位小写十六进制）数组")
    if v1_key is not None:
        sig = _text(raw, "sig", where)
        _sig(sig, where, "sig")
        return BundleResult(result, tuple(attachments), (InspectorSig(key=v1_key, sig=sig),))
    return BundleResult(result, tuple(attachments), _sigs(raw["sigs"], f"{where}.sigs"))


def _sigs(raw: Any, where: str) -> tuple[InspectorSig, ...]:
    """The ``sigs`` of a v2 result: non-empty, each exactly ``{key, sig}``, sorted by key."""
    if not isinstance(raw, list) or not raw:
        raise BundleError(f"{where}：应为非空数组")
    out = []
    for i, s in enumerate(raw):
        if not isinstance(s, dict) or set(s) != {"key", "sig"}:
            raise BundleError(f"{where}[{i}]：应恰好包含字段 key、sig")
        key, sig = _text(s, "key", f"{where}[{i}]"), _text(s, "sig", f"{where}[{i}]")
        _sig(sig, f"{where}[{i}]", "sig")
        out.append(InspectorSig(key=key, sig=sig))
    refs = [s.key for s in out]
    if refs != sorted(set(refs)):
        raise BundleError(f"{where}：应按 key 排序，同一密钥只能签名一次")
    return tuple(out)


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


# --------------------------------------------------------------------------- writing from Python


def inspector_signer(origin: str, dept: str, inspector: str, seed: bytes) -> Signer:
    """The inspector key of ``seed`` under its docs/mobile.md §2.1 name (tests, the example).

    Raises:
        MalformedError: the seed is not 32 bytes or the name is invalid.
    """
    public = Signer.from_seed("x", seed).public_key
    return Signer.from_seed(verifier_for(origin, dept, inspector, public).name, seed)


def enrolment_from_signer(origin: str, dept: str, inspector: str, signer: Signer) -> Enrolment:
    """The enrolment file a phone holding ``signer`` would export."""
    vkey = signer.verifier().vkey
    proof = signer.sign(enrol_message(origin, dept, inspector, vkey))
    return Enrolment(origin, dept, inspector, vkey, base64.b64encode(proof).decode("ascii"))


def sign_bundle(
    origin: str,
    task_id: str,
    dept: str,
    signer: Signer,
    results: Sequence[tuple[Result, tuple[str, ...]]],
) -> Bundle:
    """The v1 bundle a phone holding ``signer`` exports for ``results`` (sorted by entity)."""
    ordered = sorted(results, key=lambda r: r[0].entity.encode("utf-8"))
    unsigned = Bundle(origin, task_id, dept, ())
    items = [BundleResult(result, attachments, ()) for result, attachments in ordered]
    return Bundle(origin, task_id, dept, tuple(_add_sig(unsigned, i, signer) for i in items))


def cosign_bundle(bundle: Bundle, signer: Signer) -> Bundle:
    """The v2 bundle a second phone holding ``signer`` exports after co-signing every result of
    a colleague's ``bundle`` (docs/mobile.md §5.1): each result keeps its signatures and gains
    ``signer``'s over the same statement."""
    items = tuple(_add_sig(bundle, item, signer) for item in bundle.results)
    return Bundle(bundle.origin, bundle.task_id, bundle.dept, items, BUNDLE_FORMAT_V2)


def _add_sig(bundle: Bundle, item: BundleResult, signer: Signer) -> BundleResult:
    ref = signer.verifier().key_ref
    sig = base64.b64encode(signer.sign(bundle.message(item))).decode("ascii")
    others = [s for s in item.sigs if s.key != ref]
    sigs = tuple(sorted([*others, InspectorSig(key=ref, sig=sig)], key=lambda s: s.key))
    return BundleResult(item.result, item.attachments, sigs)
