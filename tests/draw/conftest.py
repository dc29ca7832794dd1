"""Fixtures shared by the draw tests."""

from __future__ import annotations

from types import ModuleType

import pytest

from ledger.draw import drand, matching, sampling, snapshot


def _with_or_without(
    param: str, monkeypatch: pytest.MonkeyPatch, name: str, *modules: ModuleType
) -> str:
    """For ``param == "c"`` keep the C accelerator ``name`` of ``modules`` (skip the test where
    it is not built); otherwise set it to None in each of them, as if it were not built."""
    if param == "c":
        if getattr(modules[0], name) is None:
            pytest.skip("the C accelerator is not built here")
    else:
        for module in modules:
            monkeypatch.setattr(module, name, None)
    return param


@pytest.fixture(params=["c", "python"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C accelerator (:mod:`ledger.draw._entities`), then without it."""
    return _with_or_without(request.param, monkeypatch, "entities_c", snapshot, sampling)


@pytest.fixture(params=["auto", "py_ecc"])
def bls_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled BLS verifier, then with pure-Python py_ecc."""
    monkeypatch.setattr(drand, "_BACKEND", request.param)
    drand.forget_verified()
    return str(request.param)


@pytest.fixture(params=["c", "python"])
def picks_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C pick hashes (:mod:`ledger.draw._picks`), then without them."""
    return _with_or_without(request.param, monkeypatch, "_picks_c", matching)
