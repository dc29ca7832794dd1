"""``gongkai serve``: the site's 404 page, ledger text types, no dot files, ``--bind``, and a
Chinese message with exit code 13 (README) when it cannot listen."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.serve import ServeError, open_server, url_for

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND_PAGE = "<!doctype html><title>页面不存在</title><h1>页面不存在</h1>\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    out = tmp_path / "_site"
    for rel, text in {
        "index.html": "<!doctype html><title>首页</title>",
        "404.html": NOT_FOUND_PAGE,
        "ledger/checkpoint": "example.org/log\n3\nAAAA\n\n— sig\n",
        "ledger/checkpoints/3": "example.org/log\n3\nAAAA\n\n— sig\n",
        "ledger/proofs/0.tlog-proof": "c2sp.org/tlog-proof@v1\n",
        "ledger/tile/0/000.p/3": "\x00\x01",
        "data/entities.csv": "\ufeff代码,名称\n",
        "results/index.html": "<!doctype html><title>结果</title>",
        ".gongkai-manifest.json": "{}",
        "ledger/.tmp.checkpoint.1.abc": "x",
    }.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    server = open_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _get(host: str, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/no/such/page/", "/missing.html", "/ledger/tile/"])
def test_missing_path_is_the_site_404_page(served: str, path: str) -> None:
    status, ctype, body = _get(served, path)
    assert status == 404
    assert ctype == "text/html; charset=utf-8"
    assert body.decode("utf-8") == NOT_FOUND_PAGE


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/ledger/checkpoint", "text/plain; charset=utf-8"),
        ("/ledger/checkpoints/3", "text/plain; charset=utf-8"),
        ("/ledger/proofs/0.tlog-proof", "text/plain; charset=utf-8"),
        ("/ledger/tile/0/000.p/3", "application/octet-stream"),
        ("/data/entities.csv", "text/csv; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/results/", "text/html; charset=utf-8"),
    ],
)
def test_content_types(served: str, site: Path, path: str, ctype: str) -> None:
    status, got, body = _get(served, path)
    assert (status, got) == (200, ctype)
    local = site / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
    assert body == local.read_bytes()


@pytest.mark.parametrize("path", ["/.gongkai-manifest.json", "/ledger/.tmp.checkpoint.1.abc"])
def test_dot_files_are_not_served(served: str, path: str) -> None:
    status, _, body = _get(served, path)
    assert status == 404
    assert body.decode("utf-8") == NOT_FOUND_PAGE


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_busy_port_is_a_chinese_message_and_exit_13(site: Path) -> None:
    with _listening() as busy:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--dir", str(site), "--port", str(port)])
    assert result.exit_code == 13, result.output
    assert f"端口 {port}已被占用" in result.output
    assert "--port" in result.output
    assert "Traceback" not in result.output
    assert "OSError" not in result.output


@pytest.mark.parametrize(
    ("bind", "reason"),
    [("192.0.2.1", "本机没有地址 192.0.2.1"), ("no-such-host.invalid", "无法解析监听地址")],
)
def test_unusable_bind_address(site: Path, bind: str, reason: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--dir", str(site), "--bind", bind])
    assert result.exit_code == 13, result.output
    assert reason in result.output


def test_open_server_raises_serve_error_when_busy(site: Path) -> None:
    with _listening() as busy, pytest.raises(ServeError, match="已被占用"):
        open_server(site, "127.0.0.1", busy.getsockname()[1])


def test_url_for_every_interface_is_loopback() -> None:
    assert url_for("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert url_for("::1", 8000) == "http://[::1]:8000/"
    assert url_for("127.0.0.1", 8080) == "http://127.0.0.1:8080/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_command_listens_on_loopback_by_default(site: Path) -> None:
    """The real command in its own process: prints its address, serves, stops on SIGINT."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.cli import main; main()",
            "serve",
            "--dir",
            str(site),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"预览地址：http://127.0.0.1:{port}/"), line
        status, _, _ = _get(f"127.0.0.1:{port}", "/")
        assert status == 200
        assert _connections(port) in ([], ["127.0.0.1"])  # never 0.0.0.0 by default
    finally:
        proc.send_signal(2)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "已停止" in out
    assert "Traceback" not in err


def _connections(port: int) -> list[str]:
    """Local addresses listening on ``port`` (Linux /proc; empty elsewhere)."""
    table = Path("/proc/net/tcp")
    if not table.is_file():
        return []
    found = []
    for row in table.read_text().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        host, hexport = local.split(":")
        if int(hexport, 16) == port and state == "0A":
            found.append(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
    return found
