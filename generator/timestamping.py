"""Time-stamp every checkpoint the site signs with the TSAs of ``gongkai.yaml`` (docs/ledger.md §15.5).

``timestamping`` in ``content/gongkai.yaml`` maps a TSA name to its URL; the TSA's certificate
chain is installed in ``draws/tsa/<name>.pem`` and pinned in ``draws/trust.txt`` by
``gongkai tsa add`` (:func:`ledger.tsa.add_tsa`). After each append, :func:`stamp_appended`
asks each TSA for a token on the new checkpoint. The URL ``example:`` (example sites only) is
the example county's local authority, which signs at the latest ``ts`` of the appended entries.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.content.model import SiteConfig
from generator.example.tsa import example_authority
from ledger import canonical
from ledger.errors import ExampleKeyError, StoreError
from ledger.registry import TrustAnchor
from ledger.timestamp import Timestamp
from ledger.tsa import Authority, HttpAuthority, stamp_all

__all__ = ["authorities", "latest_ts", "stamp_appended"]


def latest_ts(lines: Sequence[bytes]) -> dt.datetime:
    """The latest ``body.ts`` of the entry ``lines`` (UTC)."""
    times = [canonical.loads(line)["body"]["ts"] for line in lines]
    return dt.datetime.strptime(max(times), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def authorities(site: SiteConfig, trust: TrustAnchor, lines: Sequence[bytes]) -> list[Authority]:
    """The configured TSAs, in the order of ``gongkai.yaml``.

    Raises:
        StoreError: a configured TSA is not installed in ``draws/trust.txt``.
        ExampleKeyError: the example authority (``example:``) on a site that is not an example.
    """
    installed = {name for name, _ in trust.tsas}
    out: list[Authority] = []
    for name, url in site.timestamping:
        if name not in installed:
            raise StoreError(
                f"gongkai.yaml 配置了时间戳机构 {name}，但 draws/trust.txt 中没有登记它："
                f"请先运行 gongkai tsa add {name} --chain 证书链.pem"
            )
        if url == "example:":
            if not site.example:
                raise ExampleKeyError(
                    f"gongkai.yaml 的时间戳机构 {name} 是示例机构（example:），其密钥公开，"
                    "不能用于真实站点：请改为真实时间戳服务的网址"
                )
            out.append(example_authority(latest_ts(lines)))
        else:
            out.append(HttpAuthority(name, url))
    return out


def stamp_appended(
    draws: Path, size: int, site: SiteConfig, trust: TrustAnchor, lines: Sequence[bytes]
) -> list[Timestamp]:
    """Stamp ``checkpoints/<size>`` (just written for ``lines``) with every configured TSA.

    An unreachable TSA is reported on stderr, in Chinese, and skipped (§15.5).

    Raises:
        StoreError: a configured TSA is not installed, or the token cannot be stored.
        VerificationError / MalformedError: a TSA's reply does not verify.
    """
    found = authorities(site, trust, lines)
    if not found:
        return []
    stamps, warnings = stamp_all(draws, size, found)
    for warning in warnings:
        print(f"警告：{warning}", file=sys.stderr)
    return stamps
