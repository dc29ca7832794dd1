"""``content/vocabulary.yaml``: each department's own 检查结果 (docs/workflow.md §10).

The file lists, per department, the findings it records under its own categories::

    vocabularies:
      wsjk:
        - word: 公共场所卫生许可证未按规定悬挂
          problem: true

The file is optional (a site whose departments use only the provincial form's categories has
none). :func:`read_vocabularies` reads it with every problem located (file:line: field); every
check the verifier makes on a ``vocabulary.publish`` body is made here first, so no writer builds
a body the ledger would refuse. :func:`~generator.content.loader.load_content` calls it, so
``gongkai check``, ``gongkai build`` and every command that loads the content validate the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from generator.content.errors import Location, Problems, display_path
from generator.content.source import Fields, LocDict, items_of, load_yaml
from ledger.dept_vocabulary import BASE_PROBLEM, MAX_WORD, SEPARATORS, Finding
from ledger.schema import BodyError, parse

__all__ = ["VOCABULARY_FILE", "OwnVocabulary", "read_vocabularies"]

#: The file, in ``content/``.
VOCABULARY_FILE: Final = "vocabulary.yaml"


@dataclass(frozen=True)
class OwnVocabulary:
    """One department's list in ``content/vocabulary.yaml``, with where each part is."""

    dept: str
    #: The line of the department's key (``wsjk:``).
    line: int
    #: The findings in file order (each word checked as ``vocabulary.publish`` requires).
    findings: tuple[Finding, ...]
    #: The line of each finding (its list item), in the same order.
    lines: tuple[int, ...]


def read_vocabularies(
    root: Path, dept_ids: frozenset[str], problems: Problems
) -> tuple[OwnVocabulary, ...]:
    """Every department's list in ``root/vocabulary.yaml`` (``root``: a ``content/`` directory),
    in file order; ``()`` when the file does not exist.

    Checks, each recorded in ``problems`` as ``file:line: field``: the top level is a mapping with
    exactly the key ``vocabularies``, itself a mapping; each key is a department of
    ``content/departments.yaml`` (a reference into that library, dropped when it failed) with a
    non-empty list; each finding has exactly ``word`` (1 to
    :data:`~ledger.dept_vocabulary.MAX_WORD` characters, on one line, no character refused by
    docs/content.md §9, none of :data:`~ledger.dept_vocabulary.SEPARATORS`, not a word of the
    provincial form, not repeated in the department's list) and ``problem`` (``true`` or
    ``false``). A finding in error is left out of the result.
    """
    path = root / VOCABULARY_FILE
    if not path.exists():
        return ()
    shown = display_path(path, root)
    data = load_yaml(path, shown, problems)
    if data is None:
        return ()
    if not isinstance(data, LocDict):
        problems.error(Location(shown, 1), "文件顶层应为映射（键: 值）")
        return ()
    top = Fields(data, shown, "", problems)
    depts = top.mapping("vocabularies")
    top.finish()
    if depts is None:
        return ()
    fields = Fields(depts, shown, "vocabularies", problems)
    out: list[OwnVocabulary] = []
    for key in depts:  # the loader makes every key text (``123:`` → "123")
        if key not in dept_ids:
            fields.error(
                key, f"部门“{key}”不在 content/departments.yaml 中", refers_to="departments"
            )
        own = _dept_findings(fields, key)
        if own is not None:
            out.append(own)
    return tuple(out)


def _dept_findings(depts: Fields, dept: str) -> OwnVocabulary | None:
    """The findings of one department's list (problems recorded in ``depts.problems``)."""
    seq = depts.sequence(dept, max_items=1000)
    if seq is None:
        return None
    if not seq:
        depts.error(dept, "列表为空：至少列出一个用语（不使用本部门用语的部门不必列出）")
        return None
    findings: list[Finding] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    for i, f in items_of(seq, depts.shown, f"vocabularies.{dept}", depts.problems):
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
            findings.append(parse(Finding, {"word": word, "problem": problem}))
        except BodyError as exc:  # what the checks above do not cover (the ledger's own rule)
            f.error("word", f"不能作为检查结果用语：{exc.reason}")
            continue
        seen[word] = f.loc("word").line
        lines.append(seq.item_lines[i])
    return OwnVocabulary(dept, depts.data.line_of(dept), tuple(findings), tuple(lines))


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
