"""The page of the departments' own 检查结果 (docs/workflow.md §10, docs/site.md §8.1).

``results/vocabulary/`` lists, for each department whose ``vocabulary.publish`` entries the
ledger records, the words of its version in force (each with whether it records a problem and a
link to its results), the words earlier versions had and the current one dropped, and every
version with its entry, times and changes. Everything comes from the verified ledger
(:class:`~generator.workflow.published.PublishedVocabulary`), never from ``content/``; the text is
escaped by the templates like every other value.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.site.data import SiteData
from generator.site.page import Page, html_page
from generator.workflow.published import PublishedVocabulary

__all__ = ["VocabularyWord", "vocabulary_page"]


@dataclass(frozen=True)
class VocabularyWord:
    """One word of a department as the page shows it."""

    word: str
    problem: bool
    #: ``<dept>-<n>``: the address of its results page (docs/workflow.md §10).
    code: str
    #: Current (not superseded) results that use it.
    results: int


@dataclass(frozen=True)
class DeptVocabularyView:
    """One department's section of the page."""

    dept: str
    name: str
    published: PublishedVocabulary
    #: The words of the version in force, in its order.
    words: tuple[VocabularyWord, ...]
    #: Words of earlier versions that the version in force no longer has.
    retired: tuple[VocabularyWord, ...]


def _view(d: SiteData, v: PublishedVocabulary) -> DeptVocabularyView:
    # Codes number the words in order of first publication, as the results' categories do
    # (generator.content.results.dept_findings).
    first: dict[str, bool] = {}
    for body in v.bodies:
        for f in body.findings:
            first.setdefault(f.word, f.problem)
    groups = d.group("category")

    def word(n: int, text: str) -> VocabularyWord:
        code = f"{v.dept}-{n}"
        rows = groups.get(code, [])
        return VocabularyWord(text, first[text], code, sum(1 for r in rows if not r.superseded))

    numbered = {w: word(n, w) for n, w in enumerate(first, start=1)}
    current = tuple(numbered[f.word] for f in v.latest.findings)
    in_force = {f.word for f in v.latest.findings}
    retired = tuple(w for text, w in numbered.items() if text not in in_force)
    name = d.depts[v.dept].name if v.dept in d.depts else v.dept
    return DeptVocabularyView(v.dept, name, v, current, retired)


def vocabulary_page(d: SiteData) -> Page:
    """``results/vocabulary/``: departments in the order of ``content/departments.yaml``, then any
    other department the ledger records (by id)."""
    order = {dept: i for i, dept in enumerate(d.depts)}
    shown = sorted(d.vocabularies.values(), key=lambda v: (order.get(v.dept, len(order)), v.dept))
    return html_page(
        "results/vocabulary/", "vocabularies.html", vocabularies=[_view(d, v) for v in shown]
    )
