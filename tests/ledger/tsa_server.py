"""A real RFC 3161 TSA for tests: ``openssl ts -reply`` behind an HTTP server on 127.0.0.1.

:func:`make_test_ca` makes a fresh CA and a TSA certificate (critical ``id-kp-timeStamping``)
with ``cryptography``; :class:`TsaServer` answers ``POST /tsa`` with
:class:`generator.example.tsa.OpensslAuthority` (real clock, a serial counter). It serves only
the loopback address and stops when the ``with`` block ends.
"""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from generator.example.tsa import OpensslAuthority


@dataclass(frozen=True)
class TsaCa:
    """A test CA (``chain``: its PEM) and a TSA key and certificate signed by it."""

    chain: bytes
    key: Path
    cert: Path


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gongkai tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def make_test_ca(folder: Path, label: str = "test") -> TsaCa:
    """A new CA and TSA certificate in ``folder`` (valid from 2000 to 2099)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    ca_key = rsa.generate_private_key(65537, 2048)
    tsa_key = rsa.generate_private_key(65537, 2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} CA"))
        .issuer_name(_name(f"{label} CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
    )
    cert = builder.sign(ca_key, hashes.SHA256())
    key_path, cert_path = folder / f"{label}-tsa.key", folder / f"{label}-tsa.pem"
    key_path.write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return TsaCa(ca.public_bytes(serialization.Encoding.PEM), key_path, cert_path)


class TsaServer:
    """``with TsaServer(ca) as url:`` an RFC 3161 endpoint at ``http://127.0.0.1:<port>/tsa``."""

    def __init__(self, ca: TsaCa, name: str = "test-tsa") -> None:
        self.ca = ca
        self.name = name
        self.requests = 0
        serials = itertools.count(1000)
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(length)
                owner.requests += 1
                authority = OpensslAuthority(owner.name, ca.key, ca.cert, serial=next(serials))
                reply = authority.respond(query, b"")
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
