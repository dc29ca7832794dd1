"""The nginx configuration of docs/deploy.md, served by Debian's nginx over the built example site.

``docs/nginx/gongkai-site.conf`` (and ``gongkai-brotli.conf`` when Debian's brotli module is
installed) is included verbatim into a server block like the one docs/deploy.md §3 shows; nginx
runs unprivileged on 127.0.0.1 with its own prefix and temporary directories. The tests check
the response headers per kind of file (cache policy, content type, compression, security
headers) and load the home page, a search and a draw page's in-browser verification in Debian's
chromium with the Content-Security-Policy enforced, failing on any violation.

Needs ``nginx`` (``apt-get install nginx-light``; ``make web-deps`` installs it), ``/usr/bin/chromium``
and ``playwright`` for the browser part; each part skips with the reason otherwise.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "docs" / "nginx"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
MIME_TYPES = Path("/etc/nginx/mime.types")
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
IMMUTABLE = "public, max-age=31536000, immutable"
DRAW_TASK = "2024-YYYC-CY"

pytestmark = pytest.mark.skipif(
    NGINX is None or not MIME_TYPES.is_file(),
    reason="缺少 nginx（apt-get install nginx-light；make web-deps 会安装）",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_block(port: int, site: Path, *, brotli: bool) -> str:
    """The server block of docs/deploy.md §3 with a test port and root (no TLS)."""
    extra = "        include gongkai-brotli.conf;\n" if brotli else ""
    return (
        "    server {\n"
        f"        listen 127.0.0.1:{port};\n"
        "        server_name localhost;\n"
        f"        root {site};\n"
        "        error_page 404 /404.html;\n"
        "        include gongkai-site.conf;\n"
        f"{extra}"
        "    }\n"
    )


def nginx_conf(prefix: Path, port: int, site: Path, *, brotli: bool) -> str:
    """A whole nginx.conf for an unprivileged nginx under ``prefix``."""
    temp = "\n".join(
        f"    {name}_temp_path {prefix / 'temp' / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    load = f"load_module {BROTLI_MODULE};\n" if brotli else ""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the tmp site
    return (
        f"{load}{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    include {MIME_TYPES};\n"
        "    default_type application/octet-stream;\n"
        "    access_log off;\n"
        f"{temp}\n"
        f"{server_block(port, site, brotli=brotli)}"
        "}\n"
    )


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory, example_site: Path) -> Iterator[str]:
    """``host:port`` of nginx serving the example site with docs/nginx/ verbatim."""
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "temp").mkdir()
    brotli = BROTLI_MODULE.is_file()
    for name in ("gongkai-site.conf", "gongkai-brotli.conf"):
        shutil.copyfile(NGINX_DIR / name, prefix / name)
    port = _free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, port, example_site, brotli=brotli), encoding="utf-8")
    assert NGINX is not None
    check = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "[warn]" not in check.stderr, check.stderr
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "nginx 未在 20 秒内开始监听"
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get(
    host: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names; repeated ones joined by ", ") and raw body."""
    conn = http.client.HTTPConnection(host, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        merged: dict[str, str] = {}
        for name, value in resp.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return resp.status, merged, resp.read()
    finally:
        conn.close()


def _first(site: Path, pattern: str) -> str:
    found = sorted(p for p in site.glob(pattern) if p.is_file())
    assert found, pattern
    return "/" + found[0].relative_to(site).as_posix()


def _checkpoint_size(site: Path) -> str:
    return (site / "ledger" / "checkpoint").read_text(encoding="utf-8").split("\n")[1]


# (what, path pattern or path, content type, cache policy)
KINDS: list[tuple[str, str, str, str]] = [
    ("首页", "/", "text/html; charset=utf-8", "no-cache"),
    ("页面", "/results/", "text/html; charset=utf-8", "no-cache"),
    ("检查点", "/ledger/checkpoint", "text/plain; charset=utf-8", "no-cache"),
    ("存档检查点", "ledger/checkpoints/*", "text/plain; charset=utf-8", IMMUTABLE),
    ("条目日志", "/ledger/entries.jsonl", "text/plain; charset=utf-8", "no-cache"),
    ("信任锚", "/ledger/trust.txt", "text/plain; charset=utf-8", "no-cache"),
    ("哈希瓦片", "ledger/tile/0/**/*", "application/octet-stream", IMMUTABLE),
    ("条目包", "ledger/tile/entries/**/*", "application/octet-stream", IMMUTABLE),
    ("blob", "ledger/blobs/sha256/*", "application/octet-stream", IMMUTABLE),
    ("收录证明回执", "ledger/proofs/*.tlog-proof", "text/plain; charset=utf-8", IMMUTABLE),
    ("验证程序", "/ledger/gongkai-verify.pyz", "application/octet-stream", "no-cache"),
    ("开放数据 CSV", "/data/entities.csv", "text/csv; charset=utf-8", "no-cache"),
    ("开放数据 JSON", "/data/entities.json", "application/json", "no-cache"),
    ("样式表", "/static/style.css", "text/css; charset=utf-8", "no-cache"),
    ("脚本", "/static/lookup.js", "application/javascript; charset=utf-8", "no-cache"),
    ("订阅源", "/feeds/results.xml", "text/xml; charset=utf-8", "no-cache"),
    ("搜索入口", "/pagefind/pagefind.js", "application/javascript; charset=utf-8", "no-cache"),
    ("搜索片段", "pagefind/fragment/*", "application/octet-stream", IMMUTABLE),
    ("搜索索引", "pagefind/index/*", "application/octet-stream", IMMUTABLE),
]


@pytest.mark.parametrize(("what", "where", "ctype", "cache"), KINDS, ids=[k[0] for k in KINDS])
def test_headers_per_kind_of_file(
    nginx: str, example_site: Path, what: str, where: str, ctype: str, cache: str
) -> None:
    path = where if where.startswith("/") else _first(example_site, where)
    status, headers, body = get(nginx, path)
    assert status == 200, (what, path)
    assert headers["content-type"] == ctype, (what, path)
    assert headers["cache-control"] == cache, (what, path)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "script-src 'self' 'wasm-unsafe-eval';" in headers["content-security-policy"]
    assert "style-src 'self';" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    local = example_site / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
    assert body == local.read_bytes(), (what, path)


def test_checkpoint_is_the_ledger_checkpoint(nginx: str, example_site: Path) -> None:
    size = _checkpoint_size(example_site)
    status, headers, _ = get(nginx, f"/ledger/checkpoints/{size}")
    assert status == 200
    assert headers["content-type"] == "text/plain; charset=utf-8"


def test_csv_keeps_its_bom_through_gzip(nginx: str, example_site: Path) -> None:
    status, headers, body = get(nginx, "/data/entities.csv", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    plain = gzip.decompress(body)
    assert plain.startswith(b"\xef\xbb\xbf")
    assert plain == (example_site / "data" / "entities.csv").read_bytes()


@pytest.mark.parametrize(
    "path", ["/", "/data/entities.json", "/static/style.css", "/pagefind/pagefind.js"]
)
def test_text_is_gzipped(nginx: str, path: str) -> None:
    _, headers, _ = get(nginx, path, {"Accept-Encoding": "gzip"})
    assert headers.get("content-encoding") == "gzip", path


@pytest.mark.skipif(not BROTLI_MODULE.is_file(), reason="未安装 libnginx-mod-http-brotli-filter")
def test_brotli_when_the_module_is_installed(nginx: str) -> None:
    _, headers, _ = get(nginx, "/", {"Accept-Encoding": "br, gzip"})
    assert headers.get("content-encoding") == "br"


def test_immutable_file_is_not_recompressed_or_altered(nginx: str, example_site: Path) -> None:
    path = _first(example_site, "ledger/blobs/sha256/*")
    _, headers, body = get(nginx, path, {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers
    assert body == (example_site / path.lstrip("/")).read_bytes()


def test_revalidation_keeps_the_headers(nginx: str) -> None:
    _, headers, _ = get(nginx, "/ledger/checkpoint")
    status, again, body = get(nginx, "/ledger/checkpoint", {"If-None-Match": headers["etag"]})
    assert status == 304
    assert body == b""
    assert again["cache-control"] == "no-cache"
    assert again["x-content-type-options"] == "nosniff"


def test_missing_page_is_the_site_404(nginx: str, example_site: Path) -> None:
    status, headers, body = get(nginx, "/no/such/page/")
    assert status == 404
    assert body == (example_site / "404.html").read_bytes()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "content-security-policy" in headers


@pytest.mark.parametrize("path", ["/.gongkai-manifest.json", "/ledger/.tmp.checkpoint.1.abc"])
def test_hidden_files_are_not_served(nginx: str, example_site: Path, path: str) -> None:
    assert (example_site / ".gongkai-manifest.json").is_file()
    status, _, _ = get(nginx, path)
    assert status == 404


def test_deploy_doc_includes_the_configuration_verbatim() -> None:
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", doc, flags=re.DOTALL)
    for name in ("gongkai-site.conf", "gongkai-brotli.conf"):
        text = (NGINX_DIR / name).read_text(encoding="utf-8")
        assert text in blocks, f"docs/deploy.md 未逐字收录 docs/nginx/{name}"
    server = server_block(8443, Path("/srv/gongkai/site"), brotli=False)
    for line in server.splitlines()[4:]:  # root, error_page, include …: as documented
        assert line.strip() in doc, line


# ---- the CSP in a browser ---------------------------------------------------------------------

_LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile);
});
"""


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "缺少 /usr/bin/chromium（apt-get install chromium）"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "缺少 playwright（pip install playwright；不要运行 playwright install）"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


class Watched:
    """A page whose CSP violations (events and console reports) are collected."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.console: list[str] = []
        self.page.add_init_script(_LISTEN)
        self.page.on("console", self._on_console)
        self.page.on("worker", lambda w: w.on("console", self._on_console))

    def _on_console(self, msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.console.append(msg.text)

    def violations(self) -> list[str]:
        return [*self.page.evaluate("window.__cspViolations"), *self.console]

    def goto(self, url: str) -> Any:
        response = self.page.goto(url)
        assert response is not None
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
        return response


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.page.close()


def test_browser_reports_a_violation(nginx: str, watched: Watched) -> None:
    """The listener sees what the policy blocks (so an empty list below means something)."""
    watched.goto(f"http://{nginx}/")
    watched.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    watched.page.wait_for_function("window.__cspViolations.length > 0")
    assert watched.page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in watched.violations())


def test_home_page_has_no_csp_violation(nginx: str, watched: Watched) -> None:
    watched.goto(f"http://{nginx}/")
    watched.page.wait_for_load_state("networkidle")
    assert watched.page.evaluate("document.styleSheets.length") >= 1
    assert watched.violations() == []


def test_search_runs_under_the_csp(nginx: str, watched: Watched) -> None:
    watched.goto(f"http://{nginx}/search/")
    watched.page.locator("#search-q").fill("烧烤")
    watched.page.locator(".search-result-link").first.wait_for(timeout=30_000)
    watched.page.wait_for_load_state("networkidle")
    assert watched.violations() == []


def test_no_page_has_inline_styles(example_site: Path) -> None:
    """What lets the CSP drop 'unsafe-inline' from style-src: no <style> block, no style
    attribute in any page of the example site (a chart's bar length is an SVG width)."""
    found = []
    for page in sorted(example_site.rglob("*.html")):
        text = page.read_text("utf-8")
        if re.search(r"<style[\s>]|\sstyle\s*=", text):
            found.append(str(page.relative_to(example_site)))
    assert found == []


def test_charts_draw_under_the_csp(nginx: str, watched: Watched) -> None:
    watched.goto(f"http://{nginx}/results/stats/")
    watched.page.wait_for_load_state("networkidle")
    widths = watched.page.eval_on_selector_all(
        ".chart-bar", "bars => bars.map(b => b.getBoundingClientRect().width)"
    )
    assert widths
    assert max(widths) > 100  # the longest bar fills its track
    assert watched.violations() == []


def test_draw_page_verifies_under_the_csp(nginx: str, watched: Watched) -> None:
    watched.goto(f"http://{nginx}/tasks/{DRAW_TASK}/draw/")
    watched.page.click("#gk-verify")
    watched.page.wait_for_selector("#gk-verify-status[data-result]", timeout=120_000)
    text = watched.page.inner_text("#gk-verify-status")
    assert text.startswith("验证通过"), text
    assert watched.violations() == []
