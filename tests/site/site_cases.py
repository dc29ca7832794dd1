"""Cases and notices for site tests: a 立案 → 查处进展 → 结案 and a signed-for 抄告 whose free
text is the caller's (e.g. the hostile payloads), on the first fixture result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from generator.content.results import InspectionResult
from generator.workflow.cases import Case, CaseStep, Notice
from generator.workflow.timeline import TaskFacts


def story_facts(results: Sequence[InspectionResult], texts: Sequence[str]) -> dict[str, TaskFacts]:
    """Task facts holding one closed case and one acknowledged notice about ``results[0]``;
    every free-text field takes the next of ``texts`` (cycled)."""
    r = results[0]
    t = [texts[i % len(texts)] for i in range(7)]
    day = r.completed_on + dt.timedelta(days=1)
    case = Case(
        9001, t[0], r.dept, r.task_id, r.entity, r.dept, day, t[1],
        progress=[CaseStep(day, t[2], 9002)], closed_on=day, outcome=t[3], decision_no=t[4],
        close_index=9003,
    )  # fmt: skip
    notice = Notice(9004, r.task_id, r.entity, r.dept, "other", t[5], day, day, t[6], 9005)
    return {r.task_id: TaskFacts(cases=[case], notices=[notice])}
