"""The typed bodies of mobile inspection (docs/mobile.md §3–§4), in the style of ledger.payloads.

``inspector.enrol`` and ``inspector.revoke`` (department statements) and the optional
``inspection`` object of ``result.publish``; :mod:`ledger.payloads` includes them in the entry
types and in ``ResultPublish``. They live apart so that module stays within the project's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ledger.schema import BodyError, Hex, Int, ListOf, Object, OneOf, Text, payload, spec
from ledger.statements import Statement

__all__ = ["Inspection", "InspectorEnrol", "InspectorRevoke", "InspectorSig"]

_ID = Text("non-empty string", nonempty=True)
_HEX64 = Hex(64)
_SIG = Text("base64 of 64 bytes", pattern=r"[A-Za-z0-9+/]{86}==")


@payload
@dataclass(frozen=True)
class InspectorSig:
    """One signature of ``result.publish.inspection.sigs`` by an inspector key (docs/mobile.md §4)."""

    key: str = spec(_ID)
    sig: str = spec(_SIG)


@payload
@dataclass(frozen=True)
class Inspection:
    """``result.publish.inspection``: the result as signed on inspectors' phones (docs/mobile.md §4)."""

    attachments: tuple[str, ...] = spec(ListOf(_HEX64, unique=True))
    sigs: tuple[InspectorSig, ...] = spec(ListOf(Object(InspectorSig), nonempty=True))


@payload
@dataclass(frozen=True)
class InspectorEnrol(Statement):
    """``inspector.enrol``: a phone's key for one inspector of ``dept`` (docs/mobile.md §2)."""

    TYPE: ClassVar[str] = "inspector.enrol"
    inspector: str = spec(_ID)
    vkey: str = spec(_ID)
    scopes: tuple[str, ...] = spec(ListOf(OneOf(("result.publish",)), nonempty=True, unique=True))
    proof: str = spec(_SIG)


@payload
@dataclass(frozen=True)
class InspectorRevoke(Statement):
    """``inspector.revoke``: the department ends one of its inspector keys (docs/mobile.md §3)."""

    TYPE: ClassVar[str] = "inspector.revoke"
    key: str = spec(_ID)
    reason: str = spec(OneOf(("rotated", "compromised", "left")))
    #: With ``reason`` = ``compromised``: the results the key signed at this log index or later
    #: are flagged by every verifier and on the site (docs/mobile.md §3).
    compromised_from_index: int | None = spec(Int(1), optional=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check()  # a writer cannot build what a verifier would refuse

    def check(self) -> None:
        """``compromised_from_index`` only with ``reason`` = ``compromised`` (docs/mobile.md §3).

        Run when the body is built and when it is parsed (written, verified, read).

        Raises:
            BodyError: naming ``compromised_from_index``.
        """
        if self.compromised_from_index is not None and self.reason != "compromised":
            raise BodyError(
                "只能与 reason “compromised”（密钥泄露）一起使用", ["compromised_from_index"]
            )
