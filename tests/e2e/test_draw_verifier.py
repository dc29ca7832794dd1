"""The draw proof pages and their in-browser verifier (static/verify/draw-v1.js).

* Python side (no browser): ``proof.json`` holds exactly what ``ledger/draw`` computes — the
  result record re-run with :func:`ledger.draw.result.run_draw`, the seed derivation, the entry lines,
  leaf hashes and the department keys of the registry replay.
* Browser (Debian chromium through Playwright, served from a thread on 127.0.0.1): every example
  draw of ``draws/`` verifies (“验证通过”); the JavaScript draw reproduces the worked example of
  docs/draw-v1.md §W byte for byte; and a tampered copy — one byte of a snapshot blob, one byte
  of the result blob, a signature in an entry line, a hash in a receipt — fails (“验证失败”).

Needs ``/usr/bin/chromium`` (``apt-get install chromium``) and ``playwright`` (``pip install
playwright``; never ``playwright install``); the browser tests skip with the reason otherwise.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from example_site import CHROMIUM, FLAGS  # (tests/e2e, on the path by conftest.py)

from generator.ledgerops import open_store, read_trust, replay_store
from generator.site.drawproof import draw_proof_data, load_draw_proofs, write_draw_proofs
from ledger import canonical
from ledger.draw.primitives import CJ
from ledger.draw.result import run_draw
from ledger.publish import publish_ledger

ROOT = Path(__file__).resolve().parents[2]
DRAWS = ROOT / "draws"
GOLDEN = json.loads((ROOT / "tests/draw/golden/worked_example.json").read_text(encoding="utf-8"))
PROOFS = load_draw_proofs(DRAWS)
TASKS = sorted(PROOFS)


# ---- Python side: proof.json equals what ledger/draw computes ---------------------------------


def test_every_example_draw_has_a_proof() -> None:
    assert len(TASKS) == 6


@pytest.mark.parametrize("task_id", TASKS)
def test_proof_values_equal_ledger_draw(task_id: str) -> None:
    proof = draw_proof_data(DRAWS, task_id)
    trust = read_trust(DRAWS)
    store = open_store(DRAWS, trust)
    state = replay_store(store, trust)
    record = state.tasks.tasks[task_id]
    assert record.announce is not None
    assert record.beacon is not None
    assert record.result is not None
    lines = (DRAWS / "entries.jsonl").read_bytes().split(b"\n")

    # Entry lines, indexes and leaf hashes are the log's own bytes.
    for e in proof["entries"]:
        assert e["line"].encode() == lines[e["index"]]
        assert e["leaf_hash"] == hashlib.sha256(b"\0" + lines[e["index"]]).hexdigest()
        assert e["receipt"] == f"proofs/{e['index']}.tlog-proof"
    roles = [e["role"] for e in proof["entries"]]
    assert roles.count("announce") == roles.count("beacon") == roles.count("result") == 1
    assert roles.count("reveal") == len(record.reveals)
    assert roles.count("replace") == len(record.replacements)

    # Department keys: the registry replay's, with their key.add lines.
    for k in proof["keys"]:
        rec = state.registry.keys[k["key_ref"]]
        assert k["vkey"] == rec.verifier.vkey
        assert k["dept"] == rec.dept
        assert k["added_at"] == rec.added_at
        assert k["revoked_at"] == rec.revoked_at
        assert k["key_add"]["line"].encode() == lines[rec.added_at]

    # Blobs: the announced snapshot hashes and the result blob.
    pools = record.announce.body["pools"]
    for kind in ("entities", "inspectors", "conflicts"):
        assert proof["blobs"][kind]["sha256"] == pools[kind]["sha256"]
    blob = store.get_blob(proof["blobs"]["result"]["sha256"])
    assert len(blob) == proof["blobs"]["result"]["size"]

    # The draw re-run by ledger/draw equals the published record and the derivation shown.
    reveals = {d: str(e.body["secret"]) for d, e in record.reveals.items()}
    expected = run_draw(
        record.announce.body,
        *(store.get_blob(pools[k]["sha256"]) for k in ("entities", "inspectors", "conflicts")),
        reveals,
        record.beacon.body,
    )
    assert CJ(expected) == blob
    dv = proof["derivation"]
    assert dv["announce_sha256"] == expected["announce_sha256"]
    assert dv["randomness"] == expected["drand"]["randomness"]
    assert dv["round"] == expected["drand"]["round"]
    assert dv["seed"] == expected["seed"]
    assert hashlib.sha256(bytes.fromhex(dv["seed_preimage"])).hexdigest() == expected["seed"]
    assert dv["subseeds"] == expected["subseeds"]
    assert [{"dept": c["dept"], "status": c["status"]} for c in dv["commitments"]] == expected[
        "reveals"
    ]
    assert proof["page"]["result"] == canonical.loads(blob)


def test_proof_json_is_deterministic(tmp_path: Path) -> None:
    a = write_draw_proofs(tmp_path / "a", DRAWS, "站点", proofs=PROOFS, copy_snapshots=False)
    b = write_draw_proofs(tmp_path / "b", DRAWS, "站点", proofs=PROOFS, copy_snapshots=False)
    assert a == b
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    data = json.loads((tmp_path / "a" / f"tasks/{TASKS[0]}/draw/proof.json").read_text())
    assert data["schema"] == "gongkai-draw-proof/v1"
    assert "page" not in data


def test_page_readable_without_javascript(tmp_path: Path) -> None:
    write_draw_proofs(tmp_path, DRAWS, "站点", proofs=PROOFS, copy_snapshots=False)
    task = "2024-YYYC-CY"
    html = (tmp_path / f"tasks/{task}/draw/index.html").read_text(encoding="utf-8")
    proof = PROOFS[task]
    for needle in (
        "在浏览器中验证",
        "如何用命令行验证",
        "gongkai verify",
        "gongkai-verify.pyz",
        "验证信标的 BLS 签名",
        proof["derivation"]["seed"],
        proof["derivation"]["subseeds"]["entities"],
        proof["derivation"]["randomness"],
        proof["blobs"]["entities"]["sha256"],
        proof["page"]["result"]["strata"][0]["drawn"][0]["ticket"],
        proof["page"]["replacements"][0]["replacement"]["id"],
        'aria-live="polite"',
    ):
        assert needle in html, needle


# ---- browser -------------------------------------------------------------------------------


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "缺少 /usr/bin/chromium（apt-get update && apt-get install -y chromium）"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "缺少 playwright（.venv/bin/pip install playwright；不要运行 playwright install）"
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A served root holding ``good/`` (the site folder); tamper tests add copies beside it."""
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("draw-verifier")
    good = root / "good"
    publish_ledger(DRAWS, good / "ledger", trust=read_trust(DRAWS))
    write_draw_proofs(good, DRAWS, "测试站点", proofs=PROOFS)
    shutil.copytree(ROOT / "site_templates" / "static", good / "static")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def page(sites: tuple[Path, str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        pg = browser.new_page()
        yield pg
        browser.close()


def _verify(page: Any, url: str) -> str:
    page.goto(url)
    page.click("#gk-verify")
    page.wait_for_selector("#gk-verify-status[data-result]", timeout=60_000)
    return str(page.inner_text("#gk-verify-status"))


@pytest.mark.browser
@pytest.mark.parametrize("task_id", TASKS)
def test_every_example_draw_verifies_in_browser(
    sites: tuple[Path, str], page: Any, task_id: str
) -> None:
    _, base = sites
    text = _verify(page, f"{base}/good/tasks/{task_id}/draw/")
    assert text.startswith("验证通过"), text
    steps = page.inner_text("#gk-verify-steps")
    assert steps.count("✓") == 11, steps
    assert "BLS 已验证" in steps, steps
    assert page.get_attribute("#gk-verify-status", "aria-live") == "polite"


@pytest.mark.browser
def test_javascript_reproduces_the_worked_example(sites: tuple[Path, str], page: Any) -> None:
    """docs/draw-v1.md §W: seed, sub-seeds, tickets, min_count top-up, max_load, 回避, the
    unstaffed entity, the lottery key string, the result record and the replacement."""
    _, base = sites
    page.goto(f"{base}/good/tasks/{TASKS[0]}/draw/")
    inputs = GOLDEN["inputs"]
    got = page.evaluate(
        """async ([g, inputs]) => {
          const L = GongkaiLedger, D = GongkaiDrawV1;
          const snaps = {};
          for (const k of ['entities', 'inspectors', 'conflicts']) snaps[k] = L.utf8(g.snapshots[k].text);
          const reveals = new Map(Object.entries(inputs.secrets));
          const run = await D.runDraw(inputs.announce_body, L.utf8(g.announce_cj), snaps, reveals,
                                      inputs.beacon, g.extra_key_string, () => {});
          const cj = L.canonical(run.result);
          const hash = L.toHex(await L.sha256(L.utf8(cj)));
          const body = Object.assign({type: 'draw.replace', id: 'x', ts: 't', dept: 'd'}, g.replace_example);
          const rows = await D.checkReplacements(run.ann, run.groups, run.result, hash, [body]);
          const keys = await D.sortKeys(g.subseeds.entities, g.entity_tickets.map((t) => t.id));
          return {cj, hash, rows, tickets: keys.map((k) => '0.' + k.split(' ')[0])};
        }""",
        [GOLDEN, inputs],
    )
    assert got["cj"] == GOLDEN["result_cj"]
    assert got["hash"] == GOLDEN["result_sha256"]
    assert got["rows"] == ["91330106MA2K00009X → 91330106MA2K00010X"]
    assert got["tickets"] == [t["ticket"] for t in GOLDEN["entity_tickets"]]


QUICKNET = json.loads((ROOT / "tests/draw/golden/drand_quicknet.json").read_text(encoding="utf-8"))
SIG_1M, SIG_EXAMPLE = (r["signature"] for r in QUICKNET["rounds"])
ROUND_1M, ROUND_EXAMPLE = (r["round"] for r in QUICKNET["rounds"])


def _flip(hex_sig: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_sig))
    raw[byte] ^= 0x01
    return raw.hex()


#: (round, signature, expected): real quicknet rounds verify; a flipped bit (off the curve or
#: the subgroup), a real signature of another round, the point at infinity and a 96-byte
#: (G2-scheme) signature are rejected (docs/draw-v1.md §6).
BLS_CASES = [
    (ROUND_EXAMPLE, SIG_EXAMPLE, "ok"),
    (ROUND_1M, SIG_1M, "ok"),
    (ROUND_EXAMPLE, _flip(SIG_EXAMPLE, 10), "BLS"),
    (ROUND_EXAMPLE, _flip(SIG_EXAMPLE, 47), "BLS"),
    (ROUND_EXAMPLE, SIG_1M, "BLS 签名无效"),
    (ROUND_EXAMPLE + 1, SIG_EXAMPLE, "BLS 签名无效"),
    (ROUND_EXAMPLE, "c0" + "00" * 47, "无穷远点"),
    (ROUND_EXAMPLE, SIG_EXAMPLE * 2, "48 字节"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("round_", "signature", "expected"), BLS_CASES)
def test_browser_checks_the_drand_bls_signature(
    sites: tuple[Path, str], page: Any, round_: int, signature: str, expected: str
) -> None:
    """The page's BLS check (vendored @noble/curves) accepts the real rounds, rejects the rest."""
    _, base = sites
    page.goto(f"{base}/good/tasks/{TASKS[0]}/draw/")
    got = page.evaluate(
        """async ([r, s]) => {
          try { await GongkaiDrawV1.verifyBeaconSignature(r, s); return 'ok'; }
          catch (e) { return (e instanceof GongkaiLedger.VerifyError ? '' : 'ERROR ') + e.message; }
        }""",
        [round_, signature],
    )
    if expected == "ok":
        assert got == "ok", got
    else:  # a VerifyError naming the reason, not a crash of the library
        assert got != "ok", got
        assert not got.startswith("ERROR"), got
        assert expected in got, got


def test_vendored_bls_library_is_the_recorded_file() -> None:
    """static/verify/noble-bls12-381.js has the version and SHA-256 that
    docs/draw-proof-page.md records (a changed file must be re-recorded, with its provenance)."""
    lib = ROOT / "site_templates/static/verify/noble-bls12-381.js"
    doc = (ROOT / "docs/draw-proof-page.md").read_text(encoding="utf-8")
    recorded = re.search(r"SHA-256 of `noble-bls12-381\.js`: `([0-9a-f]{64})`", doc)
    assert recorded, "docs/draw-proof-page.md 未记录 noble-bls12-381.js 的 SHA-256"
    assert hashlib.sha256(lib.read_bytes()).hexdigest() == recorded.group(1)
    version = re.search(r"`@noble/curves@(\d+\.\d+\.\d+)`", doc)
    assert version, "docs/draw-proof-page.md 未记录 @noble/curves 的版本"
    assert lib.read_text(encoding="utf-8").startswith(f"/* @noble/curves {version.group(1)} ")


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _tamper_snapshot(site: Path, proof: dict[str, Any]) -> None:
    _flip_byte(site / "ledger" / proof["blobs"]["entities"]["url"], 40)


def _tamper_result(site: Path, proof: dict[str, Any]) -> None:
    _flip_byte(site / "ledger" / proof["blobs"]["result"]["url"], 100)


def _tamper_signature(site: Path, proof: dict[str, Any]) -> None:
    path = site / f"tasks/{proof['task_id']}/draw/proof.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e["role"] == "result")
    line = json.loads(entry["line"])
    sig = bytearray(base64.b64decode(line["sigs"][0]["sig"]))
    sig[10] ^= 0x01
    line["sigs"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    entry["line"] = canonical.dumps(line).decode()
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _tamper_receipt(site: Path, proof: dict[str, Any]) -> None:
    index = next(e["index"] for e in proof["entries"] if e["role"] == "announce")
    path = site / "ledger" / f"proofs/{index}.tlog-proof"
    lines = path.read_text(encoding="utf-8").split("\n")
    h = bytearray(base64.b64decode(lines[3]))  # the first proof hash (after header, extra, index)
    h[0] ^= 0x01
    lines[3] = base64.b64encode(bytes(h)).decode()
    path.write_text("\n".join(lines), encoding="utf-8")


TAMPERS: dict[str, tuple[Callable[[Path, dict[str, Any]], None], str]] = {
    "snapshot-byte": (_tamper_snapshot, "检查对象快照的 SHA-256"),
    "result-byte": (_tamper_result, "抽取结果文件的 SHA-256"),
    "entry-signature": (_tamper_signature, "签名无效"),
    "receipt-hash": (_tamper_receipt, "包含证明不成立"),
}


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampered_copy_fails(sites: tuple[Path, str], page: Any, name: str) -> None:
    root, base = sites
    task = "2024-YYYC-CY"
    copy = root / f"tamper-{name}"
    shutil.copytree(root / "good", copy)
    tamper, reason = TAMPERS[name]
    tamper(copy, PROOFS[task])
    text = _verify(page, f"{base}/{copy.name}/tasks/{task}/draw/")
    assert text.startswith("验证失败："), text
    assert reason in text, text


def _axe_js() -> Path | None:
    for candidate in (
        Path("/usr/lib/node_modules/axe-core/axe.min.js"),
        Path("/usr/local/lib/node_modules/axe-core/axe.min.js"),
    ):
        if candidate.is_file():
            return candidate
    return None


@pytest.mark.browser
def test_proof_page_accessibility_after_verification(sites: tuple[Path, str], page: Any) -> None:
    axe = _axe_js()
    if axe is None:
        pytest.skip("缺少 axe-core（npm install -g axe-core@4）")
    _, base = sites
    assert _verify(page, f"{base}/good/tasks/2024-YYYC-CY/draw/").startswith("验证通过")
    page.add_script_tag(path=str(axe))
    violations = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map((v) => v.id)"""
    )
    assert violations == []
