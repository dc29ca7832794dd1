"""Inputs the public site takes from the ledger — only after the ledger verified.

``gongkai build`` first runs the offline auditor over ``draws/`` once, under the ledger's lock
(signatures, tree, checkpoint, every draw re-run: :func:`ledger.verified.verify_ledger`). A failed
verification stops the build and says why: a site never publishes results from a ledger that
does not verify. The site's results, task facts and plans are read from the state that audit's
replay ended in, and the published ledger folder is written from the bytes it verified
(:func:`ledger.publish.publish_verified`): nothing is read from ``draws/`` a second time
(docs/site.md §4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.errors import Problems
from generator.content.model import Content
from generator.content.results import InspectionResult
from generator.ledgerops import (
    TRUST_NAME,
    LedgerState,
    open_store,
    read_trust,
    replay_store,
    verified_state,
)
from generator.workflow import followups
from generator.workflow.actions import published_plans
from generator.workflow.checklists import published_checklists
from generator.workflow.library_ledger import check_published_library, latest_library
from generator.workflow.published import (
    PublishedChecklist,
    PublishedVersion,
    PublishedVocabulary,
    checklist_versions,
    library_versions,
    plan_versions,
    vocabulary_versions,
)
from generator.workflow.records import result_from_entry
from generator.workflow.status import ledger_as_of
from generator.workflow.timeline import TaskFacts, task_facts
from generator.workflow.vocabularies import (
    check_published_vocabularies,
    warn_unpublished_vocabularies,
)
from ledger.draw.library import LIBRARIES
from ledger.examplekeys import example_tsas, refuse_example_ledger, refuse_example_tsa
from ledger.verified import VerifiedLedger, verify_ledger
from ledger.verify import VerifyReport


@dataclass(frozen=True)
class LedgerInputs:
    """Verified results (every version; corrections link old to new, follow-ups as the
    ledger's ``followup.*`` entries leave them), task facts, the published plans (plan id →
    SHA-256 of the recorded document) and the China date of the last entry."""

    report: VerifyReport
    results: tuple[InspectionResult, ...]
    facts: dict[str, TaskFacts]
    plans: dict[str, str]
    as_of: dt.date | None
    #: Every version of each plan, oldest first (docs/workflow.md §8, docs/site.md §8.1).
    plan_history: dict[str, tuple[PublishedVersion, ...]]
    #: Every department's published 抽查事项清单 (departments that published none are absent).
    checklists: dict[str, PublishedChecklist]
    #: What the audit verified (published as it is: :func:`ledger.publish.publish_verified`).
    verified: VerifiedLedger
    #: The state the audit's replay ended in (keys, tasks, entries, time bounds).
    state: LedgerState
    #: Every version of each of the two libraries (docs/workflow.md §9), oldest first.
    library: dict[str, tuple[PublishedVersion, ...]] = field(default_factory=dict)
    #: Every department's own 检查结果, every version (docs/workflow.md §10).
    vocabularies: dict[str, PublishedVocabulary] = field(default_factory=dict)


def ledger_inputs(draws: Path, *, example_site: bool) -> LedgerInputs:
    """Verify ``draws`` against its ``trust.txt`` (once, under its lock) and read what the site
    publishes from the state the audit's replay ended in.

    Args:
        draws: The ledger directory.
        example_site: ``example`` of the site's ``gongkai.yaml``; a real site's ledger must not
            be signed with the public example keys.

    Raises:
        LedgerError: if the ledger does not verify (nothing is built); ExampleKeyError if it is
            signed with example keys, or its anchor names the example time-stamping authority,
            and ``example_site`` is false.
    """
    trust = read_trust(draws)
    verified = verify_ledger(draws, trust)
    report = verified.report
    refuse_example_ledger(
        [*report.root_keys, *report.log_keys_ever, *(k["vkey"] for k in report.keys)],
        example_site=example_site,
    )
    refuse_example_tsa(example_tsas(draws, trust.tsas), example_site=example_site)
    state = verified_state(verified)
    bounds = state.bounds()  # verified by the audit above
    superseded: dict[int, int] = {}
    for index, entry in state.tasks.results.items():
        if entry.type == "result.correct":
            superseded[entry.payload.refers.index] = index
    results = followups.apply(
        [
            result_from_entry(
                entry,
                index,
                superseded.get(index),
                bounds.public_by(index),
                state.registry.inspectors,
                state.tasks.vocabularies,
            )
            for index, entry in sorted(state.tasks.results.items())
        ],
        state.entries,
    )
    plans = {pid: e.payload.document.sha256 for pid, e in state.tasks.plans.items()}
    return LedgerInputs(
        report,
        tuple(results),
        task_facts(state),
        plans,
        ledger_as_of(state),
        plan_versions(state.tasks, bounds, verified.read_blob),
        checklist_versions(state.tasks, bounds),
        verified,
        state,
        library_versions(state.tasks, bounds, verified.kept.libraries),
        vocabulary_versions(state.tasks.vocabularies, state.entries, bounds),
    )


def refuse_example_trust(draws: Path, *, example_site: bool) -> None:
    """Refuse a real site whose ``draws/trust.txt`` anchors the public example keys or the example
    time-stamping authority (cheap: the ledger itself is not read). Does nothing when there is no ``trust.txt``.

    Raises:
        ExampleKeyError: if the anchor's root or log keys are example keys, or a ``tsa`` line
            names the example time-stamping authority, and ``example_site`` is false; MalformedError if ``trust.txt`` does not parse.
    """
    if (draws / TRUST_NAME).is_file():
        trust = read_trust(draws)
        refuse_example_ledger((*trust.roots, *trust.log_keys), example_site=example_site)
        refuse_example_tsa(example_tsas(draws, trust.tsas), example_site=example_site)


def check_against_ledger(content: Content, draws: Path, problems: Problems | None = None) -> None:
    """Require ``content`` to be what the ledger in ``draws`` published last (``gongkai check``;
    the ledger is replayed, not audited, so this is cheap). Does nothing without ``trust.txt``.
    Warnings (a department's own 检查结果 not published yet) go to ``problems``.

    Raises:
        ContentError: a published plan, a department's items in ``content/checklist.yaml``, a
            library or a department's list in ``content/vocabulary.yaml`` differ from the latest
            version in the ledger (docs/site.md §8.1, docs/workflow.md §9 and §10).
        LedgerError: the ledger cannot be replayed.
    """
    if not (draws / TRUST_NAME).is_file():
        return
    trust = read_trust(draws)
    tasks = replay_store(open_store(draws, trust), trust).tasks
    plans = {pid: e.payload.document.sha256 for pid, e in tasks.plans.items()}
    published_plans(content.plans, plans, {i.id: i for i in content.items})
    latest = {d: (len(v), v[-1].payload.document.sha256) for d, v in tasks.checklists.items()}
    published_checklists(content.items, latest)
    for kind in LIBRARIES:
        check_published_library(content, kind, latest_library(tasks, kind))
    words = {d: v[-1][1] for d, v in tasks.vocabularies.versions.items()}
    check_published_vocabularies(content, words)
    if problems is not None:
        warn_unpublished_vocabularies(content, tasks.vocabularies, problems)
