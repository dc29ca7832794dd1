"""``gongkai serve``: preview a built site on this machine.

A preview only (the standard library's HTTP server, one thread per request): the public site is
served by a real web server (docs/deploy.md). What the preview does like that configuration: the
site's ``404.html`` with status 404 for a missing path; ``checkpoint``, archived checkpoints,
receipts, ``trust.txt`` and ``entries.jsonl`` as ``text/plain; charset=utf-8`` (C2SP
tlog-checkpoint); CSV as ``text/csv; charset=utf-8``; no file or directory whose name starts
with ``.`` (the build manifest) is served.
"""

from __future__ import annotations

import errno
import http.server
import ipaddress
import re
import socket
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

__all__ = ["LOOPBACK", "PreviewHandler", "PreviewServer", "ServeError", "open_server", "url_for"]

LOOPBACK: Final = "127.0.0.1"

_TEXT: Final = "text/plain; charset=utf-8"
#: Paths served as UTF-8 text whatever their extension (the ledger's text files).
_TEXT_PATH: Final = re.compile(
    r"(^|/)ledger/(checkpoint|checkpoints/[0-9]+|trust\.txt|entries\.jsonl|SHA256SUMS"
    r"|proofs/[0-9]+\.tlog-proof|tsa/[a-z0-9-]+\.pem)$"
)
_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".xml": "text/xml; charset=utf-8",
    ".txt": _TEXT,
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".tsr": "application/timestamp-reply",  # RFC 3161 tokens (docs/ledger.md §15.1)
}


class ServeError(Exception):
    """The preview server cannot listen (the message says why, in Chinese)."""


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one directory; ``404.html`` for what is missing; no dot files.

    Construct with ``functools.partial(PreviewHandler, directory=…)``, as the standard handler.
    """

    def guess_type(self, path: str | Any) -> str:
        """The content type of ``path`` (the ledger's text files by name, others by extension)."""
        text = str(path).replace("\\", "/")
        if _TEXT_PATH.search(text):
            return _TEXT
        suffix = Path(text).suffix.lower()
        return _TYPES.get(suffix) or super().guess_type(path)

    def send_head(self) -> Any:
        """As the standard handler, but a path with a part starting with ``.`` is missing."""
        parts = self.path.split("?", 1)[0].split("#", 1)[0].split("/")
        if any(part.startswith(".") and part not in (".", "..") for part in parts):
            self.send_error(http.HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def list_directory(self, path: str | Any) -> None:
        """No directory listings (as the nginx configuration): a directory without
        ``index.html`` is missing."""
        self.send_error(http.HTTPStatus.NOT_FOUND)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """For 404, the site's own ``404.html`` (when it exists) with status 404."""
        page = Path(self.directory) / "404.html"
        if code != http.HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code, message)
        self.send_header("Content-Type", _TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class PreviewServer(http.server.ThreadingHTTPServer):
    """The standard threading HTTP server over IPv4."""

    daemon_threads = True


class _PreviewServer6(PreviewServer):
    address_family = socket.AF_INET6


@dataclass(frozen=True)
class _Address:
    host: str
    family: socket.AddressFamily


def _address(bind: str) -> _Address:
    try:
        ip = ipaddress.ip_address(bind.strip("[]"))
    except ValueError:
        return _Address(bind, socket.AF_INET)  # a host name: resolved by bind()
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return _Address(str(ip), family)


def url_for(bind: str, port: int) -> str:
    """The address to open in a browser: loopback for an “every interface” bind."""
    host = _address(bind).host
    if host in ("0.0.0.0", "::"):  # noqa: S104 - the text of the address, not a bind
        host = LOOPBACK
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def open_server(directory: Path, bind: str, port: int) -> PreviewServer:
    """A server for ``directory`` listening on ``bind``:``port`` (not yet serving).

    Raises:
        ServeError: the port is in use, needs privileges, or the address is not this machine's
            or cannot be resolved.
    """
    address = _address(bind)
    server_class = _PreviewServer6 if address.family == socket.AF_INET6 else PreviewServer
    handler = partial(PreviewHandler, directory=str(directory))
    try:
        return server_class((address.host, port), handler)
    except socket.gaierror as exc:
        raise ServeError(f"无法解析监听地址“{bind}”：请用 IP 地址，如 --bind 127.0.0.1") from exc
    except OSError as exc:
        raise ServeError(_listen_failure(exc, bind, port)) from exc


def _listen_failure(exc: OSError, bind: str, port: int) -> str:
    where = f"{bind} 的端口 {port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where}已被占用（可能已有一个 gongkai serve 或其他网站服务在运行）：请停止它，"
            f"或用 --port 指定其他端口，如 --port {port + 1 if port < 65535 else 8000}"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限监听{where}（1024 以下的端口需要管理员权限）：请用 --port 8000 等端口"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"本机没有地址 {bind}：请用 --bind 127.0.0.1（只允许本机访问）或本机的网卡地址"
    return f"无法监听{where}：{exc.strerror or exc}"
