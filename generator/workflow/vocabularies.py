"""A department's own 检查结果 (docs/workflow.md §10): ``content/vocabulary.yaml`` and its
publication as a signed ``vocabulary.publish`` version.

The file is read with the rest of the content (:mod:`generator.content.vocabulary`, located
Chinese errors). :func:`publish_vocabulary` records one department's list as its next version, as
``gongkai checklist publish`` does for the 抽查事项清单 (docs/workflow.md §8);
:func:`check_published_vocabularies` refuses a file that differs from what the ledger published
last (``gongkai check`` and ``gongkai build``, as for the libraries, §9).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from generator import entryids
from generator.content.errors import Location, Problems
from generator.content.model import Content
from generator.content.vocabulary import VOCABULARY_FILE, OwnVocabulary, read_vocabularies
from generator.errors import WorkflowError
from generator.workflow.site import SiteRepo
from ledger.checkpoint import Checkpoint
from ledger.dept_vocabulary import DeptVocabularies, Finding, VocabularyPublish
from ledger.payloads import sign

__all__ = [
    "VOCABULARY_FILE",
    "check_published_vocabularies",
    "load_vocabulary",
    "publish_vocabulary",
    "warn_unpublished_vocabularies",
]

_SHOWN = f"content/{VOCABULARY_FILE}"


def load_vocabulary(content: Path, dept: str, dept_ids: frozenset[str]) -> tuple[Finding, ...]:
    """``dept``'s own findings in ``content/vocabulary.yaml``, in file order (every
    department's list is checked: a mistake elsewhere in the file is reported too).

    Raises:
        ContentError: the file is missing, or with every located problem (file:line: field).
        WorkflowError: the file has no findings for ``dept``.
    """
    problems = Problems()
    if not (content / VOCABULARY_FILE).exists():
        problems.error(Location(_SHOWN), "缺少文件（本部门检查结果用语，docs/workflow.md §10）")
    found = read_vocabularies(content, dept_ids, problems)
    problems.raise_if_errors()
    return _findings_of(found, dept)


def _findings_of(found: tuple[OwnVocabulary, ...], dept: str) -> tuple[Finding, ...]:
    own = next((v for v in found if v.dept == dept), None)
    if own is None or not own.findings:
        raise WorkflowError(f"{_SHOWN} 中没有部门“{dept}”的本部门检查结果用语")
    return own.findings


def publish_vocabulary(
    repo: SiteRepo, dept: str, at: str, key: Path | None, log_key: Path | None
) -> tuple[Checkpoint, int]:
    """Record the next version of ``dept``'s own 检查结果; return the checkpoint and the version.

    Raises:
        ContentError: ``content/vocabulary.yaml`` is missing (the rest of the content, the file
            included, was checked when ``repo`` was opened).
        WorkflowError: it has no findings for ``dept``, they are unchanged since the last
            version, or a word already published would change whether it records a problem.
    """
    dept_ids = frozenset(d.id for d in repo.content.departments)
    if dept not in dept_ids:
        raise WorkflowError(f"部门“{dept}”不在 content/departments.yaml 中")
    if not (repo.root / "content" / VOCABULARY_FILE).exists():
        load_vocabulary(repo.root / "content", dept, dept_ids)  # raises: the file is missing
    findings = _findings_of(repo.content.vocabularies, dept)
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


def _difference(own: OwnVocabulary | None, recorded: VocabularyPublish) -> str | None:
    """Where and how ``own`` (the file's list) first differs from ``recorded``; None if equal."""
    field = f"vocabularies.{recorded.dept}"
    if own is None:
        return "文件中没有该部门的用语"
    for i, (mine, theirs) in enumerate(zip(own.findings, recorded.findings, strict=False)):
        if mine != theirs:
            return (
                f"{field}[{i}]（第 {own.lines[i]} 行）为“{mine.word}”（problem: "
                f"{str(mine.problem).lower()}），账本为“{theirs.word}”（problem: "
                f"{str(theirs.problem).lower()}）"
            )
    n, m = len(own.findings), len(recorded.findings)
    if n > m:
        return f"{field}[{m}]（第 {own.lines[m]} 行）“{own.findings[m].word}”不在账本记录的版本中"
    if n < m:
        return f"账本记录的版本还有第 {n + 1} 项“{recorded.findings[n].word}”，文件中没有"
    return None


def check_published_vocabularies(content: Content, latest: Mapping[str, VocabularyPublish]) -> None:
    """Require each department's list in ``content/vocabulary.yaml`` to be the version the
    ledger published last (``gongkai check`` and ``gongkai build``: the site shows what the
    ledger recorded, docs/workflow.md §10). ``latest``: each department's latest
    ``vocabulary.publish`` body, from the site's replayed ledger. A department that has published
    no version is not checked here (:func:`warn_unpublished_vocabularies` names it).

    Raises:
        ContentError: naming the file, the line and field of each department whose list differs
            (or is missing), the version and the fix (exit code 10).
    """
    problems = Problems()
    for dept, recorded in sorted(latest.items()):
        own = content.vocabulary(dept)
        how = _difference(own, recorded)
        if how is None:
            continue
        where = Location(_SHOWN, own.line if own else 0, f"vocabularies.{dept}")
        problems.error(
            where,
            f"部门“{dept}”的本部门检查结果用语与账本最新发布的版本（vocabulary.publish 第 "
            f"{recorded.version} 版）不同：{how}；网站只公开账本记录的版本：请恢复发布时的内容，"
            f"或运行 gongkai vocabulary publish --dept {dept} 把修改发布为新版本",
        )
    problems.raise_if_errors()


def warn_unpublished_vocabularies(
    content: Content, book: DeptVocabularies, problems: Problems
) -> None:
    """Warn (in ``problems``) of each department listed in ``content/vocabulary.yaml`` that has
    published no version yet: until it does, its forms and imports accept none of those words."""
    for v in content.vocabularies:
        if v.dept not in book.versions:
            problems.warning(
                Location(_SHOWN, v.line, f"vocabularies.{v.dept}"),
                f"部门“{v.dept}”的本部门检查结果用语尚未记入账本：发布之前，录入表和导入都不接受"
                f"这些用语（gongkai vocabulary publish --dept {v.dept}）",
            )
