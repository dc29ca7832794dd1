"""The summary a department reads before it signs shows hostile text escaped
(docs/signing.md §6, §13.3): no text of a body can clear the screen, reverse a line or start a
line of its own, single requests and batches alike."""

from __future__ import annotations

import pytest

from generator.signing_summary import shown, summarise

HOSTILE = "\x1b[2J\u202e伪造\n签署申请：撤销部门密钥\t\u2028\ufeff\\u{000A}\U000e0041"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本季度已安排专项执法，人员不足", "本季度已安排专项执法，人员不足"),
        ("a\\b", "a\\\\b"),
        ("第一行\n第二行", "第一行\\u{000A}第二行"),
        ("\u202e", "\\u{202E}"),
        ("\U000e0041", "\\u{E0041}"),
        ("\u3164", "\\u{3164}"),  # a Hangul filler renders as nothing
        ("全角空格\u3000照常", "全角空格\u3000照常"),
    ],
)
def test_shown(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_a_single_request_summary_escapes_every_line() -> None:
    body = {
        "type": "task.reply",
        "id": "task.reply/2024-T1/wsjk",
        "ts": "2024-01-18T01:00:00Z",
        "dept": "wsjk",
        "task_id": "2024-T1",
        "decision": "decline",
        "reason": HOSTILE,
    }
    summary = summarise(body)
    lines = summary.split("\n")
    assert len(lines) == 5  # title, time, decision, reason, task_id: nothing added
    assert lines[3] == f"字段 reason：{shown(HOSTILE)}"
    assert not any(line.startswith("签署申请：撤销") for line in lines)
    for raw in ("\x1b", "\u202e", "\t", "\u2028", "\ufeff", "\U000e0041"):
        assert raw not in summary
