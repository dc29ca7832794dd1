"""A department's own result vocabulary, versioned in the ledger (docs/workflow.md §10).

The provincial form's 检查结果 (:data:`ledger.vocabulary.RESULT_CATEGORY_TABLE`) are open to every
department. A department may also record findings under its own categories (卫生健康's
“公共场所卫生许可证未按规定悬挂”): it publishes them as a ``vocabulary.publish`` statement,
version 1, 2 …, each word with whether it records a problem (发现问题). The verifier replays
those versions (:class:`DeptVocabularies`) and accepts, in that department's ``result.publish``
and ``result.correct``, a base word or a word of its version in force at the entry; any other
word is refused. A word keeps the meaning it was first published with, so whether a result
records a problem (what 立案 needs, what the follow-up must agree with) never depends on when
it is read. The payloads live here, apart from :mod:`ledger.payloads` (which includes them in
the entry types), to keep that module within the project's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Final

from ledger.errors import VerificationError
from ledger.schema import BodyError, Bool, Int, ListOf, Object, Text, payload, spec
from ledger.statements import Statement
from ledger.vocabulary import RESULT_CATEGORY_TABLE

__all__ = [
    "BASE_PROBLEM",
    "MAX_WORD",
    "SEPARATORS",
    "DeptVocabularies",
    "Finding",
    "VocabularyPublish",
]

#: Longest department word (characters).
MAX_WORD: Final = 60
#: Characters a word may not hold: the result form splits a cell on them (a word containing one
#: could not be chosen), and none of them belongs in a category's wording.
SEPARATORS: Final = "、，,；;|"
_WORD = Text(
    f"finding wording: 1–{MAX_WORD} characters, no separator (、，,；; or vertical bar), no "
    "control character, no surrounding white space",
    pattern=(
        rf"[^\s{SEPARATORS}](?:[^\x00-\x1f\x7f-\x9f\u2028\u2029{SEPARATORS}]{{0,{MAX_WORD - 2}}}"
        rf"[^\s{SEPARATORS}])?"
    ),
)

#: Whether each base 检查结果 records a problem (发现问题), by its published wording.
BASE_PROBLEM: Final[dict[str, bool]] = {c.word: c.problem for c in RESULT_CATEGORY_TABLE}


@payload
@dataclass(frozen=True)
class Finding:
    """One word of ``vocabulary.publish.findings``: a category of the department's own."""

    word: str = spec(_WORD)
    problem: bool = spec(Bool())


@payload
@dataclass(frozen=True)
class VocabularyPublish(Statement):
    """``vocabulary.publish``: version n of a department's own 检查结果 (docs/workflow.md §10)."""

    TYPE: ClassVar[str] = "vocabulary.publish"
    version: int = spec(Int(1, 9999))
    findings: tuple[Finding, ...] = spec(ListOf(Object(Finding), nonempty=True))

    def check(self) -> None:
        """Words are unique and none is a base 检查结果 (§10 rule 2).

        Raises:
            BodyError: naming ``findings[i].word``.
        """
        seen: set[str] = set()
        for i, f in enumerate(self.findings):
            if f.word in BASE_PROBLEM:
                raise BodyError(
                    f"“{f.word}”是省级检查结果录入表的用语，不能作为本部门用语发布",
                    ["word", f"[{i}]", "findings"],
                )
            if f.word in seen:
                raise BodyError(f"用语“{f.word}”重复", ["word", f"[{i}]", "findings"])
            seen.add(f.word)


@dataclass
class DeptVocabularies:
    """Every department's published vocabulary versions, replayed in log order (§10)."""

    #: Each department's versions, oldest first (version k at [k − 1]), with their log index.
    versions: dict[str, list[tuple[int, VocabularyPublish]]] = field(default_factory=dict)
    #: Each department's every word ever published → whether it records a problem, in order
    #: of first publication.
    meaning: dict[str, dict[str, bool]] = field(default_factory=dict)

    def publish(self, body: VocabularyPublish, index: int, where: str) -> None:
        """Record version ``body.version`` of ``body.dept``'s vocabulary (at log ``index``).

        Raises:
            VerificationError: the version is not the next one, or a word already published
                changes whether it records a problem (§10 rules 1 and 3).
        """
        versions = self.versions.setdefault(body.dept, [])
        if body.version != len(versions) + 1:
            raise VerificationError(
                f"{where}：部门 {body.dept} 的本部门检查结果用语已发布 {len(versions)} 版，"
                f"本次应为第 {len(versions) + 1} 版"
            )
        meaning = self.meaning.setdefault(body.dept, {})
        for f in body.findings:
            if meaning.get(f.word, f.problem) != f.problem:
                was = "发现问题" if meaning[f.word] else "未发现问题"
                raise VerificationError(
                    f"{where}：用语“{f.word}”已发布为{was}的检查结果，不能改变其含义"
                    "（须另拟新的用语）"
                )
        for f in body.findings:
            meaning.setdefault(f.word, f.problem)
        versions.append((index, body))

    def in_force(self, dept: str, before: int | None = None) -> VocabularyPublish | None:
        """``dept``'s latest version (recorded before log index ``before``, if given), or None
        if it has published none."""
        found = [b for i, b in self.versions.get(dept, []) if before is None or i < before]
        return found[-1] if found else None

    def problem(self, dept: str, word: str) -> bool | None:
        """Whether ``word`` in a result of ``dept`` records a problem; None if it is neither a
        base word nor a word ``dept`` ever published."""
        if word in BASE_PROBLEM:
            return BASE_PROBLEM[word]
        return self.meaning.get(dept, {}).get(word)

    def check_words(self, dept: str, words: Iterable[str], where: str) -> None:
        """Refuse a word that is neither a base 检查结果 nor in ``dept``'s version in force
        (§10 rule 4).

        Raises:
            VerificationError: naming the word, the department and the version in force.
        """
        current = self.in_force(dept)
        own = {f.word for f in current.findings} if current is not None else set()
        for i, word in enumerate(words):
            if word in BASE_PROBLEM or word in own:
                continue
            if current is None:
                tail = f"部门 {dept} 也未发布本部门检查结果用语（vocabulary.publish）"
            else:
                tail = (
                    f"也不在部门 {dept} 生效的本部门检查结果用语（vocabulary.publish 第 "
                    f"{current.version} 版）中"
                )
            raise VerificationError(
                f"{where}：result.categories[{i}]：检查结果“{word}”不是省级检查结果录入表的用语，{tail}"
            )
