"""A department key registered before an entry type existed lacks it in its scopes: gongkai
refuses before signing and says where registering a new key is explained (cases: docs/workflow.md
§7; inspectors' keys: docs/mobile.md §6). One check, SiteRepo.scoped_signer, serves both."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger.examplekeys import example_signer


def _repo(scopes: frozenset[str]) -> Any:
    signer = example_signer("test.example/gongkai/scjg")
    keys = {signer.verifier().key_ref: SimpleNamespace(scopes=scopes)}
    repo: Any = object.__new__(SiteRepo)
    repo.signer = lambda dept, key: signer  # the department's registered key
    repo.state = lambda: SimpleNamespace(registry=SimpleNamespace(keys=keys))
    return repo


def test_a_key_with_the_scope_signs() -> None:
    repo = _repo(frozenset({"case.open"}))
    assert repo.scoped_signer("scjg", None, "case.open", "docs/workflow.md §7") is repo.signer(
        "scjg", None
    )


@pytest.mark.parametrize("guide", ["docs/workflow.md §7", "docs/mobile.md §6"])
def test_a_key_without_it_is_refused_naming_the_guide(guide: str) -> None:
    repo = _repo(frozenset({"result.publish"}))
    with pytest.raises(WorkflowError) as info:
        repo.scoped_signer("scjg", None, "inspector.enrol", guide)
    assert "部门“scjg”的密钥" in str(info.value)
    assert "登记时的签署范围不含 inspector.enrol" in str(info.value)
    assert str(info.value).endswith(f"为本部门登记新密钥（{guide}）")
