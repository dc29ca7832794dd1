"""Creating a new site repository and registering department keys."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.content.libraries import ENTITY_COLUMNS, INSPECTOR_COLUMNS
from generator.content.loader import base_url_problem
from generator.errors import WorkflowError
from generator.keyfiles import CreatedKey, write_key_pair
from generator.keynames import key_names
from generator.ledgerops import DEPT_SCOPES, init_ledger, key_add_entry
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.errors import StoreError
from ledger.examplekeys import refuse_example_key
from ledger.keys import read_private_key, read_public_key
from ledger.note import Signer
from ledger.registry import TrustAnchor

_ORIGIN_RE = re.compile(r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)+$")


@dataclass(frozen=True)
class InitReport:
    """What ``gongkai init`` created."""

    site: Path
    trust: TrustAnchor
    keys: tuple[CreatedKey, ...]


def _yaml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_site(
    directory: Path,
    *,
    name: str,
    region_code: str,
    region_name: str,
    origin: str,
    base_url: str,
    key_dir: Path,
    ts: str,
) -> InitReport:
    """Create ``directory`` with an empty content skeleton and a ledger holding ``log.init``.

    ``base_url`` is the site's public address: an absolute ``https://`` URL ending in ``/``.
    Three root keys (threshold 2) and the log key are generated into ``key_dir`` (mode 0600,
    refused inside a git work tree); only public keys go into the site.

    Raises:
        WorkflowError: if ``directory`` is not empty or an argument is invalid.
        StoreError: if a key cannot be written.
    """
    if directory.exists() and any(directory.iterdir()):
        raise WorkflowError(f"{directory} 不是空目录")
    if not _ORIGIN_RE.match(origin):
        raise WorkflowError(f"账本来源“{origin}”应形如 scjg.example.gov.cn/gongkai/ledger")
    if not (len(region_code) == 6 and region_code.isdigit()):
        raise WorkflowError("行政区划代码应为6位数字")
    problem = base_url_problem(base_url, example=False)
    if problem:
        raise WorkflowError(f"--base-url：{problem}")
    names = key_names(origin)
    signers = {role: Signer.generate(n) for role, n in names.items()}
    created = [write_key_pair(key_dir, signer) for signer in signers.values()]
    content = directory / "content"
    (content / "plans").mkdir(parents=True)
    (content / "gongkai.yaml").write_text(
        f"name: {_yaml_text(name)}\nregion_code: {_yaml_text(region_code)}\n"
        f"region_name: {_yaml_text(region_name)}\nbase_url: {_yaml_text(base_url)}\n"
        f"ledger_origin: {_yaml_text(origin)}\n"
        "example: false\n",
        encoding="utf-8",
    )
    (content / "departments.yaml").write_text("departments: []\n", encoding="utf-8")
    (content / "checklist.yaml").write_text("items: []\n", encoding="utf-8")
    (content / "entities.csv").write_text(
        "\ufeff" + ",".join(ENTITY_COLUMNS.required + ENTITY_COLUMNS.optional) + "\n",
        encoding="utf-8",
    )
    (content / "inspectors.csv").write_text(
        "\ufeff" + ",".join(INSPECTOR_COLUMNS.required) + "\n", encoding="utf-8"
    )
    roots = [signers["root1"], signers["root2"], signers["root3"]]
    trust = init_ledger(directory / "draws", origin, signers["log"], roots, 2, ts)
    return InitReport(directory, trust, tuple(created))


def register_key(
    repo: SiteRepo,
    public_key: Path,
    dept: str,
    new_key: Path,
    root_keys: Sequence[Path],
    ts: str,
    log_key: Path | None,
) -> Checkpoint:
    """Append ``key.add`` for a department key, signed by root keys and the new key itself.

    Raises:
        WorkflowError: if the department is unknown, the private key does not match the public
            key, or the roots do not meet the threshold (the verifier's reason).
    """
    if dept not in {d.id for d in repo.content.departments}:
        raise WorkflowError(f"未知部门“{dept}”")
    verifier = read_public_key(public_key)
    signer = read_private_key(new_key)
    if signer.verifier() != verifier:
        raise WorkflowError("新密钥的私钥与公钥文件不匹配")
    refuse_example_key(verifier, example_site=repo.content.site.example)
    roots = [read_private_key(p) for p in root_keys]
    if not roots:
        raise StoreError("至少需要一个根密钥（--root-key）")
    line = key_add_entry(repo.trust.origin, signer, dept, roots, ts, DEPT_SCOPES)
    return repo.append([line], repo.log_signer(log_key))
