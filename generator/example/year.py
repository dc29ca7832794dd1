"""Drive the ``gongkai`` CLI through the example county's whole 2024 year (deterministic).

Run ``python -m generator.example.year [--site .]``: it rebuilds ``draws/`` from ``content/``
with the public example keys, then plays the year — checklists, 卫健's own result vocabulary (two
versions, its findings recorded under its own words), plan, invitations (one
partner declines, one never replies), draws with the real drand quicknet round 5358915 (one
department never reveals), a reserve replacement, confirmation, results imported from filled
forms (most on time, a few late, a few never published), corrections and follow-ups. Everything is decided by
hashes of fixed labels, never by the clock or a random generator, so the bytes are reproducible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from generator.cli import main
from generator.content.loader import load_content
from generator.content.model import SpotCheckTask
from generator.content.workdays import add_workdays, is_workday
from generator.example import mobile
from generator.example.followups import case_events, resolve
from generator.example.ledger import CHECKLIST_TS, build_example_ledger
from generator.workflow import forms

ROUND = 5358915
#: The real signature of drand quicknet round 5358915 (2024-02-25T16:55:09Z).
SIGNATURE = (
    "95f058cbd1294bc3fa28647dabded06d50b543643fb04e1cb2c5b6204daf2093"
    "5782f7cae5fa7718cf87b4c43d108842"
)
REPLIES = {  # task → partner → (decision, date, reason); a partner not listed never replies
    "2024-YYYC-CY": {"wsjk": ("accept", "2024-01-18", ""), "xfjy": ("accept", "2024-01-19", "")},
    "2024-YYYC-JYZ": {
        "scjg": ("accept", "2024-01-16", ""),
        "yjgl": ("accept", "2024-01-17", ""),
        "sthj": (
            "decline",
            "2024-01-22",
            "本季度已安排重点排污单位专项执法，人员不足，不参加本次联合抽查",
        ),
    },
    "2024-YYYC-YD": {"wsjk": ("accept", "2024-01-25", "")},
}
UNREVEALED = {("2024-YYYC-JYZ", "yjgl")}  # missing reveal ⇒ that department contributes b""
#: Share (%) of drawn businesses the (joint) team cannot reach at the registered address.
UNREACHABLE_PERCENT = 4
#: A department's finding under its own rules: (检查结果, 具体情况); "" for any other department.
VIOLATIONS = {
    "scjg": ("违反市场监管相关规定", "进货查验记录不完整，已下达责令改正通知书，限期15日整改。"),
    "": ("违反本部门相关规定", "安全管理制度落实不到位，已下达责令改正通知书，限期15日整改。"),
}
#: The department that records its findings under its own 检查结果 (docs/workflow.md §10).
OWN_DEPT = "wsjk"
#: Its version 1 (the words with whether they record a problem), published at the start of the
#: year; version 2, before the draws, is ``content/vocabulary.yaml`` (one word reworded as a new
#: word, one added). Its forms are confirmed after version 2, so its results use those words.
OWN_V1 = (
    ("从业人员未取得有效健康合格证明", True),
    ("未按规定设置禁止吸烟警语标志", True),
    ("公共场所卫生许可证未按规定悬挂", True),
)
OWN_V1_AT = "2024-01-08T10:00:00+08:00"
OWN_V2_AT = "2024-02-21T10:00:00+08:00"
#: 具体情况 of a finding under each word of version 2 (a result picks one by hash).
OWN_FINDINGS = {
    "从业人员未取得有效健康合格证明": "2名从业人员未取得有效健康合格证明，已下达卫生监督意见书，责令限期办理。",
    "未按规定设置禁止吸烟警语标志": "营业场所未设置禁止吸烟警语标志，已下达卫生监督意见书，责令限期改正。",
    "未按规定公示卫生许可证和卫生检测信息": "未在显著位置公示卫生许可证和卫生检测信息，已责令限期改正。",
    "顾客用品用具未按规定清洗消毒保洁": "顾客用品用具清洗消毒记录不全，已下达卫生监督意见书，责令限期改正。",
}  # fmt: skip


def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


class Year:
    """One run of the example year against a site directory."""

    def __init__(self, site: Path, forms_dir: Path) -> None:
        self.site = site
        self.forms_dir = forms_dir
        self.runner = CliRunner()

    def gk(self, *args: str) -> str:
        """Run one ``gongkai`` command; any failure stops the script with its output."""
        result = self.runner.invoke(main, [*args, "--site", str(self.site)], catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(f"gongkai {' '.join(args)} 失败：\n{result.output}")
        return result.output

    def run(self) -> None:
        """Play the whole year."""
        content, _ = load_content(self.site / "content")
        for dept in sorted({i.dept for i in content.items}):  # 抽查事项清单 (docs/workflow.md §8)
            self.gk("checklist", "publish", "--dept", dept, "--at", CHECKLIST_TS)
        plan = content.plans[0]
        # The two libraries, kept by the organiser (docs/workflow.md §9): draws are derived from it.
        for kind in ("entities", "inspectors"):
            self.gk("library", "publish", kind, "--dept", plan.organiser, "--at", CHECKLIST_TS)
        self._own_vocabulary_v1()
        self.gk("plan", "publish", plan.id, "--at", "2024-01-10")
        # The ledger is appended in time order (an entry may not be dated before the last one):
        # invitations and replies of all tasks are interleaved by date.
        steps: list[tuple[str, int, list[str]]] = []
        for task in plan.tasks:
            if task.invitation_opens is not None:
                day = task.invitation_opens.isoformat()
                steps.append((day, 0, ["task", "invite", task.id, "--at", day]))
        for task_id, replies in REPLIES.items():
            for dept, (decision, day, reason) in replies.items():
                extra = ["--reason", reason] if reason else []
                steps.append(
                    (day, 1, ["task", "reply", task_id, "--dept", dept, f"--{decision}", *extra,
                              "--at", day])
                )  # fmt: skip
        # 卫健 publishes version 2 of its own 检查结果 (content/vocabulary.yaml) before the draws.
        steps.append((OWN_V2_AT[:10], 2, ["vocabulary", "publish", "--dept", OWN_DEPT,
                                           "--at", OWN_V2_AT]))  # fmt: skip
        for _, _, args in sorted(steps, key=lambda step: step[:2]):
            self.gk(*args)
        for task in plan.tasks:
            self.gk(
                "draw",
                "announce",
                task.id,
                "--round",
                str(ROUND),
                "--at",
                "2024-02-22T10:00:00+08:00",
            )
        for task in plan.tasks:
            for dept in self._participants(task):
                if (task.id, dept) not in UNREVEALED:
                    self.gk(
                        "draw",
                        "reveal",
                        task.id,
                        "--dept",
                        dept,
                        "--at",
                        "2024-02-23T10:00:00+08:00",
                    )
        for task in plan.tasks:
            self.gk(
                "draw",
                "beacon",
                task.id,
                "--signature",
                SIGNATURE,
                "--at",
                "2024-02-26T09:00:00+08:00",
            )
        for task in plan.tasks:
            self.gk("draw", "run", task.id, "--at", "2024-02-26T10:00:00+08:00")
        self._replace_one(plan.tasks[0])
        for task in plan.tasks:
            self.gk(
                "task",
                "confirm",
                task.id,
                "--out",
                str(self.forms_dir),
                "--at",
                "2024-02-27T10:00:00+08:00",
            )
        self._results(content.plans[0].tasks)

    def _own_vocabulary_v1(self) -> None:
        """卫健 publishes version 1 of its own 检查结果 (:data:`OWN_V1`): the site's
        ``content/vocabulary.yaml`` holds it while it is published, then version 2 again."""
        path = self.site / "content" / "vocabulary.yaml"
        final = path.read_bytes()
        lines = ["vocabularies:", f"  {OWN_DEPT}:"]
        for word, problem in OWN_V1:
            lines += [f"    - word: {word}", f"      problem: {str(problem).lower()}"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            self.gk("vocabulary", "publish", "--dept", OWN_DEPT, "--at", OWN_V1_AT)
        finally:
            path.write_bytes(final)

    def _participants(self, task: SpotCheckTask) -> list[str]:
        if task.invitation_opens is None:
            return [task.lead]
        accepted = [
            d for d, (decision, _, _) in REPLIES.get(task.id, {}).items() if decision == "accept"
        ]
        return [task.lead, *[d for d in task.partners if d in accepted]]

    def _replace_one(self, task: SpotCheckTask) -> None:
        from generator.workflow.site import SiteRepo

        record = SiteRepo.open(self.site).state().tasks.tasks[task.id]
        victim = min(record.drawn, key=lambda e: _h("replace", e))
        self.gk(
            "draw", "replace", task.id, victim, "--reason", "经核实已停业，登记住所无法联系",
            "--at", "2024-02-26T15:00:00+08:00",
        )  # fmt: skip

    # -- results ---------------------------------------------------------------------------

    def _plan_rows(
        self, task: SpotCheckTask, dept: str, path: Path
    ) -> list[tuple[int, dt.date, dict[str, object], str]]:
        """(row, publish date, cells, entity) for every row of a form; some rows are never
        published."""
        wb = openpyxl.load_workbook(path, read_only=True)
        sheet = wb[forms.RESULT_SHEET]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        code_col = header.index(forms.COL_CODE)
        out = []
        span = max(1, (task.period_end - task.period_start).days // 3)
        for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            entity = str(row[code_col])
            key = (task.id, dept, entity)
            fate = _h("fate", *key) % 100
            if fate < 3:
                continue  # never published: shows up as overdue
            # One visit per business: every department of a joint task inspects it together, on
            # a working day (State Council calendar), and completes that day or the next.
            inspected = task.period_start + dt.timedelta(
                days=14 + _h("day", task.id, entity) % span
            )
            while not is_workday(inspected):
                inspected += dt.timedelta(days=1)
            completed = inspected
            if _h("done", *key) % 2:
                completed = add_workdays(inspected, 1)
            delay = 45 if fate < 7 else 5 + _h("delay", *key) % 10
            out.append(
                (
                    number,
                    completed + dt.timedelta(days=delay),
                    self._cells(key, inspected, completed),
                    entity,
                )
            )
        wb.close()
        return out

    @staticmethod
    def _cells(
        key: tuple[str, str, str], inspected: dt.date, completed: dt.date
    ) -> dict[str, object]:
        roll = _h("result", *key) % 100
        task_id, dept, entity = key
        cells: dict[str, object] = {
            forms.COL_INSPECTED: inspected,
            forms.COL_COMPLETED: completed,
            forms.COL_METHODS[0]: "现场检查",
        }
        if _h("unreachable", task_id, entity) % 100 < UNREACHABLE_PERCENT:
            # The whole joint team finds nobody: every department records the same.
            cells |= {forms.COL_CATEGORIES[0]: "通过登记的住所（经营场所）无法联系", forms.COL_DETAIL: "联合检查组两次到登记住所均无法联系。",
                      forms.COL_MEASURE: "停止检查，反馈至日常监管部门依法依规处理", forms.COL_STATE: "未完结"}  # fmt: skip
        elif roll < 78:
            cells |= {forms.COL_CATEGORIES[0]: "未发现问题", forms.COL_DETAIL: "现场检查未发现问题。",
                      forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置", forms.COL_STATE: "已完结",
                      forms.COL_CLOSED: completed}  # fmt: skip
        elif roll < 88:
            cells |= {forms.COL_CATEGORIES[0]: "发现问题经责令已改正", forms.COL_DETAIL: "部分台账记录不完整，已当场责令改正并完成整改。",
                      forms.COL_MEASURE: "未发现问题或相关问题已规范、已改正，无需后续处置", forms.COL_STATE: "已完结",
                      forms.COL_CLOSED: completed}  # fmt: skip
        else:
            # A finding under the department's own rules (docs/domain.md §3.4): 卫健 records it
            # under its own 检查结果 (docs/workflow.md §10).
            if dept == OWN_DEPT:
                category = sorted(OWN_FINDINGS)[_h("finding", *key) % len(OWN_FINDINGS)]
                detail = OWN_FINDINGS[category]
            else:
                category, detail = VIOLATIONS.get(dept, VIOLATIONS[""])
            cells |= {forms.COL_CATEGORIES[0]: category, forms.COL_DETAIL: detail,
                      forms.COL_MEASURE: "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责", forms.COL_STATE: "未完结"}  # fmt: skip
        return cells

    def _results(self, tasks: tuple[SpotCheckTask, ...]) -> None:
        """Import the filled forms on the 1st and 16th of each month (the next working day when
        it is not one) and record follow-ups eight working days after publication (closing two
        in three after twenty-eight), all in time order."""
        from generator.workflow.site import SiteRepo

        state = SiteRepo.open(self.site).state()
        schedule: dict[
            dt.date, list[tuple[SpotCheckTask, str, Path, list[tuple[int, dict[str, object]]]]]
        ] = defaultdict(list)
        plans: dict[tuple[str, str], list[tuple[int, dt.date, dict[str, object], str]]] = {}
        for task in tasks:
            for dept in state.tasks.tasks[task.id].participants:
                path = self.forms_dir / task.id / f"{dept}.xlsx"
                plans[(task.id, dept)] = self._plan_rows(task, dept, path)
        # One inspector's results are signed on a phone instead (generator/example/mobile.py).
        events, open_results = mobile.phone_team(self.site, self.forms_dir, state, plans)
        # Each department imports on the 1st and 16th of a month everything completed so far.
        for (task_id, dept), planned in sorted(plans.items()):
            task = next(t for t in tasks if t.id == task_id)
            by_day: dict[dt.date, list[tuple[int, dict[str, object]]]] = defaultdict(list)
            for number, publish_on, cells, entity in planned:
                day = _next_import_day(publish_on)
                by_day[day].append((number, cells))
                if cells.get(forms.COL_STATE) == "未完结":
                    measure = str(cells[forms.COL_MEASURE])
                    open_results.append((day, task_id, dept, entity, measure))
            done: list[tuple[int, dict[str, object]]] = []
            for day in sorted(by_day):
                done = done + by_day[day]
                schedule[day].append(
                    (task, dept, self.forms_dir / task_id / f"{dept}.xlsx", list(done))
                )
        for day in sorted(schedule):
            for task, dept, path, done_rows in schedule[day]:
                filled = self.forms_dir / "filled" / task.id / f"{dept}-{day.isoformat()}.xlsx"
                filled.parent.mkdir(parents=True, exist_ok=True)
                _fill(path, filled, done_rows)
                events.append(
                    (f"{day.isoformat()}T16:00:00+08:00",
                     ["results", "import", task.id, str(filled), "--dept", dept])
                )  # fmt: skip
        cases = case_events(plans, _next_import_day)  # 立案 … 结案, 抄告 … 签收
        # A result with a case has the case as its follow-up (docs/workflow.md §7 rule 5).
        in_case = {
            (args[2], args[args.index("--from-dept") + 1], args[3])
            for _, args in cases
            if args[:2] == ["case", "open"]
        }
        events += self._followups(sorted(r for r in open_results if r[1:4] not in in_case))
        events += cases
        for at, args in sorted(events, key=lambda event: event[0]):
            self.gk(*resolve(args, self.site), "--at", at)

    @staticmethod
    def _followups(
        open_results: list[tuple[dt.date, str, str, str, str]],
    ) -> list[tuple[str, list[str]]]:
        """(time, command) of the follow-ups of the results published with an open follow-up:
        an order to correct is recorded eight working days later and two in three are closed
        after a re-inspection (twenty-eight working days after publication); an unreachable business is handed to daily supervision and two in three
        are closed once it has acted (the closing note matches what was done)."""
        events: list[tuple[str, list[str]]] = []
        for published, task_id, dept, entity, measure in open_results:
            rectify = measure.startswith("违反本部门相关规定")
            if rectify:
                when = add_workdays(published, 8)
                events.append(
                    (f"{when.isoformat()}T10:00:00+08:00",
                     ["followup", "record", task_id, entity, "--dept", dept, "--measure", measure,
                      "--note", "已下达责令改正通知书，限期15日整改"])
                )  # fmt: skip
            if _h("close", task_id, dept, entity) % 3:
                closed = add_workdays(published, 28)
                note = "复查确认已整改到位" if rectify else "已反馈日常监管部门，由其依法依规处理"
                events.append(
                    (f"{closed.isoformat()}T10:00:00+08:00",
                     ["followup", "close", task_id, entity, "--dept", dept, "--note", note])
                )  # fmt: skip
        return events


def _next_import_day(day: dt.date) -> dt.date:
    """The first working day on or after the next 1st or 16th of a month (``day`` included)."""
    if day.day in (1, 16):
        nominal = day
    elif day.day < 16:
        nominal = day.replace(day=16)
    else:
        nominal = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    while not is_workday(nominal):
        nominal += dt.timedelta(days=1)
    return nominal


def _fill(template: Path, out: Path, rows: list[tuple[int, dict[str, object]]]) -> None:
    wb = openpyxl.load_workbook(template)
    sheet = wb[forms.RESULT_SHEET]
    header = [c.value for c in sheet[1]]
    for number, cells in rows:
        for column, value in cells.items():
            cell = sheet.cell(row=number, column=header.index(column) + 1)
            cell.value = value
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    wb.save(out)


def build_year(
    content_dir: Path, draws: Path, play: type[Year] | None = None, work: Path | None = None
) -> None:
    """Rebuild ``draws`` from ``content_dir`` and play the year (``draws`` is replaced) with
    ``play`` (default :class:`Year`; :class:`generator.example.offices.OfficeYear` office by
    office). ``work`` keeps the site and forms (a temporary directory when ``None``)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-year-") as tmp:
        base = work or Path(tmp)
        site = base / "site"
        site.mkdir(parents=True)
        shutil.copytree(content_dir, site / "content")
        build_example_ledger(site / "content", site / "draws", checklists=False)
        (play or Year)(site, base / "forms").run()
        (site / "draws" / "LOCK").unlink(missing_ok=True)
        if draws.exists():
            shutil.rmtree(draws)
        shutil.copytree(site / "draws", draws)


def main_() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--draws", type=Path, default=Path("draws"))
    args = parser.parse_args()
    build_year(args.content, args.draws)


if __name__ == "__main__":
    main_()
