"""The rules and worked examples of docs/ledger.md §13.3 and §14 hold in the code.

§13.3 says which log keys may sign which checkpoint sizes around a rotation; §14.2 lists the
extra-signer rules; §14.4 gives a worked example of the time rules with the values just inside
and just outside each bound. Each is checked here against the verifier, and the example values
are checked to be the ones the document prints.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ledger_factory as lf
import pytest
import test_tasks as tt

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entries import make_entry, parse_entry
from ledger.errors import VerificationError
from ledger.merkle import MerkleTree, leaf_hash
from ledger.note import Signer
from ledger.payloads import ENTRY_TYPES, WORKFLOW_PAYLOADS, DrawAnnounce, Statement, TaskConfirm
from ledger.registry import TrustAnchor
from ledger.tasks import round_time
from ledger.verify import verify_directory

DOC_DIR = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOC_DIR / "ledger.md").read_text(encoding="utf-8")


def _section(number: str) -> str:
    start = DOC.index(f"\n### {number} ")
    end = DOC.find("\n### ", start + 1)
    return DOC[start : end if end != -1 else len(DOC)]


def test_extra_signer_table_matches_the_payload_rules() -> None:
    table = _section("14.2")
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", table, re.MULTILINE))
    extra = {c.TYPE for c in WORKFLOW_PAYLOADS if c.signers is not Statement.signers}
    assert documented == extra == {"draw.announce", "task.confirm"}
    # body.dept plus the listed departments (for draw.announce, those of rules.departments)
    joint = SimpleNamespace(dept="scjg", departments=("scjg", "wsjk"))
    assert DrawAnnounce.signers(joint) == TaskConfirm.signers(joint) == {"scjg", "wsjk"}  # type: ignore[arg-type]


T = "2024-02-25T16:55:09Z"  # time(5358915)


def test_worked_example_round_time() -> None:
    example = _section("14.4")
    assert "`T = 1692803367 + 5358914 × 3 = 1708880109` = `2024-02-25T16:55:09Z`" in example
    assert round_time(5358915) == dt.datetime(2024, 2, 25, 16, 55, 9, tzinfo=dt.UTC)
    assert round_time(5358915).timestamp() == 1708880109


def _single(announce_ts: str = "2024-02-24T10:00:00Z", deadline: str = "2024-02-25T14:55:09Z"):
    return [tt.plan(), tt.announce("T-SINGLE", ("whly",), ts=announce_ts, reveal_deadline=deadline)]


CASES = {
    # name: (entries, refusal message or None, the value as the document prints it)
    "announce 24 h before": (lambda: _single("2024-02-24T16:55:09Z"), None, None),
    "announce 1 s late": (lambda: _single("2024-02-24T16:55:10Z"), "不足 24 小时", "2024-02-24T16:55:10Z"),
    "deadline T - 1 h": (lambda: _single(deadline="2024-02-25T15:55:09Z"), None, "15:55:09Z"),
    "deadline 1 s late": (lambda: _single(deadline="2024-02-25T15:55:10Z"), "至少 1 小时", "15:55:10Z"),
    "reveal at deadline": (
        lambda: [*_single(), tt.reveal("whly", ts="2024-02-25T14:55:09Z", task="T-SINGLE")],
        None,
        "2024-02-25T14:55:09Z",
    ),
    "reveal 1 s late": (
        lambda: [*_single(), tt.reveal("whly", ts="2024-02-25T14:55:10Z", task="T-SINGLE")],
        "晚于截止时间",
        None,
    ),
    "beacon at T": (lambda: [*_single(), tt.beacon(T, task="T-SINGLE", dept="whly")], None, T),
    "beacon 1 s early": (
        lambda: [*_single(), tt.beacon("2024-02-25T16:55:08Z", task="T-SINGLE", dept="whly")],
        "早于 drand 轮次时间",
        "16:55:08Z",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_time_rule_boundaries_of_the_worked_example(name: str) -> None:
    make, refusal, printed = CASES[name]
    if printed is not None:
        assert printed in _section("14.4"), f"docs/ledger.md §14.4 no longer shows {printed}"
    if refusal is None:
        tt.run(make())
    else:
        with pytest.raises(VerificationError, match=refusal):
            tt.run(make())


# ------------------------------------------------ docs/ledger.md §13.3 "Log keys by size"


def _rotated_ledger(directory: Path) -> tuple[list[bytes], TrustAnchor]:
    """log.init names LOG; entry 5 rotates to {LOG2}: the example of docs/ledger.md §13.3."""
    lines, _ = lf.build_lines(8, blob_every=0)
    lines.insert(5, lf.logkey_rotate_line([lf.LOG2], "rotate-1"))
    lf.write_raw_ledger(directory, lines, [5, 6, len(lines)], log_signers=[lf.LOG, lf.LOG2])
    return lines, lf.trust_for(lines[0])


def _resign(directory: Path, lines: list[bytes], name: str, size: int, key: Signer) -> None:
    root = MerkleTree([leaf_hash(x) for x in lines[:size]]).root
    (directory / name).write_bytes(sign_checkpoint(Checkpoint(lf.ORIGIN, size, root), [key]))


def test_log_key_example_is_the_documented_one() -> None:
    text = _section("13.3")
    assert "`log.init` names K1 and\nentry 5 rotates to {K2}" in text
    assert "`checkpoints/5` may be signed by K1 only; `checkpoints/6` by K1 or K2" in text


@pytest.mark.parametrize(
    ("name", "size", "key", "ok"),
    [
        ("checkpoints/5", 5, "LOG", True),
        ("checkpoints/5", 5, "LOG2", False),  # the rotation at index 5 is not in a tree of 5
        ("checkpoints/6", 6, "LOG", True),  # the old key stays acceptable for later sizes
        ("checkpoints/6", 6, "LOG2", True),  # size 6 is the first tree containing the rotation
        ("checkpoint", 9, "LOG2", True),
        ("checkpoint", 9, "LOG", False),  # the published checkpoint needs the current key set
    ],
)
def test_log_keys_by_size(tmp_path: Path, name: str, size: int, key: str, ok: bool) -> None:
    lines, trust = _rotated_ledger(tmp_path)
    signer = {"LOG": lf.LOG, "LOG2": lf.LOG2}[key]
    _resign(tmp_path, lines, name, size, signer)
    if name == "checkpoint":
        _resign(tmp_path, lines, f"checkpoints/{size}", size, signer)
    if ok:
        assert verify_directory(tmp_path, trust=trust, types=lf.TYPES).size == len(lines)
    else:
        with pytest.raises(VerificationError, match="签名无法用日志密钥验证"):
            verify_directory(tmp_path, trust=trust, types=lf.TYPES)


def test_lottery_key_announcement_is_refused_as_documented() -> None:
    """docs/ledger.md §14.5: the worked example of docs/draw-v1.md §W (which declares a lottery
    source) cannot be recorded in this ledger version."""
    draw_doc = (DOC_DIR / "draw-v1.md").read_text(encoding="utf-8")
    found = re.search(r"`CJ\(body\)` \(the whole signed body\):\n\n```\n(.*?)\n```", draw_doc, re.S)
    assert found is not None
    body = json.loads(found.group(1))
    assert "extra_key" in body["randomness"]
    line = make_entry(lf.ORIGIN, body, [lf.DEPT_KEYS["a"]])
    message = "字段 randomness.extra_key 是未定义的字段"
    assert message in _section("14.5")
    with pytest.raises(VerificationError, match=message):
        ENTRY_TYPES.parse(parse_entry(line), "第 9 条条目")
    del body["randomness"]["extra_key"]
    ENTRY_TYPES.parse(parse_entry(make_entry(lf.ORIGIN, body, [lf.DEPT_KEYS["a"]])), "x")


# ------------------------------------------------ docs/ledger.md §14.5 the announcement profile


def _profile_body(**rules: Any) -> dict[str, Any]:
    body = dict(tt.announce().body)
    body["rules"] = {**body["rules"], **rules}
    return body


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(body))
    target = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out


PROFILE = {
    # name: (body, refusal or None)
    "as gongkai writes it": (lambda: _profile_body(), None),
    "a department limit": (
        lambda: _profile_body(departments=[{"dept": "scjg", "per_entity": 2, "required_tags": [], "max_load": 3}]),
        None,
    ),
    "a global limit": (lambda: _profile_body(max_load=6), None),
    "freshness round": (
        lambda: {**_profile_body(), "freshness": {"round": 5358915 - 28800}},
        "字段 freshness 是未定义的字段",
    ),
    "department max_load null": (
        lambda: _profile_body(departments=[{"dept": "scjg", "per_entity": 2, "required_tags": [], "max_load": None}]),
        "字段 rules.departments[0].max_load 应为整数，实为null",
    ),
    "global max_load null": (lambda: _profile_body(max_load=None), "字段 rules.max_load 应为整数，实为null"),
    "min_count left out": (lambda: _without(_profile_body(), "rules", "min_count"), "字段 rules.min_count 缺少必填字段"),
    "no dept": (lambda: _without(_profile_body(), "dept"), "字段 dept 缺少必填字段"),
    "lottery source": (
        lambda: {**_profile_body(), "randomness": {**_profile_body()["randomness"], "extra_key": {"format": "rfc3797-keystring", "sources": ["福彩3D"]}}},
        "字段 randomness.extra_key 是未定义的字段",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PROFILE))
def test_the_announcement_profile_of_section_14_5(name: str) -> None:
    make, refusal = PROFILE[name]
    entry = parse_entry(make_entry(lf.ORIGIN, make(), [lf.DEPT_KEYS["a"]]))
    if refusal is None:
        ENTRY_TYPES.parse(entry, "x")
        return
    with pytest.raises(VerificationError, match=re.escape(refusal)):
        ENTRY_TYPES.parse(entry, "第 9 条条目")
    field = refusal.removeprefix("字段 ").split(" ")[0].replace("[0]", "[]")
    assert f"`{field}`" in _section("14.5"), f"docs/ledger.md §14.5 does not name {field}"
