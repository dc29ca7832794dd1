"""A local RFC 3161 time-stamping authority: OpenSSL's own ``openssl ts -reply``.

:class:`OpensslAuthority` answers a ``TimeStampReq`` by running ``openssl ts -reply`` with a
given signing key and certificate; tests put it behind a small HTTP server on 127.0.0.1 with a
CA they make. :func:`example_authority` is the example county's authority, **an example and
not a real TSA**: its key is public (``generator/example/tsa/``), it signs at a time the caller
gives (the recorded time of the example year, through ``faketime``), with the checkpoint size as
serial number and RSA PKCS#1 v1.5 (deterministic) signatures, so ``make example`` is
byte-identical run to run (docs/ledger.md §15.6). A real site names a real TSA by URL instead
(``timestamping`` in ``gongkai.yaml``, docs/content.md §1).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ledger.errors import StoreError

__all__ = [
    "EXAMPLE_CHAIN",
    "EXAMPLE_TSA",
    "OpensslAuthority",
    "example_authority",
]

EXAMPLE_TSA: Final = "example-tsa"
"""The example authority's name (``checkpoints/<size>.example-tsa.tsr``)."""
_FILES = Path(__file__).resolve().parent / "tsa"
EXAMPLE_CHAIN: Final = _FILES / "example-ca.pem"
"""The example authority's root certificate, published as ``tsa/example-tsa.pem``."""
EXAMPLE_POLICY: Final = "1.3.6.1.4.1.32473.1.1"
"""A policy OID under the documentation arc (RFC 5612): the example policy."""

_CONFIG = """[ tsa ]
default_tsa = gk
[ gk ]
serial = {serial}
crypto_device = builtin
signer_cert = {cert}
signer_key = {key}
signer_digest = sha256
default_policy = {policy}
digests = sha256
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class OpensslAuthority:
    """``openssl ts -reply`` with ``key``/``cert`` (the cert needs a critical
    ``id-kp-timeStamping`` extended key usage).

    ``at``: sign at this UTC time (through ``faketime``) instead of the clock; ``serial``: the
    token's serial number (None: the checkpoint's size, read from the note's second line).
    """

    name: str
    key: Path
    cert: Path
    at: dt.datetime | None = None
    serial: int | None = None
    nonce: bool = True
    policy: str = EXAMPLE_POLICY

    def respond(self, query: bytes, note: bytes) -> bytes:
        """The DER ``TimeStampResp`` for ``query``.

        Raises:
            StoreError: openssl (or, with ``at``, faketime) is missing or fails.
        """
        serial = self.serial if self.serial is not None else _note_size(note)
        with tempfile.TemporaryDirectory(prefix="gongkai-tsa-") as tmp:
            folder = Path(tmp)
            # openssl increments the serial file before use: write serial − 1.
            text = f"{max(serial - 1, 0):X}"  # an even number of hex digits, as openssl wants
            (folder / "serial").write_text(text.zfill(len(text) + len(text) % 2) + "\n", "ascii")
            (folder / "ts.cnf").write_text(
                _CONFIG.format(
                    serial=folder / "serial", cert=self.cert, key=self.key, policy=self.policy
                ),
                encoding="utf-8",
            )
            (folder / "query.tsq").write_bytes(query)
            command = [
                "openssl", "ts", "-reply", "-config", str(folder / "ts.cnf"),
                "-queryfile", str(folder / "query.tsq"), "-out", str(folder / "reply.tsr"),
            ]  # fmt: skip
            env = dict(os.environ)
            if self.at is not None:
                command = [_faketime(), "-f", _fake_time(self.at), *command]
                env["TZ"] = "UTC"
            try:
                done = subprocess.run(  # noqa: S603  # fixed programs, arguments we build
                    command, capture_output=True, env=env, timeout=60, check=False
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise StoreError(f"无法运行 openssl ts -reply：{exc}") from exc
            reply = folder / "reply.tsr"
            if done.returncode != 0 or not reply.exists():
                message = done.stderr.decode("utf-8", "replace").strip()
                raise StoreError(f"openssl ts -reply 失败（退出码 {done.returncode}）：{message}")
            return reply.read_bytes()


def _note_size(note: bytes) -> int:
    lines = note.split(b"\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise StoreError("检查点文本的第 2 行不是大小")
    return int(lines[1])


def _faketime() -> str:
    found = shutil.which("faketime")
    if found is None:
        raise StoreError(
            "示例时间戳机构须在记录的时间签署，需要 faketime（apt-get install faketime）"
        )
    return found


def _fake_time(at: dt.datetime) -> str:
    """libfaketime's absolute (frozen) time, ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def example_authority(at: dt.datetime) -> OpensslAuthority:
    """The example county's local authority signing at ``at`` (an example, not a real TSA)."""
    return OpensslAuthority(
        EXAMPLE_TSA,
        _FILES / "example-tsa-key.pem",
        _FILES / "example-tsa-cert.pem",
        at=at,
        serial=None,
        nonce=False,
    )
