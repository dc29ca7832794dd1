"""A task id and a department id that could not fit in an entry id are refused by ``gongkai
check`` before anything is written (docs/ledger.md §14.6).

The bound comes from the id forms of :mod:`generator.entryids`: the longest,
``followup.record/<task>/<dept>/<entity>/<ts>``, has 57 characters besides the task and the
department, and an entry id has at most 128 (docs/ledger.md §13.1). At 71 characters together the
longest id is exactly 128 and the ledger accepts it; at 72 it would be refused, so ``check``
refuses the plan (exit code 10, file, line and field named).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import entryids
from generator.cli import main
from ledger.entries import make_entry, parse_entry
from ledger.errors import MalformedError
from ledger.examplekeys import example_signer

MINI = Path(__file__).parent / "fixtures" / "mini"
TASK = "2024-YYYC-CY"
ENTITY = "91620823MA00000000"  # 18 characters, the longest entity id


def test_the_budget_is_the_longest_form_exactly() -> None:
    assert entryids.TASK_DEPT_BUDGET == 71
    task, dept = "T" * 64, "d" * 7
    ident = entryids.followup(task, dept, ENTITY, "2024-05-10T01:00:00Z", close=False)
    assert len(ident) == entryids.MAX_ENTRY_ID == 128
    body = {"type": "followup.record", "id": ident, "ts": "2024-05-10T01:00:00Z", "dept": dept}
    signer = example_signer("x")
    parse_entry(make_entry("o", body, [signer]))  # the ledger takes the longest id
    longer = {**body, "id": entryids.followup(task, dept + "x", ENTITY, body["ts"], close=False)}
    with pytest.raises(MalformedError):
        parse_entry(make_entry("o", longer, [signer]))


def _mini_with(tmp_path: Path, task: str, dept: str) -> Path:
    """The mini content with the joint task renamed to ``task`` and ``wsjk`` to ``dept``."""
    content = tmp_path / "mini"
    shutil.copytree(MINI, content)
    for path in content.rglob("*"):
        if path.suffix in {".yaml", ".csv"}:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("wsjk", dept).replace(TASK, task), encoding="utf-8")
    return content


@pytest.mark.parametrize("dept_len", [7, 8])
def test_check_refuses_a_task_and_department_id_one_character_too_long(
    tmp_path: Path, dept_len: int
) -> None:
    task, dept = "T" * 64, "d" * dept_len
    result = CliRunner().invoke(
        main, ["check", "--content", str(_mini_with(tmp_path, task, dept))], prog_name="gongkai"
    )
    message = f"与部门编号“{dept}”（{dept_len} 个字符）合计 {64 + dept_len} 个字符，超过 71 个字符"
    if dept_len == 7:
        assert message not in result.output
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 10, result.output
        assert f"mini/plans/2024.yaml:8: tasks[0].id: 错误: 任务编号“{task}”" in result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_the_documented_bound_is_the_computed_one() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
    section = doc[doc.index("### 14.6 ") :]
    assert f"**at most {entryids.TASK_DEPT_BUDGET} characters**" in section
    assert "115" not in section


def test_case_and_notice_ids_fit_at_the_bound() -> None:
    """立案 and 抄告 ids embed the task and a department of the task (the inspecting one, not
    the handling department or the addressee, which are in the body); progress, close and
    签收 ids embed only a log index. At the budget every form fits in 128 characters."""
    task, dept, ts = "T" * 64, "d" * 7, "2024-05-10T01:00:00Z"
    index = 2**63 - 2  # the largest log index
    forms = [
        entryids.case_open(task, dept, ENTITY, ts),
        entryids.notice_copy(task, dept, ENTITY, ts),
        entryids.case_progress(index, ts),
        entryids.case_close(index),
        entryids.notice_ack(index),
    ]
    signer = example_signer("x")
    for ident in forms:
        assert len(ident) <= entryids.MAX_ENTRY_ID, ident
        parse_entry(
            make_entry(
                "o", {"type": ident.split("/")[0], "id": ident, "ts": ts, "dept": dept}, [signer]
            )
        )
