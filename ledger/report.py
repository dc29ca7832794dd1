"""The auditor's report: what a successful audit established (docs/ledger.md §13.9).

:class:`VerifyReport` is returned by :func:`ledger.verify.verify_directory` and printed by
``python -m ledger verify`` as Chinese text or as JSON (schema ``gongkai-verify-report/v1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.timerules import BACKWARD_TOLERANCE, FUTURE_TOLERANCE

__all__ = ["REPORT_SCHEMA", "VerifyReport"]

REPORT_SCHEMA: Final = "gongkai-verify-report/v1"
"""Value of the ``schema`` key of :meth:`VerifyReport.to_json`."""


@dataclass
class VerifyReport:
    """What a successful audit established (see :meth:`to_json` for the stable schema).

    Attributes:
        origin: The log origin (from the trust anchor, equal to the checkpoint's).
        size: The size of the verified checkpoint.
        root: The checkpoint's root, lowercase hex.
        entries_verified: Entries checked (canonical, registry replay, signatures, tree).
        unverified_tail: Lines after the checkpoint size (not covered by any signature).
        signatures_checked: Ed25519 entry signatures verified.
        threshold: The root-key threshold after replay.
        root_keys: The root authority vkeys after replay.
        log_keys: The log (checkpoint) vkeys valid at ``size``.
        log_keys_ever: Every log vkey valid at some index (old keys of a rotation included).
        keys: Every department key the log registered, with its validity window.
        flagged: Entries signed by a key later revoked as compromised: ``{index: key}``.
        inspector_keys: Every inspector key the log enrolled (docs/mobile.md §3), with its
            validity window and declared compromise.
        inspections: Results carrying inspector signatures and those signatures:
            ``{"results": n, "signatures": m}``.
        flagged_inspections: Results whose inspector signature was made with a key at or after
            its declared compromise: ``{index: (key, …)}`` (docs/mobile.md §3).
        warnings: Human-readable warnings (Chinese).
        trust_source: ``"given"`` or ``"directory"`` (``trust.txt`` next to the data).
        checkpoints_checked: Archived checkpoints verified (signature and root).
        tiles_checked: Hash tiles read and checked.
        bundles_checked: Entry bundles compared with the lines.
        receipts_checked: ``proofs/*.tlog-proof`` receipts verified.
        blobs_checked: Distinct blobs checked (hash and size).
        pin_previous_size: The pinned size before this run (None without a pin).
        pin_updated: Whether the pin file was (re)written.
        workers: Processes used for signature verification.
    """

    origin: str
    size: int
    root: str
    entries_verified: int
    unverified_tail: int
    signatures_checked: int
    threshold: int
    root_keys: list[str]
    log_keys: list[str]
    log_keys_ever: list[str]
    keys: list[dict[str, Any]]
    flagged: dict[int, str]
    warnings: list[str] = field(default_factory=list)
    trust_source: str = "given"
    checkpoints_checked: int = 0
    tiles_checked: int = 0
    bundles_checked: int = 0
    receipts_checked: int = 0
    blobs_checked: int = 0
    pin_previous_size: int | None = None
    pin_updated: bool = False
    workers: int = 1
    draws_checked: int = 0
    beacons_checked: int = 0
    replacements_checked: int = 0
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    time_bounded: int = 0
    #: draw announcements whose entity snapshot was checked against the pool rules
    #: (docs/workflow.md §6.1).
    pools_checked: int = 0
    #: draw announcements whose entity snapshot was re-derived from the 检查对象名录库 version in
    #: force (docs/workflow.md §9.2).
    libraries_checked: int = 0
    #: draw announcements whose inspector snapshot was re-derived from the 执法检查人员名录库
    #: version in force (docs/workflow.md §9.2).
    inspector_libraries_checked: int = 0
    inspector_keys: list[dict[str, Any]] = field(default_factory=list)
    inspections: dict[str, int] = field(default_factory=lambda: {"results": 0, "signatures": 0})
    flagged_inspections: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (the schema documented in :meth:`to_json`)."""
        return {
            "schema": REPORT_SCHEMA,
            "ok": True,
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "entries_verified": self.entries_verified,
            "unverified_tail": self.unverified_tail,
            "signatures_checked": self.signatures_checked,
            "threshold": self.threshold,
            "root_keys": list(self.root_keys),
            "log_keys": list(self.log_keys),
            "log_keys_ever": list(self.log_keys_ever),
            "keys": [dict(k) for k in self.keys],
            "flagged": [{"index": i, "key": k} for i, k in sorted(self.flagged.items())],
            "inspector_keys": [dict(k) for k in self.inspector_keys],
            "inspections": dict(self.inspections),
            "flagged_inspections": [
                {"index": i, "key": k}
                for i, keys in sorted(self.flagged_inspections.items())
                for k in sorted(keys)
            ],
            "warnings": list(self.warnings),
            "trust_source": self.trust_source,
            "checked": {
                "checkpoints": self.checkpoints_checked,
                "tiles": self.tiles_checked,
                "bundles": self.bundles_checked,
                "receipts": self.receipts_checked,
                "blobs": self.blobs_checked,
                "draws": self.draws_checked,
                "beacons": self.beacons_checked,
                "replacements": self.replacements_checked,
                "pools": self.pools_checked,
                "libraries": self.libraries_checked,
                "inspector_libraries": self.inspector_libraries_checked,
                "timestamps": len(self.timestamps),
            },
            "timestamps": [dict(t) for t in self.timestamps],
            "time_bounds": {
                "bounded_entries": self.time_bounded,
                "unbounded_entries": self.size - self.time_bounded,
                "future_tolerance_seconds": int(FUTURE_TOLERANCE.total_seconds()),
                "backward_tolerance_seconds": int(BACKWARD_TOLERANCE.total_seconds()),
            },
            "pin": {"previous_size": self.pin_previous_size, "updated": self.pin_updated},
        }

    def to_json(self) -> str:
        """Serialize the report as JSON (sorted keys, two-space indent, final newline).

        Schema ``gongkai-verify-report/v1`` (keys are stable; new keys may be added)::

            schema              "gongkai-verify-report/v1"
            ok                  true (failures are not reports: the CLI prints an error object)
            origin              log origin
            size                verified checkpoint size
            root                checkpoint root, lowercase hex
            entries_verified    entries checked (= size)
            unverified_tail     lines after the checkpoint (not yet signed)
            signatures_checked  Ed25519 entry signatures verified
            threshold           root threshold after replay
            root_keys           [vkey]        root authority keys after replay
            log_keys            [vkey]        log keys valid at `size`
            log_keys_ever       [vkey]        every log key valid at some index
            keys                [{key, vkey, dept, scopes, added_at, revoked_at,
                                  compromised_from}]   department keys (null = not set)
            flagged             [{index, key}] entries signed after a key's compromise
            inspector_keys      [{key, vkey, dept, inspector, scopes, added_at, revoked_at,
                                  reason, compromised_from}]   inspector (phone) keys
            inspections         {results, signatures}: results carrying inspector signatures
            flagged_inspections [{index, key}] results an inspector key signed at or after its
                                declared compromise (docs/mobile.md §3)
            warnings            [string]      Chinese warnings
            trust_source        "given" | "directory"
            checked             {checkpoints, tiles, bundles, receipts, blobs, draws,
                                 beacons, replacements, pools, libraries,
                                 inspector_libraries}: counts (draws re-run byte for byte;
                                 pools: announcements whose snapshot was checked against
                                 docs/workflow.md §6; libraries / inspector_libraries: those
                                 whose entity / inspector snapshot was re-derived from the
                                 library version in force, §9.2)
            pin                 {previous_size: int|null, updated: bool}
            timestamps          [{size, tsa, time, latest, serial}]: verified RFC 3161 tokens
                                (docs/ledger.md §15.3); `latest` = genTime + accuracy
            time_bounds         {bounded_entries, unbounded_entries, future_tolerance_seconds,
                                 backward_tolerance_seconds}: entries with a proven upper bound
                                 on their publication time and the tolerances of §15.8
        """
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, indent=2) + "\n"

    def to_text(self) -> str:
        """A short human-readable summary in Chinese, starting with ``验证通过：``."""
        revoked = sum(1 for k in self.keys if k["revoked_at"] is not None)
        lines = [
            f"验证通过：日志 {self.origin}",
            f"  检查点大小 {self.size}，根哈希 {self.root}",
            f"  已验证条目 {self.entries_verified} 条，条目签名 {self.signatures_checked} 个；"
            f"检查点之后未验证的行 {self.unverified_tail} 行",
            f"  存档检查点 {self.checkpoints_checked} 个，瓦片 {self.tiles_checked} 个，"
            f"条目包 {self.bundles_checked} 个，回执 {self.receipts_checked} 个，"
            f"blob {self.blobs_checked} 个",
            f"  重新运行抽取 {self.draws_checked} 次（逐字节一致），drand 随机数签名 "
            f"{self.beacons_checked} 个，替补 {self.replacements_checked} 次，"
            f"按抽查规则核对检查对象快照 {self.pools_checked} 个，"
            f"按账本记录的名录库重算检查对象快照 {self.libraries_checked} 个、执法检查人员快照 "
            f"{self.inspector_libraries_checked} 个",
            f"  根密钥 {len(self.root_keys)} 个（门限 {self.threshold}），"
            f"日志密钥 {len(self.log_keys)} 个，部门密钥 {len(self.keys)} 个（已撤销 {revoked} 个）",
        ]
        lines.append(self._inspector_line())
        if self.timestamps:
            tsas = sorted({t["tsa"] for t in self.timestamps})
            lines.append(
                f"  RFC 3161 时间戳令牌 {len(self.timestamps)} 个（机构：{'、'.join(tsas)}），"
                f"最早 {self.timestamps[0]['time']}，最晚 {max(t['time'] for t in self.timestamps)}"
            )
        if self.flagged:
            shown = "、".join(f"第 {i} 条（{k}）" for i, k in sorted(self.flagged.items())[:20])
            more = "等" if len(self.flagged) > 20 else ""
            lines.append(
                f"  注意：{len(self.flagged)} 条条目由事后声明泄露的密钥签署：{shown}{more}"
            )
        if self.flagged_inspections:
            shown = "、".join(f"第 {i} 条" for i in sorted(self.flagged_inspections)[:20])
            more = "等" if len(self.flagged_inspections) > 20 else ""
            lines.append(
                f"  注意：{len(self.flagged_inspections)} 条检查结果的检查人员签名由事后声明泄露的"
                f"检查人员密钥所作：{shown}{more}"
            )
        if self.pin_previous_size is not None:
            lines.append(
                f"  与固定的检查点（大小 {self.pin_previous_size}）一致"
                + ("，已更新固定文件" if self.pin_updated else "")
            )
        elif self.pin_updated:
            lines.append("  首次固定检查点（信任首次使用），已写入固定文件")
        for warning in self.warnings:
            lines.append(f"警告：{warning}")
        return "\n".join(lines) + "\n"

    def _inspector_line(self) -> str:
        """The summary line of inspector keys and phone-signed results (docs/mobile.md §3–§4)."""
        keys = self.inspector_keys
        revoked = sum(1 for k in keys if k["revoked_at"] is not None)
        compromised = sum(1 for k in keys if k["reason"] == "compromised")
        return (
            f"  检查人员手机密钥登记 {len(keys)} 个（已撤销 {revoked} 个，其中因手机丢失或密钥泄露"
            f"撤销 {compromised} 个），带检查人员签名的检查结果 {self.inspections['results']} 条"
            f"（检查人员签名 {self.inspections['signatures']} 个）"
        )
