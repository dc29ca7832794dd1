"""A department's own 检查结果 (docs/workflow.md §10): ``content/vocabulary.yaml`` and its
publication as a signed ``vocabulary.publish`` version.

``content/vocabulary.yaml`` lists, per department, the findings it records under its own
categories::

    vocabularies:
      wsjk:
        - word: 公共场所卫生许可证未按规定悬挂
          problem: true

:func:`load_vocabulary` reads one department's list with located Chinese errors (every check
the verifier makes on a ``vocabulary.publish`` body is made here first, so no writer builds a
body the ledger would refuse); :func:`publish_vocabulary` records it as the department's next
version, as ``gongkai checklist publish`` does for the 抽查事项清单 (docs/workflow.md §8).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from generator import entryids
from generator.content.errors import Location, Problems, display_path
from generator.content.source import Fields, LocDict, LocList, items_of, load_yaml
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.dept_vocabulary import BASE_PROBLEM, MAX_WORD, SEPARATORS, Finding, VocabularyPublish
from ledger.payloads import sign
from ledger.schema import BodyError, parse

__all__ = ["VOCABULARY_FILE", "load_vocabulary", "publish_vocabulary"]

#: The file, in ``content/``.
VOCABULARY_FILE: Final = "vocabulary.yaml"


def load_vocabulary(content: Path, dept: str, dept_ids: frozenset[str]) -> tuple[Finding, ...]:
    """``dept``'s own findings in ``content/vocabulary.yaml``, in file order.

    Every department's list is checked (a mistake elsewhere in the file is reported too): the
    key is a department of ``content/departments.yaml``; each finding has a ``word`` (at most
    :data:`~ledger.dept_vocabulary.MAX_WORD` characters, on one line, none of
    :data:`~ledger.dept_vocabulary.SEPARATORS`, not a word of the provincial form, not
    repeated) and a boolean ``problem``.

    Raises:
        ContentError: with every located problem (file:line: field).
        WorkflowError: the file has no findings for ``dept``.
    """
    problems = Problems()
    path = content / VOCABULARY_FILE
    shown = display_path(path, content)
    if not path.exists():
        problems.error(Location(shown), "缺少文件（本部门检查结果用语，docs/workflow.md §10）")
        problems.raise_if_errors()
    data = load_yaml(path, shown, problems)
    found: dict[str, tuple[Finding, ...]] = {}
    if isinstance(data, LocDict):
        top = Fields(data, shown, "", problems)
        depts = top.mapping("vocabularies")
        top.finish()
        fields = Fields(depts if depts is not None else LocDict(), shown, "vocabularies", problems)
        for key in fields.data:
            if key not in dept_ids:
                fields.error(key, f"部门“{key}”不在 content/departments.yaml 中")
            found[str(key)] = _dept_findings(fields, key)
    elif data is not None:
        problems.error(Location(shown, 1), "文件顶层应为映射（键: 值）")
    problems.raise_if_errors()
    if not found.get(dept):
        raise WorkflowError(f"{shown} 中没有部门“{dept}”的本部门检查结果用语")
    return found[dept]


def _dept_findings(depts: Fields, dept: str) -> tuple[Finding, ...]:
    """The findings of one department's list (problems recorded in ``depts.problems``)."""
    seq = depts.sequence(dept)
    out: list[Finding] = []
    seen: dict[str, int] = {}
    prefix = f"vocabularies.{dept}"
    for _, f in items_of(
        seq if seq is not None else LocList(), depts.shown, prefix, depts.problems
    ):
        word = f.text("word", max_len=MAX_WORD)
        if "problem" not in f.data:
            f.error("problem", "缺少必填字段（true：记录发现的问题；false：未发现问题）")
        problem = f.boolean("problem", default=False)
        f.finish()
        if word is None:
            continue
        why = _word_problem(word, seen)
        if why is not None:
            f.error("word", why)
            continue
        try:
            out.append(parse(Finding, {"word": word, "problem": problem}))
        except BodyError as exc:  # what the two checks above do not cover (the ledger's rule)
            f.error("word", f"不能作为检查结果用语：{exc.reason}")
            continue
        seen[word] = f.loc("word").line
    return tuple(out)


def _word_problem(word: str, seen: dict[str, int]) -> str | None:
    """Why ``word`` cannot be a department's own word, or None."""
    if "\n" in word:
        return "不能换行"
    bad = [ch for ch in SEPARATORS if ch in word]
    if bad:
        return f"不能含有“{'”“'.join(bad)}”（录入表以这些符号分隔多项检查结果）"
    if word in BASE_PROBLEM:
        return f"“{word}”是省级检查结果录入表的用语，各部门都可使用，不必也不能另行发布"
    if word in seen:
        return f"用语“{word}”重复（首次出现在第 {seen[word]} 行）"
    return None


def publish_vocabulary(
    repo: SiteRepo, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, int]:
    """Record the next version of ``dept``'s own 检查结果; return the checkpoint and the version.

    Raises:
        ContentError: ``content/vocabulary.yaml`` is missing or has errors.
        WorkflowError: it has no findings for ``dept``, they are unchanged since the last
            version, or a word already published would change whether it records a problem.
    """
    dept_ids = frozenset(d.id for d in repo.content.departments)
    if dept not in dept_ids:
        raise WorkflowError(f"部门“{dept}”不在 content/departments.yaml 中")
    findings = load_vocabulary(repo.root / "content", dept, dept_ids)
    book = repo.state().tasks.vocabularies
    current = book.in_force(dept)
    if current is not None and current.findings == findings:
        raise WorkflowError(
            f"部门“{dept}”的本部门检查结果用语自第 {current.version} 版发布以来没有变化"
        )
    meaning = book.meaning.get(dept, {})
    for f in findings:
        if meaning.get(f.word, f.problem) != f.problem:
            was = "true（发现问题）" if meaning[f.word] else "false（未发现问题）"
            raise WorkflowError(
                f"用语“{f.word}”已发布为 problem: {was}，不能改变其含义：请恢复原值，或另拟新的用语"
            )
    version = len(book.versions.get(dept, [])) + 1
    body = VocabularyPublish(
        id=entryids.vocabulary_publish(dept, version),
        ts=at,
        dept=dept,
        version=version,
        findings=findings,
    )
    line = sign(repo.trust.origin, body, [repo.signer(dept, key)])
    return repo.append([line], repo.log_signer(log_key)), version
