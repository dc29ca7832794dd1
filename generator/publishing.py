"""Inputs the public site takes from the ledger — only after the ledger verified.

``gongkai build`` first runs the offline auditor over ``draws/`` (signatures, tree, checkpoint,
every draw re-run). A failed verification stops the build and says why: a site never publishes
results from a ledger that does not verify.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator.content.results import InspectionResult
from generator.ledgerops import TRUST_NAME, open_store, read_trust, replay_store
from generator.workflow import followups
from generator.workflow.records import result_from_entry
from generator.workflow.status import ledger_as_of
from generator.workflow.timeline import TaskFacts, task_facts
from ledger.examplekeys import refuse_example_ledger
from ledger.tasks import china_date
from ledger.timestamp import TimeBounds
from ledger.verify import VerifyReport, verify_directory


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
    #: Every version of each plan: (version, China date, SHA-256), oldest first (§8).
    plan_history: dict[str, tuple[tuple[int, str, str], ...]]


def ledger_inputs(draws: Path, *, example_site: bool) -> LedgerInputs:
    """Verify ``draws`` against its ``trust.txt`` and read what the site publishes.

    Args:
        draws: The ledger directory.
        example_site: ``example`` of the site's ``gongkai.yaml``; a real site's ledger must not
            be signed with the public example keys.

    Raises:
        LedgerError: if the ledger does not verify (nothing is built); ExampleKeyError if it is
            signed with example keys and ``example_site`` is false.
    """
    trust = read_trust(draws)
    report = verify_directory(draws, trust=trust)
    refuse_example_ledger(
        [*report.root_keys, *report.log_keys_ever, *(k["vkey"] for k in report.keys)],
        example_site=example_site,
    )
    state = replay_store(open_store(draws, trust), trust, report.size)
    bounds = TimeBounds.from_report(report.timestamps)  # verified by the audit above
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
            )
            for index, entry in sorted(state.tasks.results.items())
        ],
        state.entries,
    )
    plans = {pid: e.payload.document.sha256 for pid, e in state.tasks.plans.items()}
    history = {
        pid: tuple(
            (e.payload.version or 1, china_date(e.ts).isoformat(), e.payload.document.sha256)
            for e in versions
        )
        for pid, versions in state.tasks.plan_versions.items()
    }
    return LedgerInputs(
        report, tuple(results), task_facts(state), plans, ledger_as_of(state), history
    )


def refuse_example_trust(draws: Path, *, example_site: bool) -> None:
    """Refuse a real site whose ``draws/trust.txt`` anchors the public example keys (cheap: the
    ledger itself is not read). Does nothing when there is no ``trust.txt``.

    Raises:
        ExampleKeyError: if the anchor's root or log keys are example keys and ``example_site``
            is false; MalformedError if ``trust.txt`` does not parse.
    """
    if (draws / TRUST_NAME).is_file():
        trust = read_trust(draws)
        refuse_example_ledger((*trust.roots, *trust.log_keys), example_site=example_site)
