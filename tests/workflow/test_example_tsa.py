"""The example time-stamping authority is refused on a real site as the example keys are
(docs/ledger.md §15.6.1): its private key is public, so its tokens prove no time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.example.tsa import EXAMPLE_CHAIN
from ledger.examplekeys import is_example_tsa_chain
from ledger.tsa import add_tsa
from tests.ledger.tsa_server import make_test_ca
from tests.workflow.fresh_site import Site, new_site

ROOT = Path(__file__).resolve().parents[2]
SIGNER_CERT = ROOT / "generator" / "example" / "tsa" / "example-tsa-cert.pem"
EXAMPLE_CODE = 9  # ExampleKeyError, as for the example keys


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A fresh real site (``example: false``, real keys, scjg and wsjk registered)."""
    return new_site(tmp_path_factory.mktemp("example-tsa"))


def _copy(site: Site, tmp: Path) -> Site:
    """A copy of ``site`` (its directory, keys and media) under ``tmp``."""
    shutil.copytree(site.root.parent, tmp / "copy")
    return Site(tmp / "copy")


def test_the_example_chain_is_recognised_however_it_is_wrapped(tmp_path: Path) -> None:
    chain = EXAMPLE_CHAIN.read_bytes()
    assert is_example_tsa_chain(chain)
    assert is_example_tsa_chain(b"\r\n" + chain.replace(b"\n", b"\r\n"))
    assert is_example_tsa_chain(make_test_ca(tmp_path).chain + SIGNER_CERT.read_bytes())
    assert not is_example_tsa_chain(make_test_ca(tmp_path / "other").chain)


def test_tsa_add_refuses_the_example_chain_on_a_real_site(site: Site, tmp_path: Path) -> None:
    site = _copy(site, tmp_path)
    trust = (site.root / "draws" / "trust.txt").read_bytes()
    wrapped = tmp_path / "chain.pem"
    wrapped.write_bytes(make_test_ca(tmp_path).chain + SIGNER_CERT.read_bytes())
    for chain in (EXAMPLE_CHAIN, wrapped):
        refused = site.run("tsa", "add", "my-tsa", "--chain", str(chain), "--site",
                           str(site.root), ok=False)  # fmt: skip
        assert refused.exit_code == EXAMPLE_CODE, refused.output
        assert "时间戳机构 my-tsa 的证书是公开的示例证书" in refused.output
        assert "gongkai.yaml 写着 example: false" in refused.output
    assert (site.root / "draws" / "trust.txt").read_bytes() == trust
    assert not (site.root / "draws" / "tsa").exists()
    real = tmp_path / "real.pem"
    real.write_bytes(make_test_ca(tmp_path / "real").chain)
    added = site.run("tsa", "add", "real-tsa", "--chain", str(real), "--site", str(site.root))
    assert "已登记时间戳机构 real-tsa" in added.output


def test_a_real_site_whose_anchor_names_the_example_tsa_is_refused(
    site: Site, tmp_path: Path
) -> None:
    """trust.txt edited by hand (or an old ``tsa add``): build, check and every ledger command
    refuse; ``gongkai verify``, which knows no site, verifies and warns."""
    copy = _copy(site, tmp_path)
    add_tsa(copy.root / "draws", "example-tsa", EXAMPLE_CHAIN.read_bytes())
    out = tmp_path / "_site"
    for args in (
        ["build", "--content", str(copy.content), "--output", str(out)],
        ["check", "--content", str(copy.content)],
    ):
        refused = copy.run(*args, ok=False)
        assert refused.exit_code == EXAMPLE_CODE, refused.output
        assert "时间戳机构 example-tsa 的证书是公开的示例证书" in refused.output
    assert not out.exists()
    held = copy.site("checklist", "publish", "--dept", "scjg", "--at", "2024-01-04",
                     dept="scjg", ok=False)  # fmt: skip
    assert held.exit_code == EXAMPLE_CODE, held.output
    verified = copy.run("verify", str(copy.root / "draws"), "--no-update-pin")
    assert "验证通过" in verified.output
    assert "时间戳机构 example-tsa 的证书是公开的示例证书" in verified.output
    assert "本账本的时间界限只能作为示例" in verified.output
