"""The rules of a department's own result vocabulary (docs/workflow.md §10): the body's shape,
the versions, the fixed meaning of a word and which words a result may use."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.dept_vocabulary import DeptVocabularies, VocabularyPublish
from ledger.errors import VerificationError
from ledger.schema import BodyError, parse

OWN = "公共场所卫生许可证未按规定悬挂"


def _body(version: int, *findings: tuple[str, Any], dept: str = "wsjk") -> dict[str, Any]:
    return {
        "type": "vocabulary.publish",
        "id": f"vocabulary.publish/{dept}/v{version}",
        "ts": "2024-01-05T02:00:00Z",
        "dept": dept,
        "version": version,
        "findings": [{"word": w, "problem": p} for w, p in findings],
    }


def _parsed(version: int, *findings: tuple[str, Any], dept: str = "wsjk") -> VocabularyPublish:
    return parse(VocabularyPublish, _body(version, *findings, dept=dept))


@pytest.mark.parametrize(
    ("finding", "where", "reason"),
    [
        (("未发现问题", False), "findings[0].word", "是省级检查结果录入表的用语"),
        (("未悬挂、未公示", True), "findings[0].word", "格式错误"),
        ((" 未悬挂", True), "findings[0].word", "格式错误"),
        (("未悬挂\n许可证", True), "findings[0].word", "格式错误"),
        (("甲" * 61, True), "findings[0].word", "格式错误"),
        (("", True), "findings[0].word", "格式错误"),
        ((OWN, 1), "findings[0].problem", "应为布尔值"),
    ],
)
def test_a_malformed_body_is_refused_with_the_fields_path(
    finding: tuple[str, Any], where: str, reason: str
) -> None:
    with pytest.raises(BodyError) as caught:
        _parsed(1, finding)
    assert caught.value.where == where
    assert reason in caught.value.reason


def test_a_repeated_word_is_refused() -> None:
    with pytest.raises(BodyError, match="重复") as caught:
        _parsed(1, (OWN, True), ("甲", False), (OWN, True))
    assert caught.value.where == "findings[2].word"


def test_versions_follow_each_other_and_a_word_keeps_its_meaning() -> None:
    book = DeptVocabularies()
    with pytest.raises(VerificationError, match="已发布 0 版，本次应为第 1 版"):
        book.publish(_parsed(2, (OWN, True)), 5, "第 5 条条目")
    book.publish(_parsed(1, (OWN, True), ("甲", False)), 5, "第 5 条条目")
    with pytest.raises(VerificationError, match="“甲”已发布为未发现问题的检查结果，不能改变其含义"):
        book.publish(_parsed(2, ("甲", True)), 9, "第 9 条条目")
    book.publish(_parsed(2, ("乙", True)), 9, "第 9 条条目")
    assert book.in_force("wsjk", before=9) is not None
    assert [f.word for f in book.in_force("wsjk", before=9).findings] == [OWN, "甲"]  # type: ignore[union-attr]
    assert [f.word for f in book.in_force("wsjk").findings] == ["乙"]  # type: ignore[union-attr]
    assert book.problem("wsjk", OWN) is True  # dropped, but its meaning stays for old results
    assert book.problem("wsjk", "甲") is False
    assert book.problem("scjg", OWN) is None
    assert book.problem("scjg", "违反市场监管相关规定") is True


def test_a_result_may_use_base_words_and_its_departments_words_in_force() -> None:
    book = DeptVocabularies()
    book.check_words("scjg", ["未发现问题", "违反本部门相关规定"], "x")
    book.publish(_parsed(1, (OWN, True)), 5, "第 5 条条目")
    book.check_words("wsjk", [OWN, "发现问题经责令已改正"], "x")
    with pytest.raises(VerificationError, match="部门 scjg 也未发布本部门检查结果用语"):
        book.check_words("scjg", [OWN], "第 7 条条目")
    book.publish(_parsed(2, ("乙", True)), 9, "第 9 条条目")
    with pytest.raises(
        VerificationError,
        match=f"检查结果“{OWN}”不是省级检查结果录入表的用语，也不在部门 wsjk 生效的"
        r"本部门检查结果用语（vocabulary.publish 第 2 版）中",
    ):
        book.check_words("wsjk", [OWN], "第 11 条条目")


def test_the_documented_bytes_are_the_canonical_body() -> None:
    """docs/workflow.md §10 prints the canonical body of wsjk's first version."""
    from pathlib import Path

    from ledger import canonical
    from ledger.schema import encode

    doc = (Path(__file__).resolve().parents[2] / "docs" / "workflow.md").read_text("utf-8")
    section = doc[doc.index("\n## 10. ") :]
    printed = section.split("\n```\n")[1]
    body = parse(VocabularyPublish, canonical.loads(printed.encode("utf-8")))
    assert canonical.dumps(encode(body)).decode("utf-8") == printed
    assert body.id == "vocabulary.publish/wsjk/v1"
    assert [(f.word, f.problem) for f in body.findings] == [
        (OWN, True), ("未设置禁止吸烟警语标志", True),
    ]  # fmt: skip
