"""Facts of the committed example ledger (``draws/``) that tests need, read from its entries
instead of being copied into the tests (the example is regenerated when its story changes)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"


def example_size() -> int:
    """How many entries the example ledger holds."""
    return len((ROOT / "draws" / "entries.jsonl").read_bytes().splitlines())


def open_rectify_followup(dept: str = "scjg", task: str | None = None) -> tuple[str, str]:
    """(task id, entity) of a current result of ``dept`` ordered to correct (责令改正) whose
    follow-up no ``followup.close`` has closed: the first one in log order.

    Raises:
        LookupError: if the example has none.
    """
    lines = (ROOT / "draws" / "entries.jsonl").read_text("utf-8").splitlines()
    bodies = [json.loads(line)["body"] for line in lines]
    closed = {
        (b["task_id"], b["dept"], b["entity"]) for b in bodies if b["type"] == "followup.close"
    }
    for b in bodies:
        if b["type"] not in ("result.publish", "result.correct") or b["dept"] != dept:
            continue
        key = (b["task_id"], b["dept"], b["result"]["entity"])
        ordered = b["result"]["followup"]["measure"] == RECTIFY
        if ordered and (task is None or key[0] == task) and key not in closed:
            return key[0], key[2]
    raise LookupError(f"示例账本中没有部门 {dept} 未完结的责令改正")
