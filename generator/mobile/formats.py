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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from generator.errors import BundleError
from generator.jsonline import read_object_line
from ledger import canonical
from ledger.errors import MalformedError
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
    "ENROLMENT_FORMAT",
    "Bundle",
    "BundleResult",
    "Enrolment",
    "enrolment_from_signer",
    "inspector_signer",
    "sign_bundle",
]

ENROLMENT_FORMAT: Final = "gongkai-inspector-enrolment/v1"
BUNDLE_FORMAT: Final = "gongkai-result-bundle/v1"
_ENROLMENT_KEYS: Final = frozenset({"dept", "format", "inspector", "origin", "proof", "vkey"})
_BUNDLE_KEYS: Final = frozenset({"dept", "format", "key", "origin", "results", "task_id"})
_RESULT_KEYS: Final = frozenset({"attachments", "result", "sig"})
#: A bundle is read whole; a phone's day of results is far below this.
MAX_BUNDLE_BYTES: Final = 8 * 1024 * 1024


def _line(data: bytes, where: str, what: str, keys: frozenset[str]) -> dict[str, Any]:
    """The object of a one-line canonical JSON file with exactly ``keys``.

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
    """One signed result of a bundle: the result, the attachments' SHA-256 and the signature."""

    result: Result
    attachments: tuple[str, ...]
    sig: str


@dataclass(frozen=True)
class Bundle:
    """A signed result bundle (docs/mobile.md §5)."""

    origin: str
    task_id: str
    dept: str
    key: str
    results: tuple[BundleResult, ...]

    def statement(self, item: BundleResult) -> dict[str, Any]:
        """The inspection statement ``item`` signs (docs/mobile.md §4.1)."""
        return inspection_statement(self.task_id, self.dept, encode(item.result), item.attachments)

    def message(self, item: BundleResult) -> bytes:
        """The exact bytes ``item.sig`` signs."""
        return inspection_message(self.origin, self.statement(item))

    def dumps(self) -> bytes:
        """The file's bytes: canonical JSON and one ``\\n``."""
        value = {
            "dept": self.dept,
            "format": BUNDLE_FORMAT,
            "key": self.key,
            "origin": self.origin,
            "results": [
                {"attachments": list(r.attachments), "result": encode(r.result), "sig": r.sig}
                for r in self.results
            ],
            "task_id": self.task_id,
        }
        return canonical.dumps(value) + b"\n"

    @classmethod
    def loads(cls, data: bytes, where: str) -> Bundle:
        """Parse a bundle: exact shape, results sorted by entity and unique, every result
        matching the ``result`` schema (signatures are checked by the importer).

        Raises:
            BundleError: naming ``where`` and the field.
        """
        v = _line(data, where, "检查结果包", _BUNDLE_KEYS)
        if v["format"] != BUNDLE_FORMAT:
            raise BundleError(f"{where}：format 应为 {BUNDLE_FORMAT}")
        head = {k: _text(v, k, where) for k in ("origin", "task_id", "dept", "key")}
        raw = v["results"]
        if not isinstance(raw, list) or not raw:
            raise BundleError(f"{where}：results 应为非空数组")
        items = tuple(_bundle_result(r, f"{where}：results[{i}]") for i, r in enumerate(raw))
        entities = [r.result.entity for r in items]
        if entities != sorted(set(entities), key=lambda e: e.encode("utf-8")):
            raise BundleError(f"{where}：results 应按主体代码排序，每个主体只有一条")
        return cls(results=items, **head)


def _bundle_result(raw: Any, where: str) -> BundleResult:
    if not isinstance(raw, dict) or set(raw) != _RESULT_KEYS:
        raise BundleError(f"{where}：应恰好包含字段 {'、'.join(sorted(_RESULT_KEYS))}")
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
    sig = _text(raw, "sig", where)
    _sig(sig, where, "sig")
    return BundleResult(result, tuple(attachments), sig)


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
    """The bundle a phone holding ``signer`` exports for ``results`` (sorted by entity)."""
    key = signer.verifier().key_ref
    ordered = sorted(results, key=lambda r: r[0].entity.encode("utf-8"))
    unsigned = Bundle(origin, task_id, dept, key, ())
    items = []
    for result, attachments in ordered:
        item = BundleResult(result, attachments, "")
        sig = signer.sign(unsigned.message(item))
        items.append(BundleResult(result, attachments, base64.b64encode(sig).decode("ascii")))
    return Bundle(origin, task_id, dept, key, tuple(items))
