"""Fixtures shared by the draw tests."""

from __future__ import annotations

import pytest

from ledger.draw import drand, matching, sampling, snapshot


@pytest.fixture(params=["c", "msgspec"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C accelerator (:mod:`ledger.draw._entities`), then without it."""
    if request.param == "c":
        if snapshot.entities_c is None:
            pytest.skip("the C accelerator is not built here")
    else:
        monkeypatch.setattr(snapshot, "entities_c", None)
        monkeypatch.setattr(sampling, "entities_c", None)
    return str(request.param)


@pytest.fixture(params=["auto", "py_ecc"])
def bls_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled BLS verifier (checked in-process by the draw), then with
    pure-Python py_ecc (checked by a forked child while the draw goes on)."""
    monkeypatch.setattr(drand, "_BACKEND", request.param)
    drand.forget_verified()
    return str(request.param)


@pytest.fixture(params=["c", "python"])
def picks_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C pick hashes (:mod:`ledger.draw._picks`), then without them."""
    if request.param == "c":
        if matching._picks_c is None:
            pytest.skip("the C accelerator is not built here")
    else:
        monkeypatch.setattr(matching, "_picks_c", None)
    return str(request.param)
